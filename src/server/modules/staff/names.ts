import { z } from "zod";

/**
 * Characters no name typed by staff needs, and that make a name lie about itself: C0 and C1
 * control characters (a newline in a display name forges a line in a CSV export or a log
 * viewer, a NUL truncates it elsewhere), DEL, the Unicode line and paragraph separators, and the
 * bidirectional overrides, embeddings, isolates and marks ("Trojan Source": U+202E makes
 * "gpj.exe" read "exe.jpg"). Zero-width joiners stay allowed: emoji sequences need them.
 */
const FORBIDDEN =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/u;

export const NAME_PROBLEM =
  "non deve contenere caratteri di controllo (a capo, tabulazioni) o di direzione del testo";

/** True when the text holds a character a name must not have. */
export function hasForbiddenCharacter(text: string): boolean {
  return FORBIDDEN.test(text);
}

/** A name staff type (a person's display name, an API key's label): trimmed, 1 to `max`. */
export function staffName(max: number) {
  return z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((value) => !hasForbiddenCharacter(value), NAME_PROBLEM);
}

/** An e-mail address as accounts are kept and looked up: trimmed, lower case. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();
