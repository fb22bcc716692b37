import type { FastifyInstance } from "fastify";
import type { Kysely } from "kysely";
import type { Env } from "../../config/env.js";
import type { Tenant, WhatsAppMode } from "../../config/tenants.js";
import type { Clock } from "../../platform/clock.js";
import type { DB } from "../../platform/db/schema.js";
import type { Logger } from "../../platform/log.js";
import type { WhatsAppClients } from "../whatsapp/whatsapp.service.js";
import { adminReportRoutes } from "./admin-reports.routes.js";
import { adminSubscriberRoutes } from "./admin-subscribers.routes.js";
import { CitizensAdmin } from "./admin.service.js";
import { resolveSubscriberKeySecret } from "./key-secret.js";

/**
 * The comune's admin API for its citizens (issue #5 item 9, the admin actions of item 5), under
 * /api/tenants/:tenant/…; every route declares its permission (platform/http/access.ts).
 */
export function citizensAdminRoutes(deps: {
  db: Kysely<DB>;
  tenants: readonly Tenant[];
  clock: Clock;
  log: Logger;
  keySecret: string | undefined;
  whatsapp: () => WhatsAppClients | undefined;
}) {
  const admin = new CitizensAdmin(deps);
  return async (app: FastifyInstance) => {
    await app.register(adminSubscriberRoutes({ ...deps, admin }));
    await app.register(adminReportRoutes({ ...deps, admin }));
  };
}

/**
 * The keyed hash's secret (key-secret.ts), or undefined when it is missing: `startServer` refuses
 * to start then, but an app built for a test in cloud mode may lack it; the routes that need it
 * answer 503.
 */
export function adminKeySecret(env: Env, mode: WhatsAppMode): string | undefined {
  try {
    return resolveSubscriberKeySecret(env, mode);
  } catch {
    return undefined;
  }
}
