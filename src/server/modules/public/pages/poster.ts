import { html, raw } from "../html.js";
import { absolute, basePath, href, icon, page, type PageContext } from "../layout.js";
import { displayNumber, subscribeMessage, unsubscribeMessage } from "../subscribe.js";
import { t } from "../texts.js";
import { hoursText } from "./common.js";

/** What the poster says, shared by the print page and the PDF. */
export function posterLines(ctx: PageContext) {
  const { tenant, locale } = ctx;
  const hours = hoursText(tenant, locale);
  return {
    comune: tenant.name,
    service: tenant.serviceName,
    headline: t(locale, "posterHeadline"),
    how: t(locale, "posterHow"),
    number: displayNumber(tenant),
    message: subscribeMessage(tenant),
    hours: hours ? t(locale, "posterHours", { hours }) : undefined,
    name: tenant.keywords.form === "name-and-keyword" ? t(locale, "posterName") : undefined,
    free: t(locale, "posterFree"),
    leave: t(locale, "posterLeave", { message: unsubscribeMessage(tenant) }),
    url: absolute(ctx, `${basePath(tenant)}/`).replace(/^https?:\/\//, ""),
  };
}

/**
 * /c/{slug}/locandina: the A4 poster for notice boards. On screen it sits in the site's frame;
 * printed, only the sheet is left (the print styles in public.css hide the rest).
 */
export function posterPage(ctx: PageContext, qrSvg: string): string {
  const { tenant, locale } = ctx;
  const base = basePath(tenant);
  const l = posterLines(ctx);
  const main = html` <div class="d-print-none mb-4">
      <h1>${t(locale, "poster")}</h1>
      <p>${t(locale, "posterPrint")}</p>
      <p>
        <a class="btn btn-outline-primary btn-icon" href="${href(ctx, `${base}/locandina.pdf`)}"
          >${icon("it-download", "icon-primary")}<span>${t(locale, "posterPdf")}</span></a
        >
      </p>
    </div>
    <section class="poster-sheet" aria-label="${t(locale, "poster")}">
      <p class="poster-comune">${l.comune}</p>
      <p class="poster-headline">${l.headline}</p>
      <p class="poster-service">${l.service}</p>
      <div
        class="poster-qr"
        role="img"
        aria-label="${t(locale, "qrAlt", { message: l.message, number: l.number })}"
      >
        ${raw(qrSvg)}
      </div>
      <p class="poster-how">${l.how}</p>
      <p class="poster-number">${l.number}</p>
      <p class="poster-message">${l.message}</p>
      <ul class="poster-facts">
        ${l.name ? html`<li>${l.name}</li>` : ""} ${l.hours ? html`<li>${l.hours}</li>` : ""}
        <li>${l.free}</li>
        <li>${l.leave}</li>
      </ul>
      <p class="poster-url">${l.url}</p>
    </section>`;
  return page(ctx, {
    title: t(locale, "poster"),
    description: l.headline,
    breadcrumbs: [{ label: t(locale, "poster") }],
    current: "poster",
    main,
    bodyClass: "public-poster",
  });
}
