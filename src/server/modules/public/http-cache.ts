import { createHash } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * A public answer with a strong ETag (a hash of its bytes) and the caching it allows: a
 * conditional GET whose If-None-Match names the same tag is answered 304 with no body. The
 * pages vary by language (?lang= is in the URL; Accept-Language is not), so caches key on it.
 */
export function sendCached(
  request: FastifyRequest,
  reply: FastifyReply,
  body: string | Buffer,
  options: { type: string; maxAgeSeconds: number; vary?: boolean },
): FastifyReply {
  const tag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
  void reply
    .header("etag", tag)
    .header("cache-control", `public, max-age=${options.maxAgeSeconds}`)
    .header("x-content-type-options", "nosniff");
  if (options.vary !== false) void reply.header("vary", "Accept-Language");
  if (matches(request.headers["if-none-match"], tag)) return reply.code(304).send();
  return reply.type(options.type).send(body);
}

/** RFC 9110 §13.1.2: a list of tags, or "*"; weak tags compare by their opaque part. */
function matches(header: string | undefined, tag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((t) => t.trim().replace(/^W\//, "") === tag);
}
