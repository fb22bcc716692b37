import { DEFAULT_WORDS, type WordRule } from "./content-words.js";
import type { Localized } from "./types.js";

/**
 * The content check (Concorezzo art. 4, DESIGN.md R5): terms from the comune's word lists and
 * links outside its allowed domains, each a warning the approver acknowledges one by one; inside
 * an election period also the administrators' names and event promotion (law 28/2000 art. 9,
 * AGCOM 175/24/CONS). It never blocks: a word is a hint, the approver judges.
 *
 * Matching is on words: the text and the terms are folded (lower case, accents removed, typographic
 * apostrophes straightened) and cut into runs of letters and digits, and a term matches whole
 * runs: "votate" matches "VOTATE!" and "Votàte", never "devotate".
 */

export type { WordRule } from "./content-words.js";

/** A comune's list: an array replaces the default, an object edits it. */
export type WordList = readonly string[] | { add?: readonly string[]; remove?: readonly string[] };

export interface ContentSettings {
  lists?: Partial<Record<WordRule, WordList>>;
  /** The mayor's and councillors' names, flagged during an election period ("Mario Rossi"). */
  people?: readonly string[];
  /** Where links may point, subdomains included ("comune.concorezzo.mb.it", "gov.it"). */
  allowedDomains?: readonly string[];
  /** The comune's own regulation, named as the source of its content rules (else Concorezzo's article). */
  regulation?: string;
}

export type FindingRule =
  | "content.propaganda"
  | "content.party"
  | "content.profanity"
  | "content.commercial"
  | "content.link"
  | "election.person"
  | "election.event-promotion";

export interface ContentFinding {
  /** `rule:term`, stable across checks of the same text: an acknowledgement names it. */
  id: string;
  rule: FindingRule;
  /** The list's term (or a link's host), folded. */
  term: string;
  /** The first occurrence with some text around it, as written. */
  excerpt: string;
  occurrences: number;
  source: string;
  message: Localized;
  todo: Localized;
}

/** Lower case, no accents, straight apostrophes: one folded unit per original code point. */
function foldChar(ch: string): string {
  return ch
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .replace(/[’‘ʼ`]/g, "'")
    .toLowerCase();
}

export function fold(text: string): string {
  let out = "";
  for (const ch of text) out += foldChar(ch);
  return out;
}

interface Token {
  word: string;
  /** UTF-16 offsets in the original text. */
  start: number;
  end: number;
}

const WORD = /[\p{L}\p{N}]+/gu;

/** The text's words, folded, with where each stands in the original. */
function tokenize(text: string): Token[] {
  let folded = "";
  const origin: number[] = [];
  let offset = 0;
  for (const ch of text) {
    const f = foldChar(ch);
    for (let i = 0; i < f.length; i++) origin.push(offset);
    folded += f;
    offset += ch.length;
  }
  origin.push(offset);
  return [...folded.matchAll(WORD)].map((m) => {
    const last = m.index + m[0].length;
    return { word: m[0], start: origin[m.index] ?? 0, end: origin[last] ?? offset };
  });
}

interface Pattern {
  term: string;
  words: string[];
  /** The last word matches any word it begins ("candidat*"). */
  prefix: boolean;
}

function compile(term: string): Pattern {
  const folded = fold(term.trim());
  const prefix = folded.endsWith("*");
  return { term: folded, words: folded.match(WORD) ?? [], prefix };
}

function matchesAt(tokens: readonly Token[], i: number, p: Pattern): boolean {
  return p.words.every((w, j) => {
    const word = tokens[i + j]?.word;
    if (word === undefined) return false;
    return p.prefix && j === p.words.length - 1 ? word.startsWith(w) : word === w;
  });
}

/** The effective list of a rule: the default, replaced or edited by the comune's. */
export function wordsFor(rule: WordRule, lists: ContentSettings["lists"]): readonly string[] {
  const own = lists?.[rule];
  if (!own) return DEFAULT_WORDS[rule];
  if (Array.isArray(own)) return own as readonly string[];
  const { add = [], remove = [] } = own as { add?: readonly string[]; remove?: readonly string[] };
  const removed = new Set(remove.map(fold));
  return [...DEFAULT_WORDS[rule].filter((t) => !removed.has(fold(t))), ...add];
}

const CONTEXT_CHARS = 30;

/** The match with about CONTEXT_CHARS either side, cut at spaces so no word is halved. */
function excerptOf(text: string, start: number, end: number): string {
  let from = Math.max(0, start - CONTEXT_CHARS);
  const space = text.indexOf(" ", from);
  if (from > 0 && space !== -1 && space < start) from = space + 1;
  let to = Math.min(text.length, end + CONTEXT_CHARS);
  const lastSpace = text.lastIndexOf(" ", to);
  if (to < text.length && lastSpace > end) to = lastSpace;
  const body = text.slice(from, to).replace(/\s+/g, " ").trim();
  return `${from > 0 ? "…" : ""}${body}${to < text.length ? "…" : ""}`;
}

interface Match {
  pattern: Pattern;
  start: number;
  end: number;
}

/** Every occurrence of the terms; of overlapping ones, the longer ("Lega Nord" over "Lega"). */
function findTerms(text: string, tokens: readonly Token[], terms: readonly string[]): Match[] {
  const patterns = terms.map(compile).filter((p) => p.words.length > 0);
  const found: Match[] = [];
  tokens.forEach((_, i) => {
    for (const p of patterns) {
      if (!matchesAt(tokens, i, p)) continue;
      const last = tokens[i + p.words.length - 1];
      found.push({ pattern: p, start: tokens[i]?.start ?? 0, end: last?.end ?? text.length });
    }
  });
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: Match[] = [];
  for (const m of found) {
    const previous = kept.at(-1);
    if (previous && m.start < previous.end) continue;
    kept.push(m);
  }
  return kept;
}

/** The content rules' source in the model regulation; a comune's own regulation replaces it. */
const CONTENT_SOURCE = "Concorezzo art. 4";

type Explain = (quoted: string) => { source: string; message: Localized; todo: Localized };

const EXPLAIN: Readonly<Record<Exclude<FindingRule, "content.link">, Explain>> = {
  "content.propaganda": (q) => ({
    source: CONTENT_SOURCE,
    message: {
      it: `«${q}» è un termine di propaganda elettorale: il regolamento vieta la propaganda politica e sindacale.`,
      en: `"${q}" is an electioneering term: the regulation forbids political and trade-union propaganda.`,
    },
    todo: {
      it: "Togli il termine o riformula in modo neutro; conferma solo se l'uso è informativo (per esempio gli orari dei seggi).",
      en: "Remove the term or rephrase neutrally; acknowledge only if the use is informative (polling-station hours, for instance).",
    },
  }),
  "content.party": (q) => ({
    source: CONTENT_SOURCE,
    message: {
      it: `«${q}» è il nome di un partito politico: il regolamento vieta la propaganda politica e sindacale.`,
      en: `"${q}" is the name of a political party: the regulation forbids political and trade-union propaganda.`,
    },
    todo: {
      it: "Togli il nome, o conferma se è citato in modo neutro e necessario.",
      en: "Remove the name, or acknowledge if it is cited neutrally and of necessity.",
    },
  }),
  "content.profanity": (q) => ({
    source: CONTENT_SOURCE,
    message: {
      it: `«${q}» è un'espressione volgare o blasfema: il regolamento vieta i contenuti osceni e blasfemi.`,
      en: `"${q}" is vulgar or blasphemous: the regulation forbids obscene and blasphemous content.`,
    },
    todo: { it: "Togli l'espressione.", en: "Remove the expression." },
  }),
  "content.commercial": (q) => ({
    source: CONTENT_SOURCE,
    message: {
      it: `«${q}» è un termine commerciale o di raccolta fondi: il regolamento vieta i contenuti commerciali.`,
      en: `"${q}" is a commercial or fundraising term: the regulation forbids commercial content.`,
    },
    todo: {
      it: "Conferma solo se è un'informazione del comune (per esempio una riduzione della TARI), non la promozione di un'attività privata.",
      en: "Acknowledge only if it is the comune's own information (a reduction of a local tax, say), not the promotion of a private business.",
    },
  }),
  "election.person": (q) => ({
    source: "L. 28/2000 art. 9",
    message: {
      it: `«${q}» è il nome di un amministratore: durante il periodo elettorale la comunicazione del comune deve essere impersonale.`,
      en: `"${q}" is the name of an administrator: during an election period the comune's communication must be impersonal.`,
    },
    todo: {
      it: "Togli il nome e indica l'ufficio (per esempio «il Comune») invece della persona.",
      en: 'Remove the name and name the office ("the Comune") instead of the person.',
    },
  }),
  "election.event-promotion": (q) => ({
    source: "AGCOM 175/24/CONS",
    message: {
      it: `«${q}» promuove un evento durante il periodo elettorale: l'AGCOM ha sanzionato un comune per messaggi WhatsApp che promuovevano eventi (delibera 175/24/CONS).`,
      en: `"${q}" promotes an event during an election period: AGCOM sanctioned a comune for WhatsApp messages promoting events (decision 175/24/CONS).`,
    },
    todo: {
      it: "Nel periodo elettorale invia solo comunicazioni impersonali e indispensabili; rinvia la promozione a dopo il voto.",
      en: "During the election period send only impersonal, indispensable information; postpone the promotion until after the vote.",
    },
  }),
};

/** One finding per rule and term, with the first occurrence's excerpt. */
function findingsOf(
  rule: Exclude<FindingRule, "content.link">,
  text: string,
  matches: readonly Match[],
): ContentFinding[] {
  const byTerm = new Map<string, { first: Match; count: number }>();
  for (const m of matches) {
    const entry = byTerm.get(m.pattern.term);
    if (entry) entry.count++;
    else byTerm.set(m.pattern.term, { first: m, count: 1 });
  }
  return [...byTerm].map(([term, { first, count }]) => ({
    id: `${rule}:${term}`,
    rule,
    term,
    excerpt: excerptOf(text, first.start, first.end),
    occurrences: count,
    ...EXPLAIN[rule](text.slice(first.start, first.end)),
  }));
}

/** With a scheme, with www., or a bare host under a common top-level domain; not an e-mail's. */
const LINK =
  /\bhttps?:\/\/[^\s<>"«»]+|\bwww\.[^\s<>"«»]+|(?<![@\w.-])(?:[a-z0-9-]+\.)+(?:it|com|org|net|eu|info|io|ly|me|app|link|co|biz)\b(?:\/[^\s<>"«»]*)?/giu;

/** The host of a link as written: no scheme, no path, no port, no final punctuation. */
export function hostOf(link: string): string {
  return (
    link
      .replace(/^https?:\/\//i, "")
      .split(/[/?#:]/)[0]
      ?.replace(/[.,;!?)\]'"]+$/, "")
      .toLowerCase() ?? ""
  );
}

function allowedHost(host: string, domains: readonly string[]): boolean {
  return domains.some((d) => {
    const domain = d
      .trim()
      .toLowerCase()
      .replace(/^www\./, "");
    return host === domain || host.endsWith(`.${domain}`);
  });
}

function linkFindings(text: string, domains: readonly string[]): ContentFinding[] {
  const byHost = new Map<string, ContentFinding>();
  for (const m of text.matchAll(LINK)) {
    const host = hostOf(m[0]);
    if (host === "" || allowedHost(host, domains)) continue;
    const seen = byHost.get(host);
    if (seen) {
      seen.occurrences++;
      continue;
    }
    const allowed = domains.length ? domains.join(", ") : undefined;
    byHost.set(host, {
      id: `content.link:${host}`,
      rule: "content.link",
      term: host,
      excerpt: excerptOf(text, m.index, m.index + m[0].length),
      occurrences: 1,
      source: CONTENT_SOURCE,
      message: allowed
        ? {
            it: `Il testo contiene un collegamento a «${host}», che non è tra i domini ammessi dal comune (${allowed}).`,
            en: `The text links to "${host}", which is not among the comune's allowed domains (${allowed}).`,
          }
        : {
            it: `Il testo contiene un collegamento a «${host}» e il comune non ha indicato domini ammessi.`,
            en: `The text links to "${host}" and the comune lists no allowed domains.`,
          },
      todo: {
        it: "Controlla che il sito sia affidabile e pertinente (niente pubblicità, niente siti sconosciuti), oppure togli il collegamento.",
        en: "Check that the site is trustworthy and relevant (no advertising, no unknown sites), or remove the link.",
      },
    });
  }
  return [...byHost.values()];
}

const ALWAYS: readonly [WordRule, Exclude<FindingRule, "content.link">][] = [
  ["propaganda", "content.propaganda"],
  ["party", "content.party"],
  ["profanity", "content.profanity"],
  ["commercial", "content.commercial"],
];

/** Every finding in the text, in the order of the rules. */
export function checkContent(
  text: string,
  settings: ContentSettings,
  options: { electionPeriod: boolean },
): ContentFinding[] {
  const tokens = tokenize(text);
  const findings = ALWAYS.flatMap(([list, rule]) =>
    findingsOf(rule, text, findTerms(text, tokens, wordsFor(list, settings.lists))),
  );
  if (options.electionPeriod) {
    // "Mario Rossi" is also written "Rossi Mario" in Italian lists: one finding for both.
    const canonical = new Map<string, string>();
    for (const name of settings.people ?? []) {
      const term = fold(name.trim());
      canonical.set(term, term);
      canonical.set(term.split(/\s+/).reverse().join(" "), term);
    }
    const people = findTerms(text, tokens, [...canonical.keys()]).map((m) => ({
      ...m,
      pattern: { ...m.pattern, term: canonical.get(m.pattern.term) ?? m.pattern.term },
    }));
    findings.push(
      ...findingsOf("election.person", text, people),
      ...findingsOf(
        "election.event-promotion",
        text,
        findTerms(text, tokens, wordsFor("event-promotion", settings.lists)),
      ),
    );
  }
  findings.push(...linkFindings(text, settings.allowedDomains ?? []));
  const { regulation } = settings;
  if (regulation === undefined) return findings;
  return findings.map((f) =>
    f.source === CONTENT_SOURCE ? { ...f, source: `${regulation} (contenuti ammessi)` } : f,
  );
}
