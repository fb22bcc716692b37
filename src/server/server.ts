import type { FastifyInstance } from "fastify";
import type { Env } from "./config/env.js";
import { startAuditAnchorJob } from "./modules/audit/audit.service.js";
import { syncEveryComune } from "./modules/broadcasts/template-sync.js";
import { backfillSubscriberKeys, type Citizens } from "./modules/citizens/citizens.service.js";
import { resolveSubscriberKeySecret } from "./modules/citizens/key-secret.js";
import type { Dispatch, DispatchOptions } from "./modules/dispatch/dispatch.service.js";
import { releaseClaimsLeftByACrash } from "./modules/whatsapp/inbound-events.service.js";
import type { WhatsAppClients } from "./modules/whatsapp/whatsapp.service.js";
import type { Database } from "./platform/db/connect.js";
import { createLogger, type Logger } from "./platform/log.js";
import { createMetrics } from "./platform/metrics.js";
import { VERSION } from "./platform/package-info.js";
import { prepareFoundation, wireServer, wireWorker, type Foundation } from "./wiring.js";

export interface RunningServer {
  app: FastifyInstance;
  /** Each comune's WhatsApp client (Meta, or this server's sandbox in sandbox mode). */
  whatsapp: WhatsAppClients;
  /** Queue replies, start and steer broadcasts. */
  dispatch: Dispatch;
  /** The citizens' conversation (tests run its retention purge). */
  citizens: Citizens;
  database: Database;
  /** Stops accepting, lets in-flight requests finish, closes the database. */
  close(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  /** Lets a test add routes before the server listens. */
  configure?: (app: FastifyInstance) => void | Promise<void>;
  /** Dispatcher tuning (tests shorten the in-flight grace period). */
  dispatch?: DispatchOptions["dispatcher"];
}

/**
 * Config → database → migrations → comuni → services (wiring.ts) → app → listen → start.
 * Throws `ConfigError` on bad config.
 */
export async function startServer(env: Env, options: StartOptions = {}): Promise<RunningServer> {
  const log = options.log ?? createLogger(env.LOG_LEVEL);
  const foundation = await prepareFoundation(env, log, { role: "serve" });
  const { tenants, mode, database } = foundation;
  let subscriberKeySecret: string;
  try {
    subscriberKeySecret = await subscriberKeyFor(env, foundation);
  } catch (error) {
    await database.close();
    throw error;
  }

  const metrics = createMetrics();
  const services = wireServer(foundation, {
    subscriberKeySecret,
    metrics,
    ...(options.dispatch ? { dispatcher: options.dispatch } : {}),
  });
  const { whatsapp, dispatch, citizens, inboundProcessor } = services;
  // Imported here, not at the top: the worker (startWorker) serves no HTTP, and Fastify with
  // every route module is what most of a process's memory at start would otherwise be.
  const { buildApp } = await import("./app.js");
  const app = await buildApp({ ...foundation, metrics, services });
  try {
    await options.configure?.(app);
  } catch (error) {
    // E.g. a route declared without a permission (access.ts): nothing may start.
    await app.close();
    await whatsapp.close();
    await database.close();
    throw error;
  }
  // From here the sandbox-mode clients reach this server (they read its address when first used).
  await app.listen({ port: env.PORT, host: env.HOST });
  // INBOUND_PROCESSOR=worker: this process only stores webhook events (and answers Meta);
  // `banditore worker` handles them, and the route's wake-up of the processor does nothing.
  const handlesEvents = env.INBOUND_PROCESSOR === "serve";
  // A SQLite file has one process that handles events: claims on events found now were left by
  // a crash. Released, the events are handled at once instead of when the claims expire (60 s);
  // until then the dispatcher would hold back the rows their statuses may settle.
  if (handlesEvents && database.engine === "sqlite") await releaseClaimsLeftByACrash(database.db);
  await dispatch.start();
  // The comuni's templates as WhatsApp lists them now (in the background: Meta may be slow).
  const templatesSynced = syncEveryComune(
    { db: database.db, clock: foundation.clock, log },
    tenants,
    (slug) => () => whatsapp.forTenant(slug).listTemplates(),
  );
  // Events stored before a crash or restart are handled now.
  if (handlesEvents) inboundProcessor.start();
  // Retention: moderation messages, idle numbers, lapsed confirmations (now, then hourly).
  citizens.startPurgeJob();
  // The audit chain checked and its anchor logged (AUDIT_ANCHOR_FILE too): now, then daily.
  const auditAnchors = startAuditAnchorJob({
    db: database.db,
    clock: foundation.clock,
    log,
    file: env.AUDIT_ANCHOR_FILE,
  });
  log.info(
    { event: "server.started", version: VERSION, mode, tenants: tenants.map((t) => t.slug) },
    `Banditore ${VERSION} serving ${tenants.length} comuni in ${mode} mode`,
  );
  if (mode === "sandbox") {
    const shown = env.HOST === "0.0.0.0" || env.HOST === "::" ? "localhost" : env.HOST;
    const address = app.server.address();
    const port = typeof address === "object" && address ? address.port : env.PORT;
    log.info(
      { event: "sandbox.mode", url: `http://${shown}:${port}/sandbox` },
      `Sandbox mode: no Meta credentials are configured, so nothing leaves this machine. Play a citizen at http://${shown}:${port}/sandbox`,
    );
  }

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // Sending stops first (requests on the wire finish, outcomes are written), then HTTP.
      await dispatch.stop();
      await app.close();
      await templatesSynced;
      await inboundProcessor.stop();
      await citizens.stop();
      await auditAnchors.stop();
      await whatsapp.close();
      await database.close();
    })());
  return { app, whatsapp, dispatch, citizens, database, close };
}

/**
 * A worker process: no HTTP. It takes the dispatch lease of every number it can; web processes
 * run with DISPATCH=off and receive the webhooks. With INBOUND_PROCESSOR=worker it also handles
 * the webhook events they store (on PostgreSQL under leases, so several workers may; on SQLite
 * one worker beside one web process on the file). In sandbox mode it sends to the sandbox of
 * the web process on this host (same PORT).
 */
export async function startWorker(
  env: Env,
  options: { log?: Logger; dispatch?: DispatchOptions["dispatcher"] } = {},
): Promise<{ dispatch: Dispatch; close(): Promise<void> }> {
  const log = options.log ?? createLogger(env.LOG_LEVEL);
  const foundation = await prepareFoundation(env, log);
  const { tenants, mode, database } = foundation;
  let services: ReturnType<typeof wireWorker>;
  try {
    services = wireWorker(foundation, {
      ...(options.dispatch ? { dispatcher: options.dispatch } : {}),
      ...(env.INBOUND_PROCESSOR === "worker"
        ? { subscriberKeySecret: await subscriberKeyFor(env, foundation) }
        : {}),
    });
  } catch (error) {
    await database.close();
    throw error;
  }
  const { whatsapp, dispatch, citizens, inboundProcessor } = services;
  // The one process that handles the file's events (see startServer): a crash left the claims.
  if (inboundProcessor && database.engine === "sqlite") {
    await releaseClaimsLeftByACrash(database.db);
  }
  await dispatch.start();
  inboundProcessor?.start();
  log.info(
    {
      event: "worker.started",
      version: VERSION,
      mode,
      target: whatsapp.baseUrl,
      inboundEvents: inboundProcessor !== undefined,
    },
    `Banditore ${VERSION} worker sending for ${tenants.length} comuni` +
      (inboundProcessor ? " and handling their webhook events" : ""),
  );
  return {
    dispatch,
    close: async () => {
      await dispatch.stop();
      await inboundProcessor?.stop();
      await citizens?.stop();
      await whatsapp.close();
      await database.close();
    },
  };
}

/**
 * SUBSCRIBER_KEY_SECRET for the mode (serve, and a worker that handles events, refuse to start
 * without it), after the rows stored without their keyed hash got it.
 */
async function subscriberKeyFor(env: Env, foundation: Foundation): Promise<string> {
  const secret = resolveSubscriberKeySecret(env, foundation.mode);
  await backfillSubscriberKeys(foundation.database.db, secret);
  return secret;
}

/**
 * Waits for SIGTERM or SIGINT, then closes the server: new connections are refused, requests in
 * progress finish, the database closes. Resolves with the process exit code: 0 when everything
 * stopped in time, 1 when the deadline passed or closing failed, 130 on a second signal.
 */
export function stopOnSignal(
  server: { close(): Promise<void> },
  log: Logger,
  timeoutMs: number,
): Promise<number> {
  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      log.info(
        { event: "server.stopping", signal },
        `${signal} received: finishing in-flight work`,
      );
      process.once("SIGTERM", () => resolve(130));
      process.once("SIGINT", () => resolve(130));
      const timer = setTimeout(() => {
        log.error({ event: "server.stop_timeout" }, `Shutdown took longer than ${timeoutMs} ms`);
        resolve(1);
      }, timeoutMs);
      server.close().then(
        () => {
          clearTimeout(timer);
          log.info({ event: "server.stopped" }, "Stopped cleanly");
          resolve(0);
        },
        (error: unknown) => {
          clearTimeout(timer);
          log.error({ err: error, event: "server.stop_failed" }, "Shutdown failed");
          resolve(1);
        },
      );
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
}
