import type { Kysely } from "kysely";
import type { DB } from "../../platform/db/schema.js";
import {
  ROLES,
  ROLES_REQUIRING_TOTP,
  permissionsOfRoles,
  type Permission,
  type Principal,
  type Role,
} from "../../platform/http/access.js";
import { twoFactorSettings } from "../tenants/tenants.service.js";
import { twoFactorRequired } from "./staff-errors.js";
import { rolesOfUser } from "./user-roles.repository.js";
import type { UserRow } from "./users.repository.js";

function isRole(role: string): role is Role {
  return (ROLES as readonly string[]).includes(role);
}

/**
 * A user's permissions per comune; a TOTP-requiring role counts only once TOTP is on (in the
 * comuni that require it, and always for the instance administrator). Sessions resolves a
 * cookie to this; the console's /api/auth/me shows it.
 */
export async function userPrincipal(db: Kysely<DB>, user: UserRow): Promise<Principal> {
  const roles = await rolesOfUser(db, user.id);
  const byTenant = new Map<string, Role[]>();
  for (const r of roles) {
    if (!isRole(r.role)) continue;
    byTenant.set(r.tenantId, [...(byTenant.get(r.tenantId) ?? []), r.role]);
  }
  const withheld = new Set<string>();
  if (user.totpConfirmedAt === null) {
    const gated = [...byTenant].filter(([, rs]) => rs.some((r) => ROLES_REQUIRING_TOTP.has(r)));
    const settings = await twoFactorSettings(
      db,
      gated.map(([t]) => t),
    );
    for (const [t, value] of settings) if (value === "required") withheld.add(t);
  }
  const permissions = new Map<string, Set<Permission>>();
  for (const [tenant, rs] of byTenant) {
    const usable = withheld.has(tenant) ? rs.filter((r) => !ROLES_REQUIRING_TOTP.has(r)) : rs;
    permissions.set(tenant, permissionsOfRoles(usable));
  }
  const none: ReadonlySet<Permission> = new Set();
  return {
    actor: { type: "user", id: String(user.id) },
    userId: user.id,
    // The hosting provider's administrator always needs TOTP: no comune setting covers them.
    instanceAdmin: user.instanceRole === "admin" && user.totpConfirmedAt !== null,
    ...(user.instanceRole === "admin" && user.totpConfirmedAt === null
      ? { instanceWithheld: twoFactorRequired() }
      : {}),
    permissionsIn: (t) => permissions.get(t) ?? none,
    withheldIn: (t) => (withheld.has(t) ? twoFactorRequired() : undefined),
  };
}
