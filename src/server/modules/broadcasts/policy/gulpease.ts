import { z } from "zod";
import type { Localized, PolicyNote } from "./types.js";

/**
 * The Gulpease readability index, the standard one for Italian (Lucisano and Piemontese, 1988):
 *
 *   G = 89 + (300 × sentences − 10 × letters) / words
 *
 * What is counted, on the text in NFC form:
 * - **letters**: alphabetic characters (Unicode letters, accented ones included: "è" is one);
 *   digits, punctuation, spaces and symbols are not letters;
 * - **words**: maximal runs of letters and digits; an apostrophe or a hyphen separates two words
 *   ("dell'ordinanza" is two, "socio-sanitario" two); a number with a dot, comma or colon between
 *   digits is one word ("9.30", "1.024", "3,5");
 * - **sentences**: the stretches of text ended by `.`, `!`, `?` or `…` (a run of them, "?!" or
 *   "...", ends one sentence) that contain at least one word; a final stretch with words but no
 *   end mark counts as one; a dot between digits ends nothing.
 *
 * The index is reported as the literature does: rounded to the nearest integer and kept within
 * 0–100 (very short words can push the formula past 100). Abbreviations with a dot ("ecc.",
 * "Sig.") count as sentence ends, as in the hand counts the index was calibrated on.
 */

/** The index and what it was computed from, as the broadcasts API's check answers it. */
export const gulpeaseSchema = z.object({
  index: z.number(),
  /** Before rounding and clamping. */
  exact: z.number(),
  letters: z.number(),
  words: z.number(),
  sentences: z.number(),
  /** The band of Lucisano and Piemontese's reading: who finds the text hard. */
  band: z.enum(["easy", "primary-hard", "lower-secondary-hard", "upper-secondary-hard"]),
  reading: z.object({ it: z.string(), en: z.string() }),
});
export type Gulpease = z.infer<typeof gulpeaseSchema>;

const WORD = /[\p{L}\p{N}]+(?:[.,:]\p{N}+)*/gu;
const LETTER = /\p{L}/gu;
const SENTENCE_END = /[.!?…]+/u;

export function gulpease(text: string): Gulpease | undefined {
  const normal = text.normalize("NFC");
  const words = normal.match(WORD) ?? [];
  if (words.length === 0) return undefined;
  const letters = (normal.match(LETTER) ?? []).length;
  // A dot between digits is part of a number, not a full stop.
  const sentences = normal
    .replace(/(?<=\p{N})[.,:](?=\p{N})/gu, "")
    .split(SENTENCE_END)
    .filter((stretch) => /[\p{L}\p{N}]/u.test(stretch)).length;
  const exact = 89 + (300 * sentences - 10 * letters) / words.length;
  const index = Math.min(100, Math.max(0, Math.round(exact)));
  const band =
    index >= 80
      ? "easy"
      : index >= 60
        ? "primary-hard"
        : index >= 40
          ? "lower-secondary-hard"
          : "upper-secondary-hard";
  return { index, exact, letters, words: words.length, sentences, band, reading: READING[band] };
}

const READING: Readonly<Record<Gulpease["band"], Localized>> = {
  easy: {
    it: "facile da leggere anche per chi ha la licenza elementare",
    en: "easy to read also for readers with a primary-school education",
  },
  "primary-hard": {
    it: "facile per chi ha la licenza media, difficile per chi ha solo la licenza elementare",
    en: "easy for readers with a lower-secondary education, hard for those with primary school only",
  },
  "lower-secondary-hard": {
    it: "difficile da leggere per chi ha la licenza media",
    en: "hard to read for readers with a lower-secondary education",
  },
  "upper-secondary-hard": {
    it: "difficile da leggere anche per chi ha un diploma di scuola superiore",
    en: "hard to read even for readers with an upper-secondary diploma",
  },
};

/** The index as advice (never a block): below 60 it suggests how to simplify. */
export function readabilityAdvice(text: string): (PolicyNote & { gulpease: Gulpease }) | undefined {
  const g = gulpease(text);
  if (!g) return undefined;
  const hard = g.index < 60;
  return {
    id: "readability.gulpease",
    rule: "readability.gulpease",
    source: "Indice Gulpease (Lucisano e Piemontese, 1988)",
    gulpease: g,
    why: {
      it: `Indice Gulpease ${g.index} su 100: ${g.reading.it}.`,
      en: `Gulpease index ${g.index} of 100: ${g.reading.en}.`,
    },
    todo: hard
      ? {
          it: "Usa frasi più brevi (una informazione per frase) e parole più comuni: per esempio «è vietato» invece di «è interdetto», «per i lavori» invece di «in conseguenza dei lavori».",
          en: 'Use shorter sentences (one piece of information each) and more common words: "è vietato" rather than "è interdetto", say.',
        }
      : { it: "Nessuna azione: il testo è leggibile.", en: "Nothing: the text reads well." },
  };
}
