import type { Kysely } from "kysely";
import type { DB } from "../../platform/db/schema.js";

/**
 * The comunes' sender numbers as dispatch needs them: which row is each comune's configured
 * number (the dispatcher's and the lease's key) and its messaging-limit tier.
 */

/** Meta's messaging-limit tiers as unique recipients per rolling 24 hours (null: unlimited). */
export const TIER_LIMITS: Record<string, number | null> = {
  TIER_250: 250,
  TIER_1K: 1_000,
  TIER_2K: 2_000,
  TIER_10K: 10_000,
  TIER_100K: 100_000,
  TIER_UNLIMITED: null,
};

/** A sender number row: its id and whose number it is. */
export interface SenderNumber {
  id: number;
  tenantId: string;
  phoneNumberId: string;
}

/** The sender numbers of these comunes (any order). */
export async function senderNumbersOf(
  db: Kysely<DB>,
  tenantIds: readonly string[],
): Promise<SenderNumber[]> {
  const rows = await db
    .selectFrom("sender_numbers")
    .select(["id", "tenant_id", "phone_number_id"])
    .where("tenant_id", "in", [...tenantIds])
    .execute();
  return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, phoneNumberId: r.phone_number_id }));
}

/** Stores the tier Meta reported for the comune's number(s): the dispatcher reads it next tick. */
export async function setMessagingLimitTier(
  db: Kysely<DB>,
  input: { tenantId: string; tier: string; now: number },
): Promise<void> {
  await db
    .updateTable("sender_numbers")
    .set({ messaging_limit_tier: input.tier, updated_at: input.now })
    .where("tenant_id", "=", input.tenantId)
    .execute();
}

/** The number's tier as last configured or reported by Meta; unknown counts as unlimited. */
export async function messagingLimitOf(
  db: Kysely<DB>,
  senderNumberId: number,
): Promise<number | null> {
  const row = await db
    .selectFrom("sender_numbers")
    .select("messaging_limit_tier")
    .where("id", "=", senderNumberId)
    .executeTakeFirst();
  const tier = row?.messaging_limit_tier;
  return tier ? (TIER_LIMITS[tier] ?? null) : null;
}
