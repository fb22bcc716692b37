import {
  COMMON_SYNONYMS,
  DEFAULT_COMMANDS,
  OPT_OUT_WORD,
  fold,
  keywordWords,
  splitWords,
  type Word,
} from "../../config/keyword-words.js";
import type { TenantFile } from "../../config/tenant-schema.js";

/**
 * The keyword grammar: what a citizen's text message asks for, read with the comune's
 * `keywords` settings from its tenant file.
 *
 * Over 400 lines for a reason: a hundred are this specification, and the parser's parts
 * (vocabulary, courtesy, names) share its word lists and helpers; spec and code read together.
 *
 * CONTRACT (shared by the grammar and the conversation code): `readCitizenText` is pure and total
 * (never throws, any string in), and an ordinary sentence that merely contains a keyword
 * ("ho attivato la carta d'identità?") is "other", never a subscription.
 *
 * ## 1. Words
 *
 * A message is cut into words (`config/keyword-words.ts`), compared without case or accents:
 * "attivà", "Attiva", "ATTIVA" are the same word. Spaces, punctuation, "+", emoji and WhatsApp's
 * *bold* marks only separate words. Curly and straight apostrophes are the same, and an apostrophe
 * between letters stays inside the word ("D'Amico", "l'iscrizione"). A hyphen splits words
 * ("Rossi-ATTIVA" is two) but a hyphenated surname is put back together ("Rossi-Bianchi").
 *
 * Courtesy at either end is dropped, repeatedly: greetings ("Buongiorno", "Buona sera",
 * "Salve", "Ciao"), thanks and requests ("grazie", "grazie mille", "per favore", "cortesemente",
 * "cordiali saluti"), "ok". So "Buongiorno, ATTIVA ISCRIZIONE, grazie mille 🙏" is the keyword.
 *
 * ## 2. Matching a keyword
 *
 * A configured keyword matches the same number of words in the same order. A keyword word of
 * 8 or more letters (`FUZZY_MIN_LETTERS`) also matches with one typo: one letter missing, extra,
 * wrong, or two neighbours swapped (Damerau-Levenshtein distance 1), and at most one typo per
 * keyword. Shorter words must be exact: "ATIVA" is not "ATTIVA", while "ISCRIZONE" is
 * "ISCRIZIONE" and "DISATIVA" is "DISATTIVA". "DISATTIVA" can never read as "ATTIVA" (they differ
 * by three letters, and "ATTIVA" allows none). An exact match wins over a typo; if two different
 * actions match equally well the message is "other".
 *
 * ## 3. What a message can be, in this order
 *
 * 1. The whole message is one keyword (§2), command or opt-out word:
 *    - "STOP" (always) or one of the comune's `extraOptOut` words → unsubscribe;
 *    - an `unsubscribe` keyword → unsubscribe; a `subscribe` keyword → subscribe (no name);
 *    - with `commonSynonyms: true`: "ISCRIVIMI", "MI ISCRIVO" → subscribe, "CANCELLAMI",
 *      "MI CANCELLO" → unsubscribe;
 *    - a command from `commands` (defaults "AIUTO"/"INFO" help, "ARGOMENTI" topics, "DATI" data,
 *      "CANCELLA DATI" erase) → that command. "CANCELLA DATI" is not "CANCELLAMI".
 * 2. A name, then a subscribe/unsubscribe keyword or synonym ("Mario Rossi + ATTIVA",
 *    "Rossi Mario - DISATTIVA", "Mario Rossi iscrivimi"), or the keyword first and then the name
 *    ("ATTIVA Mario Rossi", as Castegnato asks). The words besides the keyword must read as a
 *    name (§4), or the message is "other": that is what keeps "la carta è attiva?" and
 *    "vorrei ATTIVA ISCRIZIONE per mio figlio" from subscribing anyone. STOP, opt-out words and
 *    commands count only as the whole message.
 * 3. Anything else is "other".
 *
 * A message with a question mark never subscribes ("ATTIVA ISCRIZIONE?" asks, it does not
 * consent: consent must be unambiguous, GDPR art. 4(11)); unsubscribing and commands still work
 * with one ("STOP?", "INFO?").
 *
 * The form decides what happens to a name:
 * - `name-and-keyword` (Casale: "Nome, Cognome + ATTIVA"): the name is captured. The keyword
 *   alone is a subscribe without a name (the conversation then asks for it). Someone who copies
 *   the instructions literally ("Nome, Cognome + ATTIVA") also subscribes without a name.
 * - `phrase` (Concorezzo: "ATTIVA ISCRIZIONE"): a valid name around the phrase is accepted
 *   ("Mario Rossi ATTIVA ISCRIZIONE" subscribes) but NOT returned: a comune with this form asks
 *   for no name, and its privacy notice may say it keeps none (Concorezzo's does).
 *
 * ## 4. Reading a name
 *
 * Before the name, "sono", "io sono", "mi chiamo", "il mio nome è" and titles ("Sig.", "Sig.ra",
 * "Dott.", "Prof.", ...) are dropped; the words "Nome" and "Cognome" are dropped anywhere. What
 * is left must be 2 to 6 words, each made of letters (apostrophes and hyphens inside allowed), of
 * at least 2 letters, and none an everyday Italian word that is not a name (articles, pronouns,
 * common verbs and question words, "servizio", "carta", "iscrizione", ...) nor a keyword.
 *
 * The LAST word is the surname, together with the particles just before it (de, di, da, del,
 * della, dei, degli, dal, dalla, la, lo, li, le, van, von, san, ...); the words before are the
 * first name. The first and last word may not be particles. So "Maria Grazia Bianchi" is Maria
 * Grazia / Bianchi, "Giovanni De Luca" is Giovanni / De Luca, "Anna Maria Della Valle" is Anna
 * Maria / Della Valle. A double surname without a hyphen ("Mario Rossi Bianchi") is read as
 * first name "Mario Rossi", surname "Bianchi", and surname-first ("Rossi Mario") is not
 * recognised: the reply shows the name, so the citizen sees it.
 *
 * Names are returned title-cased when typed all in lower or all in upper case ("mario DE LUCA" →
 * "Mario" / "De Luca", "d'amico" → "D'Amico", "rossi-bianchi" → "Rossi-Bianchi"); a word typed
 * in mixed case is kept as typed ("McDonald"). Accents are kept ("Niccolò").
 *
 * A message that carries control characters (other than tab and line breaks) or bidirectional
 * formatting characters (U+202A–U+202E, U+2066–U+2069, U+200E/F, U+061C) gives no name: the
 * subscription is read, the name is not (the conversation then asks for it). Such characters
 * have no place in a name and would make the stored one display differently from what it is.
 * Every other invisible character is dropped with the words' separators, so a name is only ever
 * letters, apostrophes, hyphens and spaces.
 *
 * A name is not proof of identity: the grammar only tells words apart. Casale's confirmation step
 * ("Confermo") guards against a sentence that happens to look like "Name Surname ATTIVA".
 *
 * ## 5. The keyword, for the consent ledger
 *
 * `readCitizenMessage` also says which configured keyword matched, as the comune's file writes it
 * ("ATTIVA", "ATTIVA ISCRIZIONE", "STOP", "CANCELLA DATI"), typos and the name left out: the
 * consent ledger keeps that, never the text as typed (which may carry the name).
 *
 * ## 6. Typed answers to the confirmation
 *
 * `readConfirmation`: while a confirmation is pending, the whole message (courtesy dropped, §1)
 * being the confirm or cancel button's title in either language, or one of `CONFIRM_WORDS` /
 * `CANCEL_WORDS`, works like a tap on the button, with the tolerance of §2 (case, accents,
 * punctuation, one typo in a word of 8 or more letters). A question ("Confermo?") never confirms.
 */
export type CitizenIntent =
  /** Subscribe; the name is captured in the name-and-keyword form (absent when not given). */
  | { action: "subscribe"; firstName?: string; lastName?: string }
  | { action: "unsubscribe" }
  /** A data-subject or help command (issue #5 item 8). */
  | { action: "command"; command: CitizenCommand }
  | { action: "other" };

export type CitizenCommand = "help" | "topics" | "data" | "erase";

/**
 * The comune's keyword settings, as the tenant file gives them. `commands` may be left out by
 * hand-built settings (tests): the Italian defaults apply.
 */
export type KeywordSettings = Omit<TenantFile["keywords"], "commands"> &
  Partial<Pick<TenantFile["keywords"], "commands">>;

/** Keyword words this long or longer tolerate one typo. */
export const FUZZY_MIN_LETTERS = 8;

/** Longer messages are never keywords; the limit keeps the work per message small. */
const MAX_CHARS = 1000;
const MAX_WORDS = 16;
const MAX_NAME_WORDS = 6;

const OTHER: CitizenIntent = Object.freeze({ action: "other" });

export function readCitizenText(text: string, keywords: KeywordSettings): CitizenIntent {
  return readCitizenMessage(text, keywords).intent;
}

/** What the message asks for and, unless it is "other", the configured keyword that matched. */
export function readCitizenMessage(
  text: string,
  keywords: KeywordSettings,
): { intent: CitizenIntent; keyword?: string } {
  try {
    if (typeof text !== "string" || text.length > MAX_CHARS) return { intent: OTHER };
    const words = trimCourtesy(splitWords(text));
    if (words.length === 0 || words.length > MAX_WORDS) return { intent: OTHER };
    const vocabulary = buildVocabulary(keywords);
    const found = matchWhole(words, vocabulary) ?? matchWithName(words, vocabulary);
    if (!found || found === "ambiguous") return { intent: OTHER };
    const safe = found.name && UNSAFE_IN_NAMES.test(text) ? { ...found, name: {} } : found;
    const intent = toIntent(safe, keywords.form, QUESTION_MARK.test(text));
    return intent.action === "other" ? { intent } : { intent, keyword: found.keyword };
  } catch {
    // Unreachable by design; the contract is "never throws", whatever the settings hold.
    return { intent: OTHER };
  }
}

const QUESTION_MARK = /[?\uFF1F\u00BF]/;

/**
 * Control characters (but tab and line breaks), bidirectional formatting, and U+FFFD (what the
 * webhook puts in place of a NUL or a broken character): no name then (§4).
 */
const UNSAFE_IN_NAMES =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\uFFFD]/;

/** Typed answers that work like the confirmation's buttons (§6), besides the buttons' titles. */
export const CONFIRM_WORDS = [
  "Confermo",
  "Conferma",
  "Confermato",
  "Sì confermo",
  "I confirm",
  "Confirm",
];
export const CANCEL_WORDS = ["Annulla", "Annullo", "No annulla", "Cancel"];

/** §6: a typed "Confermo" / "Annulla" while a confirmation is pending. */
export function readConfirmation(
  text: string,
  words: { confirm: readonly string[]; cancel: readonly string[] },
): "confirm" | "cancel" | undefined {
  try {
    if (typeof text !== "string" || text.length > 200) return undefined;
    const typed = trimCourtesy(splitWords(text));
    if (typed.length === 0 || typed.length > 4) return undefined;
    const said = (list: readonly string[]) =>
      list.some((phrase) => {
        const expected = keywordWords(phrase);
        return expected.length > 0 && phraseDistance(expected, typed) <= 1;
      });
    const confirm = said([...words.confirm, ...CONFIRM_WORDS]);
    const cancel = said([...words.cancel, ...CANCEL_WORDS]);
    if (confirm === cancel) return undefined;
    if (confirm) return QUESTION_MARK.test(text) ? undefined : "confirm";
    return "cancel";
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Vocabulary

type Meaning =
  | { action: "subscribe" }
  | { action: "unsubscribe" }
  | { action: "command"; command: CitizenCommand };

interface Phrase {
  /** As the comune's file writes it: what the consent ledger records. */
  text: string;
  words: string[];
  meaning: Meaning;
  /** Subscribe/unsubscribe keywords and synonyms may come with a name; STOP and commands not. */
  withName: boolean;
}

interface Vocabulary {
  phrases: Phrase[];
  /** Words that can never be part of a name ("DISATTIVA ATTIVA" is no name). */
  keywordWords: Set<string>;
}

const SUBSCRIBE: Meaning = { action: "subscribe" };
const UNSUBSCRIBE: Meaning = { action: "unsubscribe" };

function buildVocabulary(keywords: KeywordSettings): Vocabulary {
  const phrases: Phrase[] = [];
  const add = (list: readonly string[], meaning: Meaning, withName: boolean) => {
    for (const phrase of list) {
      const words = keywordWords(phrase);
      if (words.length) phrases.push({ text: phrase, words, meaning, withName });
    }
  };
  add([OPT_OUT_WORD, ...keywords.extraOptOut], UNSUBSCRIBE, false);
  add(keywords.unsubscribe, UNSUBSCRIBE, true);
  add(keywords.subscribe, SUBSCRIBE, true);
  if (keywords.commonSynonyms) {
    add(COMMON_SYNONYMS.unsubscribe, UNSUBSCRIBE, true);
    add(COMMON_SYNONYMS.subscribe, SUBSCRIBE, true);
  }
  const commands = keywords.commands ?? DEFAULT_COMMANDS;
  for (const command of ["help", "topics", "data", "erase"] as const) {
    add(commands[command], { action: "command", command }, false);
  }

  const never = [
    OPT_OUT_WORD,
    ...keywords.extraOptOut,
    ...keywords.subscribe,
    ...keywords.unsubscribe,
    ...COMMON_SYNONYMS.subscribe,
    ...COMMON_SYNONYMS.unsubscribe,
  ];
  return { phrases, keywordWords: new Set(never.flatMap(keywordWords)) };
}

// ---------------------------------------------------------------------------------------------
// Matching

interface Match {
  meaning: Meaning;
  /** The configured phrase that matched. */
  keyword: string;
  /** Typos needed (0 or 1). */
  typos: number;
  name?: PersonName;
}

interface PersonName {
  firstName?: string;
  lastName?: string;
}

/** Two different actions match equally well: the message is "other". */
type Found = Match | "ambiguous" | undefined;

/** Rule 1: the whole message is one phrase. */
function matchWhole(words: Word[], vocabulary: Vocabulary): Found {
  const matches: Match[] = [];
  for (const phrase of vocabulary.phrases) {
    const typos = phraseDistance(phrase.words, words);
    if (typos <= 1) matches.push({ meaning: phrase.meaning, keyword: phrase.text, typos });
  }
  return best(matches);
}

/** Rule 2: a name, then a keyword; or a keyword, then a name. */
function matchWithName(words: Word[], vocabulary: Vocabulary): Found {
  const matches: Match[] = [];
  for (const phrase of vocabulary.phrases) {
    const size = phrase.words.length;
    if (!phrase.withName || words.length <= size) continue;
    const splits: [keyword: Word[], rest: Word[]][] = [
      [words.slice(-size), words.slice(0, -size)],
      [words.slice(0, size), words.slice(size)],
    ];
    for (const [keyword, rest] of splits) {
      const typos = phraseDistance(phrase.words, keyword);
      if (typos > 1) continue;
      const name = readName(rest, vocabulary.keywordWords);
      if (name) matches.push({ meaning: phrase.meaning, keyword: phrase.text, typos, name });
    }
  }
  return best(matches);
}

/** The match with the fewest typos, unless the best ones mean different things. */
function best(matches: Match[]): Found {
  if (!matches.length) return undefined;
  const fewest = Math.min(...matches.map((m) => m.typos));
  const top = matches.filter((m) => m.typos === fewest);
  const meanings = new Set(top.map((m) => meaningKey(m.meaning)));
  return meanings.size === 1 ? top[0] : "ambiguous";
}

function meaningKey(meaning: Meaning): string {
  return meaning.action === "command" ? `command:${meaning.command}` : meaning.action;
}

function toIntent(match: Match, form: KeywordSettings["form"], isQuestion: boolean): CitizenIntent {
  const { meaning } = match;
  switch (meaning.action) {
    case "subscribe":
      if (isQuestion) return OTHER;
      return form === "name-and-keyword" && match.name
        ? { action: "subscribe", ...match.name }
        : { action: "subscribe" };
    case "unsubscribe":
      return { action: "unsubscribe" };
    case "command":
      return { action: "command", command: meaning.command };
  }
}

/** Total typos between a keyword and typed words of the same count; 2 or more means "no". */
function phraseDistance(keyword: string[], typed: Word[]): number {
  if (keyword.length !== typed.length) return 2;
  let typos = 0;
  for (const [i, expected] of keyword.entries()) {
    const actual = typed[i]?.folded ?? "";
    if (actual === expected) continue;
    if (letterCount(expected) < FUZZY_MIN_LETTERS) return 2;
    typos += Math.min(2, typoDistance(expected, actual));
    if (typos > 1) return 2;
  }
  return typos;
}

function letterCount(word: string): number {
  return word.replace(/[^\p{L}]/gu, "").length;
}

/**
 * Damerau-Levenshtein distance (optimal string alignment: insert, delete, substitute, swap two
 * neighbours), stopping early: anything above 1 is reported as 2.
 */
export function typoDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > 1) return 2;
  const x = [...a];
  const y = [...b];
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  const restA = x.slice(i);
  const restB = y.slice(i);
  const same = (p: string[], q: string[]) => p.join("") === q.join("");
  // From the first difference on, one edit must make the rests equal.
  if (same(restA.slice(1), restB.slice(1))) return 1; // a wrong letter
  if (same(restA.slice(1), restB)) return 1; // a letter missing
  if (same(restA, restB.slice(1))) return 1; // a letter too many
  const swapped = restA[0] === restB[1] && restA[1] === restB[0];
  if (swapped && same(restA.slice(2), restB.slice(2))) return 1; // two neighbours swapped
  return 2;
}

// ---------------------------------------------------------------------------------------------
// Courtesy

/** Dropped from either end of a message, longest first, as often as they appear. */
const COURTESY = phraseList([
  "buongiorno",
  "buon giorno",
  "buonasera",
  "buona sera",
  "buon pomeriggio",
  "buona giornata",
  "buona serata",
  "buondi",
  "salve",
  "ciao",
  "a tutti",
  "gentile comune",
  "grazie",
  "grazie mille",
  "mille grazie",
  "grazie tante",
  "grazie ancora",
  "molte grazie",
  "grz",
  "per favore",
  "perfavore",
  "per piacere",
  "per cortesia",
  "cortesemente",
  "gentilmente",
  "saluti",
  "cordiali saluti",
  "distinti saluti",
  "un saluto",
  "ok",
  "okay",
]);

function trimCourtesy(words: Word[]): Word[] {
  let rest = words;
  for (let changed = true; changed;) {
    changed = false;
    for (const phrase of COURTESY) {
      if (startsWith(rest, phrase)) rest = rest.slice(phrase.length);
      else if (endsWith(rest, phrase)) rest = rest.slice(0, -phrase.length);
      else continue;
      changed = true;
      break;
    }
  }
  return rest;
}

// ---------------------------------------------------------------------------------------------
// Names

/** Dropped from the start of a name: "Sono Mario Rossi", "Sig.ra Anna Bianchi". */
const NAME_INTRODUCERS = phraseList([
  "sono",
  "io sono",
  "mi chiamo",
  "io mi chiamo",
  "il mio nome e",
  "sig",
  "sig ra",
  "sigra",
  "signor",
  "signore",
  "signora",
  "dott",
  "dott ssa",
  "dottor",
  "dottore",
  "dottoressa",
  "prof",
  "prof ssa",
  "professore",
  "professoressa",
  "avv",
  "avvocato",
  "ing",
  "arch",
  "geom",
  "rag",
]);

/** The words of the instructions themselves ("Nome, Cognome + ATTIVA"). */
const PLACEHOLDERS = new Set(["nome", "cognome"]);

/** Surname particles: part of the surname when just before its last word. */
const PARTICLES = new Set(
  (
    "d de di da del della dello dell dei degli delle dal dalla dallo dall dai dagli dalle " +
    "la lo li le van von der den du mac mc san santo santa st"
  ).split(" "),
);

/**
 * Everyday words that are not names. Not a dictionary: enough of the words a question or a
 * request needs that such a sentence cannot pass for "Name Surname". Particles are not here.
 */
const NOT_NAMES = new Set(
  // articles, prepositions, conjunctions
  (
    "il i gli un uno una a al allo alla ai agli alle ad in nel nello nella nei negli nelle " +
    "con col su sul sullo sulla sui sugli sulle per tra fra e ed o od ma se che anche pure " +
    // pronouns and determiners
    "io tu lui lei noi voi loro me te mi ti ci vi si ne mio mia miei mie tuo tua tuoi tue suo " +
    "sua suoi sue nostro nostra vostro vostra questo questa questi queste quello quella " +
    "quelli quelle chi cosa cos come dove quando perche perché quale quali quanto quanta " +
    "qualcuno niente nulla tutto tutta tutti tutte ogni altro altra " +
    // common verbs
    "sono sei siamo siete era erano stato stata ho hai ha abbiamo avete hanno c'e c'è " +
    "voglio vuoi vuole vorrei vorremmo posso puoi puo può possiamo potete potrei devo deve " +
    "dovrei fare fa faccio fate serve servono va vado essere avere sapere so sa dite dici " +
    "attivo attivato attivata attivati attivare attivarla attivarlo attivazione disattivare " +
    "disattivato disattivata disattivazione iscrivere iscriversi iscrivermi iscritto iscritta " +
    "cancellare cancellato cancellata ricevere ricevo arrivano funziona funzionano grazie " +
    // adverbs, answers, courtesy
    "non no si sì ok gia già ancora piu più poi ora adesso oggi ieri domani subito sempre mai " +
    "bene male molto poco solo prego scusate scusi scusa salve ciao buongiorno buonasera " +
    // what such a sentence talks about
    "comune servizio servizi iscrizione iscrizioni notizie notizia messaggi messaggio numero " +
    "whatsapp chat canale gruppo lista account app carta tessera utenza abbonamento " +
    "newsletter notifiche notifica avvisi avviso profilo pratica richiesta domanda scuola " +
    "mensa tari imu bolletta linea info aiuto ufficio anagrafe sportello biblioteca piscina " +
    "palestra farmacia strada via piazza zona centro raccolta rifiuti isola ecologica " +
    "protezione civile allerta allarme emergenza meteo pioggia neve acqua luce gas corrente " +
    "rete internet wifi sirena ordinanza bollettino chiusura"
  )
    .split(" ")
    .map(fold),
);

/** A name word: letters, with apostrophes or hyphens inside. */
const NAME_WORD = /^\p{L}+(?:['-]\p{L}+)*$/u;

/**
 * The name in the words around a keyword (§4 of the doc comment): `{}` for the instructions'
 * placeholders alone, `undefined` when the words are not a name.
 */
function readName(words: Word[], keywordWords: Set<string>): PersonName | undefined {
  const afterIntro = dropLeading(words, NAME_INTRODUCERS);
  const named = afterIntro.filter((w) => !PLACEHOLDERS.has(w.folded));
  if (!named.length) return named.length < afterIntro.length ? {} : undefined;

  const parts = joinHyphenated(named);
  if (parts.length < 2 || parts.length > MAX_NAME_WORDS) return undefined;
  const isParticle = (w: Word) => PARTICLES.has(w.folded.replace(/'$/, ""));
  const first = parts[0];
  const last = parts[parts.length - 1];
  if (!first || !last || isParticle(first) || isParticle(last)) return undefined;
  const plausible = parts.every((w) => isParticle(w) || isNameWord(w, keywordWords));
  if (!plausible) return undefined;

  // The first word is never a particle, so the first name keeps at least one word.
  let surnameStart = parts.length - 1;
  while (parts.slice(surnameStart - 1, surnameStart).some(isParticle)) surnameStart--;
  const show = (ws: Word[]) => ws.map((w) => titleCase(w.raw)).join(" ");
  return {
    firstName: show(parts.slice(0, surnameStart)),
    lastName: show(parts.slice(surnameStart)),
  };
}

function isNameWord(word: Word, keywordWords: Set<string>): boolean {
  if (!NAME_WORD.test(word.raw) || letterCount(word.folded) < 2) return false;
  const pieces = [word.folded, ...word.folded.split("-")];
  return pieces.every((p) => !NOT_NAMES.has(p) && !keywordWords.has(p));
}

/** "Rossi", "-Bianchi" → "Rossi-Bianchi". */
function joinHyphenated(words: Word[]): Word[] {
  const joined: Word[] = [];
  for (const word of words) {
    const previous = joined[joined.length - 1];
    if (word.hyphenated && previous) {
      joined[joined.length - 1] = {
        raw: `${previous.raw}-${word.raw}`,
        folded: `${previous.folded}-${word.folded}`,
        hyphenated: previous.hyphenated,
      };
    } else joined.push({ ...word, hyphenated: false });
  }
  return joined;
}

/** "mario" → "Mario", "DE" → "De", "d'amico" → "D'Amico"; "McDonald" stays as typed. */
export function titleCase(raw: string): string {
  const letters = raw.replace(/[^\p{L}]/gu, "");
  const uniform = letters === letters.toLowerCase() || letters === letters.toUpperCase();
  if (!uniform) return raw;
  return raw
    .toLowerCase()
    .replace(
      /(^|['-])(\p{L})/gu,
      (_, before: string, letter: string) => before + letter.toUpperCase(),
    );
}

// ---------------------------------------------------------------------------------------------
// Word lists

function phraseList(phrases: string[]): string[][] {
  return phrases.map(keywordWords).sort((a, b) => b.length - a.length);
}

function startsWith(words: Word[], phrase: string[]): boolean {
  return phrase.length <= words.length && phrase.every((p, i) => words[i]?.folded === p);
}

function endsWith(words: Word[], phrase: string[]): boolean {
  const offset = words.length - phrase.length;
  return offset >= 0 && phrase.every((p, i) => words[offset + i]?.folded === p);
}

function dropLeading(words: Word[], phrases: string[][]): Word[] {
  let rest = words;
  for (let changed = true; changed;) {
    changed = false;
    const found = phrases.find((p) => startsWith(rest, p));
    if (found) {
      rest = rest.slice(found.length);
      changed = true;
    }
  }
  return rest;
}
