import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { SandboxNumber } from "./context.js";
import { metaErrorBody, metaErrors, type MetaError } from "./graph-errors.js";

/** HTTP plumbing shared by the Graph API routes: bearer tokens, Meta-shaped error answers. */

/** Graph API versions look like v25.0; the sandbox accepts any, as a client may pin any. */
export const GRAPH_VERSION = /^v\d{1,3}\.\d$/;

export function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header === undefined ? null : /^Bearer\s+(.+)$/i.exec(header.trim());
  return match?.[1];
}

/** Missing token → 401 code 0; a token that is not this number's → 401 code 190. */
export function authorize(request: FastifyRequest, number: SandboxNumber): MetaError | null {
  const token = bearerOf(request);
  if (token === undefined) return metaErrors.missingToken();
  return token === number.accessToken ? null : metaErrors.invalidToken();
}

/** Which of `numbers` the request's token belongs to, or the error to answer. */
export function authorizeAny(
  request: FastifyRequest,
  numbers: readonly SandboxNumber[],
): { ok: true; number: SandboxNumber } | { ok: false; error: MetaError } {
  const token = bearerOf(request);
  if (token === undefined) return { ok: false, error: metaErrors.missingToken() };
  const number = numbers.find((n) => n.accessToken === token);
  return number ? { ok: true, number } : { ok: false, error: metaErrors.invalidToken() };
}

export function replyMetaError(reply: FastifyReply, error: MetaError): FastifyReply {
  return reply.status(error.httpStatus).send(metaErrorBody(error));
}

/**
 * Inside the Graph API emulation every failure is Meta-shaped, Fastify's own refusals included
 * (malformed JSON, body too large): a client's error handling sees what it would see at Meta.
 */
export function useMetaErrors(scope: FastifyInstance): void {
  scope.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      return replyMetaError(
        reply,
        request.url.includes("/media")
          ? metaErrors.media("The file is larger than the maximum size for its type.")
          : metaErrors.invalidParameter("The request body is too large."),
      );
    }
    if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
      return replyMetaError(
        reply,
        metaErrors.invalidParameter(
          `Unsupported content type ${request.headers["content-type"] ?? "(none)"}`,
        ),
      );
    }
    if ((error.statusCode ?? 500) < 500) {
      return replyMetaError(reply, metaErrors.invalidParameter(error.message));
    }
    request.log.error({ err: error, event: "sandbox.graph_error" }, "Sandbox: unexpected error");
    return replyMetaError(reply, metaErrors.unknownError());
  });
  scope.setNotFoundHandler((request, reply) => {
    const method =
      request.method === "GET" ? "get" : request.method === "DELETE" ? "delete" : "post";
    const path = request.url.split("?")[0] ?? "";
    return replyMetaError(
      reply,
      metaErrors.unknownObject(path.split("/").slice(-1)[0] ?? "", method),
    );
  });
}
