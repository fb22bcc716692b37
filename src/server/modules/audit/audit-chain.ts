import { createHash, createHmac } from "node:crypto";
import type { AuditContent, AuditRow } from "./audit.repository.js";
import { SANDBOX_AUDIT_KEY, type AuditKey } from "./audit-key.js";

/**
 * The audit chain's hash schemes and the check of one entry after another (pure: no database).
 *
 * Each entry stores `prev_hash` (the previous entry's hash; GENESIS_HASH for the first) and its
 * own `hash`, computed by the scheme named in `hash_scheme`:
 * - 1, public: SHA-256 of the entry's content and prev_hash. Anyone can compute it, so it shows
 *   accidental changes, not deliberate ones; it is how entries were sealed before the key
 *   (migration 0010 marks them so).
 * - 2, keyed: HMAC-SHA256 under AUDIT_KEY_SECRET of the same content plus the scheme and the
 *   key's public id (`key_id`). Without the key nobody can seal an entry that checks.
 * A chain may start with entries of the public scheme (written before the upgrade) or sealed with
 * the public development key (sandbox mode), but once an entry is sealed with the real key every
 * later one must be too: an entry that claims a weaker scheme after it was written by someone
 * without the key.
 */

/** The chain's genesis: the prev_hash of the first entry. */
export const GENESIS_HASH = "0".repeat(64);

export const HASH_SCHEME = { public: 1, keyed: 2 } as const;

/** What a hash covers besides the link: the entry's id and content. */
type Content = AuditContent & { id: number };

/** The order is the stored chain's: changing it would break every hash already written. */
function contentFields(row: Content): unknown[] {
  return [
    Number(row.id),
    row.tenantId,
    row.actorType,
    row.actorId,
    row.action,
    row.targetType,
    row.targetId,
    row.summary,
    Number(row.createdAt),
  ];
}

/** Scheme 1: what the entries written before the key carry. */
export function publicHash(prevHash: string, row: Content): string {
  return createHash("sha256")
    .update(JSON.stringify([prevHash, ...contentFields(row)]))
    .digest("hex");
}

/** Scheme 2: the scheme and key id are covered too, so neither can be swapped. */
export function keyedHash(key: AuditKey, prevHash: string, row: Content): string {
  return createHmac("sha256", key.secret)
    .update(JSON.stringify([HASH_SCHEME.keyed, key.id, prevHash, ...contentFields(row)]))
    .digest("hex");
}

export type BreakCode =
  /** prev_hash is not the previous entry's hash: an entry before was changed or removed. */
  | "link"
  /** The hash does not match the content: the entry was changed, or forged without the key. */
  | "content"
  /** A weaker scheme after an entry sealed with the key: forged without the key. */
  | "downgrade"
  /** The first keyed entry names another key: the checker was given the wrong key. */
  | "wrong_key"
  /** Another key after entries sealed with this one: forged, or the key was changed. */
  | "foreign_key"
  | "unknown_scheme";

export interface ChainBreak {
  id: number;
  /** 1 for the oldest entry, in id order. */
  position: number;
  code: BreakCode;
  reason: string;
  /** wrong_key / foreign_key: the key id the entry names. */
  sealedWith?: string;
}

/** How strong an entry's seal is; the chain may only stay level or rise. */
const LEVEL = { public: 0, developmentKey: 1, key: 2 } as const;
const LEVEL_NAME = ["the public SHA-256 scheme", "the public development key", "the key"];

/**
 * Checks entries in chain order, one at a time. `check` returns the first problem with an entry
 * (the walk stops there: everything after a break is unproven).
 */
export class ChainWalker {
  previous = GENESIS_HASH;
  position = 0;
  lastId = 0;
  /** Entries sealed before the key: public scheme or development key. */
  weak = 0;
  private level = -1;
  private levelFrom = 0;

  constructor(private readonly key: AuditKey) {}

  check(row: AuditRow): ChainBreak | undefined {
    this.position += 1;
    const at = { id: row.id, position: this.position };
    if (row.prevHash !== this.previous) {
      return {
        ...at,
        code: "link",
        reason:
          "its prev_hash is not the previous entry's hash (an entry before it was changed or removed)",
      };
    }
    const seal = this.sealOf(row);
    if ("code" in seal) return { ...at, ...seal };
    if (seal.level < this.level) {
      return {
        ...at,
        code: "downgrade",
        reason: `it claims ${LEVEL_NAME[seal.level]}, but entries from position ${this.levelFrom} are sealed with ${LEVEL_NAME[this.level]}: it was written by someone without the key (forged)`,
      };
    }
    if (seal.expected !== row.hash) {
      return {
        ...at,
        code: "content",
        reason:
          seal.level === LEVEL.key
            ? "its content does not match its keyed hash (the entry was changed, or written by someone without the key)"
            : `its content does not match its hash under ${LEVEL_NAME[seal.level]} (the entry was changed)`,
      };
    }
    if (seal.level > this.level) {
      this.level = seal.level;
      this.levelFrom = this.position;
    }
    if (seal.level < LEVEL.key) this.weak += 1;
    this.previous = row.hash;
    this.lastId = row.id;
    return undefined;
  }

  private sealOf(
    row: AuditRow,
  ): { level: number; expected: string } | Omit<ChainBreak, "id" | "position"> {
    if (row.hashScheme === HASH_SCHEME.public) {
      return { level: LEVEL.public, expected: publicHash(row.prevHash ?? "", row) };
    }
    if (row.hashScheme !== HASH_SCHEME.keyed) {
      return {
        code: "unknown_scheme",
        reason: `hash scheme ${row.hashScheme} does not exist (the entry was changed)`,
      };
    }
    // In sandbox mode the development key is the key: its entries are then the strongest kind.
    if (row.keyId === this.key.id) {
      const level = this.key.id === SANDBOX_AUDIT_KEY.id ? LEVEL.developmentKey : LEVEL.key;
      return { level, expected: keyedHash(this.key, row.prevHash ?? "", row) };
    }
    if (row.keyId === SANDBOX_AUDIT_KEY.id) {
      return {
        level: LEVEL.developmentKey,
        expected: keyedHash(SANDBOX_AUDIT_KEY, row.prevHash ?? "", row),
      };
    }
    return this.level < LEVEL.key
      ? {
          code: "wrong_key",
          sealedWith: row.keyId ?? "none",
          reason: `it is sealed with key id ${row.keyId ?? "(none)"}, and the key given has id ${this.key.id}: AUDIT_KEY_SECRET is not the key that sealed the log (if it is, the entry was changed)`,
        }
      : {
          code: "foreign_key",
          sealedWith: row.keyId ?? "none",
          reason: `it names key id ${row.keyId ?? "(none)"}, while entries from position ${this.levelFrom} are sealed with this key (${this.key.id}): it was forged, or AUDIT_KEY_SECRET was changed here`,
        };
  }
}
