import type { Tenant } from "../../../config/tenants.js";
import type { Locale } from "../../../platform/http/locale.js";
import type { PublicBroadcast } from "../../broadcasts/public-broadcasts.service.js";
import { html, type Html } from "../html.js";
import { basePath, href, type PageContext } from "../layout.js";
import { formatDate, pick, t } from "../texts.js";

export function topicName(tenant: Tenant, id: string, locale: Locale): string {
  const topic = tenant.topics.find((x) => x.id === id);
  return topic ? pick(topic.label, locale) : id;
}

export function hoursText(tenant: Tenant, locale: Locale): string | undefined {
  return tenant.serviceHours ? pick(tenant.serviceHours.description, locale) : undefined;
}

export function timeZoneOf(tenant: Tenant): string {
  return tenant.serviceHours?.timeZone ?? "Europe/Rome";
}

/** The first sentence or so of a text, for lists, feeds and sharing. */
export function excerpt(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(" "), max - 20)).trimEnd()}…`;
}

export function broadcastPath(tenant: Tenant, id: number): string {
  return `${basePath(tenant)}/archivio/${id}`;
}

/** A broadcast as a card in a list (the service page, the archive). */
export function broadcastCard(ctx: PageContext, b: PublicBroadcast, headingLevel: 2 | 3): Html {
  const { tenant, locale } = ctx;
  const date = formatDate(b.publishedAt, locale, timeZoneOf(tenant));
  const heading =
    headingLevel === 2
      ? html`<h2 class="card-title h5" lang="${tenant.defaultLocale}">
          <a href="${href(ctx, broadcastPath(tenant, b.id))}">${b.title}</a>
        </h2>`
      : html`<h3 class="card-title h5" lang="${tenant.defaultLocale}">
          <a href="${href(ctx, broadcastPath(tenant, b.id))}">${b.title}</a>
        </h3>`;
  return html`<article class="card card-bg public-news-card">
    <div class="card-body">
      <p class="category-top">
        <time datetime="${new Date(b.publishedAt).toISOString()}">${date}</time>
        ${b.urgent ? html`<span class="badge bg-danger ms-2">${t(locale, "urgent")}</span>` : ""}
      </p>
      ${heading}
      <p class="card-text" lang="${tenant.defaultLocale}">${excerpt(b.text)}</p>
      ${topicBadges(ctx, b.topics)}
    </div>
  </article>`;
}

export function topicBadges(ctx: PageContext, topics: readonly string[]): Html {
  if (!topics.length) return html``;
  return html`<ul class="public-topics">
    ${topics.map(
      (id) =>
        html`<li>
          <span class="chip chip-simple"
            ><span class="chip-label">${topicName(ctx.tenant, id, ctx.locale)}</span></span
          >
        </li>`,
    )}
  </ul>`;
}
