import type { FastifyRequest } from "fastify";
import type { Kysely } from "kysely";
import type { Clock } from "../../platform/clock.js";
import type { DB } from "../../platform/db/schema.js";
import {
  PERMISSIONS,
  sameSecret,
  unauthorized,
  type Permission,
  type Principal,
} from "../../platform/http/access.js";
import { recordAudit } from "../audit/audit.service.js";
import { readCookie, SESSION_COOKIE } from "./cookies.js";
import { API_KEY_PREFIX } from "./secrets.js";
import type { ApiKeys } from "./api-keys.service.js";
import type { Sessions } from "./sessions.service.js";

const ALL: ReadonlySet<Permission> = new Set(PERMISSIONS);

/**
 * The credentials the API accepts, in order: `Authorization: Bearer bnd_…` (an API key),
 * `Authorization: Bearer <ADMIN_TOKEN>` (the hosting provider's break-glass token, every use
 * audited), the session cookie (staff in the console). A request with none is anonymous.
 */
export function requestAuthenticator(deps: {
  sessions: Sessions;
  apiKeys: ApiKeys;
  db: Kysely<DB>;
  clock: Clock;
  adminToken: string | undefined;
  tenantIds: ReadonlySet<string>;
}): (request: FastifyRequest) => Promise<Principal | undefined> {
  return async (request) => {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const token = header.startsWith("Bearer ") ? header.slice("Bearer ".length).trim() : "";
      if (token.startsWith(API_KEY_PREFIX)) return deps.apiKeys.authenticate(token);
      if (token && deps.adminToken && sameSecret(token, deps.adminToken)) {
        await auditAdminTokenUse(request, deps);
        return adminTokenPrincipal;
      }
      throw unauthorized();
    }
    const cookie = readCookie(request, SESSION_COOKIE);
    return cookie === undefined ? undefined : deps.sessions.authenticateSession(cookie);
  };
}

const adminTokenPrincipal: Principal = {
  actor: { type: "admin-token" },
  instanceAdmin: true,
  permissionsIn: () => ALL,
};

/**
 * The admin token is break-glass: each request made with it is recorded in the audit chain,
 * in the comune it touched, before it runs.
 */
async function auditAdminTokenUse(
  request: FastifyRequest,
  deps: { db: Kysely<DB>; clock: Clock; tenantIds: ReadonlySet<string> },
): Promise<void> {
  const tenant = (request.params as Record<string, string | undefined>).tenant;
  await recordAudit(
    deps.db,
    {
      ...(tenant && deps.tenantIds.has(tenant) ? { tenantId: tenant } : {}),
      actor: { type: "admin-token" },
      action: "admin_token.used",
      target: { type: "route", id: `${request.method} ${request.routeOptions.url ?? ""}` },
    },
    deps.clock.now(),
  );
}
