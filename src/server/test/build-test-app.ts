import type { FastifyInstance } from "fastify";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { buildApp } from "../app.js";
import { parseEnv } from "../config/env.js";
import { loadTenants, type Tenant } from "../config/tenants.js";
import { syncTenants } from "../modules/tenants/tenants.service.js";
import { SANDBOX_AUDIT_KEY_SECRET, useAuditKey } from "../modules/audit/audit.service.js";
import { SANDBOX_SUBSCRIBER_KEY_SECRET } from "../modules/citizens/key-secret.js";
import type {
  InboundEventHandlers,
  InboundEventProcessor,
} from "../modules/whatsapp/inbound-events.service.js";
import type { Clock } from "../platform/clock.js";
import type { FieldProblem } from "../platform/errors.js";
import type { ErrorBody } from "../platform/http/error-handler.js";
import type { Database } from "../platform/db/connect.js";
import type { Engine } from "../platform/db/dialect.js";
import { migrateToLatest } from "../platform/db/migrate.js";
import { createLogger } from "../platform/log.js";
import { createMetrics } from "../platform/metrics.js";
import { wireServer, type Services } from "../wiring.js";
import { openTestDatabase } from "./engines.js";

export const SHIPPED_TENANTS_DIR = new URL("../../../config/tenants/", import.meta.url).pathname;

export interface TestApp {
  app: FastifyInstance;
  /** Not started: tests call `drain()` to handle what the webhook stored. */
  inboundProcessor: InboundEventProcessor;
  database: Database;
  tenants: readonly Tenant[];
  /** The clock the app runs on (the one given, else a fake one). */
  clock: Clock;
  /** Everything wireServer built for this app; nothing is started. */
  services: Services;
  close(): Promise<void>;
}

/** A refusal's JSON as the tests read it (`ErrorBody`), with the problems it names. */
export interface Refusal extends ErrorBody {
  error: ErrorBody["error"] & { details: FieldProblem[] };
}

/** Fake time for tests: starts at a fixed instant and moves only when told. */
export function fakeClock(
  start = Date.UTC(2026, 10, 22, 9, 0, 0),
): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, advance: (ms) => void (now += ms) };
}

/** What `buildTestApp` changes from the default app (SQLite, fake clock, no handlers). */
export interface TestAppOptions {
  engine?: Engine;
  clock?: Clock;
  /** What the webhook's stored events are handed to (none by default: they stay stored). */
  handlers?: InboundEventHandlers;
  /** The handlers `serve` wires (citizens, dispatch) instead: for tests of that map itself. */
  wiredHandlers?: boolean;
  /** Extra environment, e.g. Meta credentials for cloud mode. */
  env?: Record<string, string>;
}

/**
 * The real app on a fresh, migrated database with the shipped demo comuni, not listening:
 * use `app.inject()`. Its services are wired as `serve` wires them (wiring.ts), but none is
 * started, and the inbound processor has only the handlers a test gives it. Close it in
 * `afterEach`/`afterAll`, or let `useTestApp` build and close it.
 */
export async function buildTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const env = parseEnv({ TENANTS_DIR: SHIPPED_TENANTS_DIR, LOG_LEVEL: "silent", ...options.env });
  const { tenants, mode } = await loadTenants(env);
  // Any mode: the cloud-mode tests need no audit key of their own.
  useAuditKey(env.AUDIT_KEY_SECRET ?? SANDBOX_AUDIT_KEY_SECRET);
  const database = await openTestDatabase(options.engine ?? "sqlite");
  const log = createLogger("silent");
  const clock = options.clock ?? fakeClock();
  await migrateToLatest(database.db);
  await syncTenants(database.db, tenants, clock, log);
  const foundation = { env, tenants, mode, database, clock, log };
  const metrics = createMetrics();
  const services = wireServer(foundation, {
    // Any mode, like the audit key above: the cloud-mode tests need no key of their own.
    subscriberKeySecret: env.SUBSCRIBER_KEY_SECRET ?? SANDBOX_SUBSCRIBER_KEY_SECRET,
    metrics,
    ...(options.wiredHandlers ? {} : { handlers: options.handlers ?? {} }),
  });
  const app = await buildApp({ ...foundation, metrics, services });
  const { inboundProcessor } = services;
  return {
    app,
    inboundProcessor,
    database,
    tenants,
    clock,
    services,
    close: async () => {
      await app.close();
      await inboundProcessor.stop();
      await services.whatsapp.close();
      await database.close();
    },
  };
}

/**
 * `buildTestApp` for the tests of the describe block that calls it, closed after them: one app
 * for the whole block, or a fresh one for each test (`scope: "each"`; the options are read again
 * for each, so they may come from a function). The object is filled in by the hook: use it in
 * tests and later hooks.
 */
export function useTestApp(
  options: TestAppOptions | (() => TestAppOptions) = {},
  scope: "all" | "each" = "all",
): TestApp {
  const t = {} as TestApp;
  const [before, after] = scope === "each" ? [beforeEach, afterEach] : [beforeAll, afterAll];
  before(async () => {
    Object.assign(t, await buildTestApp(typeof options === "function" ? options() : options));
  });
  after(async () => {
    await t.close();
  });
  return t;
}
