// The inbound queue's hot queries against a long history of handled events (issue #14 item 5b):
// `statusesWaitingSince` (the dispatcher asks it on every tick) and the processor's claim, each
// timed and explained at 10k, 100k and 400k handled events, with the first query shape
// (`min(received_at)`, commit 6d9b936) timed beside them as the "before".
//
//   npx tsx bench/inbound-events.ts                    # SQLite (a file, the production pragmas)
//   DATABASE_URL=postgres://… npx tsx bench/inbound-events.ts   # and PostgreSQL
import {
  CompiledQuery,
  type Kysely,
  type KyselyPlugin,
  type QueryId,
  type RootOperationNode,
} from "kysely";
import { syncTenants } from "../src/server/modules/tenants/tenants.service.js";
import {
  claimInboundEvents,
  oldestWaitingEventAt,
  pruneHandledInboundEvents,
} from "../src/server/modules/whatsapp/inbound-events.repository.js";
import { statusesWaitingSince } from "../src/server/modules/whatsapp/inbound-events.service.js";
import type { Engine } from "../src/server/platform/db/dialect.js";
import { migrateToLatest } from "../src/server/platform/db/migrate.js";
import type { DB } from "../src/server/platform/db/schema.js";
import { createLogger } from "../src/server/platform/log.js";
import { testEngines } from "../src/server/test/engines.js";
import { freshDatabase, INSERT_BATCH, loadShippedTenants } from "./storage.js";

const SIZES = [10_000, 100_000, 400_000];
/** Events still waiting: statuses not handled yet, and a few failed ones kept for a person. */
const WAITING = 100;
const FAILED = 5;
const REPEATS = 200;
const NOW = Date.UTC(2026, 11, 4, 9);
/** As `PRUNE_BATCH` in inbound-events.service.ts. */
const PRUNE_BATCH = 2_000;

/** The query as it first was: every waiting status of the comune, through whichever index. */
async function oldestWaitingBefore(db: Kysely<DB>, tenantId: string): Promise<number | undefined> {
  const row = await db
    .selectFrom("inbound_events")
    .select((eb) => eb.fn.min("received_at").as("at"))
    .where("processed_at", "is", null)
    .where("tenant_id", "=", tenantId)
    .where("kind", "=", "status")
    .where("error", "is", null)
    .executeTakeFirst();
  return row?.at ?? undefined;
}

/** `handled` handled statuses of two comuni, then the waiting and failed ones, in arrival order. */
async function fill(db: Kysely<DB>, handled: number): Promise<void> {
  const tenants = ["concorezzo", "casale-marittimo"];
  const total = handled + WAITING + FAILED;
  for (let start = 0; start < total; start += INSERT_BATCH) {
    const rows = [];
    for (let i = start; i < Math.min(total, start + INSERT_BATCH); i++) {
      const waiting = i >= handled;
      const failed = i >= handled + WAITING;
      const receivedAt = NOW - (total - i) * 10;
      rows.push({
        tenant_id: tenants[i % 2] ?? "concorezzo",
        kind: "status",
        dedup_key: `s${i}:delivered`,
        payload: '{"kind":"status"}',
        priority: 0,
        received_at: receivedAt,
        processed_at: waiting ? null : receivedAt + 50,
        // The waiting ones are claimed by another process: the claim below finds nothing to take
        // and so reads every candidate, its worst case.
        locked_until: waiting ? NOW + 60_000 : null,
        attempts: failed ? 10 : waiting ? 1 : 1,
        error: failed ? "Error: down" : null,
      });
    }
    await db.insertInto("inbound_events").values(rows).execute();
  }
}

/** Prunes every handled event in the production's batches; answers the median and longest. */
async function pruneAll(
  db: Kysely<DB>,
): Promise<{ deleted: number; medianMs: number; longestMs: number }> {
  let afterId: number | undefined = 0;
  let deleted = 0;
  const times: number[] = [];
  while (afterId !== undefined) {
    const t = performance.now();
    const batch = await pruneHandledInboundEvents(db, {
      receivedBefore: NOW,
      afterId,
      limit: PRUNE_BATCH,
    });
    times.push(performance.now() - t);
    deleted += batch.deleted;
    afterId = batch.nextAfterId;
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.floor((times.length - 1) * q)] ?? Number.NaN;
  return { deleted, medianMs: at(0.5), longestMs: at(1) };
}

/** The SQL of the first query `run` sends. */
async function firstQuery(
  db: Kysely<DB>,
  run: (db: Kysely<DB>) => Promise<unknown>,
): Promise<CompiledQuery> {
  let first: { node: RootOperationNode; queryId: QueryId } | undefined;
  const capture: KyselyPlugin = {
    transformQuery(args) {
      first ??= args;
      return args.node;
    },
    transformResult: (args) => Promise.resolve(args.result),
  };
  await run(db.withPlugin(capture));
  if (!first) throw new Error("no query was sent");
  return db.getExecutor().compileQuery(first.node, first.queryId);
}

async function plan(db: Kysely<DB>, engine: Engine, query: CompiledQuery): Promise<string> {
  const prefix =
    engine === "sqlite"
      ? "explain query plan "
      : "explain (analyze, costs off, timing off, summary off) ";
  const { rows } = await db.executeQuery<Record<string, unknown>>(
    CompiledQuery.raw(prefix + query.sql, [...query.parameters]),
  );
  return rows.map((r) => String(engine === "sqlite" ? r.detail : r["QUERY PLAN"])).join(" / ");
}

async function medianMs(run: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

const claim = (db: Kysely<DB>) =>
  claimInboundEvents(db, { now: NOW, leaseMs: 60_000, limit: 100, maxAttempts: 10 });

async function plansOf(db: Kysely<DB>, engine: Engine): Promise<string[]> {
  const queries = [
    ["before", (d: Kysely<DB>) => oldestWaitingBefore(d, "concorezzo")],
    ["now", (d: Kysely<DB>) => oldestWaitingEventAt(d, "concorezzo", "status", 0)],
    ["claim", claim],
  ] as const;
  const plans: string[] = [];
  for (const [name, run] of queries) {
    plans.push(`- ${engine}, ${name}: ${await plan(db, engine, await firstQuery(db, run))}`);
  }
  return plans;
}

const tenants = await loadShippedTenants();
const lines = [
  "| engine | handled events | before: `min(received_at)` | now: `statusesWaitingSince` | claim (nothing claimable) | prune batch: median, longest |",
  "| ------ | -------------- | -------------------------- | --------------------------- | ------------------------- | ---------------------------- |",
];
const plans: string[] = [];
for (const engine of testEngines()) {
  for (const size of SIZES) {
    const database = await freshDatabase(engine);
    const { db } = database;
    try {
      await migrateToLatest(db);
      await syncTenants(db, tenants, { now: () => NOW }, createLogger("silent"));
      process.stderr.write(`${engine}: ${size} handled events…\n`);
      await fill(db, size);
      if (engine === "postgres") await db.executeQuery(CompiledQuery.raw("analyze inbound_events"));
      const expected = await oldestWaitingBefore(db, "concorezzo");
      const now = await statusesWaitingSince(db, "concorezzo");
      if (expected !== now) throw new Error(`the two queries disagree: ${expected} ≠ ${now}`);
      const before = await medianMs(() => oldestWaitingBefore(db, "concorezzo"));
      const after = await medianMs(() => statusesWaitingSince(db, "concorezzo"));
      const claimMs = await medianMs(() => claim(db));
      if (size === SIZES.at(-1)) plans.push(...(await plansOf(db, engine)));
      const pruned = await pruneAll(db);
      if (pruned.deleted !== size) throw new Error(`pruned ${pruned.deleted} of ${size}`);
      lines.push(
        `| ${engine} | ${size.toLocaleString("en")} | ${before.toFixed(3)} ms | ${after.toFixed(3)} ms | ${claimMs.toFixed(3)} ms | ${pruned.medianMs.toFixed(1)}, ${pruned.longestMs.toFixed(1)} ms |`,
      );
    } finally {
      await database.close();
    }
  }
}
process.stdout.write(
  `${lines.join("\n")}\n\nPlans at ${SIZES.at(-1)?.toLocaleString("en")}:\n${plans.join("\n")}\n`,
);
