import type { z } from "zod";
import { tenantFileSchema, type TenantFile } from "../../config/tenant-schema.js";
import type { Tenant } from "../../config/tenants.js";
import type { FieldProblem } from "../../platform/errors.js";
import { withLocale, type Locale } from "../../platform/http/locale.js";
import { validationMessage } from "../../platform/http/validation-messages.js";

/**
 * The parts of a comune's tenant file staff may change from the console, each a "section" with
 * its place in the file. Everything else (the number, the secrets' names, the documents, the
 * data controller, the templates' names, the keyword form, which the privacy notice depends on)
 * stays in the file, where only whoever runs the server changes it.
 *
 * A saved version holds the sections overridden so far; the comune in force is its file with
 * those sections put in their places, validated by the file's own schema (tenant-schema.ts), so
 * what the console may save is exactly what the file may say.
 */

export const SECTION_NAMES = [
  "texts",
  "keywords",
  "serviceHours",
  "closedDays",
  "electionPeriods",
  "topics",
  "contentWords",
  "pricing",
] as const;
export type SectionName = (typeof SECTION_NAMES)[number];

/** The tenant file as plain data: what the sections are read from and written into. */
type FileData = TenantFile;
type Raw = Record<string, unknown>;

interface Section {
  /** The section's value in the comune as it is (the console's form starts from it). */
  read(t: FileData): unknown;
  /** Puts a saved value into the file's data (plain JSON, validated afterwards). */
  write(raw: Raw, value: unknown): void;
  /** Where its fields are in the file, section field → file path, for the refusals. */
  places: readonly [sectionPath: string[], filePath: string[]][];
  /** For sections that are objects of a few fields: the fields (others are refused). */
  fields?: readonly string[];
}

const broadcastsOf = (raw: Raw): Raw => {
  const b = raw.broadcasts;
  if (typeof b === "object" && b !== null && !Array.isArray(b)) return b as Raw;
  const created: Raw = {};
  raw.broadcasts = created;
  return created;
};
const fieldOf = (value: unknown, field: string): unknown =>
  typeof value === "object" && value !== null ? (value as Raw)[field] : undefined;
/** Sets `to[key]`, or removes it for null/undefined (an optional field of the file). */
const setOrDrop = (to: Raw, key: string, value: unknown) => {
  if (value === null || value === undefined) delete to[key];
  else to[key] = value;
};

const KEYWORD_FIELDS = ["subscribe", "unsubscribe", "extraOptOut", "commonSynonyms", "commands"];

export const SECTIONS: Record<SectionName, Section> = {
  texts: {
    read: (t) => t.texts,
    write: (raw, v) => void (raw.texts = v),
    places: [[[], ["texts"]]],
  },
  // The form ("Nome, Cognome + ATTIVA" or a phrase) stays in the file: whether a name is kept
  // is a matter for the privacy notice, not for the console.
  keywords: {
    read: (t) => ({
      subscribe: t.keywords.subscribe,
      unsubscribe: t.keywords.unsubscribe,
      extraOptOut: t.keywords.extraOptOut,
      commonSynonyms: t.keywords.commonSynonyms,
      commands: t.keywords.commands,
    }),
    write: (raw, v) => {
      const form = fieldOf(raw.keywords, "form");
      raw.keywords = { ...(v as Raw), form };
    },
    places: [[[], ["keywords"]]],
    fields: KEYWORD_FIELDS,
  },
  serviceHours: {
    read: (t) => t.serviceHours ?? null,
    write: (raw, v) => setOrDrop(raw, "serviceHours", v),
    places: [[[], ["serviceHours"]]],
  },
  // The public holidays are the law's (policy/service-window.ts); the comune adds its patron.
  closedDays: {
    read: (t) => ({ patronDay: t.broadcasts.patronDay ?? null }),
    write: (raw, v) => setOrDrop(broadcastsOf(raw), "patronDay", fieldOf(v, "patronDay")),
    places: [[["patronDay"], ["broadcasts", "patronDay"]]],
    fields: ["patronDay"],
  },
  electionPeriods: {
    read: (t) => t.broadcasts.electionPeriods,
    write: (raw, v) => void (broadcastsOf(raw).electionPeriods = v),
    places: [[[], ["broadcasts", "electionPeriods"]]],
  },
  topics: {
    read: (t) => t.topics,
    write: (raw, v) => void (raw.topics = v),
    places: [[[], ["topics"]]],
  },
  contentWords: {
    read: (t) => ({
      administrators: t.broadcasts.administrators,
      allowedLinkDomains: t.broadcasts.allowedLinkDomains,
      wordLists: t.broadcasts.wordLists,
    }),
    write: (raw, v) => {
      const b = broadcastsOf(raw);
      for (const field of ["administrators", "allowedLinkDomains", "wordLists"]) {
        const given = fieldOf(v, field);
        if (given !== undefined) b[field] = given;
      }
    },
    places: [
      [["administrators"], ["broadcasts", "administrators"]],
      [["allowedLinkDomains"], ["broadcasts", "allowedLinkDomains"]],
      [["wordLists"], ["broadcasts", "wordLists"]],
    ],
    fields: ["administrators", "allowedLinkDomains", "wordLists"],
  },
  pricing: {
    read: (t) => t.pricing,
    write: (raw, v) => void (raw.pricing = v),
    places: [[[], ["pricing"]]],
  },
};

export type Overrides = Partial<Record<SectionName, unknown>>;

/**
 * The tenant files' own values, kept the first time a comune's settings are applied: the Tenant
 * objects are changed in place (see applyEffective), so this is where "the file says" stays.
 */
const fileValues = new WeakMap<Tenant, FileData>();

export function fileDataOf(tenant: Tenant): FileData {
  let data = fileValues.get(tenant);
  if (!data) {
    const { file: _file, secrets: _secrets, ...rest } = tenant;
    data = structuredClone<FileData>(rest);
    fileValues.set(tenant, data);
  }
  return data;
}

/** Each section's value as the comune reads now (file, or the saved version in force). */
export function sectionsOf(tenant: TenantFile): Record<SectionName, unknown> {
  return Object.fromEntries(
    SECTION_NAMES.map((name) => [name, SECTIONS[name].read(tenant)]),
  ) as Record<SectionName, unknown>;
}

/** Each section's value as the file alone says. */
export function fileSectionsOf(tenant: Tenant): Record<SectionName, unknown> {
  const data = fileDataOf(tenant);
  return Object.fromEntries(
    SECTION_NAMES.map((name) => [name, SECTIONS[name].read(data)]),
  ) as Record<SectionName, unknown>;
}

export type Effective = { ok: true; data: TenantFile } | { ok: false; problems: FieldProblem[] };

/**
 * The comune with `overrides` over its file, validated by the tenant file's schema. Each
 * problem names the field as the request did (`body.sections.serviceHours.weekly.mon.0`), or,
 * for a part of the file the request did not send, the file's own path.
 */
export function effectiveTenant(
  tenant: Tenant,
  overrides: Overrides,
  locale: Locale,
  prefix = "body.sections",
): Effective {
  const raw = structuredClone(fileDataOf(tenant)) as Raw;
  const problems: FieldProblem[] = [];
  for (const name of SECTION_NAMES) {
    if (!(name in overrides)) continue;
    const value = overrides[name];
    const section = SECTIONS[name];
    if (section.fields) {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        problems.push({ field: `${prefix}.${name}`, problem: say(locale, "mustBeObject") });
        continue;
      }
      for (const key of Object.keys(value)) {
        if (!section.fields.includes(key)) {
          problems.push({
            field: `${prefix}.${name}.${key}`,
            problem: say(locale, "unknownField"),
          });
        }
      }
    }
    section.write(raw, value);
  }
  if (problems.length) return { ok: false, problems };
  const result = withLocale(locale, () =>
    tenantFileSchema.safeParse(raw, { error: validationMessage(locale), reportInput: true }),
  );
  if (result.success) return { ok: true, data: result.data };
  return {
    ok: false,
    problems: result.error.issues
      .slice(0, 50)
      .flatMap((issue) => problemsOf(issue, locale, prefix)),
  };
}

function problemsOf(issue: z.core.$ZodIssue, locale: Locale, prefix: string): FieldProblem[] {
  const path = issue.path.map(String);
  const where = (extra: string[] = []) => fieldName([...path, ...extra], prefix);
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({ field: where([key]), problem: say(locale, "unknownField") }));
  }
  return [{ field: where(), problem: translate(issue, locale) }];
}

/** A file path ("broadcasts.patronDay") as the request's field ("body.sections.closedDays.patronDay"). */
function fieldName(path: string[], prefix: string): string {
  for (const name of SECTION_NAMES) {
    for (const [sectionPath, filePath] of SECTIONS[name].places) {
      if (filePath.every((part, i) => path[i] === part)) {
        return [prefix, name, ...sectionPath, ...path.slice(filePath.length)].join(".");
      }
    }
  }
  return path.join(".") || "(file)";
}

type Phrase = "mustBeObject" | "unknownField";
const PHRASES: Record<Phrase, Record<Locale, string>> = {
  mustBeObject: { it: "deve essere un oggetto", en: "must be an object" },
  unknownField: { it: "non è un campo previsto", en: "is not an expected field" },
};
const say = (locale: Locale, phrase: Phrase) => PHRASES[phrase][locale];

/**
 * The tenant schema words its own refusals in English, for whoever edits the files; staff read
 * them in Italian. Each message of the editable sections, with its Italian wording.
 */
const ITALIAN: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^must not be empty$/, () => "non può essere vuoto"],
  [/^is longer than WhatsApp's 4,096 characters$/, () => "supera i 4.096 caratteri di WhatsApp"],
  [
    /^is longer than a reply button's 20 characters$/,
    () => "supera i 20 caratteri di un pulsante di risposta",
  ],
  [
    /^is longer than a list button's 20 characters$/,
    () => "supera i 20 caratteri del pulsante di un elenco",
  ],
  [
    /^uses the unknown placeholder (\{[^}]*\}); known ones: (.*)$/,
    (m) => `usa il segnaposto sconosciuto ${m[1] ?? ""}; quelli previsti: ${m[2] ?? ""}`,
  ],
  [
    /^must contain a letter or a digit/,
    () => "deve contenere una lettera o una cifra (emoji e punteggiatura non contano)",
  ],
  [/^needs at least one word$/, () => "serve almeno una parola"],
  [/^needs at least one keyword$/, () => "serve almeno una parola chiave"],
  [
    /^"(.+)" \(.+\) is the same word as (.+); a word can do only one thing$/,
    (m) => `«${m[1] ?? ""}» è già usata per un'altra azione: ogni parola può avere un solo compito`,
  ],
  [
    /^must be a range like "09:00-13:00"$/,
    () => "deve essere un orario come 09:00-13:00 (ore da 00 a 23, minuti da 00 a 59)",
  ],
  [/^must end after it starts$/, () => "deve finire dopo l'inizio"],
  [/^needs at least one day$/, () => "serve almeno un giorno con un orario"],
  [/^is not a time zone known/, () => "non è un fuso orario conosciuto (per esempio Europe/Rome)"],
  [
    /^must be lower-case letters, digits and single dashes$/,
    () => "deve essere fatto di lettere minuscole, cifre e trattini singoli",
  ],
  [/^topic ids must be unique$/, () => "i codici degli argomenti devono essere tutti diversi"],
  [
    /^must be a day written MM-DD$/,
    () => "deve essere un giorno scritto MM-GG (per esempio 06-24)",
  ],
  [/^must be a date written YYYY-MM-DD$/, () => "deve essere una data scritta AAAA-MM-GG"],
  [/^is not a real date$/, () => "non è una data esistente"],
  [
    /^a period must not end before it starts$/,
    () => "un periodo non può finire prima di cominciare",
  ],
  [/^must be an ISO 4217 code like EUR$/, () => "deve essere un codice di valuta come EUR"],
];

function translate(issue: z.core.$ZodIssue, locale: Locale): string {
  if (locale === "en") return issue.message;
  for (const [pattern, italian] of ITALIAN) {
    const match = pattern.exec(issue.message);
    if (match) return italian(match);
  }
  return issue.message;
}

/** Puts the effective sections into the running comune, at once for every part that holds it. */
export function applyEffective(tenant: Tenant, data: TenantFile): void {
  fileDataOf(tenant);
  const target = tenant as unknown as Raw;
  target.texts = data.texts;
  target.keywords = data.keywords;
  setOrDrop(target, "serviceHours", data.serviceHours);
  target.topics = data.topics;
  target.broadcasts = data.broadcasts;
  target.pricing = data.pricing;
}

/** The sections whose value differs between two readings. */
export function changedSections(
  before: Record<SectionName, unknown>,
  after: Record<SectionName, unknown>,
): SectionName[] {
  return SECTION_NAMES.filter((n) => JSON.stringify(before[n]) !== JSON.stringify(after[n]));
}
