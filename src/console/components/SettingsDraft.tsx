import type { FieldProblem } from "../api/client";

/**
 * The editable sections of a comune's settings as the API answers them (the tenant file's own
 * shapes, which the OpenAPI document leaves open), and the same as the form holds them: lists as
 * lines of text, numbers as typed. `fromDraft` turns the form back into the file's shapes; what
 * the person typed wrong is sent as typed, so the server's check names the field.
 */

export const SECTIONS = [
  "texts",
  "keywords",
  "serviceHours",
  "closedDays",
  "electionPeriods",
  "topics",
  "contentWords",
  "pricing",
] as const;
export type Section = (typeof SECTIONS)[number];

export const REQUIRED_TEXTS = [
  "subscribed",
  "confirmPrompt",
  "confirmButton",
  "cancelButton",
  "confirmCancelled",
  "alreadySubscribed",
  "unsubscribed",
  "notSubscribed",
  "nameMissing",
  "autoReply",
  "outsideHours",
] as const;
export const OPTIONAL_TEXTS = [
  "help",
  "topicsPrompt",
  "topicsButton",
  "topicsChosen",
  "topicsNone",
  "subscribeFirst",
  "dataIntro",
  "erased",
] as const;
export type TextKey = (typeof REQUIRED_TEXTS)[number] | (typeof OPTIONAL_TEXTS)[number];
/** Button labels: one line, 20 characters at most. */
export const SHORT_TEXTS: ReadonlySet<TextKey> = new Set([
  "confirmButton",
  "cancelButton",
  "topicsButton",
]);

export const COMMANDS = ["help", "topics", "data", "erase"] as const;
export type Command = (typeof COMMANDS)[number];
export const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Day = (typeof DAYS)[number];
export const WORD_RULES = [
  "propaganda",
  "party",
  "profanity",
  "commercial",
  "event-promotion",
] as const;
export type WordRule = (typeof WORD_RULES)[number];
export const PRICES = ["marketing", "utility", "service", "authentication"] as const;
export type Price = (typeof PRICES)[number];

interface Localized {
  it: string;
  en?: string;
}

export interface SectionValues {
  texts: { it: Record<string, string>; en?: Record<string, string> };
  keywords: {
    subscribe: string[];
    unsubscribe: string[];
    extraOptOut: string[];
    commonSynonyms: boolean;
    commands: Record<Command, string[]>;
  };
  serviceHours: {
    timeZone: string;
    weekly: Partial<Record<Day, string[]>>;
    description: Localized;
  } | null;
  closedDays: { patronDay: string | null };
  electionPeriods: { name: string; from: string; to: string }[];
  topics: { id: string; label: Localized }[];
  contentWords: {
    administrators: string[];
    allowedLinkDomains: string[];
    wordLists: Partial<Record<WordRule, { add: string[]; remove: string[] }>>;
  };
  pricing: { currency: string; validFrom?: string } & Record<Price, number>;
}

export interface Draft {
  texts: { it: Record<TextKey, string>; en: Record<TextKey, string> };
  keywords: {
    subscribe: string;
    unsubscribe: string;
    extraOptOut: string;
    commonSynonyms: boolean;
    commands: Record<Command, string>;
  };
  serviceHours: {
    on: boolean;
    timeZone: string;
    weekly: Record<Day, string>;
    descriptionIt: string;
    descriptionEn: string;
  };
  closedDays: { patronDay: string };
  electionPeriods: { name: string; from: string; to: string }[];
  topics: { id: string; it: string; en: string }[];
  contentWords: {
    administrators: string;
    allowedLinkDomains: string;
    wordLists: Record<WordRule, { add: string; remove: string }>;
  };
  /** `validFrom` empty: the comune gives no date for its price list. */
  pricing: { currency: string; validFrom: string } & Record<Price, string>;
}

const ALL_TEXTS: readonly TextKey[] = [...REQUIRED_TEXTS, ...OPTIONAL_TEXTS];
const lines = (list: readonly string[] | undefined) => (list ?? []).join("\n");
const toLines = (text: string) =>
  text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
const each = <K extends string, V>(keys: readonly K[], value: (key: K) => V): Record<K, V> =>
  Object.fromEntries(keys.map((k) => [k, value(k)])) as Record<K, V>;

export function toDraft(s: SectionValues): Draft {
  const hours = s.serviceHours;
  return {
    texts: {
      it: each(ALL_TEXTS, (k) => s.texts.it[k] ?? ""),
      en: each(ALL_TEXTS, (k) => s.texts.en?.[k] ?? ""),
    },
    keywords: {
      subscribe: lines(s.keywords.subscribe),
      unsubscribe: lines(s.keywords.unsubscribe),
      extraOptOut: lines(s.keywords.extraOptOut),
      commonSynonyms: s.keywords.commonSynonyms,
      commands: each(COMMANDS, (c) => lines(s.keywords.commands[c])),
    },
    serviceHours: {
      on: hours !== null,
      timeZone: hours?.timeZone ?? "Europe/Rome",
      weekly: each(DAYS, (d) => (hours?.weekly[d] ?? []).join(", ")),
      descriptionIt: hours?.description.it ?? "",
      descriptionEn: hours?.description.en ?? "",
    },
    closedDays: { patronDay: s.closedDays.patronDay ?? "" },
    electionPeriods: s.electionPeriods.map((p) => ({ ...p })),
    topics: s.topics.map((t) => ({ id: t.id, it: t.label.it, en: t.label.en ?? "" })),
    contentWords: {
      administrators: lines(s.contentWords.administrators),
      allowedLinkDomains: lines(s.contentWords.allowedLinkDomains),
      wordLists: each(WORD_RULES, (r) => ({
        add: lines(s.contentWords.wordLists[r]?.add),
        remove: lines(s.contentWords.wordLists[r]?.remove),
      })),
    },
    pricing: {
      currency: s.pricing.currency,
      validFrom: s.pricing.validFrom ?? "",
      ...each(PRICES, (p) => String(s.pricing[p])),
    },
  };
}

/** A price as typed: a number when it reads as one, else the text (the server says why). */
const amount = (typed: string): number | string => {
  const n = Number(typed.trim().replace(",", "."));
  return typed.trim() !== "" && Number.isFinite(n) ? n : typed;
};

export function fromDraft(d: Draft): Record<Section, unknown> {
  const en = Object.fromEntries(
    ALL_TEXTS.filter((k) => d.texts.en[k].trim()).map((k) => [k, d.texts.en[k]]),
  );
  const weekly = Object.fromEntries(
    DAYS.flatMap((day) => {
      const ranges = d.serviceHours.weekly[day]
        .split(/[,;]/)
        .map((r) => r.trim().replace(/\s*-\s*/, "-"))
        .filter(Boolean);
      return ranges.length ? [[day, ranges]] : [];
    }),
  );
  const wordLists = Object.fromEntries(
    WORD_RULES.flatMap((rule) => {
      const add = toLines(d.contentWords.wordLists[rule].add);
      const remove = toLines(d.contentWords.wordLists[rule].remove);
      return add.length || remove.length ? [[rule, { add, remove }]] : [];
    }),
  );
  return {
    texts: {
      it: Object.fromEntries(
        ALL_TEXTS.filter(
          (k) => (REQUIRED_TEXTS as readonly string[]).includes(k) || d.texts.it[k].trim(),
        ).map((k) => [k, d.texts.it[k]]),
      ),
      ...(Object.keys(en).length ? { en } : {}),
    },
    keywords: {
      subscribe: toLines(d.keywords.subscribe),
      unsubscribe: toLines(d.keywords.unsubscribe),
      extraOptOut: toLines(d.keywords.extraOptOut),
      commonSynonyms: d.keywords.commonSynonyms,
      commands: each(COMMANDS, (c) => toLines(d.keywords.commands[c])),
    },
    serviceHours: d.serviceHours.on
      ? {
          timeZone: d.serviceHours.timeZone.trim(),
          weekly,
          description: {
            it: d.serviceHours.descriptionIt,
            ...(d.serviceHours.descriptionEn.trim() ? { en: d.serviceHours.descriptionEn } : {}),
          },
        }
      : null,
    closedDays: { patronDay: d.closedDays.patronDay.trim() || null },
    electionPeriods: d.electionPeriods.map((p) => ({
      name: p.name,
      from: p.from,
      to: p.to,
    })),
    topics: d.topics.map((t) => ({
      id: t.id.trim(),
      label: { it: t.it, ...(t.en.trim() ? { en: t.en } : {}) },
    })),
    contentWords: {
      administrators: toLines(d.contentWords.administrators),
      allowedLinkDomains: toLines(d.contentWords.allowedLinkDomains),
      wordLists,
    },
    pricing: {
      currency: d.pricing.currency.trim(),
      ...(d.pricing.validFrom.trim() ? { validFrom: d.pricing.validFrom.trim() } : {}),
      ...each(PRICES, (p) => amount(d.pricing[p])),
    },
  };
}

/** The sections whose form differs from what was loaded. */
export function changedSections(loaded: Draft, draft: Draft): Section[] {
  const before = fromDraft(loaded);
  const after = fromDraft(draft);
  return SECTIONS.filter((s) => JSON.stringify(before[s]) !== JSON.stringify(after[s]));
}

/**
 * The API's problems with the form's fields: `at("serviceHours.weekly.mon")` gives the problems
 * of that field and of its items ("…mon.1": the second range), and marks them as shown, so
 * whatever no field claimed can be listed apart.
 */
export class Problems {
  private readonly claimed = new Set<string>();
  constructor(
    private readonly details: readonly FieldProblem[],
    private readonly prefix = "body.sections.",
  ) {}

  at(path: string, item?: (n: number, problem: string) => string): string | undefined {
    const field = this.prefix + path;
    const found = this.details.filter(
      (d) => d.field === field || (item !== undefined && d.field.startsWith(`${field}.`)),
    );
    if (!found.length) return undefined;
    for (const d of found) this.claimed.add(d.field);
    return found
      .map((d) => {
        const rest = d.field.slice(field.length + 1).split(".")[0];
        return rest && item && /^\d+$/.test(rest) ? item(Number(rest) + 1, d.problem) : d.problem;
      })
      .join(" · ");
  }

  /** The problems of a section that no field showed. */
  leftIn(section: string): FieldProblem[] {
    const field = this.prefix + section;
    return this.details.filter(
      (d) => (d.field === field || d.field.startsWith(`${field}.`)) && !this.claimed.has(d.field),
    );
  }

  /** The sections that have any problem. */
  sections(): Section[] {
    return SECTIONS.filter((s) =>
      this.details.some(
        (d) => d.field === this.prefix + s || d.field.startsWith(`${this.prefix}${s}.`),
      ),
    );
  }
}
