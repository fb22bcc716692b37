import { createHmac } from "node:crypto";
import type { Env } from "../../config/env.js";
import type { WhatsAppMode } from "../../config/tenants.js";
import { ConfigError } from "../../platform/errors.js";

/**
 * The key of the audit chain's HMAC (AUDIT_KEY_SECRET). Whoever can write to the database but
 * does not hold it cannot append, edit or rewrite an entry so that `banditore audit verify`
 * accepts it.
 */
export interface AuditKey {
  secret: string;
  /**
   * A public name of the key, stored on every entry it seals: the checker can then tell "this is
   * not the key that sealed the log" from "these entries were forged". An HMAC of a constant, so
   * it says nothing of the secret.
   */
  id: string;
}

/**
 * The development key, used in sandbox mode when AUDIT_KEY_SECRET is unset (like
 * SANDBOX_SUBSCRIBER_KEY_SECRET). It is public, so entries it sealed are no better than
 * unkeyed ones: the checker accepts them only before the first entry sealed with a real key.
 */
export const SANDBOX_AUDIT_KEY_SECRET = "sandbox-audit-key-secret";

export function auditKey(secret: string): AuditKey {
  return {
    secret,
    id: createHmac("sha256", secret).update("banditore audit key id").digest("hex").slice(0, 16),
  };
}

export const SANDBOX_AUDIT_KEY: AuditKey = auditKey(SANDBOX_AUDIT_KEY_SECRET);

export function resolveAuditKeySecret(env: Env, mode: WhatsAppMode): string {
  if (env.AUDIT_KEY_SECRET) return env.AUDIT_KEY_SECRET;
  if (mode === "sandbox") return SANDBOX_AUDIT_KEY_SECRET;
  throw new ConfigError("Missing secrets:", [
    "AUDIT_KEY_SECRET: is not set (required outside sandbox mode): the key of the audit log's hash chain; at least 16 characters, e.g. `openssl rand -hex 32`, kept apart from the database and its backups, and never changed",
  ]);
}

/**
 * The key this process seals entries with. Held here rather than passed to every
 * `recordAudit` call (there are dozens, in every module): each process sets it once at start
 * (wiring.ts's `setUpAuditKey`, and the test app), before anything is recorded.
 */
let current: AuditKey | undefined;

export function useAuditKey(secret: string): AuditKey {
  current = auditKey(secret);
  return current;
}

/** Throws when the process never set a key: an entry sealed with a guess is worse than none. */
export function currentAuditKey(): AuditKey {
  if (!current) {
    throw new Error(
      "The audit key is not set: the process must call useAuditKey(AUDIT_KEY_SECRET) at start, before recording anything",
    );
  }
  return current;
}
