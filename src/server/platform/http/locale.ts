import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The languages staff and API clients may read refusals in: Italian by default (the comuni's
 * staff), English when the request's Accept-Language prefers it (integrators, the hosting
 * provider). Citizens' texts have their own locale (modules/citizens/texts.ts).
 */
export type Locale = "it" | "en";
export const DEFAULT_LOCALE: Locale = "it";

/** At most this many language ranges are read; a longer header is a client's mistake. */
const MAX_RANGES = 20;

/**
 * The locale an Accept-Language header asks for (RFC 9110 §12.5.4): the supported language with
 * the highest weight, the first listed on a tie; Italian when neither is listed, or both are
 * refused (q=0). "en-GB" counts as "en", "*" as the default.
 */
export function requestLocale(acceptLanguage: string | undefined): Locale {
  if (!acceptLanguage) return DEFAULT_LOCALE;
  let best: { locale: Locale; q: number } | undefined;
  for (const range of acceptLanguage.split(",").slice(0, MAX_RANGES)) {
    const [tag = "", ...params] = range.trim().split(";");
    const primary = tag.trim().toLowerCase().split("-")[0];
    const locale: Locale | undefined =
      primary === "en" || primary === "it" ? primary : primary === "*" ? DEFAULT_LOCALE : undefined;
    if (!locale) continue;
    const q = weightOf(params);
    if (q > 0 && (!best || q > best.q)) best = { locale, q };
  }
  return best?.locale ?? DEFAULT_LOCALE;
}

function weightOf(params: string[]): number {
  for (const p of params) {
    const match = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/i.exec(p);
    if (match) return Number(match[1]);
  }
  return 1;
}

/*
 * Schemas' own messages (`localized()` below) are computed while zod parses, which knows nothing of
 * the request; the error handler re-parses a refused input inside `withLocale()` so that they
 * come out in the request's language. Outside it (tenant files, the environment, tests) the
 * default applies.
 */
const current = new AsyncLocalStorage<Locale>();

export function withLocale<T>(locale: Locale, run: () => T): T {
  return current.run(locale, run);
}

export function currentLocale(): Locale {
  return current.getStore() ?? DEFAULT_LOCALE;
}

/**
 * A schema's own message in both languages: `z.string().max(63, localized({ it: "…", en: "…" }))`,
 * or spread into a refinement's options (`{ path: ["to"], ...localized({…}) }`).
 */
export function localized(messages: Record<Locale, string>): { error: () => string } {
  return { error: () => messages[currentLocale()] };
}
