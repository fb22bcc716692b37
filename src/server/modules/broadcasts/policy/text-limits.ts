import { countIn, formatCount } from "./format.js";
import type { PolicyNote } from "./types.js";

/**
 * A broadcast's text against WhatsApp's limits (docs/whatsapp-cloud-api.md §1.11, §1.8, §6.5).
 *
 * How characters are counted: Meta's pages say "characters" and do not define them. We count
 * Unicode code points, as `whatsapp/payload-checks.ts` does before every send, so a text accepted
 * here is never refused by our own check later: an emoji is one character, a flag (two regional
 * indicators) two, "è" typed as "e" plus a combining accent two. JavaScript's `length` (UTF-16
 * code units) would count every emoji as two and refuse texts Meta takes; grapheme clusters
 * would count a family emoji (five code points) as one and let through texts Meta may refuse.
 * Code points are the middle reading and the one our sender already applies (best guess).
 */

/** Where the text goes: a template's body parameter, a media caption, a free-form message. */
export type TextUse = "template-parameter" | "caption" | "free-form";

export const TEXT_LIMITS: Readonly<Record<TextUse, number>> = {
  "template-parameter": 1024,
  caption: 1024,
  "free-form": 4096,
};

const LIMIT_NAME: Readonly<Record<TextUse, { it: string; en: string }>> = {
  "template-parameter": { it: "del modello", en: "of the template" },
  caption: {
    it: "della didascalia di un'immagine, un video o un documento",
    en: "of an image, video or document caption",
  },
  "free-form": { it: "di un messaggio di testo", en: "of a text message" },
};

const SOURCE = "docs/whatsapp-cloud-api.md §1.11";

/** Characters as WhatsApp counts them (code points; see above). */
export function countCharacters(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

function characters(n: number): { it: string; en: string } {
  const c = countIn(n);
  return n === 1
    ? { it: "1 carattere", en: "1 character" }
    : { it: `${c.it} caratteri`, en: `${c.en} characters` };
}

/**
 * Every problem of the text for the uses it will be sent as. Of the length limits only the
 * tightest one exceeded is reported: "over 1,024" already says "over 4,096".
 */
export function checkText(text: string, uses: readonly TextUse[]): PolicyNote[] {
  if (text.trim() === "") {
    return [
      {
        id: "text.empty",
        rule: "text.empty",
        source: SOURCE,
        why: { it: "Il testo è vuoto.", en: "The text is empty." },
        todo: {
          it: "Scrivi il testo della comunicazione.",
          en: "Write the text of the broadcast.",
        },
      },
    ];
  }
  const notes: PolicyNote[] = [];
  const length = countCharacters(text);
  const tightest = [...uses]
    .sort((a, b) => TEXT_LIMITS[a] - TEXT_LIMITS[b])
    .find((use) => length > TEXT_LIMITS[use]);
  if (tightest) {
    const limit = TEXT_LIMITS[tightest];
    const over = characters(length - limit);
    notes.push({
      id: `text.too-long:${tightest}`,
      rule: "text.too-long",
      source: SOURCE,
      why: {
        it: `Il testo supera di ${over.it} il limite di ${formatCount(limit, "it")} ${LIMIT_NAME[tightest].it}.`,
        en: `The text is ${over.en} over the limit of ${formatCount(limit, "en")} ${LIMIT_NAME[tightest].en}.`,
      },
      todo: {
        it: `Accorcia il testo di almeno ${over.it} (ora ne conta ${formatCount(length, "it")}).`,
        en: `Shorten the text by at least ${over.en} (it has ${formatCount(length, "en")} now).`,
      },
    });
  }
  // Meta refuses such a parameter with 132018 (§1.8): it would fail at every send.
  if (uses.includes("template-parameter") && /[\n\t]| {5}/.test(text)) {
    notes.push({
      id: "text.template-parameter",
      rule: "text.template-parameter",
      source: "docs/whatsapp-cloud-api.md §1.8",
      why: {
        it: "Il testo contiene un a capo, una tabulazione o più di quattro spazi di seguito: WhatsApp non li accetta nel testo di un modello (errore 132018).",
        en: "The text contains a line break, a tab or more than four spaces in a row: WhatsApp does not accept them in a template's text (error 132018).",
      },
      todo: {
        it: "Scrivi il testo come un unico paragrafo, senza a capo.",
        en: "Write the text as one paragraph, without line breaks.",
      },
    });
  }
  return notes;
}
