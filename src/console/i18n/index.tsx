import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import { en } from "./en";
import { it } from "./it";

/** The console's languages: Italian by default, English on request (kept in this browser). */
export type Lang = "it" | "en";

type Widen<T> = { readonly [K in keyof T]: T[K] extends string ? string : Widen<T[K]> };
export type Messages = Widen<typeof it>;

/** "a.b.c" for every text of the catalogue: a key that does not exist does not compile. */
type Keys<T, P extends string = ""> = {
  [K in keyof T & string]: T[K] extends string ? `${P}${K}` : Keys<T[K], `${P}${K}.`>;
}[keyof T & string];
export type MessageKey = Keys<typeof it>;

const CATALOGUES: Record<Lang, Messages> = { it, en };
const STORAGE_KEY = "banditore.lang";

export function lookup(lang: Lang, key: string): string | undefined {
  let node: unknown = CATALOGUES[lang];
  for (const part of key.split(".")) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === "string" ? node : undefined;
}

export function format(text: string, values?: Record<string, string | number>): string {
  return values ? text.replace(/\{(\w+)\}/g, (m, name: string) => String(values[name] ?? m)) : text;
}

export type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

interface I18n {
  lang: Lang;
  setLang: (lang: Lang) => void;
  t: Translate;
  /** A text the server answers in both languages ({ it, en }). */
  pick: (text: { it: string; en: string } | undefined) => string;
  /** A date as staff read it: "3 dicembre 2026, 09:27". */
  date: (iso: string | number | null | undefined) => string;
}

const I18nContext = createContext<I18n | null>(null);

function initialLang(): Lang {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored === "it" || stored === "en") return stored;
  return "it";
}

export function currentLang(): Lang {
  const lang = document.documentElement.lang;
  return lang === "en" ? "en" : "it";
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(() => {
    const lang = initialLang();
    document.documentElement.lang = lang;
    return lang;
  });
  const setLang = useCallback((next: Lang) => {
    localStorage.setItem(STORAGE_KEY, next);
    document.documentElement.lang = next;
    setLangState(next);
  }, []);
  const value = useMemo<I18n>(() => {
    const dateFormat = new Intl.DateTimeFormat(lang === "it" ? "it-IT" : "en-GB", {
      dateStyle: "long",
      timeStyle: "short",
      timeZone: "Europe/Rome",
    });
    return {
      lang,
      setLang,
      t: (key, values) => format(lookup(lang, key) ?? lookup("it", key) ?? key, values),
      pick: (text) => (text ? text[lang] : ""),
      date: (when) =>
        when === null || when === undefined ? "" : dateFormat.format(new Date(when)),
    };
  }, [lang, setLang]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const i18n = useContext(I18nContext);
  if (!i18n) throw new Error("useI18n outside I18nProvider");
  return i18n;
}
