import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseEnv } from "../../config/env.js";
import { loadTenants, type Tenant } from "../../config/tenants.js";
import { syncTenants } from "../../modules/tenants/tenants.service.js";
import { fakeClock, SHIPPED_TENANTS_DIR } from "../../test/build-test-app.js";
import { openTestDatabase, testEngines } from "../../test/engines.js";
import { buildSubscriber } from "../../test/factories.js";
import { ConfigError } from "../errors.js";
import { createLogger } from "../log.js";
import type { Database } from "./connect.js";
import { migrateToLatest, schemaState } from "./migrate.js";
import { migrations } from "./migrations/index.js";
import { TABLES_WITHOUT_TENANT } from "./schema.js";

const log = createLogger("silent");
/** Past 2^31 and 2^32: an instant in ms must survive both engines exactly. */
const INSTANT = Date.UTC(2026, 10, 22, 17, 30, 12, 345);

async function shippedTenants(): Promise<Tenant[]> {
  const env = parseEnv({ TENANTS_DIR: SHIPPED_TENANTS_DIR });
  return (await loadTenants(env)).tenants;
}

describe.each(testEngines())("storage on %s", (engine) => {
  let database: Database;

  beforeEach(async () => {
    database = await openTestDatabase(engine);
  });
  afterEach(async () => {
    await database.close();
  });

  it("applies every migration once and reports the schema as current", async () => {
    expect(await schemaState(database.db)).toEqual({
      applied: 0,
      pending: Object.keys(migrations),
    });
    const first = await migrateToLatest(database.db);
    expect(first.map((r) => [r.migrationName, r.status])).toEqual(
      Object.keys(migrations).map((name) => [name, "Success"]),
    );
    expect(await migrateToLatest(database.db)).toEqual([]);
    expect(await schemaState(database.db)).toEqual({
      applied: Object.keys(migrations).length,
      pending: [],
    });
  });

  it("gives every table holding a comune's data a tenant_id", async () => {
    await migrateToLatest(database.db);
    const tables = (await database.db.introspection.getTables()).filter(
      (t) => !t.name.startsWith("kysely_"),
    );
    expect(tables.map((t) => t.name).sort()).toEqual(
      [
        "api_keys",
        "audit_log",
        "broadcasts",
        "consent_events",
        "inbound_events",
        "login_throttle",
        "media_files",
        "media_uploads",
        "moderation_messages",
        "outbound_messages",
        "sender_numbers",
        "sessions",
        "subscribers",
        "tenant_setting_versions",
        "tenant_settings",
        "tenants",
        "user_roles",
        "user_tokens",
        "users",
        "whatsapp_templates",
      ].sort(),
    );
    const missing = tables
      .filter((t) => t.name !== "tenants" && !(t.name in TABLES_WITHOUT_TENANT))
      .filter((t) => !t.columns.some((c) => c.name === "tenant_id"))
      .map((t) => t.name);
    expect(missing).toEqual([]);
  });

  describe("with the schema and the demo comuni", () => {
    let tenants: Tenant[];
    beforeEach(async () => {
      await migrateToLatest(database.db);
      tenants = await shippedTenants();
      await syncTenants(database.db, tenants, fakeClock(INSTANT), log);
    });

    it("writes each comune and its sender number from the config", async () => {
      const rows = await database.db
        .selectFrom("tenants")
        .innerJoin("sender_numbers", "sender_numbers.tenant_id", "tenants.id")
        .select([
          "tenants.id",
          "tenants.service_name",
          "sender_numbers.phone_number_id",
          "sender_numbers.display_number",
          "sender_numbers.rate_per_second",
          "tenants.created_at",
        ])
        .orderBy("tenants.id")
        .execute();
      expect(rows).toEqual([
        {
          id: "casale-marittimo",
          service_name: expect.any(String) as string,
          phone_number_id: "100000000000002",
          display_number: "393760088777",
          rate_per_second: 80,
          created_at: INSTANT,
        },
        {
          id: "concorezzo",
          service_name: "WhatsConcorezzo",
          phone_number_id: "100000000000001",
          display_number: "393665784663",
          rate_per_second: 80,
          created_at: INSTANT,
        },
      ]);
    });

    it("is idempotent on restart and updates a comune whose file changed", async () => {
      const later = INSTANT + 60_000;
      await syncTenants(database.db, tenants, fakeClock(later), log);
      const unchanged = await database.db
        .selectFrom("tenants")
        .select(["id", "updated_at"])
        .execute();
      expect(unchanged.every((t) => t.updated_at === INSTANT)).toBe(true);

      const renamed = tenants.map((t) =>
        t.slug === "concorezzo" ? { ...t, serviceName: "WhatsConcorezzo 2" } : t,
      );
      await syncTenants(database.db, renamed, fakeClock(later), log);
      const row = await database.db
        .selectFrom("tenants")
        .select(["service_name", "created_at", "updated_at"])
        .where("id", "=", "concorezzo")
        .executeTakeFirstOrThrow();
      expect(row).toEqual({
        service_name: "WhatsConcorezzo 2",
        created_at: INSTANT,
        updated_at: later,
      });
      const numbers = await database.db.selectFrom("sender_numbers").select("id").execute();
      expect(numbers).toHaveLength(2);
    });

    it("refuses to move a sender number to another comune", async () => {
      const stolen = tenants.map((t) =>
        t.slug === "casale-marittimo"
          ? { ...t, whatsapp: { ...t.whatsapp, phoneNumberId: "100000000000001" } }
          : t,
      );
      await expect(syncTenants(database.db, stolen, fakeClock(INSTANT), log)).rejects.toThrow(
        ConfigError,
      );
      await expect(syncTenants(database.db, stolen, fakeClock(INSTANT), log)).rejects.toThrow(
        /phoneNumberId: already belongs to the comune "concorezzo"/,
      );
    });

    it("assigns increasing integer ids and keeps instants to the millisecond", async () => {
      const ids: number[] = [];
      for (const waId of ["393331111111", "393332222222", "393333333333"]) {
        const row = await buildSubscriber(database.db, {
          tenant_id: "concorezzo",
          wa_id: waId,
          status: "active",
          subscribed_at: INSTANT,
          last_inbound_at: INSTANT + 1,
          created_at: INSTANT,
          updated_at: INSTANT,
        });
        ids.push(row.id);
      }
      expect(ids.every((id) => typeof id === "number")).toBe(true);
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
      expect(new Set(ids).size).toBe(3);

      const read = await database.db
        .selectFrom("subscribers")
        .select(["id", "subscribed_at", "last_inbound_at", "topics"])
        .where("id", "=", ids[0]!)
        .executeTakeFirstOrThrow();
      expect(read).toEqual({
        id: ids[0],
        subscribed_at: INSTANT,
        last_inbound_at: INSTANT + 1,
        topics: "[]",
      });

      const counted = await database.db
        .selectFrom("subscribers")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
      expect(counted.n).toBe(3);
    });

    it("keeps one subscriber per number per comune, and people known only by user id", async () => {
      const insert = (tenant: string, waId: string | null, userId: string | null) =>
        buildSubscriber(database.db, {
          tenant_id: tenant,
          wa_id: waId,
          user_id: userId,
          status: "active",
          subscribed_at: null,
          created_at: INSTANT,
          updated_at: INSTANT,
        });
      await insert("concorezzo", "393331234567", null);
      await insert("casale-marittimo", "393331234567", null); // the same person in another comune
      await expect(insert("concorezzo", "393331234567", null)).rejects.toThrow();
      await insert("concorezzo", null, "IT.1234567890");
      await insert("concorezzo", null, "IT.0987654321");
      await expect(insert("concorezzo", null, "IT.1234567890")).rejects.toThrow();
    });

    it("refuses rows for a comune that does not exist", async () => {
      await expect(
        database.db
          .insertInto("consent_events")
          .values({
            tenant_id: "nowhere",
            subscriber_key: "k",
            action: "subscribed",
            regulation_version: "1.0",
            privacy_version: "1.0",
            inbound_message_id: null,
            text_received: null,
            created_at: INSTANT,
          })
          .execute(),
      ).rejects.toThrow();
    });

    it("stores a redelivered webhook event only once", async () => {
      const event = {
        tenant_id: "concorezzo",
        kind: "message",
        dedup_key: "wamid.HBgLMzkzMzMxMjM0NTY3FQIAEhgUM0EwQkFBQjQ3RjA5",
        payload: "{}",
        received_at: INSTANT,
        processed_at: null,
        locked_until: null,
        error: null,
      };
      const first = await database.db
        .insertInto("inbound_events")
        .values(event)
        .onConflict((oc) => oc.columns(["tenant_id", "dedup_key"]).doNothing())
        .executeTakeFirst();
      const again = await database.db
        .insertInto("inbound_events")
        .values({ ...event, received_at: INSTANT + 5000 })
        .onConflict((oc) => oc.columns(["tenant_id", "dedup_key"]).doNothing())
        .executeTakeFirst();
      expect(Number(first.numInsertedOrUpdatedRows)).toBe(1);
      expect(Number(again.numInsertedOrUpdatedRows ?? 0)).toBe(0);
      const rows = await database.db.selectFrom("inbound_events").select("received_at").execute();
      expect(rows).toEqual([{ received_at: INSTANT }]);
    });
  });
});

describe.each(testEngines().filter((e) => e === "postgres"))("migrations on %s", (engine) => {
  it("migrate a schema while another schema of the same database holds Kysely's tables", async () => {
    // The tests' throw-away schemas live side by side: Kysely, looking in every schema, took the
    // other one's bookkeeping tables for this one's, skipped creating them and failed.
    const other = await openTestDatabase(engine);
    const database = await openTestDatabase(engine);
    try {
      await migrateToLatest(other.db);
      expect(await schemaState(database.db)).toEqual({
        applied: 0,
        pending: Object.keys(migrations),
      });
      expect(await migrateToLatest(database.db)).toHaveLength(Object.keys(migrations).length);
      expect((await schemaState(database.db)).pending).toEqual([]);
    } finally {
      await database.close();
      await other.close();
    }
  });
});
