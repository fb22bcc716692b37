import type { TenantFile } from "../../../config/tenant-schema.js";
import { html, textWithLinks, type Html } from "../html.js";
import { absolute, basePath, href, page, type PageContext } from "../layout.js";
import { formatDate, t } from "../texts.js";
import { timeZoneOf } from "./common.js";

export type DocumentKind = "regulation" | "privacy";
type TenantDocument = TenantFile["documents"]["regulation"];

export const DOCUMENT_PATHS: Record<DocumentKind, string> = {
  regulation: "regolamento",
  privacy: "privacy",
};

export function documentOf(ctx: PageContext, kind: DocumentKind): TenantDocument {
  return kind === "regulation"
    ? ctx.tenant.documents.regulation
    : ctx.tenant.documents.privacyNotice;
}

/** The stable address of one version: what a ledger entry's version resolves to. */
export function versionPath(ctx: PageContext, kind: DocumentKind, version: string): string {
  return `${basePath(ctx.tenant)}/${DOCUMENT_PATHS[kind]}/versione/${encodeURIComponent(version)}`;
}

/**
 * The regulation or the privacy notice, in force or an earlier version (undefined: no such
 * version). The text is the comune's, as its file writes it: blank lines part paragraphs,
 * short lines in capitals or starting "Art." are headings, "- " and "a) " lines are lists.
 */
export function documentPage(
  ctx: PageContext,
  kind: DocumentKind,
  version?: string,
): string | undefined {
  const { locale } = ctx;
  const doc = documentOf(ctx, kind);
  const shown =
    version === undefined || version === doc.version
      ? doc
      : doc.earlier.find((e) => e.version === version);
  if (!shown) return undefined;
  const inForce = shown === doc;
  const tz = timeZoneOf(ctx.tenant);
  const title = shown.title ?? doc.title;
  const mainPath = `${basePath(ctx.tenant)}/${DOCUMENT_PATHS[kind]}`;
  const label = t(locale, kind === "regulation" ? "regulation" : "privacy");
  const main = html` <article class="public-document">
      <h1>${title}</h1>
      <p class="text-muted">
        ${t(locale, "version", { version: shown.version, date: formatDate(shown.date, locale, tz) })}${inForce ? html` <span class="badge bg-success">${t(locale, "inForce")}</span>` : ""}
      </p>
      ${
        !inForce
          ? html`<div class="callout warning">
              <div class="callout-title">${t(locale, "notInForce")}</div>
              <p>
                ${t(locale, "earlierNotice", { version: shown.version, date: formatDate(shown.date, locale, tz), current: doc.version })}
                <a href="${href(ctx, mainPath)}">${t(locale, "readCurrent")}</a>
              </p>
            </div>`
          : ""
      }
      <div lang="${ctx.tenant.defaultLocale}">${documentBody(shown.text)}</div>
      ${inForce && doc.url ? html`<p><a href="${doc.url}">${t(locale, "fullText")}</a></p>` : ""}
    </article>
    ${
      doc.earlier.length
        ? html`<section class="my-4" aria-labelledby="versions-title">
            <h2 id="versions-title">${t(locale, "earlierVersions")}</h2>
            <ul>
              ${[...doc.earlier]
                .sort((a, b) => (a.date < b.date ? 1 : -1))
                .map(
                  (e) =>
                    html`<li>
                      <a href="${href(ctx, versionPath(ctx, kind, e.version))}"
                        >${t(locale, "version", { version: e.version, date: formatDate(e.date, locale, tz) })}</a
                      >
                    </li>`,
                )}
            </ul>
          </section>`
        : ""
    }`;
  return page(ctx, {
    title: inForce ? label : `${label} ${shown.version}`,
    description: title,
    breadcrumbs: inForce ? [{ label }] : [{ label, path: mainPath }, { label: shown.version }],
    current: kind,
    main,
    head: html`<link
      rel="canonical"
      href="${absolute(ctx, inForce ? mainPath : versionPath(ctx, kind, shown.version))}"
    />`,
  });
}

function isHeading(block: string[]): boolean {
  if (block.length > 2) return false;
  const text = block.join(" ");
  if (text.length > 120) return false;
  if (/^(Art\.|Articolo)\s*\d/i.test(text)) return true;
  const letters = text.replace(/[^\p{L}]/gu, "");
  return letters.length >= 3 && letters === letters.toUpperCase();
}

const LIST_ITEM = /^(?:-|•|[a-z]\)|\d+\.)\s+/;

function documentBody(text: string): Html[] {
  const blocks = text
    .trim()
    .split(/\n\s*\n/)
    .map((b) =>
      b
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean),
    );
  return blocks.map((lines) => {
    if (isHeading(lines))
      return html`<h2 class="h4 mt-4">
        ${lines.map((l, i) => html`${i ? html`<br />` : ""}${l}`)}
      </h2>`;
    const out: Html[] = [];
    let list: string[] = [];
    let para: string[] = [];
    const flush = () => {
      if (para.length) out.push(html`<p>${textWithLinks(para.join("\n"))}</p>`);
      // Items that carry their own letter or number ("a)", "1.") keep it, without a bullet.
      const marked = list.some((l) => !l.startsWith("-") && !l.startsWith("•"));
      const item = (l: string) => (/^[-•]/.test(l) ? l.replace(LIST_ITEM, "") : l);
      if (list.length)
        out.push(
          html`<ul class="${marked ? "list-unstyled ps-3" : ""}">
            ${list.map((l) => html`<li>${textWithLinks(item(l))}</li>`)}
          </ul>`,
        );
      para = [];
      list = [];
    };
    for (const line of lines) {
      if (LIST_ITEM.test(line)) {
        if (para.length) {
          out.push(html`<p>${textWithLinks(para.join("\n"))}</p>`);
          para = [];
        }
        list.push(line);
      } else {
        if (list.length) flush();
        para.push(line);
      }
    }
    flush();
    return html`${out}`;
  });
}
