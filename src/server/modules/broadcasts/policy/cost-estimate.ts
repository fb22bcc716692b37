import type { PriceList } from "../../dispatch/dispatch.service.js";
import { countIn, formatDay, formatFixed } from "./format.js";
import type { Lang, Localized } from "./types.js";

/**
 * What a broadcast will cost (DESIGN.md R13; docs/whatsapp-cloud-api.md §7): recipients × the
 * price per message of the template's category, from the price list in force on the send date;
 * with free-form messages to those inside their 24-hour window, those go at the service rate.
 *
 * Amounts are integer micro-units of the currency (a millionth: $0.0795 is 79,500). Every price
 * Meta publishes has at most four decimals, a product of integers is exact, and sums of them stay
 * exact up to 2^53 micro-units (9 billion of the currency): no floating-point drift in totals.
 * Rounding happens once, to the cent, for display.
 */

export type TemplateCategory = "marketing" | "utility" | "authentication";

/**
 * A price list and the first day it applies (YYYY-MM-DD, UTC: Meta's rates change at midnight
 * UTC); "" for a comune's list that states no date (it applies on every day).
 */
export interface DatedPriceList extends PriceList {
  validFrom: string;
  /** A utility template to someone inside their window; when absent, `utility` (since 2026-10-01). */
  utilityInWindow?: number;
}

/** Meta's rates for Italy (+39) in USD, §7: service messages and in-window utility charged from 2026-10-01. */
export const META_ITALY_USD: readonly DatedPriceList[] = [
  {
    validFrom: "2025-07-01",
    currency: "USD",
    marketing: 0.0691,
    utility: 0.03,
    authentication: 0.03,
    service: 0,
    utilityInWindow: 0,
  },
  {
    validFrom: "2026-07-01",
    currency: "USD",
    marketing: 0.0795,
    utility: 0.03,
    authentication: 0.03,
    service: 0,
    utilityInWindow: 0,
  },
  {
    validFrom: "2026-10-01",
    currency: "USD",
    marketing: 0.0795,
    utility: 0.03,
    authentication: 0.03,
    service: 0.03,
  },
];

/** The list in force on the UTC day of `at`: the latest that starts on or before it. */
export function priceListOn(at: number, lists: readonly DatedPriceList[]): DatedPriceList {
  const day = new Date(at).toISOString().slice(0, 10);
  const list = [...lists]
    .sort((a, b) => a.validFrom.localeCompare(b.validFrom))
    .filter((l) => l.validFrom <= day)
    .at(-1);
  if (!list) throw new RangeError(`No price list is in force on ${day}`);
  return list;
}

/** A price as written in the tenant file (0.0795 or "0.0795") → micro-units; past six decimals, dropped. */
export function toMicros(price: number | string): number {
  const text = typeof price === "number" ? price.toFixed(6) : price.trim();
  const match = /^(\d+)(?:\.(\d{0,6})\d*)?$/.exec(text);
  if (!match) throw new RangeError(`Not a price: ${text}`);
  return Number(match[1]) * 1_000_000 + Number((match[2] ?? "").padEnd(6, "0"));
}

const SYMBOLS: Readonly<Record<string, string>> = { EUR: "€", USD: "$", GBP: "£" };

/** "€ 98,10" / "$ 98.10": rounded half up to the cent, separators of the language. */
export function formatMoney(micros: number, currency: string, lang: Lang): string {
  const cents = Math.round(micros / 10_000);
  const amount = formatFixed(Math.floor(cents / 100), String(cents % 100).padStart(2, "0"), lang);
  return `${SYMBOLS[currency] ?? currency} ${amount}`;
}

/** A unit price with the decimals it has, at least two: "$ 0,0795", "$ 0,03". */
export function formatUnitPrice(micros: number, currency: string, lang: Lang): string {
  const decimals = String(micros % 1_000_000)
    .padStart(6, "0")
    .replace(/0+$/, "")
    .padEnd(2, "0");
  const amount = formatFixed(Math.floor(micros / 1_000_000), decimals, lang);
  return `${SYMBOLS[currency] ?? currency} ${amount}`;
}

/** Which rate a topic's broadcasts take, by a fragment of its id; the first match wins. */
export const DEFAULT_TOPIC_CATEGORIES: readonly (readonly [string, TemplateCategory])[] = [
  ["protezione-civile", "utility"],
  ["allert", "utility"],
  ["emergenz", "utility"],
  ["viabilita", "utility"],
  ["traffico", "utility"],
  ["trasporti", "utility"],
  ["interruzion", "utility"],
  ["scadenz", "utility"],
  ["eventi", "marketing"],
  ["cultur", "marketing"],
  ["manifestazion", "marketing"],
  ["sport", "marketing"],
  ["news", "marketing"],
];

export interface CategoryChoice {
  category: TemplateCategory;
  why: Localized;
}

/**
 * The category a broadcast is charged as: the template's when known (Meta bills by it), else
 * utility for an urgent one (civil protection), else from its topics: utility only when every
 * topic is (Meta counts mixed or unclear content as marketing), so "all topics" is marketing.
 */
export function categoryOf(
  topics: "all" | readonly string[],
  options: {
    urgent: boolean;
    templateCategory?: TemplateCategory;
    topicCategories?: Readonly<Record<string, TemplateCategory>>;
  },
): CategoryChoice {
  if (options.templateCategory) {
    return {
      category: options.templateCategory,
      why: {
        it: `la categoria del modello scelto (${options.templateCategory})`,
        en: `the chosen template's category (${options.templateCategory})`,
      },
    };
  }
  if (options.urgent) {
    return {
      category: "utility",
      why: { it: "urgente: protezione civile (utility)", en: "urgent: civil protection (utility)" },
    };
  }
  const of = (topic: string): TemplateCategory =>
    options.topicCategories?.[topic] ??
    DEFAULT_TOPIC_CATEGORIES.find(([fragment]) => topic.includes(fragment))?.[1] ??
    "marketing";
  const utility = topics !== "all" && topics.length > 0 && topics.every((t) => of(t) === "utility");
  return utility
    ? {
        category: "utility",
        why: { it: "argomenti di servizio (utility)", en: "service topics (utility)" },
      }
    : {
        category: "marketing",
        why: {
          it: "argomenti di informazione ed eventi (marketing)",
          en: "news and events topics (marketing)",
        },
      };
}

export interface CostLine {
  /** Outside the window (a template), inside it with a template, inside it free-form. */
  kind: "template" | "template-in-window" | "free-form";
  recipients: number;
  unitMicros: number;
  totalMicros: number;
}

export interface CostEstimate {
  currency: string;
  category: TemplateCategory;
  priceListFrom: string;
  recipients: number;
  lines: CostLine[];
  totalMicros: number;
  /** "$ 98,10" / "$ 98.10". */
  total: Localized;
  /** The sum as staff read it, line by line. */
  display: Localized;
}

const LINE_LABEL: Readonly<Record<CostLine["kind"], (c: TemplateCategory) => Localized>> = {
  template: (c) => ({ it: `modello ${c}`, en: `${c} template` }),
  "template-in-window": (c) => ({
    it: `modello ${c} nella finestra di 24 ore`,
    en: `${c} template inside the 24-hour window`,
  }),
  "free-form": () => ({
    it: "messaggio libero nella finestra di 24 ore, tariffa di servizio",
    en: "free-form message inside the 24-hour window, service rate",
  }),
};

export function estimateCost(input: {
  recipients: number;
  /** How many of them are inside their 24-hour window at the send date. */
  inWindow?: number;
  /** The comune sends free-form messages inside the window instead of the template. */
  freeFormInWindow?: boolean;
  category: TemplateCategory;
  at: number;
  priceLists: readonly DatedPriceList[];
}): CostEstimate {
  const list = priceListOn(input.at, input.priceLists);
  const inWindow = Math.min(input.recipients, Math.max(0, input.inWindow ?? 0));
  const templateRate = toMicros(list[input.category]);
  const inWindowRate =
    input.category === "utility" ? toMicros(list.utilityInWindow ?? list.utility) : templateRate;
  const line = (kind: CostLine["kind"], recipients: number, unitMicros: number): CostLine => ({
    kind,
    recipients,
    unitMicros,
    totalMicros: recipients * unitMicros,
  });
  const lines = [line("template", input.recipients - inWindow, templateRate)];
  if (inWindow > 0) {
    lines.push(
      input.freeFormInWindow
        ? line("free-form", inWindow, toMicros(list.service))
        : line("template-in-window", inWindow, inWindowRate),
    );
  }
  const totalMicros = lines.reduce((sum, l) => sum + l.totalMicros, 0);
  const text = (lang: Lang) => {
    const parts = lines.map(
      (l) =>
        `${countIn(l.recipients)[lang]} × ${formatUnitPrice(l.unitMicros, list.currency, lang)} (${LINE_LABEL[l.kind](input.category)[lang]})`,
    );
    const from = list.validFrom ? formatDay(list.validFrom)[lang] : undefined;
    const head = from
      ? lang === "it"
        ? `Listino in vigore dal ${from}`
        : `Price list in force from ${from}`
      : lang === "it"
        ? "Tariffe del Comune"
        : "The comune's rates";
    return `${head}: ${parts.join(" + ")} = ${formatMoney(totalMicros, list.currency, lang)}`;
  };
  return {
    currency: list.currency,
    category: input.category,
    priceListFrom: list.validFrom,
    recipients: input.recipients,
    lines,
    totalMicros,
    total: {
      it: formatMoney(totalMicros, list.currency, "it"),
      en: formatMoney(totalMicros, list.currency, "en"),
    },
    display: { it: text("it"), en: text("en") },
  };
}
