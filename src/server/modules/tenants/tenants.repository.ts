import type { Kysely } from "kysely";
import type { DB } from "../../platform/db/schema.js";

export interface TenantRow {
  id: string;
  name: string;
  serviceName: string;
  configHash: string;
}

export interface SenderNumberRow {
  tenantId: string;
  phoneNumberId: string;
  displayNumber: string;
  wabaId: string | null;
  ratePerSecond: number;
  /** Configured tier; when absent the value Meta reported (if any) is kept. */
  messagingLimitTier: string | null;
}

/** Inserts the comune, or updates it in place; returns whether its config changed. */
export async function upsertTenant(
  db: Kysely<DB>,
  row: TenantRow,
  now: number,
): Promise<"created" | "changed" | "unchanged"> {
  const existing = await db
    .selectFrom("tenants")
    .select("config_hash")
    .where("id", "=", row.id)
    .executeTakeFirst();
  if (!existing) {
    await db
      .insertInto("tenants")
      .values({
        id: row.id,
        name: row.name,
        service_name: row.serviceName,
        config_hash: row.configHash,
        created_at: now,
        updated_at: now,
      })
      .execute();
    return "created";
  }
  if (existing.config_hash === row.configHash) return "unchanged";
  await db
    .updateTable("tenants")
    .set({
      name: row.name,
      service_name: row.serviceName,
      config_hash: row.configHash,
      updated_at: now,
    })
    .where("id", "=", row.id)
    .execute();
  return "changed";
}

/** A number is keyed by Meta's phone-number id; moving it to another comune is refused upstream. */
export async function upsertSenderNumber(
  db: Kysely<DB>,
  row: SenderNumberRow,
  now: number,
): Promise<void> {
  await db
    .insertInto("sender_numbers")
    .values({
      tenant_id: row.tenantId,
      phone_number_id: row.phoneNumberId,
      display_number: row.displayNumber,
      waba_id: row.wabaId,
      rate_per_second: row.ratePerSecond,
      messaging_limit_tier: row.messagingLimitTier,
      quality_rating: null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.column("phone_number_id").doUpdateSet({
        display_number: row.displayNumber,
        waba_id: row.wabaId,
        rate_per_second: row.ratePerSecond,
        ...(row.messagingLimitTier ? { messaging_limit_tier: row.messagingLimitTier } : {}),
        updated_at: now,
      }),
    )
    .execute();
}

export async function findSenderNumberOwner(
  db: Kysely<DB>,
  phoneNumberId: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom("sender_numbers")
    .select("tenant_id")
    .where("phone_number_id", "=", phoneNumberId)
    .executeTakeFirst();
  return row?.tenant_id;
}

export async function listTenantIds(db: Kysely<DB>): Promise<string[]> {
  const rows = await db.selectFrom("tenants").select("id").orderBy("id").execute();
  return rows.map((r) => r.id);
}

/** "required" unless the comune turned it off (no row: the default). */
export async function findTwoFactorSetting(
  db: Kysely<DB>,
  tenantIds: readonly string[],
): Promise<Map<string, "required" | "off">> {
  const result = new Map<string, "required" | "off">(tenantIds.map((t) => [t, "required"]));
  if (!tenantIds.length) return result;
  const rows = await db
    .selectFrom("tenant_settings")
    .select(["tenant_id", "two_factor"])
    .where("tenant_id", "in", tenantIds)
    .execute();
  for (const r of rows) result.set(r.tenant_id, r.two_factor === "off" ? "off" : "required");
  return result;
}

export async function saveTwoFactorSetting(
  db: Kysely<DB>,
  tenantId: string,
  value: "required" | "off",
  now: number,
): Promise<void> {
  await db
    .insertInto("tenant_settings")
    .values({ tenant_id: tenantId, two_factor: value, updated_at: now })
    .onConflict((oc) => oc.column("tenant_id").doUpdateSet({ two_factor: value, updated_at: now }))
    .execute();
}
