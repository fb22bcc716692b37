import rateLimit, { normalizeIP } from "@fastify/rate-limit";
import fastifyStatic from "@fastify/static";
// For `schema.hide`: keeps the pages out of the OpenAPI description.
import type {} from "@fastify/swagger";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { fileURLToPath } from "node:url";
import type { Tenant } from "../../config/tenants.js";
import type { Db } from "../../platform/db/schema.js";
import { AppError } from "../../platform/errors.js";
import { requestLocale, type Locale } from "../../platform/http/locale.js";
import { PACKAGE_ROOT } from "../../platform/package-info.js";
import { publicArchive } from "../broadcasts/public-broadcasts.service.js";
import { buildFeed, FEED_SIZE } from "./feeds.js";
import { sendCached } from "./http-cache.js";
import { ASSETS, type PageContext } from "./layout.js";
import { archivePage, broadcastPage, PAGE_SIZE, widgetPage } from "./pages/archive.js";
import { documentPage, type DocumentKind } from "./pages/document.js";
import { homePage } from "./pages/home.js";
import { notFoundPage } from "./pages/not-found.js";
import { posterPage } from "./pages/poster.js";
import { posterPdf } from "./poster-pdf.js";
import { qrPng, qrSvg } from "./subscribe.js";

/** Per client address (an IPv6 client by its /64), in each process's memory. */
export const PUBLIC_RATE_LIMIT = { max: 600, timeWindow: 60_000 } as const;

/** Pages change when a broadcast is sent: a minute of caching; styles and fonts a day. */
const PAGE_MAX_AGE = 60;
const ASSET_MAX_AGE = 86_400;

/**
 * Only this origin's files, no script on the pages, no framing but for the widget. Bootstrap
 * Italia's styles use data: images.
 */
function csp(frameAncestors: string): string {
  return [
    "default-src 'self'",
    "img-src 'self' data:",
    "style-src 'self'",
    "font-src 'self' data:",
    "script-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${frameAncestors}`,
  ].join("; ");
}

const BOOTSTRAP_ITALIA = fileURLToPath(
  new URL("node_modules/bootstrap-italia/dist/", PACKAGE_ROOT),
);
const OWN_ASSETS = fileURLToPath(new URL("src/server/modules/public/assets/", PACKAGE_ROOT));
/** Of Bootstrap Italia, only what the pages use: the stylesheet, the Titillium fonts, the icons. */
const SERVED =
  /^\/(css\/bootstrap-italia\.min\.css|fonts\/Titillium_Web\/[\w-]+\.woff2|svg\/sprites\.svg)$/;

export interface PublicRoutesDeps {
  db: Db;
  tenants: readonly Tenant[];
  /** PUBLIC_URL (env.publicUrl): absolute links in the feeds, the sharing tags, the poster. */
  publicUrl: string;
  /** Tests lower it to see the 429. */
  rateLimit?: { max: number; timeWindow: number };
}

/**
 * The comuni's public pages under /c/{slug}/ (docs in this folder's README.md): no login,
 * rendered here, usable without JavaScript.
 */
export function publicRoutes(deps: PublicRoutesDeps) {
  const bySlug = new Map(deps.tenants.map((t) => [t.slug, t]));
  const archive = publicArchive(deps.db);
  const publicUrl = deps.publicUrl.replace(/\/+$/, "");
  const memo = new Map<string, Promise<string | Buffer>>();
  const once = <T extends string | Buffer>(key: string, make: () => Promise<T>): Promise<T> => {
    let value = memo.get(key);
    if (!value) {
      value = make();
      memo.set(key, value);
    }
    return value as Promise<T>;
  };

  return async (app: FastifyInstance) => {
    await app.register(rateLimit, {
      ...(deps.rateLimit ?? PUBLIC_RATE_LIMIT),
      keyGenerator: (request) => normalizeIP(request.ip, 64),
      errorResponseBuilder: (request, context) =>
        new AppError(
          429,
          "TOO_MANY_REQUESTS",
          localeOf(request).locale === "en"
            ? `Too many requests from this address: try again in ${Math.ceil(context.ttl / 1000)} seconds`
            : `Troppe richieste da questo indirizzo: riprovare tra ${Math.ceil(context.ttl / 1000)} secondi`,
        ),
    });
    await app.register(fastifyStatic, {
      root: BOOTSTRAP_ITALIA,
      prefix: `${ASSETS}/bootstrap-italia/`,
      allowedPath: (pathName) => SERVED.test(pathName),
      maxAge: ASSET_MAX_AGE * 1000,
      index: false,
      list: false,
      schemaHide: true,
    });
    await app.register(fastifyStatic, {
      root: OWN_ASSETS,
      prefix: `${ASSETS}/`,
      decorateReply: false,
      maxAge: ASSET_MAX_AGE * 1000,
      index: false,
      list: false,
      schemaHide: true,
    });

    const options = { logLevel: "warn" as const, schema: { hide: true } };

    /** The comune of the URL and the request's language; undefined after a 404 is sent. */
    const contextOf = (request: FastifyRequest, reply: FastifyReply, path: string) => {
      const { slug } = request.params as { slug: string };
      const tenant = bySlug.get(slug);
      const { locale, explicit } = localeOf(request);
      if (!tenant) {
        void reply
          .code(404)
          .type("text/html; charset=utf-8")
          .header("content-security-policy", csp("'none'"))
          .send(notFoundPage(undefined, locale));
        return undefined;
      }
      const ctx: PageContext = {
        tenant,
        locale,
        explicitLang: explicit,
        publicUrl,
        path: `/c/${slug}${path}`,
      };
      return ctx;
    };
    const htmlPage = (
      request: FastifyRequest,
      reply: FastifyReply,
      body: string,
      frame = "'none'",
    ) => {
      void reply
        .header("content-security-policy", csp(frame))
        .header("referrer-policy", "same-origin");
      return sendCached(request, reply, body, {
        type: "text/html; charset=utf-8",
        maxAgeSeconds: PAGE_MAX_AGE,
      });
    };
    const notFound = (reply: FastifyReply, ctx: PageContext) =>
      reply
        .code(404)
        .type("text/html; charset=utf-8")
        .header("content-security-policy", csp("'none'"))
        .send(notFoundPage(ctx, ctx.locale));

    app.get("/c/:slug", options, (request, reply) => {
      const { slug } = request.params as { slug: string };
      const query = request.url.includes("?") ? request.url.slice(request.url.indexOf("?")) : "";
      return reply.redirect(`/c/${encodeURIComponent(slug)}/${query}`, 301);
    });

    app.get("/c/:slug/", options, async (request, reply) => {
      const ctx = contextOf(request, reply, "/");
      if (!ctx) return reply;
      const [svg, latest] = await Promise.all([
        once(`svg:${ctx.tenant.slug}`, () => qrSvg(ctx.tenant)),
        archive.page(ctx.tenant.slug, { offset: 0, limit: 3 }),
      ]);
      return htmlPage(request, reply, homePage(ctx, { qrSvg: svg, latest: latest.items }));
    });

    // The QR code as a picture: SVG for print, PNG for the web and chats.
    const qrFormats = [
      { ext: "svg", type: "image/svg+xml", make: qrSvg },
      { ext: "png", type: "image/png", make: qrPng },
    ] as const;
    for (const format of qrFormats) {
      app.get(`/c/:slug/qr.${format.ext}`, options, async (request, reply) => {
        const ctx = contextOf(request, reply, `/qr.${format.ext}`);
        if (!ctx) return reply;
        const body = await once<string | Buffer>(`${format.ext}:${ctx.tenant.slug}`, () =>
          format.make(ctx.tenant),
        );
        void reply.header(
          "content-disposition",
          `inline; filename="iscriviti-${ctx.tenant.slug}.${format.ext}"`,
        );
        return sendCached(request, reply, body, {
          type: format.type,
          maxAgeSeconds: ASSET_MAX_AGE,
          vary: false,
        });
      });
    }

    app.get("/c/:slug/locandina", options, async (request, reply) => {
      const ctx = contextOf(request, reply, "/locandina");
      if (!ctx) return reply;
      const svg = await once(`svg:${ctx.tenant.slug}`, () => qrSvg(ctx.tenant));
      return htmlPage(request, reply, posterPage(ctx, svg));
    });

    app.get("/c/:slug/locandina.pdf", options, async (request, reply) => {
      const ctx = contextOf(request, reply, "/locandina.pdf");
      if (!ctx) return reply;
      const pdf = await once(`pdf:${ctx.tenant.slug}:${ctx.locale}`, async () =>
        posterPdf(ctx, await once(`png:${ctx.tenant.slug}`, () => qrPng(ctx.tenant))),
      );
      void reply.header(
        "content-disposition",
        `inline; filename="locandina-${ctx.tenant.slug}.pdf"`,
      );
      return sendCached(request, reply, pdf, {
        type: "application/pdf",
        maxAgeSeconds: PAGE_MAX_AGE,
      });
    });

    const documentRoutes = (kind: DocumentKind, segment: string) => {
      app.get(`/c/:slug/${segment}`, options, (request, reply) => {
        const ctx = contextOf(request, reply, `/${segment}`);
        if (!ctx) return reply;
        return htmlPage(request, reply, documentPage(ctx, kind) ?? "");
      });
      app.get(`/c/:slug/${segment}/versione/:version`, options, (request, reply) => {
        const { version } = request.params as { version: string };
        const ctx = contextOf(
          request,
          reply,
          `/${segment}/versione/${encodeURIComponent(version)}`,
        );
        if (!ctx) return reply;
        const body = documentPage(ctx, kind, version);
        return body ? htmlPage(request, reply, body) : notFound(reply, ctx);
      });
    };
    documentRoutes("regulation", "regolamento");
    documentRoutes("privacy", "privacy");

    app.get("/c/:slug/archivio", options, async (request, reply) => {
      const ctx = contextOf(request, reply, "/archivio");
      if (!ctx) return reply;
      const raw = request.query as Record<string, unknown>;
      const q = typeof raw.q === "string" ? raw.q.trim().slice(0, 100) : "";
      const topicId = typeof raw.argomento === "string" ? raw.argomento : "";
      const topic = ctx.tenant.topics.some((x) => x.id === topicId) ? topicId : "";
      const asked = typeof raw.pagina === "string" ? Number.parseInt(raw.pagina, 10) : 1;
      const pageNumber = Number.isFinite(asked) && asked >= 1 && asked <= 10_000 ? asked : 1;
      const result = await archive.page(ctx.tenant.slug, {
        ...(q ? { query: q } : {}),
        ...(topic ? { topic } : {}),
        offset: (pageNumber - 1) * PAGE_SIZE,
        limit: PAGE_SIZE,
      });
      return htmlPage(request, reply, archivePage(ctx, { q, topic, page: pageNumber }, result));
    });

    app.get("/c/:slug/archivio/:id", options, async (request, reply) => {
      const { id } = request.params as { id: string };
      const ctx = contextOf(request, reply, `/archivio/${encodeURIComponent(id)}`);
      if (!ctx) return reply;
      const found = /^\d{1,15}$/.test(id)
        ? await archive.find(ctx.tenant.slug, Number(id))
        : undefined;
      return found ? htmlPage(request, reply, broadcastPage(ctx, found)) : notFound(reply, ctx);
    });

    // The picture, video or document a public broadcast carried: what the archive and the feeds
    // show. A file of a broadcast that is not public answers as a page that does not exist.
    app.get("/c/:slug/archivio/:id/file", options, async (request, reply) => {
      const { id } = request.params as { id: string };
      const ctx = contextOf(request, reply, `/archivio/${encodeURIComponent(id)}/file`);
      if (!ctx) return reply;
      const file = /^\d{1,15}$/.test(id)
        ? await archive.file(ctx.tenant.slug, Number(id))
        : undefined;
      if (!file) return notFound(reply, ctx);
      return reply
        .header("content-type", file.mimeType)
        .header("cache-control", "public, max-age=86400")
        .header("x-content-type-options", "nosniff")
        .header(
          "content-disposition",
          file.filename && !file.mimeType.startsWith("image/")
            ? `attachment; filename="${file.filename.replace(/[^\w.\- ]/g, "_")}"`
            : "inline",
        )
        .send(file.bytes);
    });

    const feedRoute = (path: string, type: string, format: "rss2" | "atom1") => {
      app.get(`/c/:slug/${path}`, options, async (request, reply) => {
        const ctx = contextOf(request, reply, `/${path}`);
        if (!ctx) return reply;
        const { items } = await archive.page(ctx.tenant.slug, { offset: 0, limit: FEED_SIZE });
        const feed = buildFeed(ctx, items);
        return sendCached(request, reply, format === "rss2" ? feed.rss2() : feed.atom1(), {
          type,
          maxAgeSeconds: PAGE_MAX_AGE,
        });
      });
    };
    feedRoute("feed.xml", "application/rss+xml; charset=utf-8", "rss2");
    feedRoute("feed.atom", "application/atom+xml; charset=utf-8", "atom1");

    app.get("/c/:slug/widget", options, async (request, reply) => {
      const ctx = contextOf(request, reply, "/widget");
      if (!ctx) return reply;
      const { items } = await archive.page(ctx.tenant.slug, { offset: 0, limit: 5 });
      // Framed by the comune's own site, wherever it is: the one page that may be.
      return htmlPage(request, reply, widgetPage(ctx, items), "*");
    });

    app.get("/c/:slug/widget.js", options, (request, reply) => {
      const ctx = contextOf(request, reply, "/widget.js");
      if (!ctx) return reply;
      return sendCached(request, reply, widgetScript(ctx), {
        type: "text/javascript; charset=utf-8",
        maxAgeSeconds: PAGE_MAX_AGE,
        vary: false,
      });
    });
  };
}

/** ?lang=en|it first, then Accept-Language (platform/http/locale.ts). */
function localeOf(request: FastifyRequest): { locale: Locale; explicit: boolean } {
  const lang = (request.query as Record<string, unknown> | undefined)?.lang;
  if (lang === "it" || lang === "en") return { locale: lang, explicit: true };
  return { locale: requestLocale(request.headers["accept-language"]), explicit: false };
}

/**
 * The snippet's script: it puts an iframe of the widget page right after itself. The frame's
 * address is taken from the script's own, so the snippet works wherever this server is.
 */
function widgetScript(ctx: PageContext): string {
  const title = JSON.stringify(`${ctx.tenant.serviceName}`);
  const path = JSON.stringify(`/c/${ctx.tenant.slug}/widget`);
  return `(function () {
  var script = document.currentScript;
  if (!script) return;
  var frame = document.createElement("iframe");
  frame.src = new URL(${path}, script.src).href;
  frame.title = ${title};
  frame.loading = "lazy";
  frame.style.width = "100%";
  frame.style.maxWidth = "480px";
  frame.style.height = "420px";
  frame.style.border = "1px solid #d9dadb";
  frame.style.borderRadius = "4px";
  script.parentNode.insertBefore(frame, script.nextSibling);
})();
`;
}
