/**
 * The shapes every policy gate answers with. A gate's answer is shown to staff as is and stored
 * with the broadcast, so each says which rule, where the rule comes from, why it applies and
 * what to do, in Italian (the staff's language) and English.
 */

export type Lang = "it" | "en";

/** One text in both languages the console offers. */
export interface Localized {
  it: string;
  en: string;
}

/** A block, a warning's base or a piece of advice. */
export interface PolicyNote {
  /** Stable within one check: an acknowledgement or a test names it. */
  id: string;
  /** The rule, dotted: `text.too-long`, `election.period`, `content.party`… */
  rule: string;
  /** Where the rule comes from: a law, the comune's regulation, Meta's documented limits. */
  source: string;
  why: Localized;
  todo: Localized;
}
