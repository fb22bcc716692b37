import { sql } from "kysely";
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

/** One save of a comune's settings (migration 0017). */
export interface SettingVersionRow {
  version: number;
  /** The sections overridden over the file as of this save. */
  settings: Record<string, unknown>;
  changed: string[];
  savedBy: { type: string; id: string | null; name: string | null };
  savedAt: number;
  note: string;
  restoredFrom: number | null;
}

type Db = Kysely<DB>;

function versionsQuery(db: Db, tenantId: string) {
  return db
    .selectFrom("tenant_setting_versions as v")
    .leftJoin("users as u", (join) =>
      join
        .onRef("v.saved_by_id", "=", sql<string>`cast(u.id as text)`)
        .on("v.saved_by_type", "=", "user"),
    )
    .select([
      "v.version",
      "v.settings",
      "v.changed",
      "v.saved_by_type",
      "v.saved_by_id",
      "v.saved_at",
      "v.note",
      "v.restored_from",
      "u.display_name",
    ])
    .where("v.tenant_id", "=", tenantId);
}

type VersionSelect = Awaited<
  ReturnType<ReturnType<typeof versionsQuery>["executeTakeFirstOrThrow"]>
>;

function versionOf(r: VersionSelect): SettingVersionRow {
  return {
    version: Number(r.version),
    settings: JSON.parse(r.settings) as Record<string, unknown>,
    changed: JSON.parse(r.changed) as string[],
    savedBy: { type: r.saved_by_type, id: r.saved_by_id, name: r.display_name ?? null },
    savedAt: Number(r.saved_at),
    note: r.note,
    restoredFrom: r.restored_from === null ? null : Number(r.restored_from),
  };
}

/** The comune's saves, newest first. */
export async function listSettingVersions(db: Db, tenantId: string): Promise<SettingVersionRow[]> {
  const rows = await versionsQuery(db, tenantId).orderBy("v.version", "desc").execute();
  return rows.map(versionOf);
}

export async function findSettingVersion(
  db: Db,
  tenantId: string,
  version: number,
): Promise<SettingVersionRow | undefined> {
  const row = await versionsQuery(db, tenantId).where("v.version", "=", version).executeTakeFirst();
  return row && versionOf(row);
}

/** The save in force (the latest), if the comune saved any. */
export async function latestSettingVersion(
  db: Db,
  tenantId: string,
): Promise<SettingVersionRow | undefined> {
  const row = await versionsQuery(db, tenantId)
    .orderBy("v.version", "desc")
    .limit(1)
    .executeTakeFirst();
  return row && versionOf(row);
}

/** The latest version number of each comune that saved any. */
export async function latestSettingVersionNumbers(db: Db): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom("tenant_setting_versions")
    .select(["tenant_id", (eb) => eb.fn.max("version").as("latest")])
    .groupBy("tenant_id")
    .execute();
  return new Map(rows.map((r) => [r.tenant_id, Number(r.latest)]));
}

export async function insertSettingVersion(
  db: Db,
  row: {
    tenantId: string;
    version: number;
    settings: Record<string, unknown>;
    changed: readonly string[];
    savedBy: { type: string; id: string | null };
    savedAt: number;
    note: string;
    restoredFrom: number | null;
  },
): Promise<void> {
  await db
    .insertInto("tenant_setting_versions")
    .values({
      tenant_id: row.tenantId,
      version: row.version,
      settings: JSON.stringify(row.settings),
      changed: JSON.stringify(row.changed),
      saved_by_type: row.savedBy.type,
      saved_by_id: row.savedBy.id,
      saved_at: row.savedAt,
      note: row.note,
      restored_from: row.restoredFrom,
    })
    .execute();
}

/**
 * Serializes saves of one comune: the row of `tenant_settings` is written first in the save's
 * transaction, so a second save waits for the first (PostgreSQL: the row lock; SQLite: one
 * writer) and then reads the version the first one made.
 */
export async function lockTenantSettings(db: Db, tenantId: string, now: number): Promise<void> {
  await db
    .insertInto("tenant_settings")
    .values({ tenant_id: tenantId, updated_at: now })
    .onConflict((oc) => oc.column("tenant_id").doUpdateSet({ updated_at: now }))
    .execute();
}
