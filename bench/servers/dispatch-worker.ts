// The dispatching process of the dispatch and expansion benches: run by bench/run.ts in its own
// process (pinned to its own CPU) and driven over IPC, so that its CPU time and peak memory are
// its own. Operations:
// - seed: a fresh database with N active subscribers and the comuni;
// - held: `banditore worker` (startWorker) sends one broadcast to them through the sandbox;
// - raw / ours: a bare undici Pool.request loop, then the whole NumberDispatcher, against the
//   same fake Graph API, at the same concurrency (unthrottled);
// - paced: a bare undici loop paced at the held rate through the sandbox (D3's baseline);
// - expansion: the expansion as startBroadcast runs it (in chunks on SQLite, broadcast-expansion.ts)
//   against a raw INSERT … SELECT into a table with the same primary and unique keys and nothing
//   else.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { sql, type Kysely } from "kysely";
import { Pool } from "undici";
import { parseEnv, type Env } from "../../src/server/config/env.js";
import { loadTenants, type Tenant } from "../../src/server/config/tenants.js";
import {
  EXPANSION_CHUNK,
  resumeExpansion,
} from "../../src/server/modules/dispatch/broadcast-expansion.js";
import {
  broadcastCounters,
  hasDeliveriesLeft,
} from "../../src/server/modules/dispatch/broadcast-delivery.repository.js";
import { beginExpansion } from "../../src/server/modules/dispatch/broadcast-expansion.repository.js";
import { NumberDispatcher } from "../../src/server/modules/dispatch/dispatcher.js";
import {
  insertDeliveriesForBroadcast,
  PRIORITY,
} from "../../src/server/modules/dispatch/outbound.repository.js";
import { syncTenants } from "../../src/server/modules/tenants/tenants.service.js";
import {
  CloudApiClient,
  createGraphDispatcher,
} from "../../src/server/modules/whatsapp/cloud-api-client.js";
import { buildMessageBody } from "../../src/server/modules/whatsapp/graph-payloads.js";
import type { OutboundMessage } from "../../src/server/modules/whatsapp/types.js";
import { systemClock } from "../../src/server/platform/clock.js";
import { openDatabase, type Database } from "../../src/server/platform/db/connect.js";
import type { Engine } from "../../src/server/platform/db/dialect.js";
import { migrateToLatest } from "../../src/server/platform/db/migrate.js";
import type { DB } from "../../src/server/platform/db/schema.js";
import { createLogger } from "../../src/server/platform/log.js";
import { startWorker } from "../../src/server/server.js";
import { openTestDatabase } from "../../src/server/test/engines.js";
import { buildBroadcast } from "../../src/server/test/factories.js";
import {
  cpuSecondsSince,
  loopDelayMeter,
  PeakRss,
  serveOperations,
  type LoopDelay,
} from "../lib/ipc-server.js";

const TENANT = "concorezzo";
const API_VERSION = "v25.0";
const log = createLogger("warn");

/** The broadcast every scenario sends: an approved template, as the comuni send news. */
export const NEWS: OutboundMessage = {
  type: "template",
  name: "notizia_comune",
  language: "it",
  body: [{ text: "Mercoledì 25 novembre il municipio resta chiuso per lavori." }],
};

const envFor = (dataDir: string): Env => parseEnv({ ...process.env, DATA_DIR: dataDir });
let tenantsCache: readonly Tenant[] | undefined;
async function tenants(): Promise<readonly Tenant[]> {
  tenantsCache ??= (await loadTenants(envFor(os.tmpdir()))).tenants;
  return tenantsCache;
}
function concorezzo(all: readonly Tenant[]): Tenant {
  const tenant = all.find((t) => t.slug === TENANT);
  if (!tenant) throw new Error(`no tenant ${TENANT} in TENANTS_DIR`);
  return tenant;
}

/** The bench's own connections, one per data directory (the worker opens its own). */
const databases = new Map<string, Database>();
function databaseOf(dataDir: string): Database {
  let database = databases.get(dataDir);
  if (!database) {
    database = openDatabase({ dataDir, log });
    databases.set(dataDir, database);
  }
  return database;
}

/** N active subscribers in one INSERT … SELECT (numbers 3932xxxxxxxx), never through JS rows. */
async function seedSubscribers(db: Kysely<DB>, engine: Engine, count: number): Promise<void> {
  const now = Date.now();
  if (engine === "sqlite") {
    await sql`with recursive seq(i) as (select 0 union all select i + 1 from seq where i < ${count - 1})
      insert into subscribers (tenant_id, wa_id, status, subscribed_at, created_at, updated_at)
      select ${TENANT}, '3932' || printf('%08d', i), 'active', ${now}, ${now}, ${now} from seq`.execute(
      db,
    );
  } else {
    await sql`insert into subscribers (tenant_id, wa_id, status, subscribed_at, created_at, updated_at)
      select ${TENANT}, '3932' || lpad(i::text, 8, '0'), 'active', ${now}::bigint, ${now}::bigint, ${now}::bigint
      from generate_series(0, ${count - 1}::int) as i`.execute(db);
    await sql`analyze subscribers`.execute(db);
  }
}

async function prepare(db: Kysely<DB>, engine: Engine, subscribers: number): Promise<void> {
  await migrateToLatest(db);
  await syncTenants(db, await tenants(), systemClock, log);
  await seedSubscribers(db, engine, subscribers);
}

async function createBroadcast(db: Kysely<DB>, status: "approved" | "sending"): Promise<number> {
  const now = Date.now();
  const row = await buildBroadcast(db, {
    tenant_id: TENANT,
    title: "Chiusura del municipio",
    status,
    priority: "normal",
    content: JSON.stringify(NEWS),
    started_at: status === "sending" ? now : null,
    created_at: now,
  });
  return row.id;
}

async function senderIdOf(db: Kysely<DB>): Promise<number> {
  const row = await db
    .selectFrom("sender_numbers")
    .select("id")
    .where("tenant_id", "=", TENANT)
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * The longest the event loop was blocked while `fn` ran, in ms: the largest gap between the
 * ticks of a 5 ms interval, less 5 ms. better-sqlite3 runs a statement synchronously, so on
 * SQLite this is at least the longest single statement.
 */
async function withStallMeter<T>(fn: () => Promise<T>): Promise<{ value: T; stallMs: number }> {
  const every = 5;
  let last = performance.now();
  let longest = 0;
  const tick = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last - every);
    last = now;
  };
  const timer = setInterval(tick, every);
  try {
    const value = await fn();
    await sleep(2 * every);
    tick();
    return { value, stallMs: Math.max(0, longest) };
  } finally {
    clearInterval(timer);
  }
}

export interface HeldResult {
  deliveries: number;
  expandMs: number;
  /** Longest event-loop stall during the expansion. */
  expandStallMs: number;
  /** From the end of the expansion until the broadcast was sent (or the time limit). */
  sendingSeconds: number;
  /** CPU seconds of this whole process over `sendingSeconds`. */
  cpuSeconds: number;
  /** Peak RSS over the expansion and the sending, bytes. */
  peakRss: number;
  peakRssResettable: boolean;
  /** This process's event-loop delay over the sending. */
  loopDelay: LoopDelay;
  /** JS heap in use after a full GC at the end (run with --expose-gc), bytes: what is kept. */
  heapAfterGc: number | null;
  accepted: number;
  failed: number;
  finished: boolean;
}

/**
 * The bench's bare sender: undici Pool.request posting the JSON the client builds for NEWS to
 * `prefix` + the send's index, reading the wamid; CPU, time and peak RSS from its creation.
 */
async function bareSender(graphUrl: string, connections: number, prefix: string) {
  const origin = new URL(graphUrl);
  const tenant = concorezzo(await tenants());
  const pathName = `${origin.pathname.replace(/\/+$/, "")}/${API_VERSION}/${tenant.whatsapp.phoneNumberId}/messages`;
  const headers = {
    authorization: `Bearer ${tenant.secrets.accessToken}`,
    accept: "application/json",
    "content-type": "application/json",
  };
  const pool = new Pool(origin.origin, { connections });
  const peak = new PeakRss();
  const cpu = process.cpuUsage();
  const started = performance.now();
  let ok = 0;
  return {
    elapsedMs: () => performance.now() - started,
    accepted: () => ok,
    async send(i: number): Promise<void> {
      const body = buildMessageBody({
        to: `${prefix}${String(i).padStart(8, "0")}`,
        message: NEWS,
        callbackData: `om:${i}`,
      });
      if (!body.ok) throw new Error("unbuildable message");
      const response = await pool.request({
        path: pathName,
        method: "POST",
        headers,
        body: JSON.stringify(body.value),
      });
      const json = (await response.body.json()) as { messages?: { id?: string }[] };
      if (response.statusCode === 200 && json.messages?.[0]?.id) ok += 1;
    },
    /** Stops the clock and the CPU count, then closes the pool. */
    async finish(rows: number): Promise<TimedResult> {
      const ms = performance.now() - started;
      const cpuSeconds = cpuSecondsSince(cpu);
      await pool.close();
      return { rows, ms, cpuSeconds, peakRss: peak.read() };
    },
  };
}

export interface TimedResult {
  rows: number;
  ms: number;
  cpuSeconds: number;
  peakRss: number;
}

export interface ExpansionRound {
  /** The expansion as startBroadcast runs it (resumeExpansion, chunked on SQLite). */
  oursMs: number;
  oursStallMs: number;
  /** The same rows, INSERT … SELECT into a table with only the same primary and unique keys. */
  rawMs: number;
  rawStallMs: number;
  peakRss: number;
}

export interface ExpansionResult {
  engine: Engine;
  seedMs: number;
  rounds: ExpansionRound[];
  /** Bytes of outbound_messages and its indexes after the rounds, and of the keys-only table. */
  oursBytes: number | null;
  rawBytes: number | null;
  /** Filled in by the bench: CPU of every other process during the run (cores). */
  otherCpu?: number;
}

const operations = {
  /** A fresh database in `dataDir` with `subscribers` active subscribers of Concorezzo. */
  async seed(args: Record<string, unknown>): Promise<{ ms: number }> {
    const dataDir = String(args.dataDir);
    const t = performance.now();
    const { db, engine } = databaseOf(dataDir);
    await prepare(db, engine, Number(args.subscribers));
    return { ms: performance.now() - t };
  },

  /**
   * The held-rate run: `banditore worker` as it runs in production (startWorker: its own
   * database connection, the tenant file's rate, the Cloud API client to WHATSAPP_GRAPH_URL),
   * one broadcast to every subscriber, until it is sent or `stopAfterMs` passes.
   */
  async held(args: Record<string, unknown>): Promise<HeldResult> {
    const dataDir = String(args.dataDir);
    const stopAfterMs = args.stopAfterMs === undefined ? Infinity : Number(args.stopAfterMs);
    const { db } = databaseOf(dataDir);
    const broadcastId = await createBroadcast(db, "approved");
    const worker = await startWorker(envFor(dataDir), { log });
    try {
      const peak = new PeakRss();
      const started = performance.now();
      const { value: expanded, stallMs } = await withStallMeter(() =>
        worker.dispatch.startBroadcast(broadcastId),
      );
      const expandedAt = performance.now();
      const cpu = process.cpuUsage();
      const loop = loopDelayMeter();
      let finished = false;
      while (performance.now() - expandedAt < stopAfterMs) {
        await sleep(100);
        const row = await db
          .selectFrom("broadcasts")
          .select("status")
          .where("id", "=", broadcastId)
          .executeTakeFirstOrThrow();
        if (row.status === "sent") {
          finished = true;
          break;
        }
      }
      const cpuSeconds = cpuSecondsSince(cpu);
      const loopDelay = loop.take();
      const sendingSeconds = (performance.now() - expandedAt) / 1000;
      const counters = await worker.dispatch.counters(broadcastId);
      await worker.close();
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      return {
        heapAfterGc: gc ? process.memoryUsage().heapUsed : null,
        deliveries: expanded.deliveries,
        expandMs: expandedAt - started,
        expandStallMs: stallMs,
        sendingSeconds,
        cpuSeconds,
        peakRss: peak.read(),
        peakRssResettable: peak.resettable,
        loopDelay,
        accepted: counters.accepted,
        failed: counters.failed,
        finished,
      };
    } catch (error) {
      await worker.close();
      throw error;
    }
  },

  /**
   * The baseline of the unthrottled run: `concurrency` loops of undici Pool.request against the
   * fake Graph API, each sending the same JSON the client builds and reading the wamid.
   */
  async raw(args: Record<string, unknown>): Promise<TimedResult> {
    const requests = Number(args.requests);
    const concurrency = Number(args.concurrency);
    const graph = await bareSender(String(args.graphUrl), concurrency, "3932");
    let next = 0;
    const loop = async () => {
      while (next < requests) await graph.send(next++);
    };
    await Promise.all(Array.from({ length: concurrency }, loop));
    const result = await graph.finish(requests);
    if (graph.accepted() !== requests) {
      throw new Error(`raw loop: ${graph.accepted()} of ${requests} accepted`);
    }
    return result;
  },

  /**
   * The baseline of the held rate's CPU (D3): a bare undici loop paced at `ratePerSecond`
   * against the sandbox (its 100 ms latency), sending what is due every 4 ms as our dispatcher
   * does (one timer per few sends), the same JSON, reading each wamid. No database, no retries,
   * no status handling: the least a process sending at that rate does.
   */
  async paced(args: Record<string, unknown>): Promise<TimedResult> {
    const requests = Number(args.requests);
    const ratePerSecond = Number(args.ratePerSecond);
    // Enough connections for a second of sends at 100 ms latency, with room.
    const graph = await bareSender(String(args.graphUrl), Math.ceil(ratePerSecond / 5), "3934");
    const answers: Promise<void>[] = [];
    for (let i = 0; i < requests;) {
      const due = Math.floor((graph.elapsedMs() / 1000) * ratePerSecond) + 1;
      while (i < Math.min(requests, due)) answers.push(graph.send(i++));
      await sleep(4);
    }
    await Promise.all(answers);
    const result = await graph.finish(requests);
    if (graph.accepted() < requests * 0.99) {
      throw new Error(`paced loop: ${graph.accepted()} of ${requests} accepted`);
    }
    return result;
  },

  /**
   * The whole dispatcher, unthrottled: a broadcast to every subscriber of `dataDir`'s database
   * (expanded first, not timed), sent by a NumberDispatcher whose rate (50,000/s) is no limit,
   * `concurrency` in flight, through the production Cloud API client and agent. Timed from the
   * start until no row is queued or in flight: claims, sends and the result writes.
   */
  async ours(args: Record<string, unknown>): Promise<TimedResult> {
    const dataDir = String(args.dataDir);
    const concurrency = Number(args.concurrency);
    const { db } = databaseOf(dataDir);
    const tenant = concorezzo(await tenants());
    const senderId = await senderIdOf(db);
    const broadcastId = await createBroadcast(db, "sending");
    const rows = await db.transaction().execute((trx) =>
      insertDeliveriesForBroadcast(trx, {
        broadcastId,
        tenantId: TENANT,
        senderNumberId: senderId,
        priority: PRIORITY.normal,
        now: Date.now(),
      }),
    );
    const agent = createGraphDispatcher();
    const dispatcher = new NumberDispatcher({
      db,
      sender: {
        id: senderId,
        tenantId: TENANT,
        phoneNumberId: tenant.whatsapp.phoneNumberId,
        ratePerSecond: 50_000,
        portfolioSenderIds: [senderId],
      },
      client: new CloudApiClient({
        baseUrl: String(args.graphUrl),
        apiVersion: API_VERSION,
        accessToken: tenant.secrets.accessToken,
        phoneNumberId: tenant.whatsapp.phoneNumberId,
        dispatcher: agent,
      }),
      clock: systemClock,
      log,
      maxInFlight: concurrency,
    });
    const peak = new PeakRss();
    const cpu = process.cpuUsage();
    const started = performance.now();
    dispatcher.start();
    try {
      while (await hasDeliveriesLeft(db, broadcastId)) await sleep(5);
    } finally {
      await dispatcher.stop();
    }
    const ms = performance.now() - started;
    const cpuSeconds = cpuSecondsSince(cpu);
    await agent.close();
    const { accepted } = await broadcastCounters(db, broadcastId);
    if (accepted !== rows) throw new Error(`ours: ${accepted} of ${rows} accepted`);
    return { rows, ms, cpuSeconds, peakRss: peak.read() };
  },

  /**
   * Broadcast expansion on `engine` (a SQLite file in a temporary directory, or a throw-away
   * PostgreSQL schema): `rounds` × (raw INSERT … SELECT into a table with only the same keys,
   * then ours), each ours
   * round a new broadcast into the same, growing outbound_messages.
   */
  async expansion(args: Record<string, unknown>): Promise<ExpansionResult> {
    const engine = String(args.engine) as Engine;
    const subscribers = Number(args.subscribers);
    const rounds = Number(args.rounds);
    let database: Database;
    let dir: string | undefined;
    if (engine === "postgres") database = await openTestDatabase("postgres");
    else {
      dir = mkdtempSync(path.join(os.tmpdir(), "banditore-bench-expansion-"));
      database = openDatabase({ dataDir: dir, sqliteFile: "bench.sqlite", log });
    }
    const { db } = database;
    try {
      const t = performance.now();
      await prepare(db, engine, subscribers);
      const seedMs = performance.now() - t;
      const senderId = await senderIdOf(db);
      const results: ExpansionRound[] = [];
      for (let round = 0; round < rounds; round++) {
        await createBareTable(db, engine);
        await settle(db, engine);
        const now = Date.now();
        const broadcastId = await createBroadcast(db, "sending");
        const raw = await withStallMeter(async () => {
          const started = performance.now();
          const added = await rawExpansion(db, { broadcastId, senderId, now });
          if (added !== subscribers) throw new Error(`raw expansion: ${added} rows`);
          return performance.now() - started;
        });
        await settle(db, engine);
        const peak = new PeakRss();
        const ours = await withStallMeter(async () => {
          const started = performance.now();
          await beginExpansion(db, broadcastId, now);
          const added = await resumeExpansion(db, {
            broadcastId,
            tenantId: TENANT,
            senderNumberId: senderId,
            priority: PRIORITY.normal,
            now,
            chunk: EXPANSION_CHUNK[engine],
          });
          if (added !== subscribers) throw new Error(`expansion: ${added} rows`);
          return performance.now() - started;
        });
        results.push({
          oursMs: ours.value,
          oursStallMs: ours.stallMs,
          rawMs: raw.value,
          rawStallMs: raw.stallMs,
          peakRss: peak.read(),
        });
      }
      return {
        engine,
        seedMs,
        rounds: results,
        oursBytes: await tableBytes(db, engine, "outbound_messages"),
        rawBytes: await tableBytes(db, engine, "bench_bare_deliveries"),
      };
    } finally {
      await database.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  },
};

/**
 * Same columns as outbound_messages with the same primary key and the same one-delivery-per-
 * subscriber unique key, and nothing else: no other index, constraint or foreign key. What ours
 * costs beyond it is the rest of its indexes and the expansion's own work.
 */
async function createBareTable(db: Kysely<DB>, engine: Engine): Promise<void> {
  await sql`drop table if exists bench_bare_deliveries`.execute(db);
  if (engine === "postgres") {
    // Column types, NOT NULLs, defaults and the identity column, then the two keys.
    await sql`create table bench_bare_deliveries (like outbound_messages including defaults including identity)`.execute(
      db,
    );
    await sql`alter table bench_bare_deliveries add primary key (id),
      add unique (broadcast_id, subscriber_id)`.execute(db);
    return;
  }
  // INTEGER PRIMARY KEY is SQLite's rowid itself: no index of its own.
  await sql`create table bench_bare_deliveries (
    id integer primary key, tenant_id text not null, sender_number_id bigint not null,
    kind text not null, broadcast_id bigint, subscriber_id bigint, recipient text not null,
    payload text, priority integer not null default 0, state text not null, status text,
    attempts integer not null default 0, next_attempt_at bigint not null, wa_message_id text,
    error_code integer, error_reason text, accepted_at bigint, created_at bigint not null,
    updated_at bigint not null, in_flight_since bigint, spends_tier integer not null default 0,
    pseudonym text, error_repeats integer not null default 0, pricing_type text,
    pricing_category text, window_closes_at bigint, in_sequence integer not null default 0,
    unique (broadcast_id, subscriber_id))`.execute(db);
}

/** The rows insertDeliveriesForBroadcast makes, with the same SELECT, into the keys-only table. */
async function rawExpansion(
  db: Kysely<DB>,
  input: { broadcastId: number; senderId: number; now: number },
): Promise<number> {
  const { broadcastId, senderId, now } = input;
  const windowStart = now - 24 * 60 * 60 * 1000;
  const result = await sql`insert into bench_bare_deliveries (tenant_id, sender_number_id, kind,
      broadcast_id, subscriber_id, recipient, priority, state, next_attempt_at, spends_tier,
      window_closes_at, created_at, updated_at, in_sequence)
    select tenant_id, ${sql.lit(senderId)}, 'broadcast', ${sql.lit(broadcastId)}, id,
      coalesce(wa_id, user_id), ${sql.lit(PRIORITY.normal)}, 'queued', ${sql.lit(now)},
      case when last_inbound_at > ${sql.lit(windowStart)} then 0 else 1 end,
      case when last_inbound_at > ${sql.lit(windowStart)} then last_inbound_at + ${sql.lit(24 * 60 * 60 * 1000)} else null end,
      ${sql.lit(now)}, ${sql.lit(now)}, 1
    from subscribers
    where tenant_id = ${TENANT} and status = 'active' and blocked_at is null
      and (wa_id is not null or user_id is not null)`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** Lets the engine write out what the previous step left, so each timing starts alike. */
async function settle(db: Kysely<DB>, engine: Engine): Promise<void> {
  if (engine === "postgres") await sql`checkpoint`.execute(db);
  else await sql`pragma wal_checkpoint(truncate)`.execute(db);
}

async function tableBytes(db: Kysely<DB>, engine: Engine, table: string): Promise<number | null> {
  try {
    if (engine === "postgres") {
      const { rows } = await sql<{
        n: string;
      }>`select pg_total_relation_size(${table}::regclass)::text as n`.execute(db);
      return Number(rows[0]?.n);
    }
    const { rows } = await sql<{ n: number }>`select sum(pgsize) as n from dbstat
      where name in (select name from sqlite_master where tbl_name = ${table})`.execute(db);
    return Number(rows[0]?.n);
  } catch {
    return null;
  }
}

serveOperations(operations, async () => {
  await Promise.all([...databases.values()].map((d) => d.close()));
});
