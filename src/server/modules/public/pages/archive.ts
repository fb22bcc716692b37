import type { PublicBroadcast } from "../../broadcasts/public-broadcasts.service.js";
import { html, textWithLinks, type Html } from "../html.js";
import { absolute, basePath, href, icon, page, type PageContext } from "../layout.js";
import { formatDate, pick, t } from "../texts.js";
import { broadcastCard, broadcastPath, excerpt, timeZoneOf, topicBadges } from "./common.js";

export const PAGE_SIZE = 10;

export interface ArchiveQuery {
  q: string;
  topic: string;
  page: number;
}

/** The archive's own query string for a page, keeping the search and the language. */
function archiveLink(ctx: PageContext, query: ArchiveQuery, pageNumber: number): string {
  const params = new URLSearchParams();
  if (query.q) params.set("q", query.q);
  if (query.topic) params.set("argomento", query.topic);
  if (pageNumber > 1) params.set("pagina", String(pageNumber));
  if (ctx.explicitLang) params.set("lang", ctx.locale);
  const qs = params.toString();
  return `${basePath(ctx.tenant)}/archivio${qs ? `?${qs}` : ""}`;
}

/** /c/{slug}/archivio: the public broadcasts, newest first, searchable, by topic, in pages. */
export function archivePage(
  ctx: PageContext,
  query: ArchiveQuery,
  result: { items: PublicBroadcast[]; total: number },
): string {
  const { tenant, locale } = ctx;
  const pages = Math.max(1, Math.ceil(result.total / PAGE_SIZE));
  const title = t(locale, "archiveTitle", { service: tenant.serviceName });
  const base = basePath(tenant);
  const snippet = `<script src="${absolute(ctx, `${base}/widget.js`)}" async></script>`;
  const main = html` <h1>${title}</h1>
    <p class="lead">${t(locale, "archiveIntro")}</p>
    <form
      class="public-search row g-3 align-items-end my-3"
      method="get"
      action="${base}/archivio"
      role="search"
    >
      ${ctx.explicitLang ? html`<input type="hidden" name="lang" value="${locale}" />` : ""}
      <div class="col-md-6">
        <label for="q" class="public-label">${t(locale, "searchLabel")}</label>
        <input
          class="form-control"
          type="search"
          id="q"
          name="q"
          value="${query.q}"
          maxlength="100"
        />
      </div>
      ${
        tenant.topics.length
          ? html`<div class="col-md-4">
              <label for="argomento" class="public-label">${t(locale, "topicLabel")}</label>
              <select class="form-select" id="argomento" name="argomento">
                <option value="">${t(locale, "allTopics")}</option>
                ${tenant.topics.map((x) => html`<option value="${x.id}" ${x.id === query.topic ? html` selected` : ""}>${pick(x.label, locale)}</option>`)}
              </select>
            </div>`
          : ""
      }
      <div class="col-md-2">
        <button class="btn btn-primary w-100" type="submit">
          ${icon("it-search", "icon-white icon-sm")} ${t(locale, "search")}
        </button>
      </div>
    </form>
    ${
      result.total > 0
        ? html`<p role="status">
            ${
              result.total === 1
                ? t(locale, "oneResult")
                : t(locale, "results", { count: result.total })
            }
          </p>`
        : ""
    }
    ${
      result.items.length
        ? html`<div class="public-news-list">
            ${result.items.map((b) => broadcastCard(ctx, b, 2))}
          </div>`
        : html`<p>${query.q || query.topic ? t(locale, "noResults") : t(locale, "noNews")}</p>`
    }
    ${
      pages > 1
        ? html`<nav class="pagination-wrapper my-4" aria-label="${t(locale, "pagination")}">
            <ul class="pagination">
              ${query.page > 1 ? html`<li class="page-item"><a class="page-link" href="${archiveLink(ctx, query, query.page - 1)}" rel="prev">${t(locale, "previous")}</a></li>` : ""}
              <li class="page-item">
                <span class="page-link" aria-current="page"
                  >${t(locale, "pageOf", { page: query.page, pages })}</span
                >
              </li>
              ${query.page < pages ? html`<li class="page-item"><a class="page-link" href="${archiveLink(ctx, query, query.page + 1)}" rel="next">${t(locale, "next")}</a></li>` : ""}
            </ul>
          </nav>`
        : ""
    }
    <section class="my-5" aria-labelledby="embed-title">
      <h2 id="embed-title" class="h4">${t(locale, "embedTitle")}</h2>
      <p>${t(locale, "embedText")}</p>
      <pre class="public-snippet"><code>${snippet}</code></pre>
      <p>
        ${icon("it-rss", "icon-sm")} <a href="${base}/feed.xml">RSS</a> ·
        <a href="${base}/feed.atom">Atom</a>
      </p>
    </section>`;
  return page(ctx, {
    title:
      query.page > 1 ? `${title} (${t(locale, "pageOf", { page: query.page, pages })})` : title,
    description: t(locale, "archiveIntro"),
    breadcrumbs: [{ label: t(locale, "archive") }],
    current: "archive",
    main,
  });
}

/** /c/{slug}/archivio/{id}: one broadcast, with Open Graph tags for sharing it. */
export function broadcastPage(ctx: PageContext, b: PublicBroadcast): string {
  const { tenant, locale } = ctx;
  const url = absolute(ctx, broadcastPath(tenant, b.id));
  const published = new Date(b.publishedAt).toISOString();
  const description = excerpt(b.text);
  const main = html` <article class="public-broadcast">
      <p class="text-muted">
        <time datetime="${published}"
          >${t(locale, "sentOn", { date: formatDate(b.publishedAt, locale, timeZoneOf(tenant)) })}</time
        >
        ${b.urgent ? html`<span class="badge bg-danger ms-2">${t(locale, "urgent")}</span>` : ""}
      </p>
      <h1>${b.title}</h1>
      ${topicBadges(ctx, b.topics)} ${mediaOf(ctx, b)}
      <div class="public-broadcast-text" lang="${tenant.defaultLocale}">
        ${textWithLinks(b.text)}
      </div>
    </article>
    <p class="my-4">
      <a href="${href(ctx, `${basePath(tenant)}/archivio`)}"
        >${icon("it-arrow-left", "icon-sm icon-primary")} ${t(locale, "backToArchive")}</a
      >
    </p>`;
  return page(ctx, {
    title: b.title,
    description,
    breadcrumbs: [
      { label: t(locale, "archive"), path: `${basePath(tenant)}/archivio` },
      { label: b.title },
    ],
    current: "archive",
    main,
    head: html`<link rel="canonical" href="${url}" />
      <meta property="og:type" content="article" />
      <meta property="og:site_name" content="${tenant.serviceName}" />
      <meta property="og:title" content="${b.title}" />
      <meta property="og:description" content="${description}" />
      <meta property="og:url" content="${url}" />
      <meta property="og:locale" content="${locale === "en" ? "en_GB" : "it_IT"}" />
      <meta property="article:published_time" content="${published}" />
      <meta name="twitter:card" content="summary" />`,
  });
}

/** The page the embeddable snippet frames: the latest broadcasts, links opening a new tab. */
export function widgetPage(ctx: PageContext, latest: PublicBroadcast[]): string {
  const { tenant, locale } = ctx;
  const base = basePath(tenant);
  const title = t(locale, "widgetTitle", { service: tenant.serviceName });
  return html`<!doctype html>
    <html lang="${locale}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title}</title>
        <link rel="stylesheet" href="/c/_assets/bootstrap-italia/css/bootstrap-italia.min.css" />
        <link rel="stylesheet" href="/c/_assets/public.css" />
      </head>
      <body class="public-widget">
        <main>
          <h1 class="h5">${title}</h1>
          ${
            latest.length
              ? html`<ul class="public-widget-list">
                  ${latest.map(
                    (b) =>
                      html`<li>
                        <time datetime="${new Date(b.publishedAt).toISOString()}"
                          >${formatDate(b.publishedAt, locale, timeZoneOf(tenant))}</time
                        >
                        <a href="${broadcastPath(tenant, b.id)}" target="_blank" rel="noopener"
                          >${b.title}</a
                        >
                      </li>`,
                  )}
                </ul>`
              : html`<p>${t(locale, "noNews")}</p>`
          }
          <p class="public-widget-more">
            <a href="${base}/archivio" target="_blank" rel="noopener">${t(locale, "allNews")}</a> ·
            <a href="${base}/" target="_blank" rel="noopener">${t(locale, "subscribeButton")}</a>
          </p>
        </main>
      </body>
    </html> `.toString();
}

/** The broadcast's picture (shown), video (played) or document (a link with its size). */
function mediaOf(ctx: PageContext, b: PublicBroadcast): Html | string {
  if (!b.media) return "";
  const src = href(ctx, `${broadcastPath(ctx.tenant, b.id)}/file`);
  const { locale } = ctx;
  if (b.media.kind === "image") {
    return html`<figure class="my-3">
      <img
        class="img-fluid rounded"
        src="${src}"
        alt="${t(locale, "pictureOf", { title: b.title })}"
      />
    </figure>`;
  }
  if (b.media.kind === "video") {
    return html`<video class="w-100 my-3" controls preload="none" src="${src}"></video>`;
  }
  const kb = Math.max(1, Math.round(b.media.sizeBytes / 1024));
  return html`<p class="my-3">
    <a href="${src}"
      >${icon("it-download", "icon-sm icon-primary")}
      ${t(locale, "downloadDocument", { name: b.media.filename ?? b.title, size: `${kb} kB` })}</a
    >
  </p>`;
}
