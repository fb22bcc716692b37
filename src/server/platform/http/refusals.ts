import type { FieldProblem } from "../errors.js";
import type { Locale } from "./locale.js";

/*
 * Fastify's and Node's own refusals (malformed JSON, a body too large, a bad URL, a client too
 * slow…) in the project's words: a stable code of ours, not Fastify's FST_ERR_… names (they are
 * an implementation detail and change between majors), and a message in the request's language.
 * Fastify's English message is never passed through.
 */

type Text = Record<Locale, string>;

export interface Refusal {
  status: number;
  code: string;
  message: Text;
  /** The field at fault and what is wrong with it. */
  detail?: { field: string; problem: Text };
}

/** By Fastify error code. `limit` is the route's body limit in bytes. */
export function fastifyRefusal(code: string | undefined, limit: number): Refusal | undefined {
  return code === undefined ? undefined : FASTIFY_REFUSALS[code]?.(limit);
}

/** The refusal of `status` (its code and message, unless `own` gives others) naming the field. */
function refusalOf(
  status: number,
  field: string,
  problem: Text,
  own?: Pick<Refusal, "code" | "message">,
): Refusal {
  return { ...statusRefusal(status), ...own, detail: { field, problem } };
}

const INVALID_BODY = {
  code: "INVALID_BODY",
  message: { it: "Il corpo della richiesta non è valido", en: "The request body is not valid" },
};

const FASTIFY_REFUSALS: Record<string, (limit: number) => Refusal> = {
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    refusalOf(
      400,
      "body",
      {
        it: "è vuoto, ma Content-Type dichiara JSON: inviare un oggetto JSON o togliere l'intestazione",
        en: "is empty but Content-Type says JSON: send a JSON object or leave the header out",
      },
      INVALID_BODY,
    ),
  // Also a body with a __proto__ or constructor.prototype key (prototype poisoning).
  FST_ERR_CTP_INVALID_JSON_BODY: () =>
    refusalOf(400, "body", { it: "non è JSON valido", en: "is not valid JSON" }, INVALID_BODY),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    refusalOf(
      400,
      "headers.content-length",
      { it: "non corrisponde alla lunghezza del corpo", en: "does not match the body's length" },
      INVALID_BODY,
    ),
  FST_ERR_CTP_BODY_TOO_LARGE: (limit) =>
    refusalOf(413, "body", {
      it: `supera il limite di ${limit} byte`,
      en: `is larger than ${limit} bytes`,
    }),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    refusalOf(415, "headers.content-type", {
      it: "non è accettato qui: inviare application/json",
      en: "is not accepted here: send application/json",
    }),
  FST_ERR_BAD_URL: () =>
    refusalOf(
      400,
      "url",
      { it: "contiene una codifica con % non valida", en: "has a malformed %-encoding" },
      { code: "BAD_URL", message: { it: "Indirizzo non valido", en: "Malformed URL" } },
    ),
  FST_ERR_MAX_PARAM_LENGTH: () =>
    refusalOf(414, "url", {
      it: "una sua parte è troppo lunga",
      en: "has a part that is too long",
    }),
};

/** Any other refusal, by its HTTP status. */
export function statusRefusal(status: number): Refusal {
  const [code, it, en] = STATUS_TEXTS[status] ?? BAD_REQUEST;
  return { status, code, message: { it, en } };
}

const BAD_REQUEST: [code: string, it: string, en: string] = [
  "BAD_REQUEST",
  "Richiesta non valida",
  "Bad request",
];

const STATUS_TEXTS: Record<number, [code: string, it: string, en: string]> = {
  400: BAD_REQUEST,
  401: ["UNAUTHORIZED", "Autenticazione richiesta", "Authentication required"],
  403: ["FORBIDDEN", "Operazione non consentita", "Operation not permitted"],
  404: ["NOT_FOUND", "Risorsa non trovata", "Resource not found"],
  405: ["METHOD_NOT_ALLOWED", "Metodo non consentito", "Method not allowed"],
  406: ["NOT_ACCEPTABLE", "Formato di risposta non disponibile", "Response format not available"],
  408: ["REQUEST_TIMEOUT", "La richiesta non è arrivata in tempo", "The request took too long"],
  409: ["CONFLICT", "In conflitto con lo stato attuale", "Conflicts with the current state"],
  413: [
    "BODY_TOO_LARGE",
    "Il corpo della richiesta è troppo grande",
    "The request body is too large",
  ],
  414: ["URL_TOO_LONG", "Indirizzo troppo lungo", "URL too long"],
  415: ["UNSUPPORTED_MEDIA_TYPE", "Tipo di contenuto non supportato", "Unsupported content type"],
  429: [
    "TOO_MANY_REQUESTS",
    "Troppe richieste: riprovare più tardi",
    "Too many requests: try again later",
  ],
  431: [
    "HEADERS_TOO_LARGE",
    "Intestazioni della richiesta troppo grandi",
    "Request headers too large",
  ],
};

export function refusalBody(refusal: Refusal, locale: Locale) {
  const details: FieldProblem[] | undefined = refusal.detail && [
    { field: refusal.detail.field, problem: refusal.detail.problem[locale] },
  ];
  return {
    error: {
      code: refusal.code,
      message: refusal.message[locale],
      ...(details ? { details } : {}),
    },
  };
}
