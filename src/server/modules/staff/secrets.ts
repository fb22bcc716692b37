import { createHash, randomBytes } from "node:crypto";

/** 32 random bytes, URL-safe: sessions, setup links, API keys. */
export function newToken(prefix = ""): string {
  return `${prefix}${randomBytes(32).toString("base64url")}`;
}

/**
 * What the database keeps of a high-entropy token. A fast hash is enough: 256 random bits cannot
 * be guessed from it, unlike a password.
 */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Prefix of API keys: lets secret scanners and the access check recognise one. */
export const API_KEY_PREFIX = "bnd_";

/** Recovery codes: 16 characters of Crockford-style base32 (80 bits), grouped for reading. */
export function newRecoveryCode(): string {
  const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
  const bytes = randomBytes(16);
  let code = "";
  for (const b of bytes) code += alphabet[b & 31];
  return `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8, 12)}-${code.slice(12, 16)}`;
}

/** A recovery code as typed (any case, with or without dashes or spaces) → its stored hash. */
export function recoveryCodeHash(code: string): string {
  const normal = code.toLowerCase().replace(/[\s-]/g, "");
  return tokenHash(`recovery:${normal}`);
}
