import type { FastifyInstance } from "fastify";
import { buildApp, type AppDeps } from "../app.js";
import { parseEnv } from "../config/env.js";
import { loadTenants, type Tenant } from "../config/tenants.js";
import { syncTenants } from "../modules/tenants/tenants.service.js";
import {
  InboundEventProcessor,
  type InboundEventHandlers,
} from "../modules/whatsapp/inbound-events.service.js";
import type { Clock } from "../platform/clock.js";
import type { Database } from "../platform/db/connect.js";
import type { Engine } from "../platform/db/dialect.js";
import { migrateToLatest } from "../platform/db/migrate.js";
import { createLogger } from "../platform/log.js";
import { createMetrics } from "../platform/metrics.js";
import { openTestDatabase } from "./engines.js";

export const SHIPPED_TENANTS_DIR = new URL("../../../config/tenants/", import.meta.url).pathname;

export interface TestApp {
  app: FastifyInstance;
  /** Not started: tests call `drain()` to handle what the webhook stored. */
  inboundProcessor: InboundEventProcessor;
  database: Database;
  tenants: readonly Tenant[];
  close(): Promise<void>;
}

/** Fake time for tests: starts at a fixed instant and moves only when told. */
export function fakeClock(
  start = Date.UTC(2026, 10, 22, 9, 0, 0),
): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, advance: (ms) => void (now += ms) };
}

/**
 * The real app on a fresh, migrated database with the shipped demo comuni, not listening:
 * use `app.inject()`. Close it in `afterEach`/`afterAll`.
 */
export async function buildTestApp(
  options: {
    engine?: Engine;
    clock?: Clock;
    handlers?: InboundEventHandlers;
    /** Extra environment, e.g. Meta credentials for cloud mode. */
    env?: Record<string, string>;
    /** WhatsApp clients for the routes that call Meta (e.g. blocking), once the test has them. */
    whatsapp?: AppDeps["whatsapp"];
  } = {},
): Promise<TestApp> {
  const env = parseEnv({ TENANTS_DIR: SHIPPED_TENANTS_DIR, LOG_LEVEL: "silent", ...options.env });
  const { tenants, mode } = await loadTenants(env);
  const database = await openTestDatabase(options.engine ?? "sqlite");
  const log = createLogger("silent");
  const clock = options.clock ?? fakeClock();
  await migrateToLatest(database.db);
  await syncTenants(database.db, tenants, clock, log);
  const inboundProcessor = new InboundEventProcessor({
    db: database.db,
    tenants,
    handlers: options.handlers ?? {},
    clock,
    log,
  });
  const app = await buildApp({
    env,
    database,
    tenants,
    mode,
    log,
    clock,
    metrics: createMetrics(),
    inboundProcessor,
    ...(options.whatsapp ? { whatsapp: options.whatsapp } : {}),
  });
  return {
    app,
    inboundProcessor,
    database,
    tenants,
    close: async () => {
      await app.close();
      await inboundProcessor.stop();
      await database.close();
    },
  };
}
