import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { Response } from "undici";
import type { SandboxContext, SandboxNumber } from "./context.js";
import { metaErrors } from "./graph-errors.js";
import { GRAPH_VERSION, authorize, replyMetaError, useMetaErrors } from "./graph-http.js";
import { validateSendBody } from "./graph-validation.js";
import { newNumericId } from "./ids.js";
import { MAX_UPLOAD_BYTES, baseMime, checkUpload } from "./media-rules.js";
import { markReadByBusiness } from "./phones.js";
import { acceptSend } from "./sends.js";
import { messagingLimitOf, throughputFor } from "./settings.js";

/**
 * The Graph API for one phone number, at `/sandbox/graph/{version}/…`: send, mark as read,
 * upload media, read a media URL, delete media, read the number's limits. Shapes as in the
 * docs/whatsapp-cloud-api.md §1, §2, §4.1.
 */

interface NumberParams {
  version: string;
  phoneNumberId: string;
}

/** Version check, number lookup and bearer check, in Meta's order. */
function numberFor(
  ctx: SandboxContext,
  request: FastifyRequest<{ Params: NumberParams }>,
  method: "get" | "post" | "delete",
) {
  const { version, phoneNumberId } = request.params;
  if (!GRAPH_VERSION.test(version)) {
    return {
      ok: false as const,
      error: metaErrors.invalidParameter(`Unknown Graph API version ${version}`),
    };
  }
  const number = ctx.byPhoneNumberId.get(phoneNumberId);
  if (!number)
    return { ok: false as const, error: metaErrors.unknownObject(phoneNumberId, method) };
  const denied = authorize(request, number);
  return denied ? { ok: false as const, error: denied } : { ok: true as const, number };
}

export function graphRoutes(ctx: SandboxContext) {
  return (app: FastifyInstance) => {
    useMetaErrors(app);
    // Uploads are multipart; the body is parsed in the handler, with Meta's size rules.
    app.addContentTypeParser(
      "multipart/form-data",
      { parseAs: "buffer", bodyLimit: MAX_UPLOAD_BYTES },
      (_request, body, done) => done(null, body),
    );

    app.post<{ Params: NumberParams; Body: unknown }>(
      "/:version/:phoneNumberId/messages",
      {
        schema: { hide: true },
        // Simulated latency: the send was processed on arrival; only its answer (any answer,
        // errors too) waits, as on a network. Close cancels the wait.
        onSend: async (_request, _reply, payload) => {
          const { latencyMs } = ctx.settings();
          if (latencyMs > 0) await ctx.poster.sleep(latencyMs);
          return payload;
        },
      },
      async (request, reply) => {
        const found = numberFor(ctx, request, "post");
        if (!found.ok) return replyMetaError(reply, found.error);
        const parsed = validateSendBody(request.body);
        if (!parsed.ok) return replyMetaError(reply, parsed.error);
        if (parsed.send.kind === "read") {
          markReadByBusiness(ctx, found.number, parsed.send.messageId);
          return { success: true };
        }
        const now = ctx.clock.now();
        const result = acceptSend(ctx, found.number, parsed.send, now);
        ctx.state.sendLog.record({
          at: now,
          phoneNumberId: found.number.phoneNumberId,
          to: parsed.send.waId,
          ...(result.ok
            ? { wamid: result.response.messages[0]?.id ?? "" }
            : { code: result.error.code }),
          ...(parsed.send.callbackData === undefined
            ? {}
            : { callbackData: parsed.send.callbackData }),
        });
        if (!result.ok) return replyMetaError(reply, result.error);
        // The timeout fault: the send is processed (statuses will come) but the answer is late,
        // as when Meta's answer is lost on the way.
        if (result.holdMs > 0) await ctx.poster.sleep(result.holdMs);
        return result.response;
      },
    );

    app.post<{ Params: NumberParams; Body: unknown }>(
      "/:version/:phoneNumberId/media",
      { schema: { hide: true }, bodyLimit: MAX_UPLOAD_BYTES },
      async (request, reply) => {
        const found = numberFor(ctx, request, "post");
        if (!found.ok) return replyMetaError(reply, found.error);
        if (!Buffer.isBuffer(request.body)) {
          return replyMetaError(
            reply,
            metaErrors.invalidParameter("The upload must be multipart/form-data"),
          );
        }
        const upload = await readUpload(request.body, request.headers["content-type"] ?? "");
        if (!upload.ok) return replyMetaError(reply, upload.error);
        const check = checkUpload(upload.mimeType, upload.bytes.length);
        if (!check.ok) return replyMetaError(reply, metaErrors.media(check.details));
        const id = newNumericId();
        ctx.state.media.set(id, {
          id,
          phoneNumberId: found.number.phoneNumberId,
          bytes: upload.bytes,
          mimeType: baseMime(upload.mimeType),
          sha256: createHash("sha256").update(upload.bytes).digest("hex"),
          ...(upload.filename ? { filename: upload.filename } : {}),
          uploadedAt: ctx.clock.now(),
        });
        return { id };
      },
    );

    // GET /{id}: a media id gives its (short-lived, at Meta) download URL; a phone-number id its facts.
    app.get<{ Params: { version: string; id: string } }>(
      "/:version/:id",
      { schema: { hide: true } },
      (request, reply) => {
        const { id } = request.params;
        const number = ctx.byPhoneNumberId.get(id);
        if (number) {
          const denied = authorize(request, number);
          return denied ? replyMetaError(reply, denied) : phoneNumberInfo(ctx, number);
        }
        const found = mediaFor(ctx, request, id, "get");
        if (!found.ok) return replyMetaError(reply, found.error);
        const { media } = found;
        return {
          messaging_product: "whatsapp",
          url: `${request.protocol}://${request.host}/sandbox/media/${media.id}`,
          mime_type: media.mimeType,
          sha256: media.sha256,
          file_size: media.bytes.length,
          id: media.id,
        };
      },
    );

    app.delete<{ Params: { version: string; id: string } }>(
      "/:version/:id",
      { schema: { hide: true } },
      (request, reply) => {
        const found = mediaFor(ctx, request, request.params.id, "delete");
        if (!found.ok) return replyMetaError(reply, found.error);
        ctx.state.media.delete(found.media.id);
        return { success: true };
      },
    );
  };
}

/** `/sandbox/media/{id}`: the download URL GET /{media-id} points to; needs the owner's token. */
export function mediaDownloadRoutes(ctx: SandboxContext) {
  return (app: FastifyInstance) => {
    useMetaErrors(app);
    app.get<{ Params: { mediaId: string } }>(
      "/:mediaId",
      { schema: { hide: true } },
      (request, reply) => {
        const found = mediaFor(ctx, request, request.params.mediaId, "get");
        if (!found.ok) {
          // A download URL answers a missing file as a file server does: 404.
          return replyMetaError(
            reply,
            found.missing ? { ...found.error, httpStatus: 404 } : found.error,
          );
        }
        return reply.type(found.media.mimeType).send(found.media.bytes);
      },
    );
  };
}

/**
 * The media `id` names, for its owner's token only; `missing`: no such media (or its number is
 * gone), as opposed to a token that is not the owner's.
 */
function mediaFor(
  ctx: SandboxContext,
  request: FastifyRequest,
  id: string,
  method: "get" | "delete",
) {
  const media = ctx.state.findMedia(id, ctx.clock.now());
  const owner = media && ctx.byPhoneNumberId.get(media.phoneNumberId);
  if (!media || !owner) {
    return { ok: false as const, missing: true, error: metaErrors.unknownObject(id, method) };
  }
  const denied = authorize(request, owner);
  if (denied) return { ok: false as const, missing: false, error: denied };
  return { ok: true as const, media };
}

function phoneNumberInfo(ctx: SandboxContext, number: SandboxNumber) {
  const settings = ctx.settings();
  const limit = messagingLimitOf(settings);
  return {
    verified_name: number.name,
    display_phone_number: `+${number.displayNumber}`,
    quality_rating: "GREEN",
    platform_type: "CLOUD_API",
    code_verification_status: "VERIFIED",
    throughput: {
      level:
        throughputFor(settings, number.phoneNumberId, number.ratePerSecond) > 80
          ? "HIGH"
          : "STANDARD",
    },
    whatsapp_business_manager_messaging_limit:
      settings.messagingLimitOverride === null ? settings.messagingLimitTier : `CUSTOM_${limit}`,
    id: number.phoneNumberId,
  };
}

type Upload =
  | { ok: true; bytes: Buffer; mimeType: string; filename?: string }
  | { ok: false; error: ReturnType<typeof metaErrors.invalidParameter> };

/** Reads Meta's upload form: messaging_product, file (its part's type is the MIME) and type. */
async function readUpload(body: Buffer, contentType: string): Promise<Upload> {
  let form: Awaited<ReturnType<Response["formData"]>>;
  try {
    form = await new Response(body, { headers: { "content-type": contentType } }).formData();
  } catch {
    return {
      ok: false,
      error: metaErrors.invalidParameter("The multipart/form-data body could not be read"),
    };
  }
  if (form.get("messaging_product") !== "whatsapp") {
    return {
      ok: false,
      error: metaErrors.invalidParameter("The parameter messaging_product is required."),
    };
  }
  const file = form.get("file");
  if (file === null || typeof file === "string") {
    return { ok: false, error: metaErrors.invalidParameter("Param file is required") };
  }
  const type = form.get("type");
  // Meta lists `type` as required but its own curl puts the MIME on the file part: take either.
  const mimeType = typeof type === "string" && type !== "" ? type : file.type;
  return {
    ok: true,
    bytes: Buffer.from(await file.arrayBuffer()),
    mimeType,
    ...(file.name ? { filename: file.name } : {}),
  };
}
