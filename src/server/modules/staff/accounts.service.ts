import type { Kysely } from "kysely";
import type { DB } from "../../platform/db/schema.js";
import { conflict, forbidden, notFound } from "../../platform/errors.js";
import type { Actor, Principal, Role } from "../../platform/http/access.js";
import { recordAudit } from "../audit/audit.service.js";
import { assertMayManageAccount, mayManageAccount, type ManagedAccount } from "./account-access.js";
import { newToken, tokenHash } from "./secrets.js";
import { normalizeEmail } from "./names.js";
import { deleteSessionsOfUser } from "./sessions.repository.js";
import { StaffService, type StaffServiceOptions } from "./staff-service.js";
import {
  countOwners,
  countUsersByTenant,
  replaceRoles,
  rolesOfUser,
  tenantsOfUsers,
  usersOfTenant,
} from "./user-roles.repository.js";
import { insertUserToken, revokeUserTokens } from "./user-tokens.repository.js";
import {
  findUserByEmail,
  insertUser,
  listAllUsers,
  updateUser,
  type UserRow,
} from "./users.repository.js";

/** How long a setup link stays valid. */
export const SETUP_LINK_MS = 72 * 60 * 60_000;

export interface AccountsOptions extends StaffServiceOptions {
  /** Where the console is reached: setup links point there. */
  publicUrl: string;
}

/**
 * The people of each comune and their accounts: roles per comune, setup links, two-factor
 * reset, disabling. An account may serve several comuni; who may change it is one rule
 * (account-access.ts). Logging in is `Sessions`', the account's own two-factor `TwoFactor`'s.
 */
export class Accounts extends StaffService<AccountsOptions> {
  // Users and roles of a comune -------------------------------------------------------------------

  /**
   * The people with a role in the comune. Their account's state (password set, two-factor,
   * disabled) is shown only to a caller who may manage the account (`mayManageAccount`): for a
   * person who also works for a comune the caller does not administer it is `null`.
   */
  async listUsers(tenantId: string, viewer: Principal) {
    const users = await usersOfTenant(this.db, tenantId);
    const tenantsOf = await tenantsOfUsers(
      this.db,
      users.map((u) => u.id),
    );
    return users.map((u) => ({
      id: u.id,
      email: u.email,
      displayName: u.displayName,
      roles: u.roles,
      account: mayManageAccount(viewer, {
        instanceRole: u.instanceRole,
        tenants: tenantsOf.get(u.id) ?? [],
      })
        ? accountState(u)
        : null,
    }));
  }

  /**
   * Gives a person roles in a comune: a new account (with a setup link, returned once) or an
   * existing one (a person working for several comuni; they keep their password). For an
   * existing account the answer says only that it existed: never whether it has a password or
   * two-factor, and never a setup link (that is `issueSetupLink`, under the account rule). The
   * addition is recorded in every comune the person works for, so the others see it.
   */
  async addUser(input: {
    tenantId: string;
    email: string;
    displayName: string;
    roles: readonly Role[];
    actor: Actor;
  }): Promise<{
    userId: number;
    created: boolean;
    setupLink: string | null;
    setupLinkExpiresAt: number | null;
  }> {
    const now = this.now();
    const email = normalizeEmail(input.email);
    const roles = [...new Set(input.roles)];
    return this.db.transaction().execute(async (trx) => {
      const existing = await findUserByEmail(trx, email);
      const elsewhere = existing ? await this.tenantsOf(trx, existing.id) : [];
      if (elsewhere.includes(input.tenantId)) {
        throw conflict(
          "USER_ALREADY_IN_TENANT",
          "La persona ha già dei ruoli in questo comune: modificarli invece di aggiungerla",
        );
      }
      const userId =
        existing?.id ??
        (await insertUser(trx, { email, displayName: input.displayName, instanceRole: null }, now));
      await replaceRoles(trx, input.tenantId, userId, roles, now);
      const setupLink = existing ? null : await this.newSetupLink(trx, userId, now);
      await this.recordAddition(trx, {
        tenantId: input.tenantId,
        userId,
        elsewhere,
        actor: input.actor,
        summary: { roles, newAccount: !existing },
        now,
      });
      return {
        userId,
        created: !existing,
        setupLink,
        setupLinkExpiresAt: setupLink ? now + SETUP_LINK_MS : null,
      };
    });
  }

  /** `user.added` in the comune, and `user.added_to_other_comune` in each other one. */
  private async recordAddition(
    trx: Kysely<DB>,
    a: {
      tenantId: string | undefined;
      userId: number;
      elsewhere: readonly string[];
      actor: Actor;
      summary: Record<string, unknown>;
      now: number;
    },
  ): Promise<void> {
    const target = { type: "user", id: String(a.userId) };
    await recordAudit(
      trx,
      {
        ...(a.tenantId ? { tenantId: a.tenantId } : {}),
        actor: a.actor,
        action: "user.added",
        target,
        summary: a.summary,
      },
      a.now,
    );
    if (!a.tenantId) return;
    for (const other of a.elsewhere) {
      await recordAudit(
        trx,
        {
          tenantId: other,
          actor: a.actor,
          action: "user.added_to_other_comune",
          target,
          summary: { comune: a.tenantId, roles: a.summary.roles },
        },
        a.now,
      );
    }
  }

  /**
   * Replaces a person's roles in a comune; none removes them from it. Only this comune's roles
   * change: the account and the roles elsewhere stay. A comune keeps an owner.
   */
  async setRoles(input: {
    tenantId: string;
    userId: number;
    roles: readonly Role[];
    actor: Actor;
  }): Promise<void> {
    const now = this.now();
    const roles = [...new Set(input.roles)];
    await this.db.transaction().execute(async (trx) => {
      const before = (await rolesOfUser(trx, input.userId))
        .filter((r) => r.tenantId === input.tenantId)
        .map((r) => r.role);
      if (!before.length) throw notFound("Utente non trovato", "User not found");
      await replaceRoles(trx, input.tenantId, input.userId, roles, now);
      if ((await countOwners(trx, input.tenantId)) === 0) {
        throw conflict(
          "LAST_OWNER",
          "Il comune deve avere almeno un titolare (owner): assegnare prima il ruolo a un'altra persona",
        );
      }
      await recordAudit(
        trx,
        {
          tenantId: input.tenantId,
          actor: input.actor,
          action: "user.roles_changed",
          target: { type: "user", id: String(input.userId) },
          summary: { from: before, to: roles },
        },
        now,
      );
    });
  }

  // A person's account (under the account rule, see account-access.ts) -------------------------

  /**
   * A new setup link for the account (a forgotten password, or a first one); earlier links stop
   * working. `tenantId` is the comune of the route, undefined on the instance administrator's.
   */
  async issueSetupLink(input: AccountAction): Promise<{ setupLink: string; expiresAt: number }> {
    return this.onAccount(input, "user.setup_link_issued", {}, async (trx, { user }, now) => ({
      setupLink: await this.newSetupLink(trx, user.id, now),
      expiresAt: now + SETUP_LINK_MS,
    }));
  }

  /** Turns two-factor off (a lost phone): the person enrols again at the next login. */
  async resetTwoFactor(input: AccountAction): Promise<void> {
    await this.onAccount(input, "user.totp_reset", {}, async (trx, { user }, now) => {
      await updateUser(
        trx,
        user.id,
        { totpSecret: null, totpConfirmedAt: null, totpLastStep: null, recoveryCodes: null },
        now,
      );
      await deleteSessionsOfUser(trx, user.id);
    });
  }

  /** Disables the account (no login, sessions and setup links end) or enables it again. */
  async setDisabled(input: AccountAction & { disabled: boolean }): Promise<void> {
    if (input.by.userId === input.userId && input.disabled) {
      throw conflict("CANNOT_DISABLE_SELF", "Non è possibile disattivare il proprio account");
    }
    const action = input.disabled ? "user.disabled" : "user.enabled";
    await this.onAccount(input, action, {}, async (trx, { user }, now) => {
      await updateUser(trx, user.id, { disabledAt: input.disabled ? now : null }, now);
      if (input.disabled) {
        await deleteSessionsOfUser(trx, user.id);
        await revokeUserTokens(trx, user.id, now);
      }
    });
  }

  /**
   * Runs one change to an account under the account rule, in one transaction, and records it in
   * every comune the person works for (or once for the instance, if none).
   */
  private async onAccount<T>(
    input: AccountAction,
    action: string,
    summary: Record<string, unknown>,
    change: (trx: Kysely<DB>, account: ManagedAccount, now: number) => Promise<T>,
  ): Promise<T> {
    const now = this.now();
    return this.db.transaction().execute(async (trx) => {
      const account = await assertMayManageAccount(trx, input.by, input.userId, input.tenantId);
      const result = await change(trx, account, now);
      const tenants: (string | undefined)[] = account.tenants.length
        ? account.tenants
        : [undefined];
      for (const tenantId of tenants) {
        await recordAudit(
          trx,
          {
            ...(tenantId ? { tenantId } : {}),
            actor: input.by.actor,
            action,
            target: { type: "user", id: String(input.userId) },
            summary: { ...summary, ...(input.tenantId ? { via: input.tenantId } : {}) },
          },
          now,
        );
      }
      return result;
    });
  }

  /** Every account with its state and comuni: for the instance administrator only. */
  async listAccounts(viewer: Principal, email?: string) {
    if (!viewer.instanceAdmin) throw forbidden();
    const users = await listAllUsers(
      this.db,
      email === undefined ? undefined : normalizeEmail(email),
    );
    return Promise.all(
      users.map(async (u) => {
        const roles = await rolesOfUser(this.db, u.id);
        const tenants = [...new Set(roles.map((r) => r.tenantId))];
        return {
          id: u.id,
          email: u.email,
          displayName: u.displayName,
          instanceAdmin: u.instanceRole === "admin",
          account: accountState(u),
          comuni: tenants.map((t) => ({
            tenant: t,
            roles: roles.filter((r) => r.tenantId === t).map((r) => r.role),
          })),
        };
      }),
    );
  }

  private async tenantsOf(db: Kysely<DB>, userId: number): Promise<string[]> {
    return [...new Set((await rolesOfUser(db, userId)).map((r) => r.tenantId))];
  }

  /**
   * The first account of a comune, or an instance administrator (`banditore users add`, run by
   * whoever runs the server, so outside the account rule). Returns the setup link when the
   * account has no password yet.
   */
  async addUserFromCommandLine(input: {
    email: string;
    displayName: string;
    tenantId?: string | undefined;
    role?: Role | undefined;
    instanceAdmin: boolean;
  }): Promise<{ userId: number; setupLink: string | null }> {
    const now = this.now();
    const email = normalizeEmail(input.email);
    return this.db.transaction().execute(async (trx) => {
      const existing = await findUserByEmail(trx, email);
      const userId =
        existing?.id ??
        (await insertUser(trx, { email, displayName: input.displayName, instanceRole: null }, now));
      const before = existing ? await this.tenantsOf(trx, userId) : [];
      if (input.instanceAdmin) await updateUser(trx, userId, { instanceRole: "admin" }, now);
      if (input.tenantId && input.role) {
        const current = (await rolesOfUser(trx, userId))
          .filter((r) => r.tenantId === input.tenantId)
          .map((r) => r.role);
        await replaceRoles(
          trx,
          input.tenantId,
          userId,
          [...new Set([...current, input.role])],
          now,
        );
      }
      await this.recordAddition(trx, {
        tenantId: input.tenantId,
        userId,
        elsewhere: before.filter((t) => t !== input.tenantId),
        actor: { type: "system" },
        summary: {
          via: "command-line",
          roles: input.role ? [input.role] : [],
          instanceAdmin: input.instanceAdmin,
          newAccount: !existing,
        },
        now,
      });
      const setupLink = existing?.passwordHash ? null : await this.newSetupLink(trx, userId, now);
      return { userId, setupLink };
    });
  }

  private async newSetupLink(db: Kysely<DB>, userId: number, now: number): Promise<string> {
    await revokeUserTokens(db, userId, now);
    const token = newToken();
    await insertUserToken(
      db,
      { tokenHash: tokenHash(token), userId, purpose: "setup", expiresAt: now + SETUP_LINK_MS },
      now,
    );
    // In the fragment: browsers never send it, so the token stays out of every access log.
    return `${this.o.publicUrl.replace(/\/$/, "")}/console/setup#token=${token}`;
  }

  async countUsersByTenant(): Promise<Map<string, number>> {
    return countUsersByTenant(this.db);
  }
}

/** An action on one person's account, by `by`, from a comune's route or (no tenant) the instance's. */
export interface AccountAction {
  tenantId?: string | undefined;
  userId: number;
  by: Principal;
}

/** What may be seen of an account, by whoever may manage it. */
function accountState(u: UserRow) {
  return {
    passwordSet: u.passwordHash !== null,
    twoFactor: u.totpConfirmedAt !== null,
    disabled: u.disabledAt !== null,
  };
}
