/**
 * How keywords and citizens' messages are cut into words, shared by the tenant schema (which
 * refuses a word configured for two different actions) and the keyword grammar
 * (`modules/citizens/grammar.ts`), so both compare words exactly the same way.
 */

/** One word of a message: as typed (for names) and folded (for comparing). */
export interface Word {
  /** As typed, after Unicode NFKC and with every apostrophe written `'`: "D'Amico", "Niccolò". */
  raw: string;
  /** Lower case, no accents: "d'amico", "niccolo". */
  folded: string;
  /** Written straight after the previous word with a hyphen ("Rossi-Bianchi"). */
  hyphenated: boolean;
}

/** Always unsubscribes, in every comune (besides its own `extraOptOut` words). */
export const OPT_OUT_WORD = "STOP";

/** What `commonSynonyms: true` adds (docs/DESIGN.md §7: Urbino, Sovere, Aymavilles, Gressan). */
export const COMMON_SYNONYMS = {
  subscribe: ["ISCRIVIMI", "MI ISCRIVO"],
  unsubscribe: ["CANCELLAMI", "MI CANCELLO"],
} as const;

/** The Italian defaults of `keywords.commands` (issue #5 item 8). */
export const DEFAULT_COMMANDS = {
  help: ["AIUTO", "INFO"],
  topics: ["ARGOMENTI"],
  data: ["DATI"],
  erase: ["CANCELLA DATI"],
} as const;

const APOSTROPHES = /[\u2018\u2019\u02BC\u0060\u00B4\u2032]/g;
/** Elided particles a person may type with a space after the apostrophe ("D' Amico"). */
const ELISION_WITH_SPACE = /(?<![\p{L}\p{N}])(d|dell|dall|degl|sant|l)'\s+(?=\p{L})/giu;
/** Invisible characters that ride along with emoji: joiners, variation selectors, tags. */
const INVISIBLE = /[\p{Cf}\uFE00-\uFE0F\u{E0100}-\u{E01EF}]/gu;
const WORD = /[\p{L}\p{N}][\p{L}\p{M}\p{N}]*(?:['-][\p{L}\p{N}][\p{L}\p{M}\p{N}]*)*/gu;

/** Lower case without accents or other combining marks: "Attività" → "attivita". */
export function fold(text: string): string {
  return text.toLowerCase().normalize("NFD").replace(/\p{M}/gu, "").normalize("NFC");
}

/**
 * The words of a text. Everything that is not a letter or digit separates words (spaces,
 * punctuation, "+", emoji, WhatsApp's *bold* marks); an apostrophe between letters stays inside
 * the word ("l'iscrizione", "D'Amico"); a hyphen between letters splits the word but is
 * remembered, so "Rossi-ATTIVA" reads as two words and "Rossi-Bianchi" is one surname again.
 */
export function splitWords(text: string): Word[] {
  const clean = text
    .replace(INVISIBLE, "")
    .normalize("NFKC")
    .replace(APOSTROPHES, "'")
    .replace(ELISION_WITH_SPACE, "$1'");
  const words: Word[] = [];
  for (const match of clean.matchAll(WORD)) {
    match[0].split("-").forEach((part, i) => {
      words.push({ raw: part, folded: fold(part), hyphenated: i > 0 });
    });
  }
  return words;
}

/** The folded words of a configured keyword: "Cancella  dati!" → ["cancella", "dati"]. */
export function keywordWords(phrase: string): string[] {
  return splitWords(phrase).map((w) => w.folded);
}

/** What a configured word makes happen; two different ones may not share a word. */
type KeywordAction = "subscribe" | "unsubscribe" | "help" | "topics" | "data" | "erase";

interface KeywordFields {
  subscribe: readonly string[];
  unsubscribe: readonly string[];
  extraOptOut: readonly string[];
  commonSynonyms: boolean;
  commands: Record<"help" | "topics" | "data" | "erase", readonly string[]>;
}

export interface KeywordConflict {
  /** Path inside `keywords`, e.g. ["commands", "help", 0]. */
  path: (string | number)[];
  message: string;
}

/**
 * Words configured for two different actions (a command equal to a subscribe keyword, an
 * opt-out word equal to a subscribe keyword, STOP as a subscribe keyword, ...). Compared as the
 * grammar compares them: case, accents and punctuation do not count.
 */
export function findKeywordConflicts(keywords: KeywordFields): KeywordConflict[] {
  const entries: {
    path: (string | number)[];
    label: string;
    phrase: string;
    action: KeywordAction;
  }[] = [
    {
      path: [],
      label: "STOP, which always unsubscribes",
      phrase: OPT_OUT_WORD,
      action: "unsubscribe",
    },
  ];
  const add = (path: (string | number)[], phrases: readonly string[], action: KeywordAction) =>
    phrases.forEach((phrase, i) =>
      entries.push({
        path: [...path, i],
        label: `keywords.${[...path, i].join(".")} "${phrase}" (${describe(action)})`,
        phrase,
        action,
      }),
    );
  // Built-in words first, so a conflict is reported on the comune's own field.
  if (keywords.commonSynonyms) {
    for (const action of ["subscribe", "unsubscribe"] as const) {
      for (const phrase of COMMON_SYNONYMS[action]) {
        const label = `the common synonym "${phrase}" (${action}; commonSynonyms is on)`;
        entries.push({ path: [], label, phrase, action });
      }
    }
  }
  add(["subscribe"], keywords.subscribe, "subscribe");
  add(["unsubscribe"], keywords.unsubscribe, "unsubscribe");
  add(["extraOptOut"], keywords.extraOptOut, "unsubscribe");
  for (const command of ["help", "topics", "data", "erase"] as const) {
    add(["commands", command], keywords.commands[command], command);
  }

  const conflicts: KeywordConflict[] = [];
  const firstOwner = new Map<string, (typeof entries)[number]>();
  for (const entry of entries) {
    const key = keywordWords(entry.phrase).join(" ");
    const owner = firstOwner.get(key);
    if (!owner) firstOwner.set(key, entry);
    else if (owner.action !== entry.action) {
      conflicts.push({
        path: entry.path,
        message: `"${entry.phrase}" (${describe(entry.action)}) is the same word as ${owner.label}; a word can do only one thing`,
      });
    }
  }
  return conflicts;
}

function describe(action: KeywordAction): string {
  return action === "subscribe" || action === "unsubscribe" ? action : `the ${action} command`;
}
