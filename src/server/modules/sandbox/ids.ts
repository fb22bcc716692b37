import { randomFillSync, randomInt } from "node:crypto";

/**
 * Identifiers shaped like Meta's, so code that stores or logs them sees realistic values.
 * They carry no meaning: only uniqueness matters.
 */

/**
 * Random bytes are drawn 4 KiB at a time and handed out in slices, each slice once: one call into
 * the system's generator per few hundred ids instead of one per id. A call per wamid showed in
 * the sandbox's CPU profile at 1,000 sends a second (issue #14).
 */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let poolOffset = POOL_BYTES;

/** Copies `size` fresh random bytes into `target` at `offset`. */
function fillRandom(target: Buffer, offset: number, size: number): void {
  if (poolOffset + size > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  pool.copy(target, offset, poolOffset, poolOffset + size);
  poolOffset += size;
}

const WAMID_HEAD = Buffer.from([0x15, 0x02, 0x00, 0x11, 0x18, 0x12]);
const WAMID_RANDOM_BYTES = 12;

/**
 * "wamid." + base64, as Meta's message ids look. Meta's encode a protobuf with the recipient;
 * here the recipient and 12 random bytes, which make a collision practically impossible.
 */
export function newWamid(waId: string): string {
  const recipientBytes = Buffer.byteLength(waId);
  const id = Buffer.allocUnsafe(WAMID_HEAD.length + recipientBytes + WAMID_RANDOM_BYTES);
  WAMID_HEAD.copy(id, 0);
  id.write(waId, WAMID_HEAD.length);
  fillRandom(id, WAMID_HEAD.length + recipientBytes, WAMID_RANDOM_BYTES);
  return `wamid.${id.toString("base64")}`;
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
  const token = Buffer.allocUnsafe(8);
  fillRandom(token, 0, token.length);
  return `A${token.toString("base64url")}`;
}
