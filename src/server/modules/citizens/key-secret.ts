import type { Env } from "../../config/env.js";
import type { WhatsAppMode } from "../../config/tenants.js";
import { ConfigError } from "../../platform/errors.js";

/**
 * The development key of the keyed hash, used in sandbox mode when SUBSCRIBER_KEY_SECRET is unset
 * (like the sandbox secrets of docs/DESIGN.md §4). Never for real citizens: outside sandbox mode
 * the variable is required.
 */
export const SANDBOX_SUBSCRIBER_KEY_SECRET = "sandbox-subscriber-key-secret";

export function resolveSubscriberKeySecret(env: Env, mode: WhatsAppMode): string {
  if (env.SUBSCRIBER_KEY_SECRET) return env.SUBSCRIBER_KEY_SECRET;
  if (mode === "sandbox") return SANDBOX_SUBSCRIBER_KEY_SECRET;
  throw new ConfigError("Missing secrets:", [
    "SUBSCRIBER_KEY_SECRET: is not set (required outside sandbox mode): the key of the keyed hash that stands for citizens' numbers in the consent ledger; at least 16 characters, e.g. `openssl rand -hex 32`, kept with the backups",
  ]);
}
