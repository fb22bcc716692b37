/**
 * One error type for everything the API refuses on purpose. `code` is stable (clients and tests
 * match on it), `message` is safe to show, `details` names the fields at fault.
 */
export interface FieldProblem {
  /** Where the problem is, e.g. "params.slug" or "body.topics.2.id". */
  field: string;
  problem: string;
}

export class AppError extends Error {
  /** The message in English, for a request that asks for it (Accept-Language), when known. */
  readonly messageEn?: string;
  /** A 409 on a state change no longer allowed: the state the thing is in now. */
  readonly currentStatus?: string;

  constructor(
    readonly status: number,
    readonly code: string,
    /** Italian: what staff read by default. */
    message: string,
    readonly details?: FieldProblem[],
    options?: { cause?: unknown; en?: string; currentStatus?: string },
  ) {
    super(message, options);
    this.name = "AppError";
    if (options?.en !== undefined) this.messageEn = options.en;
    if (options?.currentStatus !== undefined) this.currentStatus = options.currentStatus;
  }
}

/**
 * The whole Italian phrase, so that it agrees with its noun: "Comune non trovato",
 * "Comunicazione non trovata", "Messaggi di questo iscritto non trovati". A bare noun does not
 * compile (it used to be completed with "non trovato", whatever its gender).
 */
export type NotFoundMessage = `${string} non trovat${"o" | "a" | "i" | "e"}`;

export const notFound = (message: NotFoundMessage, en?: string) =>
  new AppError(404, "NOT_FOUND", message, undefined, en === undefined ? {} : { en });
export const conflict = (code: string, message: string) => new AppError(409, code, message);
export const forbidden = () =>
  new AppError(403, "FORBIDDEN", "Operazione non consentita", undefined, {
    en: "Operation not permitted",
  });
export const invalid = (details: FieldProblem[]) =>
  new AppError(400, "VALIDATION_FAILED", "Richiesta non valida", details, {
    en: "Invalid request",
  });

/** A problem in configuration that must stop the start, with every problem listed. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly problems: string[] = [],
  ) {
    super(problems.length ? `${message}\n${problems.map((p) => `  - ${p}`).join("\n")}` : message);
    this.name = "ConfigError";
  }
}
