import type { FieldProblem } from "../../platform/errors.js";

/**
 * Password rules after NIST SP 800-63B rev. 4 (§3.1.1.2): length is what counts. At least 15
 * characters, because for a role without TOTP (or in a comune that turned it off) the password
 * is the only factor, and rev. 4 asks 15 for single-factor passwords; up to 128 (it asks to
 * allow at least 64); any characters, spaces included, compared after Unicode NFKC
 * normalisation; no composition rules and no expiry. Refused: the account's e-mail address, or
 * any word of it (each answered as what it is), inside the password, one character repeated, and
 * a built-in list of common long passwords (the breached-password check rev. 4 asks for, offline).
 */
export const PASSWORD_MIN_LENGTH = 15;
export const PASSWORD_MAX_LENGTH = 128;

// Long passwords that still top breach lists, and the obvious words of this service.
const COMMON = new Set([
  "123456789012345",
  "1234567890123456",
  "12345678901234567890",
  "qwertyuiopasdfghjkl",
  "qwertyuiopasdfgh",
  "qwertyuiop123456",
  "1q2w3e4r5t6y7u8i9o0p",
  "passwordpassword",
  "password1234567",
  "password12345678",
  "iloveyouiloveyou",
  "abcdefghijklmnop",
  "abcdefghijklmnopqrstuvwxyz",
  "abcdefghijklmno",
  "aaaaaaaaaaaaaaaaa",
  "letmeinletmein1",
  "administrator123",
  "amministratore123",
  "passwordbanditore",
  "banditorebanditore",
  "comunecomunecomune",
  "whatsappwhatsapp",
  "passwordcomune123",
  "forzainterforzainter",
  "forzajuventus1897",
  "forzamilan123456",
  "forzanapolisempre",
  "ciaociaociaociao",
  "0987654321098765",
  "zxcvbnmasdfghjkl",
]);

/** The problems of a new password, as field problems; empty when it is acceptable. */
export function passwordProblems(password: string, email: string, field: string): FieldProblem[] {
  const normal = password.normalize("NFKC");
  const length = [...normal].length;
  const problem = (text: string) => [{ field, problem: text }];
  if (length < PASSWORD_MIN_LENGTH) {
    return problem(`deve contenere almeno ${PASSWORD_MIN_LENGTH} caratteri`);
  }
  if (length > PASSWORD_MAX_LENGTH) {
    return problem(`può contenere al massimo ${PASSWORD_MAX_LENGTH} caratteri`);
  }
  const lower = normal.toLowerCase();
  const address = email.normalize("NFKC").toLowerCase();
  if (lower.includes(address)) return problem("non deve contenere il proprio indirizzo e-mail");
  const word = emailWords(address).find((w) => lower.includes(w));
  if (word !== undefined) {
    return problem(`non deve contenere "${word}", una parola del proprio indirizzo e-mail`);
  }
  if (new Set(lower).size === 1 || COMMON.has(lower.replace(/\s/g, ""))) {
    return problem("è una password troppo comune: sceglierne un'altra");
  }
  return [];
}

/**
 * The words of an e-mail address (name and domain, split at dots, dashes, "@" and the like) long
 * enough to matter: "mario.rossi@comune.concorezzo.mb.it" gives mario, rossi, comune, concorezzo.
 * NIST asks to refuse context-specific words such as the user name; the address is that here.
 */
function emailWords(address: string): string[] {
  return address.split(/[^\p{L}\p{N}]+/u).filter((w) => [...w].length >= 4);
}

/** argon2id with OWASP's minimum (19 MiB, 2 passes, 1 lane). */
const ARGON2 = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/** The native argon2 binding is loaded on the first password, not by every process (~13 MB). */
const argon2 = () => import("@node-rs/argon2");

export async function hashPassword(password: string): Promise<string> {
  return (await argon2()).hash(password.normalize("NFKC"), ARGON2);
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  return (await argon2()).verify(stored, password.normalize("NFKC"));
}

let dummy: Promise<string> | undefined;
/**
 * Verifies against a throw-away hash: a login for an address with no account costs what a real
 * one costs, so timing does not tell them apart.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummy ??= hashPassword("banditore-dummy-password-for-timing");
  await (await argon2()).verify(await dummy, password.normalize("NFKC"));
  return false;
}
