import type { Tenant } from "../../config/tenants.js";
import type { Locale } from "../../platform/http/locale.js";
import { html, type Html, type HtmlValue } from "./html.js";
import { t, type TextKey } from "./texts.js";

/** Where the pages' styles, fonts and icons are served (no comune slug has an underscore). */
export const ASSETS = "/c/_assets";
export const SPRITES = `${ASSETS}/bootstrap-italia/svg/sprites.svg`;

/** What every page of a comune knows about the request it answers. */
export interface PageContext {
  tenant: Tenant;
  locale: Locale;
  /** The language came from ?lang=: links keep it (Accept-Language needs no help). */
  explicitLang: boolean;
  /** PUBLIC_URL without its trailing slash: absolute links (feeds, sharing, the poster). */
  publicUrl: string;
  /** The path of this page, without query. */
  path: string;
}

/** Bootstrap Italia's full-width row in a container, as the header's three bands use it. */
function fullRow(inner: Html): Html {
  return html`<div class="container">
    <div class="row"><div class="col-12">${inner}</div></div>
  </div>`;
}

/** The comune's pages start here: /c/{slug}. */
export function basePath(tenant: Tenant): string {
  return `/c/${tenant.slug}`;
}

/** A link inside the pages that keeps the chosen language. */
export function href(ctx: PageContext, path: string): string {
  if (!ctx.explicitLang) return path;
  return `${path}${path.includes("?") ? "&" : "?"}lang=${ctx.locale}`;
}

export function absolute(ctx: PageContext, path: string): string {
  return `${ctx.publicUrl}${path}`;
}

export function icon(name: string, extra = ""): Html {
  return html`<svg class="icon ${extra}" aria-hidden="true" focusable="false">
    <use href="${SPRITES}#${name}"></use>
  </svg>`;
}

export interface PageSpec {
  title: string;
  description: string;
  /** Past the service's own page, which is always first. */
  breadcrumbs: { label: string; path?: string }[];
  /** The menu entry to mark as current. */
  current?: "home" | "archive" | "regulation" | "privacy" | "poster";
  main: HtmlValue;
  /** More in <head>: Open Graph tags, the canonical link. */
  head?: HtmlValue;
  /** Class on <body>, e.g. the poster's print layout. */
  bodyClass?: string;
}

const MENU: { key: NonNullable<PageSpec["current"]>; label: TextKey; path: string }[] = [
  { key: "home", label: "home", path: "/" },
  { key: "archive", label: "archive", path: "/archivio" },
  { key: "regulation", label: "regulation", path: "/regolamento" },
  { key: "privacy", label: "privacy", path: "/privacy" },
  { key: "poster", label: "poster", path: "/locandina" },
];

/**
 * The page as the "Comuni" model of Designers Italia lays it out: the slim header (the comune's
 * website, the language), the central header with the comune's name, the menu, the
 * breadcrumbs, the content, the footer with the contacts. No script: the menu is plain links
 * that wrap on a phone.
 */
export function page(ctx: PageContext, spec: PageSpec): string {
  const { tenant, locale } = ctx;
  const base = basePath(tenant);
  const other: Locale = locale === "it" ? "en" : "it";
  const langLink = `${ctx.path}?lang=${other}`;
  const feedTitle = t(locale, "archiveTitle", { service: tenant.serviceName });
  const crumbs = [{ label: tenant.serviceName, path: `${base}/` }, ...spec.breadcrumbs];
  const doc = html`<!doctype html>
    <html lang="${locale}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${spec.title} – ${tenant.name}</title>
        <meta name="description" content="${spec.description}" />
        <link rel="stylesheet" href="${ASSETS}/bootstrap-italia/css/bootstrap-italia.min.css" />
        <link rel="stylesheet" href="${ASSETS}/public.css" />
        <link
          rel="alternate"
          type="application/rss+xml"
          title="${feedTitle} (RSS)"
          href="${base}/feed.xml"
        />
        <link
          rel="alternate"
          type="application/atom+xml"
          title="${feedTitle} (Atom)"
          href="${base}/feed.atom"
        />
        ${spec.head}
      </head>
      <body class="${spec.bodyClass ?? ""}">
        <div class="skiplinks">
          <a class="visually-hidden-focusable" href="#main">${t(locale, "skipToContent")}</a>
        </div>
        <header class="it-header-wrapper d-print-none">
          <div class="it-header-slim-wrapper">
            ${fullRow(html`
              <div class="it-header-slim-wrapper-content">
                <a class="navbar-brand" href="${tenant.contacts.website}"
                  >${t(locale, "website")}</a
                >
                <div class="it-header-slim-right-zone">
                  <a class="lang-switch" href="${langLink}" lang="${other}" hreflang="${other}"
                    >${other === "en" ? "English" : "Italiano"}</a
                  >
                </div>
              </div>
            `)}
          </div>
          <div class="it-nav-wrapper">
            <div class="it-header-center-wrapper">
              ${fullRow(html`
                <div class="it-header-center-content-wrapper">
                  <div class="it-brand-wrapper">
                    <a href="${href(ctx, `${base}/`)}">
                      ${icon("it-whatsapp")}
                      <div class="it-brand-text">
                        <div class="it-brand-title">${tenant.name}</div>
                        <div class="it-brand-tagline">${tenant.serviceName}</div>
                      </div>
                    </a>
                  </div>
                </div>
              `)}
            </div>
            <div class="it-header-navbar-wrapper public-menu">
              ${fullRow(html`
                <nav aria-label="${t(locale, "mainMenu")}">
                  <ul class="public-menu-list">
                    ${MENU.map(
                      (m) =>
                        html`<li>
                          <a
                            class="${m.key === spec.current ? "active" : ""}"
                            href="${href(ctx, `${base}${m.path}`)}"
                            ${m.key === spec.current ? html` aria-current="page"` : ""}
                            >${t(locale, m.label)}</a
                          >
                        </li>`,
                    )}
                  </ul>
                </nav>
              `)}
            </div>
          </div>
        </header>
        <main id="main">
          <div class="container px-3 my-4">
            <nav class="breadcrumb-container d-print-none" aria-label="${t(locale, "breadcrumbs")}">
              <ol class="breadcrumb">
                ${crumbs.map((c, i) =>
                  i === crumbs.length - 1 || !c.path
                    ? html`<li class="breadcrumb-item active" aria-current="page">${c.label}</li>`
                    : html`<li class="breadcrumb-item">
                        <a href="${href(ctx, c.path)}">${c.label}</a
                        ><span class="separator">/</span>
                      </li>`,
                )}
              </ol>
            </nav>
            ${spec.main}
          </div>
        </main>
        ${footer(ctx)}
      </body>
    </html> `;
  return doc.toString();
}

function footer(ctx: PageContext): Html {
  const { tenant, locale } = ctx;
  const base = basePath(tenant);
  const { contacts, dataController } = tenant;
  return html`<footer class="it-footer d-print-none">
    <div class="it-footer-main">
      <div class="container">
        <div class="row">
          <div class="col-12 footer-items-wrapper logo-wrapper">
            <div class="it-brand-text">
              <p class="it-brand-title">${tenant.name}</p>
              <p class="it-brand-tagline">${tenant.serviceName}</p>
            </div>
          </div>
        </div>
        <div class="row">
          <div class="col-md-6 footer-items-wrapper">
            <h2 class="footer-heading-title">${t(locale, "contacts")}</h2>
            <ul class="footer-list">
              ${dataController.address ? html`<li>${dataController.address}</li>` : ""}
              <li>
                <a href="${contacts.website}">${contacts.website.replace(/^https?:\/\//, "")}</a>
              </li>
              <li>
                ${t(locale, "email")}: <a href="mailto:${contacts.email}">${contacts.email}</a>
              </li>
              ${contacts.pec ? html`<li>${t(locale, "pec")}: <a href="mailto:${contacts.pec}">${contacts.pec}</a></li>` : ""}
              ${contacts.phone ? html`<li>${t(locale, "phone")}: ${contacts.phone}</li>` : ""}
            </ul>
          </div>
          <div class="col-md-6 footer-items-wrapper">
            <h2 class="footer-heading-title">${tenant.serviceName}</h2>
            <ul class="footer-list">
              <li><a href="${href(ctx, `${base}/regolamento`)}">${t(locale, "regulation")}</a></li>
              <li><a href="${href(ctx, `${base}/privacy`)}">${t(locale, "privacy")}</a></li>
              <li><a href="${href(ctx, `${base}/archivio`)}">${t(locale, "archive")}</a></li>
              <li>
                <a href="${base}/feed.xml">RSS</a> · <a href="${base}/feed.atom">Atom</a>
                <span class="visually-hidden">${t(locale, "feeds")}</span>
              </li>
            </ul>
          </div>
        </div>
        <div class="row">
          <div class="col-12 footer-items-wrapper">
            <p class="footer-note">${t(locale, "footerNote")}</p>
          </div>
        </div>
      </div>
    </div>
  </footer>`;
}
