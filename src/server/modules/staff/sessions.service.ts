import { AppError } from "../../platform/errors.js";
import { unauthorized, type Principal } from "../../platform/http/access.js";
import type { Logger } from "../../platform/log.js";
import { recordAudit } from "../audit/audit.service.js";
import { LoginThrottle, THROTTLE, type Charge } from "./login-throttle.js";
import { normalizeEmail } from "./names.js";
import { hashPassword, passwordProblems, verifyAgainstDummy, verifyPassword } from "./passwords.js";
import { userPrincipal } from "./principal.js";
import { newToken, recoveryCodeHash, tokenHash } from "./secrets.js";
import {
  deleteSession,
  deleteSessionsOfUser,
  findSession,
  insertSession,
  pruneExpiredSessions,
  touchSession,
} from "./sessions.repository.js";
import { invalidCode } from "./staff-errors.js";
import { StaffService, type StaffServiceOptions } from "./staff-service.js";
import { checkTotp } from "./totp.js";
import { rolesOfUser } from "./user-roles.repository.js";
import { consumeUserToken, findUserTokenOwner } from "./user-tokens.repository.js";
import {
  advanceTotpStep,
  findUserByEmail,
  findUserById,
  updateUser,
  type UserRow,
} from "./users.repository.js";

/** Time to type the TOTP code after the password. */
const TOTP_STAGE_MS = 5 * 60_000;
/** last_seen_at is written at most this often. */
const TOUCH_EVERY_MS = 60_000;

export interface SessionsOptions extends StaffServiceOptions {
  log: Logger;
  sessionIdleMs: number;
  sessionMaxMs: number;
}

export interface LoginResult {
  stage: "totp" | "active";
  /** The session token, for the cookie. */
  token: string;
  maxAgeMs: number;
}

const invalidCredentials = () =>
  new AppError(401, "INVALID_CREDENTIALS", "E-mail o password non corretti");
const setupLinkInvalid = () =>
  new AppError(
    400,
    "SETUP_LINK_INVALID",
    "Il link di attivazione non è valido o è scaduto: chiederne uno nuovo",
  );

/** The CSRF token of a session: derived from the cookie's token, so nothing more is stored. */
export const csrfTokenOf = (sessionToken: string) => tokenHash(`csrf:${sessionToken}`);

/**
 * How staff get in and out: the login (password, then TOTP or a recovery code), the setup link
 * that sets the password, logout, and the session cookie's principal. The account's own TOTP
 * settings are `TwoFactor`'s, the people and their roles `Accounts`'.
 */
export class Sessions extends StaffService<SessionsOptions> {
  private readonly throttle: LoginThrottle;

  constructor(o: SessionsOptions) {
    super(o);
    this.throttle = new LoginThrottle(o.db);
  }

  // Login ---------------------------------------------------------------------------------------

  /**
   * Step one: e-mail and password. The same answers, in comparable time, whether or not an
   * account has the address: the attempt is charged to the throttle (login-throttle.ts) by the
   * e-mail typed, before anything is looked up, and a missing account verifies against a dummy
   * hash. `address` is the client's (Fastify's `request.ip`, through the trusted proxies only).
   */
  async login(input: { email: string; password: string; address: string }): Promise<LoginResult> {
    const now = this.now();
    const email = normalizeEmail(input.email);
    const charge = await this.throttle.charge(email, input.address, now);
    const user = await findUserByEmail(this.db, email);
    const usable = user && user.passwordHash && user.disabledAt === null ? user : undefined;
    const ok = usable?.passwordHash
      ? await verifyPassword(usable.passwordHash, input.password)
      : await verifyAgainstDummy(input.password);
    if (!usable || !ok) {
      await this.recordFailure(user, user ? "password" : "unknown-address", charge, now);
      throw invalidCredentials();
    }
    if (usable.totpConfirmedAt !== null) {
      const token = await this.openSession(usable.id, "totp", now, TOTP_STAGE_MS);
      return { stage: "totp", token, maxAgeMs: TOTP_STAGE_MS };
    }
    return this.finishLogin(usable, { address: input.address, charge }, now, "password");
  }

  /** Step two, for accounts with TOTP: a code from the app, or one recovery code. */
  async completeSecondFactor(
    sessionToken: string | undefined,
    input: { code?: string | undefined; recoveryCode?: string | undefined; address: string },
  ): Promise<LoginResult> {
    const now = this.now();
    const session = sessionToken ? await findSession(this.db, tokenHash(sessionToken)) : undefined;
    if (!session || session.stage !== "totp" || session.expiresAt <= now) {
      throw new AppError(401, "LOGIN_EXPIRED", "Accesso scaduto: ripetere il login");
    }
    const user = await findUserById(this.db, session.userId);
    if (!user?.totpSecret || user.totpConfirmedAt === null || user.disabledAt !== null) {
      throw unauthorized();
    }
    // Codes are guessed like passwords: the same counters, the same waits.
    const charge = await this.throttle.charge(user.email, input.address, now);
    let factor: "totp" | "recovery-code";
    let ok = false;
    if (input.code !== undefined) {
      factor = "totp";
      const step = await checkTotp(user.totpSecret, input.code, now, user.totpLastStep);
      ok = step !== undefined && (await advanceTotpStep(this.db, user.id, step, user.totpLastStep));
    } else {
      factor = "recovery-code";
      const hash = recoveryCodeHash(input.recoveryCode ?? "");
      if (user.recoveryCodes.includes(hash)) {
        const rest = user.recoveryCodes.filter((h) => h !== hash);
        await updateUser(this.db, user.id, { recoveryCodes: rest }, now);
        ok = true;
      }
    }
    if (!ok) {
      await this.recordFailure(user, factor, charge, now);
      throw invalidCode();
    }
    // A new session id once fully logged in (no fixation of the half-way one).
    await deleteSession(this.db, session.id);
    return this.finishLogin(user, { address: input.address, charge }, now, factor);
  }

  private async finishLogin(
    user: UserRow,
    from: { address: string; charge: Charge | undefined },
    now: number,
    factor: string,
  ): Promise<LoginResult> {
    await this.throttle.succeeded(user.email, from.address, from.charge, now);
    // Housekeeping: sessions past their end.
    await pruneExpiredSessions(this.db, now, now - this.o.sessionIdleMs);
    const token = await this.openSession(user.id, "active", now, this.o.sessionMaxMs);
    await recordAudit(
      this.db,
      {
        actor: { type: "user", id: String(user.id) },
        action: "auth.login",
        target: { type: "user", id: String(user.id) },
        summary: { factor },
      },
      now,
    );
    return { stage: "active", token, maxAgeMs: this.o.sessionMaxMs };
  }

  /**
   * Audits a failure (already counted by the charge). When the account's failures from unknown
   * addresses reach the point where they start to wait, that is audited and logged once: someone
   * is probably guessing.
   */
  private async recordFailure(
    user: UserRow | undefined,
    reason: string,
    charge: Charge,
    now: number,
  ): Promise<void> {
    const target = user ? { target: { type: "user", id: String(user.id) } } : {};
    await recordAudit(
      this.db,
      { actor: { type: "anonymous" }, action: "auth.login_failed", ...target, summary: { reason } },
      now,
    );
    if (charge.accountFailures === THROTTLE.accountFreeFailures) {
      await recordAudit(
        this.db,
        {
          actor: { type: "system" },
          action: "auth.throttled",
          ...target,
          summary: { reason, failures: charge.accountFailures },
        },
        now,
      );
      this.o.log.warn(
        { event: "auth.throttled", userId: user?.id },
        "Repeated login failures from unknown addresses: the account's logins are slowed down",
      );
    }
  }

  private async openSession(
    userId: number,
    stage: "totp" | "active",
    now: number,
    lifetimeMs: number,
  ): Promise<string> {
    const token = newToken();
    await insertSession(this.db, {
      id: tokenHash(token),
      userId,
      stage,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + lifetimeMs,
    });
    return token;
  }

  /** Ends one session (the cookie's); harmless when it is already gone. */
  async logout(sessionToken: string): Promise<void> {
    const now = this.now();
    const session = await findSession(this.db, tokenHash(sessionToken));
    if (!session) return;
    await deleteSession(this.db, session.id);
    await recordAudit(
      this.db,
      {
        actor: { type: "user", id: String(session.userId) },
        action: "auth.logout",
        target: { type: "user", id: String(session.userId) },
      },
      now,
    );
  }

  /** Ends every session of the user, on every device. */
  async logoutEverywhere(userId: number): Promise<number> {
    const now = this.now();
    const ended = await deleteSessionsOfUser(this.db, userId);
    await recordAudit(
      this.db,
      {
        actor: { type: "user", id: String(userId) },
        action: "auth.logout_all",
        target: { type: "user", id: String(userId) },
        summary: { sessions: ended },
      },
      now,
    );
    return ended;
  }

  // Who is calling ------------------------------------------------------------------------------

  /** A session cookie's principal; throws 401 when the session is unknown, half-way or expired. */
  async authenticateSession(token: string): Promise<Principal> {
    const now = this.now();
    const session = await findSession(this.db, tokenHash(token));
    if (!session || session.stage !== "active") throw unauthorized();
    if (session.expiresAt <= now || now - session.lastSeenAt >= this.o.sessionIdleMs) {
      await deleteSession(this.db, session.id);
      throw new AppError(401, "SESSION_EXPIRED", "Sessione scaduta: accedere di nuovo");
    }
    const user = await findUserById(this.db, session.userId);
    if (!user || user.disabledAt !== null) throw unauthorized();
    if (now - session.lastSeenAt >= TOUCH_EVERY_MS) await touchSession(this.db, session.id, now);
    return { ...(await userPrincipal(this.db, user)), csrfToken: csrfTokenOf(token) };
  }

  /** What the console shows about the logged-in user. */
  async describe(userId: number) {
    const user = await findUserById(this.db, userId);
    if (!user) throw unauthorized();
    const principal = await userPrincipal(this.db, user);
    const roles = await rolesOfUser(this.db, userId);
    const tenants = [...new Set(roles.map((r) => r.tenantId))];
    return {
      user: { id: user.id, email: user.email, displayName: user.displayName },
      instanceAdmin: user.instanceRole === "admin",
      twoFactor: {
        enabled: user.totpConfirmedAt !== null,
        recoveryCodesLeft: user.recoveryCodes.length,
        requiredIn: tenants.filter((t) => principal.withheldIn?.(t) !== undefined),
      },
      comuni: tenants.map((t) => ({
        tenant: t,
        roles: roles.filter((r) => r.tenantId === t).map((r) => r.role),
        permissions: [...principal.permissionsIn(t)],
      })),
    };
  }

  // Account setup -------------------------------------------------------------------------------

  /** Sets the password from a setup link and logs the user in. */
  async completeSetup(input: {
    token: string;
    password: string;
    address: string;
  }): Promise<LoginResult> {
    const now = this.now();
    const userId = await findUserTokenOwner(this.db, tokenHash(input.token), "setup", now);
    const user = userId === undefined ? undefined : await findUserById(this.db, userId);
    if (!user || user.disabledAt !== null) {
      throw setupLinkInvalid();
    }
    const problems = passwordProblems(input.password, user.email, "body.password");
    if (problems.length) {
      throw new AppError(400, "PASSWORD_REJECTED", "Password non accettata", problems);
    }
    const hash = await hashPassword(input.password);
    const consumed = await this.db.transaction().execute(async (trx) => {
      const owner = await consumeUserToken(trx, tokenHash(input.token), "setup", now);
      if (owner !== user.id) return false;
      await updateUser(trx, user.id, { passwordHash: hash }, now);
      await deleteSessionsOfUser(trx, user.id);
      await recordAudit(
        trx,
        {
          actor: { type: "user", id: String(user.id) },
          action: "user.password_set",
          target: { type: "user", id: String(user.id) },
        },
        now,
      );
      return true;
    });
    if (!consumed) {
      throw setupLinkInvalid();
    }
    if (user.totpConfirmedAt !== null) {
      const token = await this.openSession(user.id, "totp", now, TOTP_STAGE_MS);
      return { stage: "totp", token, maxAgeMs: TOTP_STAGE_MS };
    }
    return this.finishLogin(user, { address: input.address, charge: undefined }, now, "setup-link");
  }
}
