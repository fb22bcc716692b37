import { randomBytes, randomInt } from "node:crypto";

/**
 * Identifiers shaped like Meta's, so code that stores or logs them sees realistic values.
 * They carry no meaning: only uniqueness matters.
 */

/**
 * "wamid." + base64, as Meta's message ids look. Meta's encode a protobuf with the recipient;
 * here the recipient and 12 random bytes, which make a collision practically impossible.
 */
export function newWamid(waId: string): string {
  const head = Buffer.from([0x15, 0x02, 0x00, 0x11, 0x18, 0x12]);
  return `wamid.${Buffer.concat([head, Buffer.from(waId), randomBytes(12)]).toString("base64")}`;
}

/** A per-process prefix keeps ids from two sandbox runs apart; the counter keeps them unique. */
const numericPrefix = randomInt(100, 900);
let numericCounter = 0;

/**
 * Numeric ids (media, templates) of 16 digits like Meta's, below 2^53 so they survive JSON
 * numbers (Meta sends template ids as numbers in some webhooks).
 */
export function newNumericId(): string {
  numericCounter += 1;
  return `${numericPrefix}${String(numericCounter).padStart(13, "0")}`;
}

/** Meta's fbtrace_id: an opaque token for support requests. */
export function newFbtraceId(): string {
  return `A${randomBytes(8).toString("base64url")}`;
}
