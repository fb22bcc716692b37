import { z } from "zod";
import { AppError, notFound } from "../../platform/errors.js";
import { zodRoutes } from "../../platform/http/zod-routes.js";
import {
  phoneMessageInputSchema,
  phoneMessageSchema,
  phoneNameSchema,
  phoneSchema,
  waIdSchema,
  webhookOutcomeSchema,
} from "./api-schemas.js";
import type { SandboxContext, SandboxNumber } from "./context.js";
import { readMessages, sendFromPhone, type PhoneInput } from "./phones.js";

/**
 * The simulated phones, at `/sandbox/api/phones/…`: create a phone, write or tap as a citizen,
 * read the conversation, read the comune's messages. Plus `/sandbox/api/media/{id}` so the page
 * can show uploaded media without a token (sandbox-internal).
 */

const schema = { hide: true, tags: ["sandbox"] } as const;

function numberFor(ctx: SandboxContext, to: string | undefined): SandboxNumber {
  const number = to === undefined ? ctx.numbers[0] : ctx.byDisplay.get(to);
  if (!number) {
    throw new AppError(404, "NUMBER_NOT_FOUND", "Nessun Comune con questo numero nel sandbox", [
      { field: "to", problem: "non è il numero di nessun Comune" },
    ]);
  }
  return number;
}

function phoneFor(ctx: SandboxContext, waId: string) {
  const phone = ctx.state.phones.get(waId);
  if (!phone) throw new AppError(404, "PHONE_NOT_FOUND", "Telefono simulato non trovato");
  return phone;
}

export function phonesRoutes(ctx: SandboxContext) {
  return zodRoutes((r) => {
    r.get(
      "/phones",
      {
        schema: {
          ...schema,
          response: {
            200: z.object({
              phones: z.array(
                z.object({
                  waId: z.string(),
                  name: z.string(),
                  lastMessageAt: z.number().nullable(),
                }),
              ),
            }),
          },
        },
      },
      () => ({
        phones: [...ctx.state.phones.values()]
          .sort(
            (a, b) =>
              (b.lastMessageAt ?? 0) - (a.lastMessageAt ?? 0) || a.waId.localeCompare(b.waId),
          )
          .map((p) => ({ waId: p.waId, name: p.name, lastMessageAt: p.lastMessageAt })),
      }),
    );

    r.post(
      "/phones",
      {
        schema: {
          ...schema,
          body: z.strictObject({ waId: waIdSchema, name: phoneNameSchema }),
          response: {
            200: z.object({ phone: phoneSchema }),
            201: z.object({ phone: phoneSchema }),
          },
        },
      },
      (request, reply) => {
        const { phone, created } = ctx.state.upsertPhone(request.body.waId, request.body.name);
        void reply.code(created ? 201 : 200);
        return { phone: { waId: phone.waId, name: phone.name } };
      },
    );

    r.post(
      "/phones/:waId/messages",
      {
        schema: {
          ...schema,
          params: z.object({ waId: waIdSchema }),
          body: phoneMessageInputSchema,
          response: {
            202: z.object({ message: phoneMessageSchema, webhook: webhookOutcomeSchema }),
          },
        },
      },
      async (request, reply) => {
        const { to, name, text, tap, location } = request.body;
        const number = numberFor(ctx, to);
        const { phone } = ctx.state.upsertPhone(request.params.waId, name || undefined);
        const input: PhoneInput =
          text !== undefined
            ? { text }
            : tap !== undefined
              ? { tap }
              : { location: location ?? { latitude: 0, longitude: 0 } };
        const outcome = await sendFromPhone(ctx, phone, number, input);
        return reply.status(202).send(outcome);
      },
    );

    r.get(
      "/phones/:waId/messages",
      {
        schema: {
          ...schema,
          params: z.object({ waId: waIdSchema }),
          querystring: z.object({ to: waIdSchema.optional() }),
          response: {
            200: z.object({ phone: phoneSchema, messages: z.array(phoneMessageSchema) }),
          },
        },
      },
      (request) => {
        const phone = phoneFor(ctx, request.params.waId);
        // Without `to`, the conversations with every comune, each message naming its number.
        const number =
          request.query.to === undefined ? undefined : numberFor(ctx, request.query.to);
        return {
          phone: { waId: phone.waId, name: phone.name },
          messages: number
            ? phone.messages.filter((m) => m.number === number.displayNumber)
            : phone.messages,
        };
      },
    );

    r.post(
      "/phones/:waId/read",
      {
        schema: {
          ...schema,
          params: z.object({ waId: waIdSchema }),
          body: z.strictObject({ to: waIdSchema.optional() }).optional(),
        },
      },
      (request, reply) => {
        const phone = phoneFor(ctx, request.params.waId);
        // Without `to`, the phone reads its chats with every comune.
        const to = request.body?.to;
        readMessages(ctx, phone, to === undefined ? ctx.numbers : [numberFor(ctx, to)]);
        return reply.status(204).send();
      },
    );

    r.get(
      "/media/:mediaId",
      { schema: { ...schema, params: z.object({ mediaId: z.string().regex(/^\d{1,20}$/) }) } },
      (request, reply) => {
        const media = ctx.state.findMedia(request.params.mediaId, ctx.clock.now());
        if (!media) throw notFound("File multimediale non trovato", "Media not found");
        return reply
          .type(media.mimeType)
          .header("cache-control", "private, max-age=300")
          .send(media.bytes);
      },
    );
  });
}
