import type { FastifyInstance } from "fastify";
import type { Kysely } from "kysely";
import type { Tenant } from "../../../config/tenants.js";
import type { Clock } from "../../../platform/clock.js";
import type { DB } from "../../../platform/db/schema.js";
import { adminReportRoutes } from "./admin-reports.routes.js";
import { adminSubscriberRoutes } from "./admin-subscribers.routes.js";
import type { CitizensAdmin } from "./admin.service.js";

/**
 * The comune's admin API for its citizens (issue #5 item 9, the admin actions of item 5), under
 * /api/tenants/:tenant/…; every route declares its permission (platform/http/access.ts).
 */
export function citizensAdminRoutes(deps: {
  db: Kysely<DB>;
  tenants: readonly Tenant[];
  clock: Clock;
  admin: CitizensAdmin;
}) {
  return async (app: FastifyInstance) => {
    await app.register(adminSubscriberRoutes(deps));
    await app.register(adminReportRoutes(deps));
  };
}
