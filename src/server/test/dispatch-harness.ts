import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach } from "vitest";
import { parseEnv } from "../config/env.js";
import { loadTenants } from "../config/tenants.js";
import type { SandboxSettingsUpdate } from "../modules/sandbox/settings.js";
import { updateBroadcastStatus } from "../modules/dispatch/broadcast-delivery.repository.js";
import type { DispatchOptions } from "../modules/dispatch/dispatch.service.js";
import { EXPANSION_CHUNK, resumeExpansion } from "../modules/dispatch/broadcast-expansion.js";
import { beginExpansion } from "../modules/dispatch/broadcast-expansion.repository.js";
import { PRIORITY } from "../modules/dispatch/outbound.repository.js";
import { syncTenants } from "../modules/tenants/tenants.service.js";
import type { OutboundMessage } from "../modules/whatsapp/types.js";
import { systemClock } from "../platform/clock.js";
import { openDatabase, type Database } from "../platform/db/connect.js";
import { migrateToLatest } from "../platform/db/migrate.js";
import { createLogger } from "../platform/log.js";
import { startServer, type RunningServer } from "../server.js";
import type { SendLogEntry } from "../modules/sandbox/send-log.js";
import { SHIPPED_TENANTS_DIR } from "./build-test-app.js";
import { buildBroadcast, subscriberValues } from "./factories.js";
import { createTestPostgresDatabase } from "./engines.js";
import { spawnTs, type Spawned } from "./spawn.js";

/**
 * Production's topology on loopback: the sandbox alone, standing in for Meta, and the service in
 * cloud mode talking to it over HTTP (sends one way, signed webhooks the other). Tests reach the
 * sandbox's state (its send log) directly.
 */

/** The break-glass token the harness's service accepts (the progress routes need a credential). */
export const HARNESS_ADMIN_TOKEN = "harness-admin-token-0123456789";

export const SANDBOX_ENV = {
  CONCOREZZO_WA_ACCESS_TOKEN: "sandbox-access-token",
  CONCOREZZO_WA_APP_SECRET: "sandbox-app-secret",
  CONCOREZZO_WA_VERIFY_TOKEN: "sandbox-verify-token",
  CASALE_MARITTIMO_WA_ACCESS_TOKEN: "sandbox-access-token",
  CASALE_MARITTIMO_WA_APP_SECRET: "sandbox-app-secret",
  CASALE_MARITTIMO_WA_VERIFY_TOKEN: "sandbox-verify-token",
  // Required outside sandbox mode (the keyed hash of citizens' numbers).
  SUBSCRIBER_KEY_SECRET: "test-subscriber-key-secret",
  // Required outside sandbox mode too (the audit log's keyed chain).
  AUDIT_KEY_SECRET: "test-audit-key-secret",
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface HarnessOptions {
  /** Concorezzo's ratePerSecond in its tenant file (the dispatcher's cap). */
  ratePerSecond?: number;
  /** Concorezzo's messaging-limit tier in its tenant file. */
  messagingLimitTier?: string;
  sandbox?: SandboxSettingsUpdate;
  dispatch?: DispatchOptions["dispatcher"];
  /** Extra environment for the service (e.g. DATABASE_URL, WHATSAPP_TIMEOUT_MS). */
  env?: Record<string, string>;
}

export interface SandboxProcess {
  url: string;
  process: Spawned;
  /** The sandbox's JSON API. */
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** Every send request the sandbox answered, oldest first. */
  sendLog(): Promise<SendLogEntry[]>;
}

export interface Harness {
  sandbox: SandboxProcess;
  /** The service's environment, for starting it again or as a child process. */
  env: Record<string, string>;
  port: number;
  server: RunningServer | undefined;
  database(): Database;
  startService(): Promise<RunningServer>;
  stopService(): Promise<void>;
  close(): Promise<void>;
}

/** Adds `line` to the whatsapp section of Concorezzo's tenant file, before its secretsFromEnv. */
async function setConcorezzoWhatsApp(tenantsDir: string, line: string): Promise<void> {
  const file = path.join(tenantsDir, "concorezzo.yaml");
  const text = await readFile(file, "utf8");
  await writeFile(file, text.replace("  secretsFromEnv:", `  ${line}\n  secretsFromEnv:`));
}

/**
 * Production's topology on loopback: the sandbox in a process of its own, standing in for Meta
 * (`banditore sandbox`), and the service in cloud mode talking to it over HTTP: sends one way,
 * signed webhooks the other. Being separate processes matters: the sandbox measures its
 * throughput cap as requests arrive, and a shared event loop would bunch them.
 */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = await mkdtemp(path.join(tmpdir(), "banditore-dispatch-"));
  const tenantsDir = path.join(dir, "tenants");
  await cp(SHIPPED_TENANTS_DIR, tenantsDir, { recursive: true });
  if (options.messagingLimitTier) {
    await setConcorezzoWhatsApp(tenantsDir, `messagingLimitTier: ${options.messagingLimitTier}`);
  }
  if (options.ratePerSecond) {
    await setConcorezzoWhatsApp(tenantsDir, `ratePerSecond: ${options.ratePerSecond}`);
  }
  const port = await freePort();
  const env: Record<string, string> = {
    TENANTS_DIR: tenantsDir,
    DATA_DIR: path.join(dir, "data"),
    PORT: String(port),
    HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
    WHATSAPP_MODE: "cloud",
    ...SANDBOX_ENV,
    ADMIN_TOKEN: HARNESS_ADMIN_TOKEN,
    ...options.env,
  };
  const sandbox = await startSandboxProcess(env, `http://127.0.0.1:${port}/webhooks/whatsapp`);
  await sandbox.api("PUT", "/settings", { statusDelayMs: { min: 5, max: 30 }, ...options.sandbox });
  env.WHATSAPP_GRAPH_URL = `${sandbox.url}/sandbox/graph`;

  const harness: Harness = {
    sandbox,
    env,
    port,
    server: undefined,
    database() {
      if (!harness.server) throw new Error("the service is not running");
      return harness.server.database;
    },
    async startService() {
      harness.server = await startServer(parseEnv(env), {
        // TEST_LOG_LEVEL=warn shows the service's log while debugging a test.
        log: createLogger(
          parseEnv({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent" }).LOG_LEVEL,
        ),
        ...(options.dispatch ? { dispatch: options.dispatch } : {}),
      });
      return harness.server;
    },
    async stopService() {
      await harness.server?.close();
      harness.server = undefined;
    },
    async close() {
      await harness.stopService();
      sandbox.process.child.kill("SIGTERM");
      await sandbox.process.exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

async function startSandboxProcess(
  env: Record<string, string>,
  webhookUrl: string,
): Promise<SandboxProcess> {
  const sandboxPort = await freePort();
  const proc = spawnTs(
    "src/server/cli.ts",
    ["sandbox", "--port", String(sandboxPort), "--webhook", webhookUrl],
    {
      ...env,
      LOG_LEVEL: "warn",
    },
  );
  const base = `http://127.0.0.1:${sandboxPort}`;
  await until("the sandbox to listen", async () => {
    if (proc.child.exitCode !== null) throw new Error(`the sandbox exited: ${proc.output()}`);
    return fetch(`${base}/sandbox/api/numbers`).then(
      (r) => (r.ok ? true : undefined),
      () => undefined,
    );
  });
  const api = async <T>(method: string, apiPath: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}/sandbox/api${apiPath}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`sandbox ${method} ${apiPath}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return {
    url: base,
    process: proc,
    api,
    sendLog: async () => (await api<{ sends: SendLogEntry[] }>("GET", "/sends")).sends,
  };
}

/**
 * Runs the service as a child process (`banditore serve` or `banditore worker`) with `env`
 * (usually `harness.env` plus overrides) and waits until it has started. Its log must be at
 * `info` or below: the start is read from its `server.started` / `worker.started` line.
 */
export async function spawnService(
  command: "serve" | "worker",
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<Spawned> {
  const proc = spawnTs("src/server/cli.ts", [command], env);
  const started = command === "serve" ? /"event":"server\.started"/ : /"event":"worker\.started"/;
  await Promise.race([
    proc.waitFor(started, timeoutMs),
    proc.exited.then((code) => {
      throw new Error(`banditore ${command} exited (${code}) before starting:\n${proc.output()}`);
    }),
  ]);
  return proc;
}

/** Kills a child at once, as a crash or an OOM kill would, and waits until it is gone. */
export async function killHard(proc: Spawned): Promise<void> {
  if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill("SIGKILL");
  await proc.exited;
}

/** The events a child logged (its JSON log lines with an `event`), oldest first. */
export function loggedEvents(proc: Spawned, event: string): Record<string, unknown>[] {
  return proc
    .output()
    .split("\n")
    .filter((line) => line.includes(`"event":"${event}"`))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/**
 * The service's database opened from the test process, as the service opens it: migrated, the
 * comuni and their numbers written. For tests where the service runs in another process; on
 * SQLite both use the same WAL file, and a reader never waits for the writer.
 */
export async function openServiceDatabase(env: Record<string, string>): Promise<Database> {
  const parsed = parseEnv(env);
  const log = createLogger("silent");
  const { tenants } = await loadTenants(parsed);
  const database = openDatabase({
    url: parsed.DATABASE_URL,
    dataDir: parsed.dataDir,
    poolSize: 4,
    log,
  });
  try {
    await migrateToLatest(database.db);
    await syncTenants(database.db, tenants, systemClock, log);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

/** What a test of the service as child processes starts; each is stopped after the test. */
export interface ProcessTestRun {
  /** startHarness, closed after the test. */
  startHarness(options?: HarnessOptions): Promise<Harness>;
  /** openServiceDatabase: the test's own connection, closed after the test. */
  openServiceDatabase(env: Record<string, string>): Promise<Database>;
  /** spawnService, killed after the test. */
  spawn(command: "serve" | "worker", env: Record<string, string>): Promise<Spawned>;
  /** createTestPostgresDatabase, dropped after the test once everything above is stopped. */
  createPostgresDatabase(): Promise<{ url: string }>;
}

/**
 * A ProcessTestRun for each test of the file. After a test it stops what the test started in
 * the order that frees each: the children first (they hold the database), then the test's
 * connection and the harness, last the scratch PostgreSQL databases.
 */
export function useProcessTestRun(): ProcessTestRun {
  let harness: Harness | undefined;
  let database: Database | undefined;
  const children: Spawned[] = [];
  const drops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) await killHard(child);
    await database?.close();
    database = undefined;
    await harness?.close();
    harness = undefined;
    for (const drop of drops.splice(0)) await drop();
  });
  return {
    async startHarness(options) {
      harness = await startHarness(options);
      return harness;
    },
    async openServiceDatabase(env) {
      database = await openServiceDatabase(env);
      return database;
    },
    async spawn(command, env) {
      const child = await spawnService(command, env);
      children.push(child);
      return child;
    },
    async createPostgresDatabase() {
      const pg = await createTestPostgresDatabase();
      drops.push(pg.drop);
      return pg;
    },
  };
}

/**
 * What `Dispatch.startBroadcast` does, for a test with no Dispatch in its process: the broadcast
 * moves to `sending` and its deliveries are written (chunk by chunk, broadcast-expansion.ts); whichever process
 * holds the number's lease picks them up. Returns how many deliveries were created.
 */
export async function startBroadcastInDatabase(
  database: Database,
  broadcastId: number,
): Promise<number> {
  const now = systemClock.now();
  const broadcast = await database.db.transaction().execute(async (trx) => {
    const found = await trx
      .selectFrom("broadcasts")
      .innerJoin("sender_numbers", "sender_numbers.tenant_id", "broadcasts.tenant_id")
      .select(["broadcasts.tenant_id", "broadcasts.priority", "sender_numbers.id as senderId"])
      .where("broadcasts.id", "=", broadcastId)
      .executeTakeFirstOrThrow();
    const { moved } = await updateBroadcastStatus(trx, { broadcastId, move: "start", now });
    if (!moved)
      throw new Error(
        `broadcast ${broadcastId} cannot start (it is not approved, scheduled or sending)`,
      );
    await beginExpansion(trx, broadcastId, now);
    return found;
  });
  return resumeExpansion(database.db, {
    broadcastId,
    tenantId: broadcast.tenant_id,
    senderNumberId: broadcast.senderId,
    priority: broadcast.priority === "urgent" ? PRIORITY.urgent : PRIORITY.normal,
    now,
    chunk: EXPANSION_CHUNK[database.engine],
  });
}

/** `count` active subscribers of the comune, numbers 39320000000 + i, in batched inserts. */
export async function seedSubscribers(
  database: Database,
  tenantId: string,
  count: number,
  first = 0,
): Promise<string[]> {
  const numbers = Array.from(
    { length: count },
    (_, i) => `3932${String(first + i).padStart(8, "0")}`,
  );
  const now = Date.now();
  for (let i = 0; i < numbers.length; i += 500) {
    await database.db
      .insertInto("subscribers")
      .values(
        numbers.slice(i, i + 500).map((waId) =>
          subscriberValues({
            tenant_id: tenantId,
            wa_id: waId,
            status: "active",
            created_at: now,
          }),
        ),
      )
      .execute();
  }
  return numbers;
}

export const NEWS_TEMPLATE: OutboundMessage = {
  type: "template",
  name: "notizia_comune",
  language: "it",
  body: [{ text: "Mercoledì 25 novembre il municipio resta chiuso per lavori." }],
};

/** An approved broadcast, ready for dispatch.startBroadcast(). */
export async function createBroadcast(
  database: Database,
  tenantId: string,
  input: { content?: OutboundMessage; priority?: "normal" | "urgent"; title?: string } = {},
): Promise<number> {
  const row = await buildBroadcast(database.db, {
    tenant_id: tenantId,
    title: input.title ?? "Chiusura del municipio",
    status: "approved",
    priority: input.priority ?? "normal",
    content: JSON.stringify(input.content ?? NEWS_TEMPLATE),
  });
  return row.id;
}

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Accepted sends per recipient in a send log. */
export function acceptedPerRecipient(log: readonly SendLogEntry[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const entry of log) {
    if (entry.wamid) counts.set(entry.to, (counts.get(entry.to) ?? 0) + 1);
  }
  return counts;
}

/** The most accepted sends of one number in any sliding one-second window of a send log. */
export function maxPerSecond(log: readonly SendLogEntry[], phoneNumberId: string): number {
  return busiestSecond(log.filter((e) => e.wamid && e.phoneNumberId === phoneNumberId));
}

/** The most entries of a send log in any sliding one-second window, whatever their answer. */
export function busiestSecond(log: readonly SendLogEntry[]): number {
  return busiestSecondOfCounts(log.map((e): [number, number] => [e.at, 1]));
}

/**
 * The most events in any sliding one-second window, from `[at, count]` pairs (the sandbox's
 * arrivals per millisecond, or single events).
 */
export function busiestSecondOfCounts(counts: readonly (readonly [number, number])[]): number {
  const sorted = [...counts].sort((a, b) => a[0] - b[0]);
  let max = 0;
  let inWindow = 0;
  let start = 0;
  for (const [at, count] of sorted) {
    inWindow += count;
    for (; (sorted[start]?.[0] ?? at) <= at - 1000; start++) inWindow -= sorted[start]?.[1] ?? 0;
    max = Math.max(max, inWindow);
  }
  return max;
}
