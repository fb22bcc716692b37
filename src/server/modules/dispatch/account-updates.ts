import type { Kysely } from "kysely";
import type { DB } from "../../platform/db/schema.js";
import { setMessagingLimitTier, TIER_LIMITS } from "./sender-numbers.repository.js";

/** 250 → TIER_250 …: Meta reports the limit as a tier name or as a number, depending on the field. */
function tierName(value: unknown): string | undefined {
  if (typeof value === "string" && value in TIER_LIMITS) return value;
  if (typeof value === "string" && /^unlimited$/i.test(value)) return "TIER_UNLIMITED";
  const n = typeof value === "number" ? value : typeof value === "string" ? Number(value) : NaN;
  if (!Number.isFinite(n)) return undefined;
  return Object.entries(TIER_LIMITS).find(([, limit]) => limit === n)?.[0];
}

/**
 * Meta's word on a number's messaging-limit tier (phone_number_quality_update,
 * business_capability_update) replaces the configured one: the dispatcher reads it at its next
 * tick. Returns the tier stored, if the update named one.
 */
export async function applyAccountUpdate(
  db: Kysely<DB>,
  input: { tenantId: string; field: string; value: Record<string, unknown>; now: number },
): Promise<string | undefined> {
  const { value } = input;
  let tier: string | undefined;
  if (input.field === "phone_number_quality_update") {
    tier = tierName(value.current_limit) ?? tierName(value.max_daily_conversations_per_business);
  } else if (input.field === "business_capability_update") {
    tier =
      tierName(value.messaging_limit_tier) ??
      tierName(value.max_daily_conversations_per_business) ??
      tierName(value.max_daily_conversation_per_phone);
  }
  if (!tier) return undefined;
  await setMessagingLimitTier(db, { tenantId: input.tenantId, tier, now: input.now });
  return tier;
}
