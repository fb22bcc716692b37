import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
// For `schema.hide`: keeps the console's files out of the OpenAPI description.
import type {} from "@fastify/swagger";
import type { FastifyInstance, FastifyReply } from "fastify";
import { PACKAGE_ROOT } from "../../platform/package-info.js";

/** Where `scripts/build-console.js` (vite) puts the console: the same from src/ and dist/. */
export const CONSOLE_DIR = fileURLToPath(new URL("dist/console/", PACKAGE_ROOT));

/**
 * The console's pages load only this origin's files. Styles allow inline because the design
 * kit's components position popovers and collapses with style attributes; scripts do not.
 * Images: the QR code of the two-factor setup is a data: URL.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header("content-security-policy", CONSOLE_CSP)
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "no-referrer");
}

/**
 * The staff console under /console/: the built files (hashed names, cached for good), and
 * index.html for every other path below /console/ so the single-page app's own routes
 * (/console/setup, /console/concorezzo/broadcasts/3) load it on a reload or from a link.
 */
export function consoleRoutes(options: { dir?: string } = {}) {
  const dir = options.dir ?? CONSOLE_DIR;
  return async (app: FastifyInstance) => {
    app.get("/console", { schema: { hide: true } }, (_request, reply) =>
      reply.redirect("/console/", 308),
    );
    if (!existsSync(`${dir}/index.html`)) {
      // A server started from a tree where the console was never built (a test, `npm run dev`
      // before the first build) says so instead of answering a bare 404.
      app.get("/console/*", { schema: { hide: true } }, (_request, reply) =>
        secure(reply)
          .status(503)
          .type("text/plain; charset=utf-8")
          .send(
            "La console non è stata compilata: esegui «npm run build» (o «npm start»).\nThe console is not built: run `npm run build` (or `npm start`).",
          ),
      );
      return;
    }
    await app.register(fastifyStatic, {
      root: dir,
      prefix: "/console/",
      // The files present at start get their own routes; the fallback below takes the rest.
      wildcard: false,
      index: false,
      // setHeaders below decides: hashed files for good, everything else revalidated.
      cacheControl: false,
      schemaHide: true,
      logLevel: "warn",
      setHeaders: (res, filePath) => {
        res.setHeader("content-security-policy", CONSOLE_CSP);
        res.setHeader("x-content-type-options", "nosniff");
        res.setHeader(
          "cache-control",
          filePath.includes("/assets/") ? "public, max-age=31536000, immutable" : "no-cache",
        );
      },
    });
    app.get("/console/*", { schema: { hide: true }, logLevel: "warn" }, (_request, reply) =>
      secure(reply).sendFile("index.html", dir, { cacheControl: false }),
    );
    app.get("/console/", { schema: { hide: true }, logLevel: "warn" }, (_request, reply) =>
      secure(reply).sendFile("index.html", dir, { cacheControl: false }),
    );
  };
}
