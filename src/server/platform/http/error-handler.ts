import type { FastifyError, FastifyInstance } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { AppError, type FieldProblem } from "../errors.js";

export interface ErrorBody {
  error: { code: string; message: string; details?: FieldProblem[] };
}

/**
 * One place turns every failure into `{ error: { code, message, details } }`. Messages are
 * Italian first (staff read them in the console); 5xx never reveal internals.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const part = error.validationContext ?? "body";
      const details = error.validation.map((v) => ({
        field: [part, ...v.instancePath.split("/").filter(Boolean)].join("."),
        problem: v.message ?? "is not valid",
      }));
      const body: ErrorBody = {
        error: { code: "VALIDATION_FAILED", message: "Richiesta non valida", details },
      };
      return reply.status(400).send(body);
    }
    if (error instanceof AppError) {
      const body: ErrorBody = {
        error: {
          code: error.code,
          message: error.message,
          ...(error.details ? { details: error.details } : {}),
        },
      };
      return reply.status(error.status).send(body);
    }
    const status = error.statusCode ?? 500;
    if (status < 500) {
      // Fastify's own refusals: malformed JSON (400), body too large (413), wrong content type (415)…
      return reply.status(status).send({
        error: { code: error.code ?? "BAD_REQUEST", message: error.message },
      } satisfies ErrorBody);
    }
    request.log.error({ err: error, event: "http.unhandled_error" }, "Unhandled error");
    return reply.status(status).send({
      error: { code: "INTERNAL_ERROR", message: "Errore interno del servizio" },
    } satisfies ErrorBody);
  });

  app.setNotFoundHandler((_request, reply) =>
    reply.status(404).send({
      error: { code: "NOT_FOUND", message: "Risorsa non trovata" },
    } satisfies ErrorBody),
  );
}
