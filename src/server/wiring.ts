import type { Env } from "./config/env.js";
import { loadTenants, type Tenant, type WhatsAppMode } from "./config/tenants.js";
import {
  resolveAuditKeySecret,
  sealAuditChain,
  useAuditKey,
} from "./modules/audit/audit.service.js";
import { CitizensAdmin } from "./modules/citizens/admin/admin.service.js";
import { Citizens } from "./modules/citizens/citizens.service.js";
import { createDispatchMetrics } from "./modules/dispatch/dispatch-metrics.js";
import { Dispatch, type DispatchOptions } from "./modules/dispatch/dispatch.service.js";
import { Accounts } from "./modules/staff/accounts.service.js";
import { ApiKeys } from "./modules/staff/api-keys.service.js";
import { Sessions } from "./modules/staff/sessions.service.js";
import { TwoFactor } from "./modules/staff/two-factor.service.js";
import { applySavedSettings } from "./modules/tenants/settings.service.js";
import { syncTenants } from "./modules/tenants/tenants.service.js";
import type { WhatsAppClient } from "./modules/whatsapp/types.js";
import { CloudApiClient, createGraphDispatcher } from "./modules/whatsapp/cloud-api-client.js";
import {
  InboundEventProcessor,
  InboundEventWriter,
  type InboundEventHandlers,
  type InboundProcessorOptions,
} from "./modules/whatsapp/inbound-events.service.js";
import type { WebhookEvent } from "./modules/whatsapp/webhook-events.js";
import type { WhatsAppClients } from "./modules/whatsapp/whatsapp.service.js";
import { systemClock, type Clock } from "./platform/clock.js";
import { openDatabase, type Database } from "./platform/db/connect.js";
import { migrateToLatest } from "./platform/db/migrate.js";
import { OwnAddress } from "./platform/http/own-address.js";
import type { Logger } from "./platform/log.js";
import type { Metrics } from "./platform/metrics.js";
import type { BroadcastsDeps } from "./modules/broadcasts/broadcasts.service.js";
import {
  applyTemplateCategory,
  applyTemplateStatus,
  type TemplateCategoryUpdate,
  type TemplateStatusUpdate,
} from "./modules/broadcasts/template-events.js";

/**
 * The one place the service is put together. Every long-lived part (the WhatsApp clients,
 * Dispatch, Citizens and its admin, the staff services, the inbound writer and processor) is
 * built here, once per process, from what start-up prepared: `serve` and the test app call
 * `wireServer`, `worker` calls `wireWorker`, `users add` calls `wireStaff`. Routes receive the
 * parts through `buildApp(deps)` and never build one (`wiring.test.ts` checks it).
 *
 *   env → comuni (+ audit key) → database (migrated, comuni synced) → wiring → app, dispatchers,
 *   inbound processor
 *
 * Over 400 lines for a reason: being the one place that builds services is its purpose; split, it
 * would become the several places it replaced.
 */

/** What the services are built from: configuration, the comuni, the database, time, the log. */
export interface Foundation {
  env: Env;
  tenants: readonly Tenant[];
  mode: WhatsAppMode;
  database: Database;
  clock: Clock;
  log: Logger;
}

/** The audit chain's key for the mode: every entry recorded from now on is sealed with it. */
export function setUpAuditKey(env: Env, mode: WhatsAppMode): ReturnType<typeof useAuditKey> {
  return useAuditKey(resolveAuditKeySecret(env, mode));
}

/**
 * The WAL size at which the web process copies it back into the SQLite file when a worker
 * handles the events (INBOUND_PROCESSOR=worker): ten times SQLite's default, which the worker
 * keeps, so the worker's commits do the copy and its fsync, off the thread that answers Meta,
 * and the web process does it only when no worker runs (6-row commits in a loop, on a busy
 * machine: p99.9 of a commit 49 ms with checkpoints, 27 ms without).
 */
const WEB_WAL_AUTOCHECKPOINT_PAGES = 10_000;

/** What every process does first: config, comuni, audit key, database, migrations, comuni's rows. */
export async function prepareFoundation(
  env: Env,
  log: Logger,
  options: { role?: "serve" | "worker" } = {},
): Promise<Foundation> {
  const { tenants, mode } = await loadTenants(env);
  // Before anything is recorded (syncTenants may): every new audit entry is sealed with it.
  const auditKey = setUpAuditKey(env, mode);
  const database = openDatabase({
    url: env.DATABASE_URL,
    dataDir: env.dataDir,
    poolSize: env.DATABASE_POOL_SIZE,
    ...(options.role === "serve" && env.INBOUND_PROCESSOR === "worker"
      ? { walAutocheckpointPages: WEB_WAL_AUTOCHECKPOINT_PAGES }
      : {}),
    log,
  });
  try {
    const applied = await migrateToLatest(database.db);
    log.info(
      {
        event: "db.migrated",
        engine: database.engine,
        applied: applied.map((m) => m.migrationName),
      },
      `Database ready: ${database.engine} at ${database.location}`,
    );
    const chainEnd = await sealAuditChain(database.db, systemClock.now());
    if (chainEnd.state === "other key") {
      log.error(
        { event: "audit.key_mismatch", lastId: chainEnd.lastId, keyId: auditKey.id },
        `AUDIT_KEY_SECRET (key id ${auditKey.id}) is not the key that sealed the audit log (its last entry, ${chainEnd.lastId}, names ${chainEnd.keyId}): entries written now will not verify with that key. Set the key the log was sealed with.`,
      );
    }
    await syncTenants(database.db, tenants, systemClock, log);
  } catch (error) {
    await database.close();
    throw error;
  }
  return { env, tenants, mode, database, clock: systemClock, log };
}

/** Staff: login and sessions, the account's own TOTP, API keys, and people and roles. */
export interface StaffServices {
  sessions: Sessions;
  twoFactor: TwoFactor;
  apiKeys: ApiKeys;
  accounts: Accounts;
}

/** What a web process (and the test app) runs on. */
export interface Services extends StaffServices {
  /** This process's own address: the sandbox-mode clients send there once it listens. */
  ownAddress: OwnAddress;
  /** Each comune's WhatsApp client (Meta, or this server's sandbox in sandbox mode). */
  whatsapp: WhatsAppClients;
  dispatch: Dispatch;
  citizens: Citizens;
  citizensAdmin: CitizensAdmin;
  /** Stores webhook events before Meta gets its 200. */
  inboundWriter: InboundEventWriter;
  /** Handles the stored events afterwards, each kind by its owner (`inboundHandlers`). */
  inboundProcessor: InboundEventProcessor;
}

export interface ServerWiring {
  /** SUBSCRIBER_KEY_SECRET as resolved for the mode (serve refuses to start without it). */
  subscriberKeySecret: string;
  /** The app's registry: the dispatchers' metrics join it. */
  metrics: Metrics;
  /** Dispatcher tuning over the environment's (tests shorten the in-flight grace period). */
  dispatcher?: DispatchOptions["dispatcher"];
  /**
   * The processor's handlers instead of the real ones: tests that watch what the webhook hands
   * on, or want nothing handled.
   */
  handlers?: InboundEventHandlers;
}

/** Every service of a web process; nothing starts (serve starts them once it listens). */
export function wireServer(f: Foundation, options: ServerWiring): Services {
  const { env, database, clock, log } = f;
  const ownAddress = new OwnAddress();
  const whatsapp = createWhatsAppClients({ ...f, ownBaseUrl: () => ownAddress.baseUrl() });
  const dispatch = buildDispatch(f, whatsapp, {
    send: env.DISPATCH === "on",
    metrics: createDispatchMetrics(options.metrics.registry),
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
  });
  // Unset PUBLIC_URL: this server as the machine itself reaches it, with the port it got, so
  // read when a reply is written (after listen), not now.
  const { citizens, inboundProcessor } = buildInbound(
    f,
    { clients: whatsapp, dispatch, keySecret: options.subscriberKeySecret, ownAddress },
    options.handlers ? { handlers: options.handlers } : {},
  );
  const citizensAdmin = new CitizensAdmin({
    db: database.db,
    clock,
    log,
    keySecret: options.subscriberKeySecret,
    whatsapp,
  });
  return {
    ...wireStaff(f),
    ownAddress,
    whatsapp,
    dispatch,
    citizens,
    citizensAdmin,
    inboundWriter: new InboundEventWriter(database.db),
    inboundProcessor,
  };
}

/**
 * How often a worker that handles the stored webhook events (INBOUND_PROCESSOR=worker) looks
 * for new ones: the web process that stored them cannot wake it, so this is what a citizen's
 * answer may wait at most, on top of its handling. A look at an empty queue is one read of
 * the partial index of unhandled events.
 */
export const WORKER_INBOUND_POLL_MS = 100;

/** A worker's services. `citizens` and `inboundProcessor` only with INBOUND_PROCESSOR=worker. */
export interface WorkerServices {
  whatsapp: WhatsAppClients;
  dispatch: Dispatch;
  citizens?: Citizens;
  inboundProcessor?: InboundEventProcessor;
}

/**
 * A worker's services: it sends, so the clients and Dispatch. It always sends (web processes
 * are the ones that run with DISPATCH=off), without metrics (no /metrics to read them), and in
 * sandbox mode to the web process on this host (same PORT). With INBOUND_PROCESSOR=worker it
 * also handles the webhook events the web processes stored: the citizens' part and the
 * processor with the whole handler map, and the comuni's saved settings read again before each
 * pass that has events (a save from the console happens in a web process).
 */
export function wireWorker(
  f: Foundation,
  options: { dispatcher?: DispatchOptions["dispatcher"]; subscriberKeySecret?: string } = {},
): WorkerServices {
  const { env, tenants, database, log } = f;
  const ownAddress = new OwnAddress(env.PORT);
  const whatsapp = createWhatsAppClients({ ...f, ownBaseUrl: () => ownAddress.baseUrl() });
  const dispatch = buildDispatch(f, whatsapp, options);
  if (env.INBOUND_PROCESSOR !== "worker") return { whatsapp, dispatch };
  if (options.subscriberKeySecret === undefined) {
    throw new Error("INBOUND_PROCESSOR=worker: the worker needs SUBSCRIBER_KEY_SECRET");
  }
  // The public pages are the web process's: PUBLIC_URL, or the one on this host (same PORT).
  const { citizens, inboundProcessor } = buildInbound(
    f,
    { clients: whatsapp, dispatch, keySecret: options.subscriberKeySecret, ownAddress },
    {
      pollMs: WORKER_INBOUND_POLL_MS,
      beforePass: () => applySavedSettings(database.db, tenants, log),
    },
  );
  return { whatsapp, dispatch, citizens, inboundProcessor };
}

/**
 * The citizens' part and the processor that hands it (and dispatch) the stored events: the
 * whole handler map unless `processor.handlers` replaces it. Without PUBLIC_URL the citizens'
 * links name `ownAddress`, read at each reply.
 */
function buildInbound(
  f: Foundation,
  parts: {
    clients: WhatsAppClients;
    dispatch: Dispatch;
    keySecret: string;
    ownAddress: OwnAddress;
  },
  processor: Partial<Pick<InboundProcessorOptions, "handlers" | "pollMs" | "beforePass">>,
): { citizens: Citizens; inboundProcessor: InboundEventProcessor } {
  const { env, tenants, database, clock, log } = f;
  const { dispatch, ownAddress } = parts;
  const citizens = new Citizens({
    db: database.db,
    tenants,
    dispatch,
    clients: parts.clients,
    clock,
    log,
    keySecret: parts.keySecret,
    get publicBaseUrl() {
      return env.PUBLIC_URL
        ? env.publicUrl
        : ownAddress.baseUrl().replace("127.0.0.1", "localhost");
    },
  });
  const inboundProcessor = new InboundEventProcessor({
    db: database.db,
    tenants,
    clock,
    log,
    retentionMs: env.INBOUND_EVENTS_RETENTION_DAYS * 24 * 60 * 60 * 1000,
    ...processor,
    handlers: processor.handlers ?? inboundHandlers(citizens, dispatch, { db: database.db, clock }),
  });
  return { citizens, inboundProcessor };
}

/** The staff services alone (`banditore users add`). */
export function wireStaff(
  f: Pick<Foundation, "env" | "database" | "clock" | "log">,
): StaffServices {
  const { env, database, clock, log } = f;
  return {
    sessions: new Sessions({
      db: database.db,
      clock,
      log,
      sessionIdleMs: env.SESSION_IDLE_MINUTES * 60_000,
      sessionMaxMs: env.SESSION_MAX_HOURS * 3_600_000,
    }),
    twoFactor: new TwoFactor({ db: database.db, clock }),
    apiKeys: new ApiKeys({ db: database.db, clock }),
    accounts: new Accounts({ db: database.db, clock, publicUrl: env.publicUrl }),
  };
}

function buildDispatch(
  f: Foundation,
  clients: WhatsAppClients,
  options: Pick<DispatchOptions, "send" | "metrics" | "dispatcher">,
): Dispatch {
  const { env, tenants, database, clock, log } = f;
  return new Dispatch({
    db: database.db,
    engine: database.engine,
    tenants,
    clients,
    clock,
    log,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.send === undefined ? {} : { send: options.send }),
    dispatcher: {
      inFlightGraceMs: env.DISPATCH_IN_FLIGHT_GRACE_MS,
      restartGraceMs: env.DISPATCH_RESTART_GRACE_MS,
      ...options.dispatcher,
    },
  });
}

/**
 * One client per comune, all sharing one keep-alive agent. A comune's client is made when first
 * used, and reads the base URL then: in sandbox mode that is this server's own address, whose
 * port (PORT=0) is known only once it listens, after the services are built.
 */
export function createWhatsAppClients(options: {
  env: Env;
  tenants: readonly Tenant[];
  mode: WhatsAppMode;
  /** This server's own base URL, for sandbox mode. */
  ownBaseUrl: () => string;
}): WhatsAppClients {
  const { env, tenants, mode } = options;
  const dispatcher = createGraphDispatcher();
  const baseUrl = () =>
    mode === "sandbox" ? `${options.ownBaseUrl()}/sandbox/graph` : env.WHATSAPP_GRAPH_URL;
  const bySlug = new Map(tenants.map((t) => [t.slug, t]));
  const clients = new Map<string, WhatsAppClient>();
  return {
    get baseUrl() {
      return baseUrl();
    },
    forTenant(slug) {
      const made = clients.get(slug);
      if (made) return made;
      const t = bySlug.get(slug);
      if (!t) throw new Error(`No WhatsApp client for the comune "${slug}"`);
      const client = new CloudApiClient({
        baseUrl: baseUrl(),
        apiVersion: env.WHATSAPP_API_VERSION,
        accessToken: t.secrets.accessToken,
        phoneNumberId: t.whatsapp.phoneNumberId,
        ...(t.whatsapp.wabaId ? { wabaId: t.whatsapp.wabaId } : {}),
        dispatcher,
        timeoutMs: env.WHATSAPP_TIMEOUT_MS,
      });
      clients.set(slug, client);
      return client;
    },
    close: () => dispatcher.close(),
  };
}

type AccountEvent = Extract<WebhookEvent, { kind: "account" }>;
type AccountOwner = "citizens" | "dispatch" | "broadcasts";

/**
 * Who acts on each account-level field Meta sends (webhook-account.ts checks their shapes). A
 * field not named here (the template updates, until the broadcasts use them) is stored and
 * marked handled, and nothing else happens.
 */
export const ACCOUNT_FIELD_OWNERS = {
  /** Meta's marketing stop button. */
  user_preferences: "citizens",
  /** The messaging-limit tier, in either of the fields Meta reports it in. */
  phone_number_quality_update: "dispatch",
  business_capability_update: "dispatch",
  /** A template paused, disabled or rejected stops the broadcasts that go out through it. */
  message_template_status_update: "broadcasts",
  /** A template Meta moved to another category: the stored copy (and the next estimates). */
  template_category_update: "broadcasts",
} as const satisfies Record<string, AccountOwner>;

/** The processor's handler map: every kind of event to the part that owns it. */
function inboundHandlers(
  citizens: Citizens,
  dispatch: Dispatch,
  broadcasts: BroadcastsDeps,
): InboundEventHandlers {
  const owners: Record<AccountOwner, (event: AccountEvent, tenant: Tenant) => Promise<void>> = {
    citizens: (event, tenant) => citizens.handleUserPreferences(tenant, event.value, event),
    dispatch: (event, tenant) => dispatch.applyAccountUpdate(tenant.slug, event.field, event.value),
    broadcasts: async (event, tenant) => {
      // Validated by the webhook parser (whatsapp/webhook-account.ts) before it was stored.
      if (event.field === "template_category_update") {
        await applyTemplateCategory(
          broadcasts,
          tenant,
          event.value as unknown as TemplateCategoryUpdate,
        );
      } else {
        await applyTemplateStatus(
          broadcasts,
          tenant,
          event.value as unknown as TemplateStatusUpdate,
        );
      }
    },
  };
  const ownerOf = new Map<string, AccountOwner>(Object.entries(ACCOUNT_FIELD_OWNERS));
  return {
    message: (event, tenant) => citizens.handleMessage(event, tenant),
    status: async (event, tenant) => {
      const applied = await dispatch.applyStatus(tenant.slug, event.status);
      // A status for an erased person's message is kept without its wamid (citizens README).
      await citizens.afterStatus(tenant, event, applied);
    },
    account: async (event, tenant) => {
      const owner = ownerOf.get(event.field);
      if (owner) await owners[owner](event, tenant);
    },
    // No `error` handler: the processor logs WhatsApp's account errors (nothing acts on them).
  };
}
