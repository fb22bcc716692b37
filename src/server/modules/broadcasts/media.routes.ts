import { z } from "zod";
import { tenantFinder, type Tenant } from "../../config/tenants.js";
import { invalid, notFound } from "../../platform/errors.js";
import { actorOf } from "../../platform/http/access.js";
import { currentLocale } from "../../platform/http/locale.js";
import { idSchema, tenantParams } from "../../platform/http/params.js";
import { zodRoutes } from "../../platform/http/zod-routes.js";
import { recordAudit } from "../audit/audit.service.js";
import { mediaBytesOf, mediaFileOf, storeMediaFile } from "../media/media.service.js";
import { mediaOut, presentMedia } from "./broadcasts.schemas.js";
import type { BroadcastsDeps } from "./broadcasts.service.js";
import { checkMedia, mediaKindOf, MEDIA_RULES } from "./policy/media-check.js";

/**
 * The files a broadcast carries: uploaded once as they are (the request's body, its type in
 * Content-Type), checked against WhatsApp's table, kept in the database; a broadcast names one by
 * its id (`mediaId`). README.md, "Media".
 */

const LARGEST = Math.max(...Object.values(MEDIA_RULES).map((r) => r.maxBytes));

// eslint-disable-next-line no-control-regex -- a file name must not carry control characters
const FILENAME = /^[^\\/\u0000-\u001f\u007f]{1,240}$/u;

export function mediaRoutes(deps: BroadcastsDeps & { tenants: readonly Tenant[] }) {
  const tenantOf = tenantFinder(deps.tenants);
  return zodRoutes((r) => {
    // The file is the body, whatever its type: checked below, where the answer can say why.
    r.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: LARGEST + 1 }, (_r, body, done) =>
      done(null, body),
    );

    r.post(
      "/api/tenants/:tenant/media",
      {
        bodyLimit: LARGEST + 1,
        config: { permission: "broadcasts.write" },
        schema: {
          tags: ["broadcasts"],
          summary:
            "Upload a file for a broadcast (an image, a video or a document): the body is the file, Content-Type its type; answered with the id a broadcast names as mediaId",
          params: tenantParams,
          querystring: z.object({
            filename: z.string().regex(FILENAME).optional(),
          }),
          response: { 201: z.object({ media: mediaOut }) },
        },
      },
      async (request, reply) => {
        const tenant = tenantOf(request.params.tenant);
        const bytes = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const mimeType = (request.headers["content-type"] ?? "").split(";")[0]?.trim() ?? "";
        const notes = checkMedia({ mimeType, sizeBytes: bytes.byteLength });
        const lang = currentLocale();
        if (notes.length > 0) {
          throw invalid(
            notes.map((n) => ({ field: "body", problem: `${n.why[lang]} ${n.todo[lang]}` })),
          );
        }
        const kind = mediaKindOf(mimeType) ?? "document";
        const now = deps.clock.now();
        const principal = request.principal;
        const stored = await deps.db.transaction().execute(async (trx) => {
          const file = await storeMediaFile(trx, {
            tenantId: tenant.slug,
            kind,
            mimeType,
            filename: request.query.filename ?? null,
            bytes,
            createdBy: principal?.userId ?? null,
            now,
          });
          await recordAudit(
            trx,
            {
              tenantId: tenant.slug,
              actor: actorOf(request),
              action: "media.uploaded",
              target: { type: "media", id: String(file.id) },
              summary: { kind, mimeType, sizeBytes: file.sizeBytes, sha256: file.sha256 },
            },
            now,
          );
          return file;
        });
        return reply.status(201).send({ media: presentMedia(stored) });
      },
    );

    r.get(
      "/api/tenants/:tenant/media/:id",
      {
        config: { permission: "broadcasts.read" },
        schema: {
          tags: ["broadcasts"],
          summary: "A broadcast's file as uploaded (for the preview)",
          params: tenantParams.extend({ id: idSchema }),
        },
      },
      async (request, reply) => {
        const tenant = tenantOf(request.params.tenant);
        const file = await mediaFileOf(deps.db, tenant.slug, request.params.id);
        const bytes = file && (await mediaBytesOf(deps.db, tenant.slug, file.id));
        if (!file || !bytes) throw notFound("File non trovato", "File not found");
        return reply
          .header("content-type", file.mimeType)
          .header("cache-control", "private, max-age=3600")
          .header("x-content-type-options", "nosniff")
          .send(bytes);
      },
    );
  });
}
