import type { Db } from "../../platform/db/schema.js";
import { AppError, forbidden, notFound } from "../../platform/errors.js";
import type { Principal } from "../../platform/http/access.js";
import { rolesOfUser } from "./user-roles.repository.js";
import { findUserById, type UserRow } from "./users.repository.js";

/**
 * One account (a person's password, two-factor, being able to log in at all) may be shared by
 * several comuni: the same e-mail, roles in each. A comune's owner manages the *roles* of a
 * person in their comune; the *account* is a different matter, because whoever sets its
 * password logs in as that person everywhere. So an account may be changed or looked into by:
 *
 * - an instance administrator (or the ADMIN_TOKEN break-glass), always;
 * - a caller holding `users.manage` in every comune where the person has a role, and only when
 *   the person is not an instance administrator.
 *
 * Anyone else gets 403 ACCOUNT_MANAGED_ELSEWHERE. This is the one rule: every service function
 * that changes or reveals an account (setup link, two-factor reset, disable, the account state
 * in lists) goes through `assertMayManageAccount` or `mayManageAccount`.
 */
export const accountManagedElsewhere = () =>
  new AppError(
    403,
    "ACCOUNT_MANAGED_ELSEWHERE",
    "La persona ha un ruolo anche in un comune che non si amministra (o amministra il servizio): il suo account (password, verifica in due passaggi, disattivazione) può essere gestito solo dall'amministratore del servizio",
  );

export interface ManagedAccount {
  user: UserRow;
  /** The comuni where the person has a role, each once. */
  tenants: string[];
}

/** Whether the principal may act on an account held in these comuni (see above). */
export function mayManageAccount(
  principal: Principal,
  account: { instanceRole: string | null; tenants: readonly string[] },
): boolean {
  if (principal.instanceAdmin) return true;
  if (account.instanceRole === "admin" || account.tenants.length === 0) return false;
  return account.tenants.every((t) => principal.permissionsIn(t).has("users.manage"));
}

/**
 * Loads the account and checks the rule. `tenantId` is the comune of the route: the person must
 * have a role there (404 otherwise, as for any object of another comune); undefined for the
 * instance administrator's routes.
 */
export async function assertMayManageAccount(
  db: Db,
  principal: Principal,
  userId: number,
  tenantId: string | undefined,
): Promise<ManagedAccount> {
  const user = await findUserById(db, userId);
  if (!user) throw notFound("Utente non trovato", "User not found");
  const tenants = [...new Set((await rolesOfUser(db, userId)).map((r) => r.tenantId))];
  if (tenantId !== undefined && !tenants.includes(tenantId))
    throw notFound("Utente non trovato", "User not found");
  if (tenantId === undefined && !principal.instanceAdmin) throw forbidden();
  if (!mayManageAccount(principal, { instanceRole: user.instanceRole, tenants })) {
    throw accountManagedElsewhere();
  }
  return { user, tenants };
}
