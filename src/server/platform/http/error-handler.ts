import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifyServerOptions,
} from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { z } from "zod";
import { AppError, type FieldProblem } from "../errors.js";
import { DEFAULT_LOCALE, requestLocale, type Locale } from "./locale.js";
import { fastifyRefusal, refusalBody, statusRefusal, type Refusal } from "./refusals.js";
import { fieldProblems } from "./validation-messages.js";

export interface ErrorBody {
  error: { code: string; message: string; details?: FieldProblem[]; currentStatus?: string };
}

/**
 * One place turns every failure into `{ error: { code, message, details } }`, in the request's
 * language (Italian unless Accept-Language prefers English; see locale.ts): our own refusals
 * (`AppError`), schema validation (each field named, with what is wrong), Fastify's refusals
 * (malformed JSON, body too large, wrong content type, bad URL) and unknown paths. 5xx never
 * reveal internals.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    const locale = localeOf(request, reply);
    if (hasZodFastifySchemaValidationErrors(error)) {
      return reply.status(400).send(validationFailure(error, request, locale));
    }
    if (error instanceof AppError) {
      const body: ErrorBody = {
        error: {
          code: error.code,
          message: (locale === "en" ? error.messageEn : undefined) ?? error.message,
          ...(error.details ? { details: error.details } : {}),
          ...(error.currentStatus !== undefined ? { currentStatus: error.currentStatus } : {}),
        },
      };
      return reply.status(error.status).send(body);
    }
    const status = error.statusCode ?? 500;
    if (status < 500) {
      // Fastify's own refusals (and a plugin's): their English text stays in the log only.
      request.log.debug({ err: error, event: "http.refused" }, "Request refused by Fastify");
      const refusal =
        fastifyRefusal(error.code, request.routeOptions.bodyLimit) ?? statusRefusal(status);
      return reply.status(refusal.status).send(refusalBody(refusal, locale));
    }
    request.log.error({ err: error, event: "http.unhandled_error" }, "Unhandled error");
    const body: ErrorBody = {
      error: {
        code: "INTERNAL_ERROR",
        message: locale === "en" ? "Internal service error" : "Errore interno del servizio",
      },
    };
    return reply.status(status).send(body);
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(refusalBody(statusRefusal(404), localeOf(request, reply))),
  );
}

/**
 * Fastify options for the refusals that happen before routing (a bad URL, a path parameter too
 * long) and at the connection (a client too slow or a malformed request): without them Fastify
 * answers in its own shape and English.
 */
export const errorServerOptions = {
  frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const refusal = fastifyRefusal(error.code, 0) ?? statusRefusal(error.statusCode ?? 400);
    void reply.status(refusal.status).send(refusalBody(refusal, localeOf(request, reply)));
  },
  clientErrorHandler: answerClientError,
} satisfies Pick<FastifyServerOptions, "frameworkErrors" | "clientErrorHandler">;

function localeOf(request: FastifyRequest, reply: FastifyReply): Locale {
  const locale = requestLocale(request.headers["accept-language"]);
  void reply.header("content-language", locale);
  return locale;
}

function validationFailure(
  error: FastifyError & { validation: unknown[] },
  request: FastifyRequest,
  locale: Locale,
): ErrorBody {
  const part = error.validationContext ?? "body";
  // The messages zod wrote at validation time knew nothing of the request: validate the same
  // input again in the request's language (only refused requests pay for it).
  const schema: unknown = request.routeOptions.schema?.[part];
  const details = (schema instanceof z.core.$ZodType
    ? fieldProblems(schema, inputOf(request, part), part, locale)
    : undefined) ?? [{ field: part, problem: locale === "en" ? "is not valid" : "non è valido" }];
  return {
    error: {
      code: "VALIDATION_FAILED",
      message: locale === "en" ? "Invalid request" : "Richiesta non valida",
      details,
    },
  };
}

function inputOf(request: FastifyRequest, part: string): unknown {
  switch (part) {
    case "params":
      return request.params;
    case "querystring":
      return request.query;
    case "headers":
      return request.headers;
    default:
      return request.body;
  }
}

/**
 * A connection-level refusal, before a request exists (so in the default language): the
 * request did not arrive in time (408, HTTP_HEADERS_TIMEOUT_MS / HTTP_REQUEST_TIMEOUT_MS),
 * headers too large (431), or bytes that are not HTTP (400). The socket is closed after it.
 */
function answerClientError(
  this: FastifyInstance,
  error: Error & { code?: string },
  socket: Socket,
) {
  // A reset connection has nobody to answer.
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const status =
    error.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? 408
      : error.code === "HPE_HEADER_OVERFLOW"
        ? 431
        : 400;
  this.log.debug({ event: "http.client_error", code: error.code, status }, "Client error");
  if (socket.writable) {
    const refusal: Refusal = statusRefusal(status);
    const body = JSON.stringify(refusalBody(refusal, DEFAULT_LOCALE));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Language: ${DEFAULT_LOCALE}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
