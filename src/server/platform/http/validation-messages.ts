import { z } from "zod";
import type { FieldProblem } from "../errors.js";
import { withLocale, type Locale } from "./locale.js";

/*
 * What a refused request field says, in Italian or English, for staff and integrators to read:
 * "è obbligatorio", "deve essere un numero, non un testo", "può avere al massimo 63 caratteri".
 * zod's own messages are English ("Invalid input: expected string, received undefined") and its
 * Italian locale is a word-for-word translation of them ("atteso string, ricevuto undefined");
 * zod's locale remains the fallback for the rare checks not worded here. Operators' messages
 * (tenant files, the environment) keep zod's English: this map is used for HTTP requests only.
 */

type Say = (it: string, en: string) => string;
const sayer =
  (locale: Locale): Say =>
  (it, en) =>
    locale === "en" ? en : it;

const zodLocales: Record<Locale, { localeError: z.core.$ZodErrorMap }> = {
  it: z.locales.it(),
  en: z.locales.en(),
};

/** A map for `safeParse(…, { error })`: schemas' own messages still win over it. */
export function validationMessage(locale: Locale): z.core.$ZodErrorMap {
  const say = sayer(locale);
  return (issue) => messageFor(issue, say) ?? zodLocales[locale].localeError(issue);
}

function messageFor(issue: z.core.$ZodRawIssue, say: Say): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      return typeMessage(issue.expected, issue.input, say);
    case "too_small":
      return sizeMessage("min", issue, say);
    case "too_big":
      return sizeMessage("max", issue, say);
    case "invalid_format":
      return formatMessage(issue, say);
    case "invalid_value":
      return issue.values.length === 1
        ? say(`deve essere ${shown(issue.values[0])}`, `must be ${shown(issue.values[0])}`)
        : say(
            `deve essere uno tra: ${issue.values.map(shown).join(", ")}`,
            `must be one of: ${issue.values.map(shown).join(", ")}`,
          );
    case "unrecognized_keys":
      return say("contiene campi non previsti", "has fields that are not expected");
    case "not_multiple_of":
      return say(
        `deve essere un multiplo di ${String(issue.divisor)}`,
        `must be a multiple of ${String(issue.divisor)}`,
      );
    case "invalid_key":
      return say("contiene una chiave non valida", "has a key that is not valid");
    case "invalid_element":
      return say("contiene un valore non valido", "has a value that is not valid");
    case "invalid_union":
    case "custom":
      return say("non è valido", "is not valid");
    default:
      return undefined;
  }
}

const TYPE_NAMES: Record<string, [it: string, en: string]> = {
  string: ["un testo", "a string"],
  number: ["un numero", "a number"],
  int: ["un numero intero", "a whole number"],
  bigint: ["un numero intero", "a whole number"],
  boolean: ["true o false", "true or false"],
  array: ["un elenco", "a list"],
  object: ["un oggetto", "an object"],
  date: ["una data", "a date"],
};

function typeMessage(expected: string, input: unknown, say: Say): string {
  if (input === undefined || input === null) return say("è obbligatorio", "is required");
  const want = TYPE_NAMES[expected];
  if (!want) return say("ha un tipo non valido", "has the wrong type");
  const got = receivedName(input);
  // A number that is not a whole one, or text that does not read as a number: the type fits.
  if (!got || got === TYPE_NAMES[expected === "int" ? "number" : expected]) {
    return say(`deve essere ${want[0]}`, `must be ${want[1]}`);
  }
  return say(`deve essere ${want[0]}, non ${got[0]}`, `must be ${want[1]}, not ${got[1]}`);
}

function receivedName(input: unknown): [string, string] | undefined {
  if (typeof input === "number") return Number.isNaN(input) ? undefined : TYPE_NAMES.number;
  if (typeof input === "boolean") return ["un valore true/false", "a boolean"];
  if (Array.isArray(input)) return TYPE_NAMES.array;
  if (typeof input === "string" || typeof input === "object" || typeof input === "bigint") {
    return TYPE_NAMES[typeof input];
  }
  return undefined;
}

function sizeMessage(
  bound: "min" | "max",
  issue: z.core.$ZodRawIssue<z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig>,
  say: Say,
): string | undefined {
  const n = "minimum" in issue ? issue.minimum : issue.maximum;
  const size: Size = {
    bound,
    count: String(n),
    one: Number(n) === 1,
    exact: issue.exact === true,
    exclusive: issue.inclusive === false,
  };
  const origin = issue.origin;
  if (origin === "string") return lengthMessage(size, say);
  if (origin === "array" || origin === "set") return countMessage(size, say);
  if (origin === "number" || origin === "int" || origin === "bigint")
    return boundMessage(size, say);
  return undefined;
}

interface Size {
  bound: "min" | "max";
  count: string;
  one: boolean;
  exact: boolean;
  exclusive: boolean;
}

function lengthMessage({ bound, count, one, exact, exclusive }: Size, say: Say): string {
  const [it, en] = one ? ["carattere", "character"] : ["caratteri", "characters"];
  if (exact)
    return say(`deve avere esattamente ${count} ${it}`, `must be exactly ${count} ${en} long`);
  if (bound === "min" && one && !exclusive) return say("non può essere vuoto", "must not be empty");
  return bound === "min"
    ? say(`deve avere almeno ${count} ${it}`, `must be at least ${count} ${en} long`)
    : say(`può avere al massimo ${count} ${it}`, `must be at most ${count} ${en} long`);
}

function countMessage({ bound, count, one, exact }: Size, say: Say): string {
  const [it, en] = one ? ["elemento", "item"] : ["elementi", "items"];
  if (exact)
    return say(`deve contenere esattamente ${count} ${it}`, `must contain exactly ${count} ${en}`);
  return bound === "min"
    ? say(`deve contenere almeno ${count} ${it}`, `must contain at least ${count} ${en}`)
    : say(`può contenere al massimo ${count} ${it}`, `must contain at most ${count} ${en}`);
}

function boundMessage({ bound, count, exclusive }: Size, say: Say): string {
  if (bound === "min") {
    return exclusive
      ? say(`deve essere maggiore di ${count}`, `must be greater than ${count}`)
      : say(`deve essere almeno ${count}`, `must be at least ${count}`);
  }
  return exclusive
    ? say(`deve essere minore di ${count}`, `must be less than ${count}`)
    : say(`può essere al massimo ${count}`, `must be at most ${count}`);
}

const FORMAT_TEXTS: Record<string, [it: string, en: string]> = {
  email: ["deve essere un indirizzo e-mail", "must be an e-mail address"],
  url: ["deve essere un indirizzo web (URL)", "must be a URL"],
  datetime: [
    "deve essere data e ora ISO 8601 (es. 2026-11-22T09:00:00Z)",
    "must be an ISO 8601 date and time (e.g. 2026-11-22T09:00:00Z)",
  ],
  date: [
    "deve essere una data AAAA-MM-GG (es. 2026-11-22)",
    "must be a date YYYY-MM-DD (e.g. 2026-11-22)",
  ],
  uuid: ["deve essere un UUID", "must be a UUID"],
  guid: ["deve essere un UUID", "must be a UUID"],
  regex: ["non ha il formato richiesto", "is not in the expected format"],
};

function formatMessage(
  issue: z.core.$ZodRawIssue<z.core.$ZodIssueInvalidStringFormat>,
  say: Say,
): string | undefined {
  const texts = FORMAT_TEXTS[issue.format];
  return texts && say(...texts);
}

/** An allowed value as the schema states it (never the client's input). */
function shown(value: unknown): string {
  return typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
}

/** Enough to fix a request; a body with thousands of bad items does not get thousands of lines. */
const MAX_PROBLEMS = 50;
/** A client's field name is repeated back only this long. */
const MAX_KEY_LENGTH = 64;

/**
 * Validates `input` against `schema` again, in `locale`, and names each field at fault as
 * "part.path.to.field" ("body.topics.2.id"). Undefined if the input is valid after all.
 */
export function fieldProblems(
  schema: z.core.$ZodType,
  input: unknown,
  part: string,
  locale: Locale,
): FieldProblem[] | undefined {
  // zod words the messages when `error` is first read: that too must happen in the locale.
  const issues = withLocale(locale, () => {
    const result = z.safeParse(schema, input, { error: validationMessage(locale) });
    return result.success ? undefined : result.error.issues;
  });
  if (!issues) return undefined;
  const problems: FieldProblem[] = [];
  for (const issue of issues) {
    const at = [part, ...issue.path.map(String)];
    if (issue.code === "unrecognized_keys") {
      // One line per unknown field, named like the others, so a form can mark it.
      const problem = sayer(locale)("non è un campo previsto", "is not an expected field");
      for (const key of issue.keys) problems.push({ field: [...at, clip(key)].join("."), problem });
    } else {
      problems.push({ field: at.join("."), problem: issue.message });
    }
  }
  return problems.slice(0, MAX_PROBLEMS);
}

function clip(key: string): string {
  return key.length > MAX_KEY_LENGTH ? `${key.slice(0, MAX_KEY_LENGTH)}…` : key;
}
