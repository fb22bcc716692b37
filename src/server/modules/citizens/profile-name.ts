/**
 * The WhatsApp profile name as it may be kept (Casale keeps it, `subscription.storeProfileName`)
 * and shown in replies ("Ciao {name}"). The person typed it for WhatsApp, not for the comune, and
 * anything may be in it:
 * - control characters and invisible formatting (bidirectional overrides that make a name read
 *   backwards, zero-width characters) are removed, line breaks and tabs become spaces, spaces are
 *   collapsed, and it is cut at `MAX_LENGTH` characters;
 * - what is left is no name when it has fewer than two letters or at least as many digits as
 *   letters: a phone without a profile name shows its number ("+39 366 578 4663"), and that is
 *   the number, not a name (and no number may be kept as a name after erasure forgot it).
 * Returns undefined when there is no name to keep.
 */
export function profileNameOf(raw: string | null | undefined): string | undefined {
  if (typeof raw !== "string") return undefined;
  const cleaned = raw
    .normalize("NFKC")
    .replace(/[\t\n\v\f\r\u0085\u2028\u2029]/g, " ")
    .replace(/[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/gu, "")
    .replace(/\s+/g, " ")
    .trim();
  const name = [...cleaned].slice(0, MAX_LENGTH).join("").trim();
  const letters = (name.match(/\p{L}/gu) ?? []).length;
  const digits = (name.match(/\p{N}/gu) ?? []).length;
  if (letters < 2 || digits >= letters) return undefined;
  return name;
}

/** WhatsApp allows 25 characters; some room for older or imported names, never a whole text. */
const MAX_LENGTH = 64;
