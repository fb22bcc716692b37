import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql, type Kysely } from "kysely";
import { parseEnv } from "../src/server/config/env.js";
import { loadTenants, type Tenant } from "../src/server/config/tenants.js";
import {
  insertDeliveriesForBroadcast,
  PRIORITY,
} from "../src/server/modules/dispatch/outbound.repository.js";
import { syncTenants } from "../src/server/modules/tenants/tenants.service.js";
import { openDatabase, type Database } from "../src/server/platform/db/connect.js";
import type { Engine } from "../src/server/platform/db/dialect.js";
import { migrateToLatest } from "../src/server/platform/db/migrate.js";
import type { DB } from "../src/server/platform/db/schema.js";
import { createLogger } from "../src/server/platform/log.js";
import { openTestDatabase } from "../src/server/test/engines.js";
import { buildBroadcast, subscriberValues } from "../src/server/test/factories.js";

const TENANTS_DIR = new URL("../config/tenants/", import.meta.url).pathname;
const TENANT = "concorezzo";
const INSTANT = Date.UTC(2026, 10, 22, 9, 0, 0);
/** Rows per multi-row INSERT: 14 bound values each, well under both engines' parameter limits. */
export const INSERT_BATCH = 1000;

export interface StorageRun {
  migrateMs: number;
  insertMs: number;
  expandMs: number;
  /** The same expansion again: the unique index turns every row away. */
  rerunMs: number;
}

export async function loadShippedTenants(): Promise<readonly Tenant[]> {
  const { tenants } = await loadTenants(parseEnv({ TENANTS_DIR, LOG_LEVEL: "silent" }));
  return tenants;
}

/**
 * A fresh, empty database: a SQLite file in a temporary directory (the production pragmas:
 * WAL, synchronous NORMAL, foreign keys on), or a throw-away schema in DATABASE_URL's database.
 */
export async function freshDatabase(engine: Engine): Promise<Database> {
  if (engine === "postgres") return openTestDatabase("postgres");
  const dir = mkdtempSync(path.join(os.tmpdir(), "banditore-bench-"));
  const database = openDatabase({ dataDir: dir, sqliteFile: "bench.sqlite" });
  return {
    ...database,
    close: async () => {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function engineVersion(engine: Engine): Promise<string> {
  const database = await freshDatabase(engine);
  try {
    const query =
      engine === "sqlite"
        ? sql<{ v: string }>`select sqlite_version() as v`
        : sql<{ v: string }>`show server_version`;
    const { rows } = await query.execute(database.db);
    const row = rows[0] as Record<string, unknown> | undefined;
    return String(row ? Object.values(row)[0] : "?");
  } finally {
    await database.close();
  }
}

/** Migrate a fresh database, import `subscribers` active subscribers, expand one broadcast. */
export async function storageRun(
  engine: Engine,
  tenants: readonly Tenant[],
  subscribers: number,
): Promise<StorageRun> {
  const database = await freshDatabase(engine);
  const { db } = database;
  try {
    let t = performance.now();
    await migrateToLatest(db);
    const migrateMs = performance.now() - t;

    await syncTenants(db, tenants, { now: () => INSTANT }, createLogger("silent"));
    const sender = await db
      .selectFrom("sender_numbers")
      .select("id")
      .where("tenant_id", "=", TENANT)
      .executeTakeFirstOrThrow();

    t = performance.now();
    await insertSubscribers(db, subscribers);
    const insertMs = performance.now() - t;
    const counted = await db
      .selectFrom("subscribers")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    assertCount("subscribers", Number(counted.n), subscribers);

    const broadcast = await buildBroadcast(db, {
      tenant_id: TENANT,
      title: "Chiusura via Roma",
      status: "sending",
      priority: "normal",
      content: JSON.stringify({ type: "text", text: "Via Roma chiusa domani" }),
      started_at: INSTANT,
      created_at: INSTANT,
    });

    const expansion = {
      broadcastId: broadcast.id,
      tenantId: TENANT,
      senderNumberId: sender.id,
      priority: PRIORITY.normal,
      now: INSTANT,
    };
    t = performance.now();
    const added = await insertDeliveriesForBroadcast(db, expansion);
    const expandMs = performance.now() - t;
    assertCount("expanded deliveries", added, subscribers);

    t = performance.now();
    const again = await insertDeliveriesForBroadcast(db, expansion);
    const rerunMs = performance.now() - t;
    assertCount("deliveries added by the re-run", again, 0);

    return { migrateMs, insertMs, expandMs, rerunMs };
  } finally {
    await database.close();
  }
}

function assertCount(what: string, actual: number, expected: number): void {
  if (actual !== expected) throw new Error(`${what}: ${actual}, expected ${expected}`);
}

/** Batched multi-row INSERTs through Kysely, one statement (and commit) per batch. */
async function insertSubscribers(db: Kysely<DB>, count: number): Promise<void> {
  for (let start = 0; start < count; start += INSERT_BATCH) {
    const size = Math.min(INSERT_BATCH, count - start);
    await db
      .insertInto("subscribers")
      .values(
        Array.from({ length: size }, (_, i) =>
          subscriberValues({
            tenant_id: TENANT,
            wa_id: `39333${String(start + i).padStart(7, "0")}`,
            status: "active",
            created_at: INSTANT,
          }),
        ),
      )
      .execute();
  }
}
