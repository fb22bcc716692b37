import type { PublicBroadcast } from "../../broadcasts/public-broadcasts.service.js";
import { html, raw, textWithLinks } from "../html.js";
import { basePath, href, icon, page, type PageContext } from "../layout.js";
import { displayNumber, subscribeMessage, unsubscribeMessage, waMeUrl } from "../subscribe.js";
import { pick, t } from "../texts.js";
import { fill, placeholders } from "../../citizens/texts.js";
import { broadcastCard, hoursText } from "./common.js";

/** /c/{slug}/: the service in a paragraph, how to subscribe and leave, the latest news. */
export function homePage(
  ctx: PageContext,
  input: { qrSvg: string; latest: PublicBroadcast[] },
): string {
  const { tenant, locale } = ctx;
  const base = basePath(tenant);
  const number = displayNumber(tenant);
  const message = subscribeMessage(tenant);
  const keyword = tenant.keywords.subscribe[0] ?? "";
  const hours = hoursText(tenant, locale);
  const what = tenant.topics.length
    ? tenant.topics.map((x) => pick(x.label, locale).toLowerCase()).join(", ")
    : t(locale, "introWhatDefault");
  const channels = [
    tenant.contacts.website.replace(/^https?:\/\//, "").replace(/\/$/, ""),
    tenant.contacts.email,
    tenant.contacts.phone,
  ]
    .filter(Boolean)
    .join(", ");
  const own =
    (locale === "en" ? tenant.texts.en?.publicIntro : undefined) ?? tenant.texts.it.publicIntro;
  const vars = () => placeholders(tenant, { locale, publicBaseUrl: ctx.publicUrl });
  // The comune's paragraphs (a blank line between two), the first one as the page's lead.
  const intro = own
    ? fill(own, vars())
        .split(/\n\s*\n/)
        .map(
          (text, i) =>
            html`<p${i === 0 ? raw(' class="lead"') : ""}>${textWithLinks(text.trim())}</p>`,
        )
    : html`<p class="lead">
        ${t(locale, "intro", { service: tenant.serviceName, comune: tenant.name, what })}
        ${hours ? t(locale, "hours", { hours }) : t(locale, "noHours")} ${t(locale, "free")}
        ${t(locale, "privateList")}
      </p>`;
  const main = html` <h1 class="mb-3">${tenant.serviceName}</h1>
    ${intro}

    <section class="row g-4 my-2" aria-labelledby="subscribe-title">
      <div class="col-lg-7">
        <h2 id="subscribe-title">${t(locale, "subscribeTitle")}</h2>
        <p>
          <a class="btn btn-primary btn-lg btn-icon" href="${waMeUrl(tenant)}"
            >${icon("it-whatsapp", "icon-white")}<span>${t(locale, "subscribeButton")}</span></a
          >
        </p>
        <p>${t(locale, "orWrite", { number })}</p>
        <p class="public-keyword">${message}</p>
        ${tenant.keywords.form === "name-and-keyword" ? html`<p>${t(locale, "nameForm", { keyword })}</p>` : ""}
        ${tenant.subscription.confirmationStep ? html`<p>${t(locale, "confirmStep", { button: pick({ it: tenant.texts.it.confirmButton, en: tenant.texts.en?.confirmButton }, locale) })}</p>` : ""}
        <p>${t(locale, "age", { age: tenant.subscription.minimumAge })}</p>
      </div>
      <div class="col-lg-5">
        <figure class="public-qr">
          <img
            src="${base}/qr.svg"
            width="240"
            height="240"
            alt="${t(locale, "qrAlt", { message, number })}"
          />
          <figcaption>${t(locale, "qrTitle")}</figcaption>
        </figure>
        <ul class="public-links">
          <li>
            <a href="${base}/qr.png" download>${icon("it-download")} ${t(locale, "qrDownload")}</a>
          </li>
          <li>
            <a href="${base}/qr.svg" download
              >${icon("it-download")} ${t(locale, "qrDownloadSvg")}</a
            >
          </li>
          <li>
            <a href="${href(ctx, `${base}/locandina`)}"
              >${icon("it-print")} ${t(locale, "posterLink")}</a
            >
          </li>
        </ul>
      </div>
    </section>

    ${
      tenant.topics.length
        ? html`<section class="my-4" aria-labelledby="topics-title">
            <h2 id="topics-title">${t(locale, "topicsTitle")}</h2>
            <ul>
              ${tenant.topics.map((x) => html`<li>${pick(x.label, locale)}</li>`)}
            </ul>
            <p>
              ${t(locale, "topicsIntro", { keyword: tenant.keywords.commands.topics[0] ?? "ARGOMENTI" })}
            </p>
          </section>`
        : ""
    }

    <section class="my-4" aria-labelledby="leave-title">
      <h2 id="leave-title">${t(locale, "unsubscribeTitle")}</h2>
      <p>${t(locale, "unsubscribeText", { message: unsubscribeMessage(tenant) })}</p>
      <h2>${t(locale, "oneWayTitle")}</h2>
      <p>${t(locale, "oneWayText", { channels })}</p>
      <h2>${t(locale, "documentsTitle")}</h2>
      <p>
        ${t(locale, "documentsText")}
        <a href="${href(ctx, `${base}/regolamento`)}">${t(locale, "regulation")}</a> ·
        <a href="${href(ctx, `${base}/privacy`)}">${t(locale, "privacy")}</a>
      </p>
    </section>

    <section class="my-4" aria-labelledby="latest-title">
      <h2 id="latest-title">${t(locale, "latestTitle")}</h2>
      ${
        input.latest.length
          ? html`<div class="public-news-grid">
                ${input.latest.map((b) => broadcastCard(ctx, b, 3))}
              </div>
              <p class="mt-3">
                <a href="${href(ctx, `${base}/archivio`)}"
                  >${t(locale, "allNews")} ${icon("it-arrow-right", "icon-sm icon-primary")}</a
                >
              </p>`
          : html`<p>${t(locale, "noNews")}</p>`
      }
    </section>`;
  return page(ctx, {
    title: tenant.serviceName,
    description: t(locale, "intro", { service: tenant.serviceName, comune: tenant.name, what }),
    breadcrumbs: [],
    current: "home",
    main,
    head: raw(""),
  });
}
