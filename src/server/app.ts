import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import type { Env } from "./config/env.js";
import type { Tenant, WhatsAppMode } from "./config/tenants.js";
import { auditRoutes } from "./modules/audit/audit.routes.js";
import { apiKeysRoutes } from "./modules/staff/api-keys.routes.js";
import { authRoutes } from "./modules/staff/auth.routes.js";
import { requestAuthenticator } from "./modules/staff/authenticate.js";
import { instanceRoutes } from "./modules/staff/instance.routes.js";
import { Staff } from "./modules/staff/staff.service.js";
import { usersRoutes } from "./modules/staff/users.routes.js";
import { settingsRoutes } from "./modules/tenants/settings.routes.js";
import { adminKeySecret, citizensAdminRoutes } from "./modules/citizens/admin.routes.js";
import { dispatchRoutes } from "./modules/dispatch/dispatch.routes.js";
import type { Dispatch } from "./modules/dispatch/dispatch.service.js";
import { healthRoutes } from "./modules/health/health.routes.js";
import { sandboxPageRoutes } from "./modules/sandbox/page.routes.js";
import { registerSandbox, sandboxNumbersFromTenants } from "./modules/sandbox/sandbox.js";
import { tenantsRoutes } from "./modules/tenants/tenants.routes.js";
import type { InboundEventProcessor } from "./modules/whatsapp/inbound-events.service.js";
import { webhookRoutes } from "./modules/whatsapp/webhook.routes.js";
import type { WhatsAppClients } from "./modules/whatsapp/whatsapp.service.js";
import type { Clock } from "./platform/clock.js";
import type { Database } from "./platform/db/connect.js";
import { registerAccessControl } from "./platform/http/access.js";
import { registerErrorHandling } from "./platform/http/error-handler.js";
import { registerOpenApi } from "./platform/http/openapi.js";
import type { Logger } from "./platform/log.js";
import type { Metrics } from "./platform/metrics.js";
import { VERSION } from "./platform/package-info.js";

/** Everything the HTTP app needs, made once in `server.ts` (or by a test). */
export interface AppDeps {
  env: Env;
  database: Database;
  tenants: readonly Tenant[];
  mode: WhatsAppMode;
  log: Logger;
  clock: Clock;
  metrics: Metrics;
  /** Handles stored webhook events after Meta has its answer. */
  inboundProcessor: InboundEventProcessor;
  /** The dispatch part, once started (it needs the server's own address in sandbox mode). */
  dispatch?: () => Dispatch | undefined;
  /** The comuni's WhatsApp clients, once the server listens (blocking through the admin API). */
  whatsapp?: () => WhatsAppClients | undefined;
}

/** Meta's webhooks are small; nothing we accept is larger than this. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** Builds the Fastify app without listening: tests call this too and use `inject()`. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // The cast keeps Fastify's default logger type, which the route plugins are written against.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: deps.env.TRUST_PROXY,
    // Keep-alive connections with no request in progress are closed at shutdown; busy ones finish.
    forceCloseConnections: "idle",
    // Two log lines per request cost more than the request itself at webhook rates (~40 µs of
    // ~60, measured); the hook below logs one line, and only what someone will read.
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  const tenantIds = new Set(deps.tenants.map((t) => t.slug));
  const staff = new Staff({
    db: deps.database.db,
    clock: deps.clock,
    log: deps.log,
    publicUrl: deps.env.publicUrl,
    sessionIdleMs: deps.env.SESSION_IDLE_MINUTES * 60_000,
    sessionMaxMs: deps.env.SESSION_MAX_HOURS * 3_600_000,
  });
  registerAccessControl(app, {
    tenantIds,
    authenticate: requestAuthenticator({
      staff,
      db: deps.database.db,
      clock: deps.clock,
      adminToken: deps.env.ADMIN_TOKEN,
      tenantIds,
    }),
  });
  await registerOpenApi(app, VERSION);

  app.addHook("onResponse", (request, reply, done) => {
    // Failures at info or above, everything else at debug (LOG_LEVEL=debug shows every request).
    const status = reply.statusCode;
    const level = status >= 500 ? "error" : status >= 400 ? "info" : "debug";
    request.log[level](
      { req: request, res: reply, responseTime: reply.elapsedTime },
      "request completed",
    );
    deps.metrics.httpRequestDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? "unmatched",
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });
  deps.metrics.tenantsLoaded.set(deps.tenants.length);

  // At shutdown, a response to a request still in progress closes its keep-alive connection:
  // otherwise the client's idle socket would hold the server open until keepAliveTimeout.
  let closing = false;
  app.addHook("preClose", (done) => {
    closing = true;
    done();
  });
  app.addHook("onSend", (_request, reply, payload, done) => {
    if (closing) void reply.header("connection", "close");
    done(null, payload);
  });

  await app.register(healthRoutes(deps));
  await app.register(tenantsRoutes(deps));
  const { db } = deps.database;
  await app.register(settingsRoutes({ db, tenants: deps.tenants, clock: deps.clock }));
  await app.register(authRoutes({ staff }));
  await app.register(usersRoutes({ staff }));
  await app.register(apiKeysRoutes({ staff }));
  await app.register(instanceRoutes({ staff, tenants: deps.tenants }));
  await app.register(auditRoutes({ db, clock: deps.clock }));
  await app.register(
    webhookRoutes({
      db: deps.database.db,
      tenants: deps.tenants,
      clock: deps.clock,
      metrics: deps.metrics,
      processor: deps.inboundProcessor,
    }),
  );

  await app.register(dispatchRoutes({ dispatch: deps.dispatch ?? (() => undefined) }));
  await app.register(
    citizensAdminRoutes({
      db: deps.database.db,
      tenants: deps.tenants,
      clock: deps.clock,
      log: deps.log,
      keySecret: adminKeySecret(deps.env, deps.mode),
      whatsapp: deps.whatsapp ?? (() => undefined),
    }),
  );

  // Sandbox mode: Meta's side of the contract is served here too, and it calls our webhook over
  // real HTTP on loopback, exactly as Meta would over the internet.
  if (deps.mode === "sandbox") {
    await registerSandbox(app, {
      numbers: sandboxNumbersFromTenants(deps.tenants),
      webhookUrl: () => `${localBaseUrl(app)}/webhooks/whatsapp`,
      log: deps.log,
      clock: deps.clock,
    });
    sandboxPageRoutes(app);
  }
  return app;
}

/** Where this server can reach itself (the sandbox posts webhooks here). */
export function localBaseUrl(app: FastifyInstance): string {
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return `http://127.0.0.1:${port}`;
}
