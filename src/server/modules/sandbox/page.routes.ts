import { readFile } from "node:fs/promises";
// For `schema.hide`: keeps the page out of the OpenAPI description.
import type {} from "@fastify/swagger";
import type { FastifyInstance } from "fastify";
import { PACKAGE_ROOT } from "../../platform/package-info.js";

/**
 * The page's files stay under src/ (tsc copies only TypeScript into dist/): read them from the
 * package root, so the same code serves them when running from src/ (tsx) and from dist/.
 */
const PAGE_DIR = new URL("src/server/modules/sandbox/page/", PACKAGE_ROOT);

/**
 * Only this origin's files: no inline script or style, no framing. Images may come from https:
 * (a comune's media hosted elsewhere) and data: URLs.
 */
export const SANDBOX_PAGE_CSP = [
  "default-src 'self'",
  "img-src 'self' https: data:",
  "script-src 'self'",
  "style-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const FILES = {
  "/sandbox": { file: "index.html", type: "text/html; charset=utf-8" },
  "/sandbox/assets/sandbox.css": { file: "sandbox.css", type: "text/css; charset=utf-8" },
  "/sandbox/assets/sandbox.js": { file: "sandbox.js", type: "text/javascript; charset=utf-8" },
} as const;

/**
 * The "simulated phones" page: plain HTML, CSS and an ES module, no build step. The files are
 * read on each request (they are small, and a developer can edit them without a restart).
 */
export function sandboxPageRoutes(app: FastifyInstance): void {
  for (const [url, { file, type }] of Object.entries(FILES)) {
    app.get(url, { logLevel: "warn", schema: { hide: true } }, async (_request, reply) => {
      const body = await readFile(new URL(file, PAGE_DIR));
      return reply
        .type(type)
        .header("content-security-policy", SANDBOX_PAGE_CSP)
        .header("cache-control", "no-cache")
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "no-referrer")
        .send(body);
    });
  }
}
