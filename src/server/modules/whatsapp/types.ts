/**
 * The WhatsApp Cloud API as the rest of Banditore sees it: what can be sent, what comes back,
 * and how a failure is classified. `docs/whatsapp-cloud-api.md` (the contract with Meta, in the
 * project's words) is the source for every field and code; a bare §n in this module cites it.
 */

/** A media object is either uploaded (Meta's media id) or fetched by Meta from an HTTPS link. */
export type MediaRef = { id: string } | { link: string };

export type TemplateHeaderParam =
  | { type: "text"; text: string }
  | { type: "image" | "video"; media: MediaRef }
  | { type: "document"; media: MediaRef; filename?: string }
  | { type: "location"; latitude: number; longitude: number; name?: string; address?: string };

/** A body parameter: positional ({{1}}) or named ({{zona}}). */
export interface TemplateTextParam {
  text: string;
  /** Set for templates with parameter_format NAMED. */
  name?: string;
}

export type TemplateButtonParam =
  | { subType: "quick_reply"; index: number; payload: string }
  | { subType: "url"; index: number; text: string };

/** Everything the service sends. Mapped 1:1 to the Cloud API's JSON by the client. */
export type OutboundMessage =
  | { type: "text"; body: string; previewUrl?: boolean }
  | {
      type: "template";
      name: string;
      /** Exactly the approved translation's code, e.g. "it". */
      language: string;
      header?: TemplateHeaderParam;
      body?: TemplateTextParam[];
      buttons?: TemplateButtonParam[];
    }
  | { type: "image" | "video"; media: MediaRef; caption?: string }
  | { type: "document"; media: MediaRef; caption?: string; filename?: string }
  | { type: "audio"; media: MediaRef }
  | { type: "location"; latitude: number; longitude: number; name?: string; address?: string }
  | {
      type: "buttons";
      body: string;
      header?: string;
      footer?: string;
      /** At most 3; titles unique, ≤ 20 characters. */
      buttons: { id: string; title: string }[];
    }
  | {
      type: "list";
      body: string;
      header?: string;
      footer?: string;
      /** The label of the button that opens the list (≤ 20 characters). */
      buttonLabel: string;
      sections: { title?: string; rows: { id: string; title: string; description?: string }[] }[];
    };

export interface SendRequest {
  /** wa_id / phone number (digits, country code first) or a business-scoped user id. */
  to: string;
  message: OutboundMessage;
  /** Echoed by Meta in every status webhook of this message (≤ 512 characters). */
  callbackData?: string;
  /** Quote a previous message (its wamid). */
  replyTo?: string;
}

/**
 * What the caller must do about a failure:
 * - retry_later: the platform says "not now" (throughput, pair rate, per-user cap, maintenance);
 * - backoff: a fault on the way (5xx, timeout, connection reset, temporary unavailability);
 * - permanent: this recipient cannot get this message (not on WhatsApp, blocked, opted out…);
 * - fatal_config: our configuration is wrong (token, permission, template missing or paused,
 *   bad parameters): retrying cannot help, a whole broadcast must stop.
 */
export const ERROR_CLASSES = ["retry_later", "backoff", "permanent", "fatal_config"] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

export interface WhatsAppError {
  code: number;
  subcode?: number;
  /** Meta's title or message. */
  title: string;
  /** Meta's error_data.details, when given. */
  details?: string;
  class: ErrorClass;
  /** For backoff: give up (treat as permanent) after this many attempts; absent = caller's default. */
  maxAttempts?: number;
  /** Earliest sensible retry, when the code implies one (131049: 24 h; 131057: 1 min). */
  retryAfterMs?: number;
  /** The HTTP status, for synchronous errors. */
  httpStatus?: number;
}

export type SendOutcome =
  | {
      ok: true;
      /** The wamid. */
      messageId: string;
      /** contacts[0].wa_id: may differ from `to`, empty for username sends. */
      waId?: string;
      userId?: string;
      /** "accepted" or "held_for_quality_assessment", for paced templates. */
      messageStatus?: string;
    }
  | { ok: false; error: WhatsAppError };

export type Result<T> = { ok: true; value: T } | { ok: false; error: WhatsAppError };

export interface TemplateInfo {
  id: string;
  name: string;
  language: string;
  category: string;
  status: string;
  components: unknown[];
}

export interface BlockResult {
  /** Users Meta blocked (or unblocked). */
  succeeded: string[];
  /** Users it refused, with the reason. */
  failed: { user: string; error: WhatsAppError }[];
}

/**
 * The port every part sends through. Two implementations reach it over HTTP: Meta's Cloud API
 * and the built-in sandbox (the same client, another base URL). API errors are values, never
 * exceptions; only programming errors throw.
 */
export interface WhatsAppClient {
  send(request: SendRequest, options?: { signal?: AbortSignal }): Promise<SendOutcome>;
  markAsRead(messageId: string): Promise<Result<void>>;
  uploadMedia(file: {
    data: Uint8Array;
    mimeType: string;
    filename: string;
  }): Promise<Result<{ id: string }>>;
  listTemplates(): Promise<Result<TemplateInfo[]>>;
  blockUsers(users: string[]): Promise<Result<BlockResult>>;
  unblockUsers(users: string[]): Promise<Result<BlockResult>>;
}
