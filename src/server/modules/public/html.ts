/**
 * HTML built from template literals with every interpolated value escaped, unless it is
 * already `Html` (the result of another `html` or of `raw`). Arrays are joined; null, undefined
 * and false print nothing, so `${cond && html`…`}` works.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type HtmlValue = Html | string | number | null | undefined | false | readonly HtmlValue[];

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(render).join("");
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] ?? "";
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? "");
  });
  return new Html(out);
}

/** Markup that is trusted as it is (an SVG the QR library made, a JSON-LD block we built). */
export function raw(markup: string): Html {
  return new Html(markup);
}

/** A text with its line breaks kept and its web addresses made links. */
export function textWithLinks(text: string): Html {
  const parts: HtmlValue[] = [];
  const urls = /https?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]]/g;
  let last = 0;
  for (const match of text.matchAll(urls)) {
    parts.push(text.slice(last, match.index));
    parts.push(html`<a href="${match[0]}">${match[0]}</a>`);
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return raw(render(parts).replace(/\r?\n/g, "<br>\n"));
}
