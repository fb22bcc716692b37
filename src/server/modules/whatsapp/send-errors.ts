import type { ErrorClass, WhatsAppError } from "./types.js";

/**
 * Cloud API error codes → what the caller must do (docs/whatsapp-cloud-api.md §4.2, whose table
 * this is). The sender never branches on HTTP status, subcode or title text: Meta says to branch on
 * `error.code` (§4.1), and the same codes arrive synchronously and in status webhooks, so both
 * paths share this table.
 *
 * How the actions of §4.2 map to classes:
 * - BACKOFF for faults on the way (1, 2, 131016, 131000) → "backoff";
 * - BACKOFF/LATER that mean "not now" (rate limits, caps, maintenance) → "retry_later";
 * - FIX and HALT → "fatal_config": retrying the same send cannot help, the broadcast stops;
 * - DROP, plus 131047 (outside the 24 h window) and 131052 → "permanent" for that recipient.
 *
 * Over 400 lines for a reason: most of it is the table itself, one entry per error code with its
 * reason, and a table split in two would be read in two places.
 */

const HOUR_MS = 3_600_000;

interface ErrorRule {
  /** One code, or an inclusive range. */
  code: number | readonly [number, number];
  class: ErrorClass;
  /** Meta's meaning, paraphrased; used as the title when Meta sends none. */
  meaning: string;
  /** The same in Italian, for staff (a broadcast's report groups its failures by code). */
  it: string;
  maxAttempts?: number;
  retryAfterMs?: number;
}

export const ERROR_TABLE: readonly ErrorRule[] = [
  {
    code: 0,
    class: "fatal_config",
    meaning: "Authentication failed (token expired or invalid)",
    it: "Autenticazione non riuscita (token scaduto o non valido)",
  },
  // Code 1 may be a malformed request as well as a server fault: a few tries, then give up
  // (unless the HTTP status says which: see classifyError).
  {
    code: 1,
    class: "backoff",
    meaning: "Invalid request or server error",
    it: "Richiesta non valida o errore del server",
    maxAttempts: 3,
  },
  {
    code: 2,
    class: "backoff",
    meaning: "Temporary downtime",
    it: "Servizio temporaneamente non disponibile",
  },
  {
    code: 3,
    class: "fatal_config",
    meaning: "Capability or permission issue (token scopes)",
    it: "Permessi insufficienti del token",
  },
  // App-level limit on management calls, counted per hour (§0).
  {
    code: 4,
    class: "retry_later",
    meaning: "Too many API calls from this app",
    it: "Troppe chiamate all'API da questa applicazione",
  },
  {
    code: 10,
    class: "fatal_config",
    meaning: "Permission not granted or removed",
    it: "Permesso non concesso o revocato",
  },
  {
    code: 100,
    class: "fatal_config",
    meaning: "Invalid, unsupported or misspelled parameter",
    it: "Parametro non valido, non supportato o scritto male",
  },
  {
    code: 190,
    class: "fatal_config",
    meaning: "Access token expired",
    it: "Token di accesso scaduto",
  },
  {
    code: [200, 299],
    class: "fatal_config",
    meaning: "Permission issue (200: no token sent)",
    it: "Problema di permessi (200: nessun token inviato)",
  },
  {
    code: 368,
    class: "fatal_config",
    meaning: "Account restricted for policy violations",
    it: "Account limitato per violazione delle regole",
  },
  {
    code: 80007,
    class: "retry_later",
    meaning: "WhatsApp Business Account rate limit reached",
    it: "Limite di chiamate dell'account WhatsApp Business raggiunto",
  },
  {
    code: 130403,
    class: "permanent",
    meaning: "The business blocked this user",
    it: "Il Comune ha bloccato questo utente",
  },
  {
    code: 130429,
    class: "retry_later",
    meaning: "Per-number throughput exceeded",
    it: "Superato il numero di messaggi al secondo del numero",
  },
  {
    code: 130472,
    class: "permanent",
    meaning: "User is part of a Meta experiment; not sent",
    it: "Utente incluso in un esperimento di Meta: non inviato",
  },
  {
    code: 130497,
    class: "permanent",
    meaning: "Messaging users in this country is restricted",
    it: "Invio verso questo Paese non consentito",
  },
  {
    code: 131000,
    class: "backoff",
    meaning: "Unknown send error",
    it: "Errore di invio sconosciuto",
    maxAttempts: 3,
  },
  {
    code: 131005,
    class: "fatal_config",
    meaning: "Permission not granted or removed",
    it: "Permesso non concesso o revocato",
  },
  {
    code: 131008,
    class: "fatal_config",
    meaning: "Required parameter missing",
    it: "Manca un parametro obbligatorio",
  },
  {
    code: 131009,
    class: "fatal_config",
    meaning: "Parameter value not valid",
    it: "Valore di un parametro non valido",
  },
  {
    code: 131016,
    class: "backoff",
    meaning: "Service temporarily unavailable",
    it: "Servizio temporaneamente non disponibile",
  },
  {
    code: 131021,
    class: "permanent",
    meaning: "Sender and recipient are the same number",
    it: "Mittente e destinatario sono lo stesso numero",
  },
  {
    code: 131026,
    class: "permanent",
    meaning: "Undeliverable (not on WhatsApp, old app, …)",
    it: "Non recapitabile (numero non su WhatsApp, app non aggiornata, …)",
  },
  {
    code: 131031,
    class: "fatal_config",
    meaning: "Business account locked or restricted",
    it: "Account WhatsApp Business bloccato o limitato",
  },
  {
    code: 131042,
    class: "fatal_config",
    meaning: "Payment method problem",
    it: "Problema con il metodo di pagamento",
  },
  {
    code: 131045,
    class: "fatal_config",
    meaning: "Phone number registration error",
    it: "Errore nella registrazione del numero",
  },
  // §4.2 says FIX (send a template instead); for this recipient the free-form send is
  // final, and the issue classes re-engagement outside the window as permanent.
  {
    code: 131047,
    class: "permanent",
    meaning: "More than 24 hours since the user wrote",
    it: "Sono passate più di 24 ore dall'ultimo messaggio dell'utente",
  },
  // LATER means "not before hours" (§4.2): an hour is the least that honours it.
  {
    code: 131048,
    class: "retry_later",
    meaning: "Spam rate limit: too many messages blocked or flagged",
    it: "Limite antispam: troppi messaggi bloccati o segnalati",
    retryAfterMs: HOUR_MS,
  },
  {
    code: 131049,
    class: "retry_later",
    meaning: "Not delivered to keep engagement healthy (per-user marketing limit)",
    it: "Non consegnato per non sovraccaricare l'utente (limite di messaggi marketing)",
    retryAfterMs: 24 * HOUR_MS,
  },
  {
    code: 131050,
    class: "permanent",
    meaning: "User stopped marketing messages",
    it: "L'utente ha disattivato i messaggi marketing",
  },
  {
    code: 131051,
    class: "fatal_config",
    meaning: "Unsupported message type",
    it: "Tipo di messaggio non supportato",
  },
  // Inbound only: the user must send the file again; nothing to retry on our side.
  {
    code: 131052,
    class: "permanent",
    meaning: "Could not download the user's media",
    it: "Impossibile scaricare il file inviato dall'utente",
  },
  {
    code: 131053,
    class: "fatal_config",
    meaning: "Could not upload or fetch the media",
    it: "Impossibile caricare o recuperare il file multimediale",
  },
  // Only this recipient is affected; the caller backs off 4^X s for them (§5).
  {
    code: 131056,
    class: "retry_later",
    meaning: "Pair rate limit: same user too fast",
    it: "Troppi messaggi allo stesso utente in poco tempo",
  },
  {
    code: 131057,
    class: "retry_later",
    meaning: "Account in maintenance (throughput upgrade)",
    it: "Account in manutenzione (aumento della capacità)",
    retryAfterMs: 60_000,
  },
  {
    code: 131063,
    class: "fatal_config",
    meaning: "Marketing messages disabled on Cloud API",
    it: "Messaggi marketing disattivati sulla Cloud API",
  },
  {
    code: 131064,
    class: "retry_later",
    meaning: "Limit hit for template misclassification",
    it: "Limite raggiunto per modelli di categoria errata",
    retryAfterMs: HOUR_MS,
  },
  {
    code: 132000,
    class: "fatal_config",
    meaning: "Parameter count differs from the template",
    it: "Il numero di parametri non corrisponde al modello",
  },
  {
    code: 132001,
    class: "fatal_config",
    meaning: "Template missing in this language",
    it: "Modello non disponibile in questa lingua",
  },
  {
    code: 132005,
    class: "fatal_config",
    meaning: "Translated text too long",
    it: "Testo tradotto troppo lungo",
  },
  {
    code: 132007,
    class: "fatal_config",
    meaning: "Template content violates policy",
    it: "Il contenuto del modello viola le regole",
  },
  {
    code: 132012,
    class: "fatal_config",
    meaning: "Parameter values formatted incorrectly",
    it: "Parametri nel formato sbagliato",
  },
  {
    code: 132015,
    class: "fatal_config",
    meaning: "Template paused for low quality",
    it: "Modello sospeso per bassa qualità",
  },
  {
    code: 132016,
    class: "fatal_config",
    meaning: "Template permanently disabled",
    it: "Modello disattivato definitivamente",
  },
  {
    code: 132018,
    class: "fatal_config",
    meaning: "Parameter has newline, tab or >4 spaces",
    it: "Un parametro contiene a capo, tabulazioni o più di 4 spazi",
  },
  {
    code: 133010,
    class: "fatal_config",
    meaning: "Phone number not registered",
    it: "Numero di telefono non registrato",
  },
  {
    code: 135000,
    class: "fatal_config",
    meaning: "Unknown error with request parameters",
    it: "Errore sconosciuto nei parametri della richiesta",
  },
];

/** An unknown code: try a few times, then the caller treats it as permanent. */
const UNKNOWN_RULE = { class: "backoff", maxAttempts: 3 } as const;

const BY_CODE = new Map<number, ErrorRule>();
const RANGES: ErrorRule[] = [];
for (const rule of ERROR_TABLE) {
  if (typeof rule.code === "number") BY_CODE.set(rule.code, rule);
  else RANGES.push(rule);
}

function findRule(code: number): ErrorRule | undefined {
  return (
    BY_CODE.get(code) ??
    RANGES.find((r) => typeof r.code !== "number" && code >= r.code[0] && code <= r.code[1])
  );
}

export interface GraphErrorInput {
  code: number;
  subcode?: number;
  title?: string;
  message?: string;
  details?: string;
  httpStatus?: number;
}

export function classifyError(input: GraphErrorInput): WhatsAppError {
  const rule = findRule(input.code);
  const title = input.title || input.message || rule?.meaning || `Unknown error ${input.code}`;
  const error: WhatsAppError = {
    code: input.code,
    title,
    class: rule?.class ?? UNKNOWN_RULE.class,
  };
  if (input.subcode !== undefined) error.subcode = input.subcode;
  if (input.details) error.details = input.details;
  const maxAttempts = serverFault(input)
    ? undefined
    : rule
      ? rule.maxAttempts
      : UNKNOWN_RULE.maxAttempts;
  if (maxAttempts !== undefined) error.maxAttempts = maxAttempts;
  if (rule?.retryAfterMs !== undefined) error.retryAfterMs = rule.retryAfterMs;
  if (input.httpStatus !== undefined) error.httpStatus = input.httpStatus;
  return error;
}

/**
 * Code 1 is Meta's catch-all, "invalid request or server error": the code alone cannot say which,
 * and a malformed request gets a few tries only. Answered with an HTTP 5xx it is the server's
 * fault (Meta answers a bad request with a 4xx), so it is retried like 131016, with the full
 * backoff. This is the one place the HTTP status refines a code: for every other code the code
 * decides (§4.1). Without the exception, sends that met a bad minute of 131016 and code-1 500s
 * gave up at the third fault while the same minute of 131016 alone was retried eight times.
 */
function serverFault(input: GraphErrorInput): boolean {
  return input.code === 1 && input.httpStatus !== undefined && input.httpStatus >= 500;
}

/**
 * Synthetic codes for failures that carry no Meta code. Negative, so they can never collide with
 * one of Meta's (all non-negative).
 */
export const SYNTHETIC_CODES = {
  /** No complete answer within the client's timeout: the send may have been accepted. */
  timeout: -1,
  /**
   * Refused connection or DNS failure (nothing sent), or a reset or closed connection (the send
   * may have been accepted).
   */
  connection: -2,
  /** The caller aborted the request (shutdown): the send may have been accepted. */
  aborted: -3,
  /** An HTTP failure without a Graph error body (a proxy's 502 page, for example). */
  http: -4,
  /** A 2xx answer we could not read: the send may have been accepted. */
  badResponse: -5,
} as const;

const SYNTHETIC_MEANINGS: Readonly<Record<number, { it: string; en: string }>> = {
  [SYNTHETIC_CODES.timeout]: {
    it: "Nessuna risposta in tempo: esito sconosciuto",
    en: "Request timed out; outcome unknown",
  },
  [SYNTHETIC_CODES.connection]: { it: "Connessione non riuscita", en: "Connection failed" },
  [SYNTHETIC_CODES.aborted]: {
    it: "Richiesta interrotta: esito sconosciuto",
    en: "Request aborted; outcome unknown",
  },
  [SYNTHETIC_CODES.http]: {
    it: "Errore HTTP senza un codice di WhatsApp",
    en: "HTTP failure without a WhatsApp error code",
  },
  [SYNTHETIC_CODES.badResponse]: {
    it: "Risposta inattesa dalla Graph API",
    en: "Unexpected response from the Graph API",
  },
};

/**
 * What a stored failure code means, in Italian and English, as staff read it in a broadcast's
 * report: Meta's codes from the table above, our negative ones, and null (a failure with no
 * code recorded) or a code no one has listed, said as such.
 */
export function errorMeaning(code: number | null): { it: string; en: string } {
  if (code === null) return { it: "Motivo non registrato", en: "No reason recorded" };
  const synthetic = SYNTHETIC_MEANINGS[code];
  if (synthetic) return synthetic;
  const rule = findRule(code);
  if (rule) return { it: rule.it, en: rule.meaning };
  return { it: `Errore ${code} non documentato`, en: `Undocumented error ${code}` };
}

/** A failure before any HTTP answer. Always "backoff": the way there failed, not the request. */
export function networkError(
  kind: "timeout" | "connection" | "aborted",
  detail: string,
): WhatsAppError {
  const titles = {
    timeout: "Request timed out; outcome unknown",
    connection: "Connection failed",
    aborted: "Request aborted; outcome unknown",
  } as const;
  return { code: SYNTHETIC_CODES[kind], title: titles[kind], details: detail, class: "backoff" };
}

/** A non-2xx answer whose body is not a Graph error. */
export function httpError(status: number, bodyText: string): WhatsAppError {
  const error: WhatsAppError = {
    code: SYNTHETIC_CODES.http,
    title: `HTTP ${status}`,
    class: classOfStatus(status),
    httpStatus: status,
  };
  const snippet = safeSnippet(bodyText);
  if (snippet) error.details = snippet;
  return error;
}

/** A 2xx answer that is not what the endpoint promises. A few tries, then give up. */
export function badResponseError(detail: string, httpStatus: number): WhatsAppError {
  return {
    code: SYNTHETIC_CODES.badResponse,
    title: "Unexpected response from the Graph API",
    details: detail,
    class: "backoff",
    maxAttempts: 3,
    httpStatus,
  };
}

function classOfStatus(status: number): ErrorClass {
  if (status === 429) return "retry_later";
  // 408 is the server giving up on a slow request: a fault on the way, like a timeout.
  if (status >= 500 || status === 408) return "backoff";
  // Other 4xx, and 3xx (undici follows no redirects: the base URL is wrong).
  return "fatal_config";
}

/**
 * A short, single-line excerpt of a body for the error value. Such bodies come from proxies and
 * load balancers, not from Meta, but the value may be stored and logged, so long digit runs
 * (possible phone numbers) are masked.
 */
function safeSnippet(text: string): string {
  return text
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 160)
    .replace(/\d{7,}/g, "[digits]");
}
