import type { Locale } from "../../../platform/http/locale.js";
import { html } from "../html.js";
import { ASSETS, basePath, href, page, type PageContext } from "../layout.js";
import { t } from "../texts.js";

/** 404 inside a comune's pages, or a bare one when the comune itself is unknown. */
export function notFoundPage(ctx: PageContext | undefined, locale: Locale): string {
  const main = html`<h1>${t(locale, "notFoundTitle")}</h1>
    <p>${t(locale, "notFoundText")}</p>`;
  if (ctx) {
    return page(ctx, {
      title: t(locale, "notFoundTitle"),
      description: t(locale, "notFoundText"),
      breadcrumbs: [{ label: t(locale, "notFoundTitle") }],
      main: html`${main}
        <p><a href="${href(ctx, `${basePath(ctx.tenant)}/`)}">${ctx.tenant.serviceName}</a></p>`,
    });
  }
  return html`<!doctype html>
    <html lang="${locale}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${t(locale, "notFoundTitle")}</title>
        <link rel="stylesheet" href="${ASSETS}/bootstrap-italia/css/bootstrap-italia.min.css" />
        <link rel="stylesheet" href="${ASSETS}/public.css" />
      </head>
      <body>
        <main id="main" class="container my-5">${main}</main>
      </body>
    </html> `.toString();
}
