import createClient, { type Middleware } from "openapi-fetch";
import { currentLang } from "../i18n";
import type { paths } from "./schema";

/** One refusal of the API, as its error handler writes it, in the language the console asked. */
export interface FieldProblem {
  /** "body.title", "query.status", "check.warnings.…" */
  field: string;
  problem: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldProblem[] = [],
  ) {
    super(message);
  }

  /** The problem with one body field ("title"), if the API named it. */
  problemWith(field: string): string | undefined {
    return this.details.find((d) => d.field === `body.${field}` || d.field === field)?.problem;
  }
}

let csrfToken = "";
/** The session's CSRF token (from the login answer and /api/auth/me), sent with every write. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token ?? "";
}

/** Called when the API answers 401 to a logged-in page: the session has ended. */
let onSessionEnded: () => void = () => {};
export function whenSessionEnds(callback: () => void): void {
  onSessionEnded = callback;
}

const headers: Middleware = {
  onRequest({ request }) {
    request.headers.set("accept-language", currentLang());
    if (request.method !== "GET" && csrfToken) request.headers.set("x-csrf-token", csrfToken);
    return request;
  },
  onResponse({ request, response }) {
    const url = new URL(request.url);
    if (response.status === 401 && !url.pathname.startsWith("/api/auth/")) onSessionEnded();
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(headers);

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The answer's data, or an ApiError carrying the API's code, message and field problems. */
export async function call<T>(request: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await request;
  } catch {
    throw new ApiError(0, "NETWORK", "");
  }
  const { data, error, response } = answer;
  if (response.ok) return data as T;
  const body = (error ?? {}) as {
    error?: { code?: string; message?: string; details?: FieldProblem[] };
  };
  throw new ApiError(
    response.status,
    body.error?.code ?? `HTTP_${response.status}`,
    body.error?.message ?? "",
    body.error?.details ?? [],
  );
}
