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
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: FieldProblem[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "AppError";
  }
}

export const notFound = (what: string) => new AppError(404, "NOT_FOUND", `${what} non trovato`);
export const conflict = (code: string, message: string) => new AppError(409, code, message);
export const forbidden = () => new AppError(403, "FORBIDDEN", "Operazione non consentita");
export const invalid = (details: FieldProblem[]) =>
  new AppError(400, "VALIDATION_FAILED", "Richiesta non valida", details);

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
