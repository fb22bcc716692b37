import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import type { Env } from "./config/env.js";
import type { Tenant, WhatsAppMode } from "./config/tenants.js";
import { auditRoutes } from "./modules/audit/audit.routes.js";
import { apiKeysRoutes } from "./modules/staff/api-keys.routes.js";
import { authRoutes } from "./modules/staff/auth.routes.js";
import { requestAuthenticator } from "./modules/staff/authenticate.js";
import { instanceRoutes } from "./modules/staff/instance.routes.js";
import { usersRoutes } from "./modules/staff/users.routes.js";
import { settingsRoutes } from "./modules/tenants/settings.routes.js";
import { broadcastsRoutes } from "./modules/broadcasts/broadcasts.routes.js";
import { overviewRoutes } from "./modules/broadcasts/overview.routes.js";
import { mediaRoutes } from "./modules/broadcasts/media.routes.js";
import { templatesRoutes } from "./modules/broadcasts/templates.routes.js";
import { templatePreviewRoutes } from "./modules/broadcasts/template-preview.routes.js";
import { consoleRoutes } from "./modules/console/console.routes.js";
import { homeRoutes } from "./modules/console/home.routes.js";
import { citizensAdminRoutes } from "./modules/citizens/admin/admin.routes.js";
import { dispatchRoutes } from "./modules/dispatch/dispatch.routes.js";
import { healthRoutes } from "./modules/health/health.routes.js";
import { publicRoutes } from "./modules/public/public.routes.js";
import { sandboxPageRoutes } from "./modules/sandbox/page.routes.js";
import { registerSandbox, sandboxNumbersFromTenants } from "./modules/sandbox/sandbox.js";
import { tenantsRoutes } from "./modules/tenants/tenants.routes.js";
import { webhookRoutes } from "./modules/whatsapp/webhook.routes.js";
import type { Clock } from "./platform/clock.js";
import type { Database } from "./platform/db/connect.js";
import { registerAccessControl } from "./platform/http/access.js";
import { errorServerOptions, registerErrorHandling } from "./platform/http/error-handler.js";
import { registerOpenApi } from "./platform/http/openapi.js";
import type { Logger } from "./platform/log.js";
import type { Metrics } from "./platform/metrics.js";
import { VERSION } from "./platform/package-info.js";
import type { Services } from "./wiring.js";

/** Everything the HTTP app needs: start-up's foundation and the services of `wireServer`. */
export interface AppDeps {
  env: Env;
  database: Database;
  tenants: readonly Tenant[];
  mode: WhatsAppMode;
  log: Logger;
  clock: Clock;
  metrics: Metrics;
  /** Built once in wiring.ts; the routes call them and build none. */
  services: Pick<
    Services,
    | "ownAddress"
    | "sessions"
    | "twoFactor"
    | "apiKeys"
    | "accounts"
    | "dispatch"
    | "whatsapp"
    | "citizensAdmin"
    | "inboundWriter"
    | "inboundProcessor"
  >;
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
    // false, true (every hop: the client's own X-Forwarded-For is believed), or the proxies'
    // addresses and ranges: a forwarded address counts only from a connection of one of them.
    trustProxy: deps.env.TRUST_PROXY,
    // Keep-alive connections with no request in progress are closed at shutdown; busy ones finish.
    forceCloseConnections: "idle",
    // Two log lines per request cost more than the request itself at webhook rates (~40 µs of
    // ~60, measured); the hook below logs one line, and only what someone will read.
    logController: new LogController({ disableRequestLogging: true }),
    ...slowClientLimits(deps.env),
    // A bad URL and a refused connection answer in the error handler's shape and language too.
    ...errorServerOptions,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  // The services that send to this server (sandbox mode) learn its port from here once it listens.
  deps.services.ownAddress.follow(app.server);
  const { sessions, twoFactor, apiKeys, accounts } = deps.services;
  if (deps.env.TRUST_PROXY === true) {
    deps.log.warn(
      { event: "config.trust_proxy_all" },
      "TRUST_PROXY=true believes X-Forwarded-For from any client: set it to the proxy's address (e.g. TRUST_PROXY=127.0.0.1) so login limits hold",
    );
  }
  const tenantIds = new Set(deps.tenants.map((t) => t.slug));
  registerAccessControl(app, {
    tenantIds,
    authenticate: requestAuthenticator({
      sessions,
      apiKeys,
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
  await app.register(authRoutes({ sessions, twoFactor }));
  await app.register(usersRoutes({ accounts }));
  await app.register(apiKeysRoutes({ apiKeys }));
  await app.register(instanceRoutes({ accounts, tenants: deps.tenants }));
  await app.register(auditRoutes({ db, clock: deps.clock }));
  await app.register(
    webhookRoutes({
      tenants: deps.tenants,
      clock: deps.clock,
      metrics: deps.metrics,
      writer: deps.services.inboundWriter,
      processor: deps.services.inboundProcessor,
    }),
  );

  await app.register(dispatchRoutes({ dispatch: deps.services.dispatch }));
  await app.register(
    broadcastsRoutes({
      db: deps.database.db,
      clock: deps.clock,
      tenants: deps.tenants,
      dispatch: deps.services.dispatch,
      whatsapp: deps.services.whatsapp,
    }),
  );
  await app.register(overviewRoutes({ db, clock: deps.clock, tenants: deps.tenants }));
  await app.register(
    mediaRoutes({ db: deps.database.db, clock: deps.clock, tenants: deps.tenants }),
  );
  await app.register(
    templatesRoutes({
      db: deps.database.db,
      clock: deps.clock,
      tenants: deps.tenants,
      whatsapp: deps.services.whatsapp,
    }),
  );
  await app.register(
    templatePreviewRoutes({
      db: deps.database.db,
      clock: deps.clock,
      tenants: deps.tenants,
      whatsapp: deps.services.whatsapp,
    }),
  );
  await app.register(
    citizensAdminRoutes({
      db: deps.database.db,
      tenants: deps.tenants,
      clock: deps.clock,
      admin: deps.services.citizensAdmin,
    }),
  );

  // The comuni's public pages (/c/{slug}/…): no login, their own rate limit and caching.
  await app.register(
    publicRoutes({ db: deps.database.db, tenants: deps.tenants, publicUrl: deps.env.publicUrl }),
  );

  // The staff console (its built files) and the home page that leads to it.
  await app.register(consoleRoutes());
  await app.register(homeRoutes({ tenants: deps.tenants, mode: deps.mode }));

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

/**
 * Slow clients are cut off (env.ts, HTTP_*_TIMEOUT_MS): without these Fastify waits forever for
 * headers and body, and a connection trickling a byte every few seconds stays open for good.
 */
function slowClientLimits(env: Env) {
  return {
    connectionTimeout: env.HTTP_IDLE_TIMEOUT_MS,
    keepAliveTimeout: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: env.HTTP_REQUEST_TIMEOUT_MS,
    http: {
      headersTimeout: env.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeout: env.HTTP_REQUEST_TIMEOUT_MS,
      // Node checks both on a timer, every 30 s by default: a 10 s limit could run to 40 s.
      connectionsCheckingInterval: Math.min(1_000, env.HTTP_HEADERS_TIMEOUT_MS),
    },
  };
}

/** Where this server can reach itself (the sandbox posts webhooks here). */
export function localBaseUrl(app: FastifyInstance): string {
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return `http://127.0.0.1:${port}`;
}
