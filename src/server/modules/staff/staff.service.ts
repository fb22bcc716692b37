import type { Kysely } from "kysely";
import type { Clock } from "../../platform/clock.js";
import type { DB } from "../../platform/db/schema.js";
import { AppError, conflict, notFound } from "../../platform/errors.js";
import {
  INSTANCE_PERMISSIONS,
  ROLES,
  ROLES_REQUIRING_TOTP,
  permissionsOfRoles,
  unauthorized,
  type Actor,
  type Permission,
  type Principal,
  type Role,
} from "../../platform/http/access.js";
import type { Logger } from "../../platform/log.js";
import { recordAudit } from "../audit/audit.service.js";
import { twoFactorSettings } from "../tenants/tenants.service.js";
import {
  findActiveApiKey,
  insertApiKey,
  listApiKeys,
  revokeApiKey,
  touchApiKey,
  type ApiKeyRow,
} from "./api-keys.repository.js";
import { AttemptLimiter } from "./attempt-limiter.js";
import { hashPassword, passwordProblems, verifyAgainstDummy, verifyPassword } from "./passwords.js";
import {
  API_KEY_PREFIX,
  newRecoveryCode,
  newToken,
  recoveryCodeHash,
  tokenHash,
} from "./secrets.js";
import {
  advanceTotpStep,
  clearLoginFailures,
  countLoginFailure,
  consumeUserToken,
  countOwners,
  countUsersByTenant,
  deleteSession,
  deleteSessionsOfUser,
  findLoginFailures,
  findSession,
  findUserByEmail,
  findUserById,
  findUserTokenOwner,
  insertSession,
  insertUser,
  insertUserToken,
  lockLoginAddress,
  pruneExpired,
  replaceRoles,
  revokeUserTokens,
  rolesOfUser,
  touchSession,
  updateUser,
  usersOfTenant,
  type UserRow,
} from "./staff.repository.js";
import { checkTotp, newTotpSecret, totpUri } from "./totp.js";

/** Consecutive failures (password or second factor) that lock an e-mail address … */
export const MAX_LOGIN_FAILURES = 10;
/** … for this long. Failures older than this are forgotten. */
export const LOCKOUT_MS = 15 * 60_000;
/** Time to type the TOTP code after the password. */
const TOTP_STAGE_MS = 5 * 60_000;
/** How long a setup link stays valid. */
export const SETUP_LINK_MS = 72 * 60 * 60_000;
const RECOVERY_CODES = 10;
/** last_seen_at and last_used_at are written at most this often. */
const TOUCH_EVERY_MS = 60_000;

export interface StaffOptions {
  db: Kysely<DB>;
  clock: Clock;
  log: Logger;
  /** Where the console is reached: setup links point there. */
  publicUrl: string;
  sessionIdleMs: number;
  sessionMaxMs: number;
  /** Login attempts per client address per window (default 50 per 10 minutes). */
  attemptsPerAddress?: { max: number; windowMs: number };
}

export interface LoginResult {
  stage: "totp" | "active";
  /** The session token, for the cookie. */
  token: string;
  maxAgeMs: number;
}

export const invalidCredentials = () =>
  new AppError(401, "INVALID_CREDENTIALS", "E-mail o password non corretti");
const invalidCode = () =>
  new AppError(401, "INVALID_SECOND_FACTOR", "Codice di verifica non valido o già usato");
export const loginLocked = () =>
  new AppError(
    429,
    "LOGIN_LOCKED",
    "Troppi tentativi non riusciti: per sicurezza l'accesso con questo indirizzo è sospeso per 15 minuti",
  );
const tooManyAttempts = () =>
  new AppError(
    429,
    "TOO_MANY_ATTEMPTS",
    "Troppi tentativi da questo indirizzo: riprovare più tardi",
  );
const twoFactorRequired = () =>
  new AppError(
    403,
    "TWO_FACTOR_REQUIRED",
    "Il ruolo richiede la verifica in due passaggi: attivarla nel proprio profilo",
  );

/** Permissions an API key may never hold: managing people and keys is for people. */
export const PERMISSIONS_NOT_FOR_KEYS: ReadonlySet<Permission> = new Set([
  "users.manage",
  "apikeys.manage",
  ...INSTANCE_PERMISSIONS,
]);

export const normalizeEmail = (email: string) => email.trim().toLowerCase();
const failureKey = (email: string) => tokenHash(`login:${normalizeEmail(email)}`);
/** The CSRF token of a session: derived from the cookie's token, so nothing more is stored. */
export const csrfTokenOf = (sessionToken: string) => tokenHash(`csrf:${sessionToken}`);

function isRole(role: string): role is Role {
  return (ROLES as readonly string[]).includes(role);
}

/** Staff accounts, sessions, two-factor login and API keys. */
export class Staff {
  private readonly limiter: AttemptLimiter;

  constructor(private readonly o: StaffOptions) {
    const a = o.attemptsPerAddress ?? { max: 50, windowMs: 10 * 60_000 };
    this.limiter = new AttemptLimiter(a.max, a.windowMs);
  }

  private get db() {
    return this.o.db;
  }
  private now() {
    return this.o.clock.now();
  }

  // Login ---------------------------------------------------------------------------------------

  /**
   * Step one: e-mail and password. The same answers, in comparable time, whether or not an
   * account has the address: a missing account verifies against a dummy hash, and failures are
   * counted per address, so an unknown address locks exactly like a known one.
   */
  async login(input: { email: string; password: string; address: string }): Promise<LoginResult> {
    const now = this.now();
    if (!this.limiter.take(input.address, now)) throw tooManyAttempts();
    const email = normalizeEmail(input.email);
    const key = failureKey(email);
    const failures = await findLoginFailures(this.db, key);
    // The same code path for every locked address, existing or not: no hashing needed here.
    if (failures?.lockedUntil && failures.lockedUntil > now) throw loginLocked();
    const user = await findUserByEmail(this.db, email);
    const usable = user && user.passwordHash && user.disabledAt === null ? user : undefined;
    const ok = usable?.passwordHash
      ? await verifyPassword(usable.passwordHash, input.password)
      : await verifyAgainstDummy(input.password);
    if (!usable || !ok) {
      await this.recordFailure(key, user, user ? "password" : "unknown-address", now);
      throw invalidCredentials();
    }
    if (usable.totpConfirmedAt !== null) {
      const token = await this.openSession(usable.id, "totp", now, TOTP_STAGE_MS);
      return { stage: "totp", token, maxAgeMs: TOTP_STAGE_MS };
    }
    return this.finishLogin(usable, key, now, "password");
  }

  /** Step two, for accounts with TOTP: a code from the app, or one recovery code. */
  async completeSecondFactor(
    sessionToken: string | undefined,
    input: { code?: string | undefined; recoveryCode?: string | undefined; address: string },
  ): Promise<LoginResult> {
    const now = this.now();
    if (!this.limiter.take(input.address, now)) throw tooManyAttempts();
    const session = sessionToken ? await findSession(this.db, tokenHash(sessionToken)) : undefined;
    if (!session || session.stage !== "totp" || session.expiresAt <= now) {
      throw new AppError(401, "LOGIN_EXPIRED", "Accesso scaduto: ripetere il login");
    }
    const user = await findUserById(this.db, session.userId);
    if (!user?.totpSecret || user.totpConfirmedAt === null || user.disabledAt !== null) {
      throw unauthorized();
    }
    const key = failureKey(user.email);
    const failures = await findLoginFailures(this.db, key);
    if (failures?.lockedUntil && failures.lockedUntil > now) throw loginLocked();
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
      await this.recordFailure(key, user, factor, now, invalidCode);
      throw invalidCode();
    }
    // A new session id once fully logged in (no fixation of the half-way one).
    await deleteSession(this.db, session.id);
    return this.finishLogin(user, key, now, factor);
  }

  private async finishLogin(
    user: UserRow,
    key: string,
    now: number,
    factor: string,
  ): Promise<LoginResult> {
    await clearLoginFailures(this.db, key);
    // Housekeeping: sessions past their end and failure counts nobody will read again.
    await pruneExpired(this.db, now, now - this.o.sessionIdleMs, now - LOCKOUT_MS);
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

  private async recordFailure(
    key: string,
    user: UserRow | undefined,
    reason: string,
    now: number,
    refusal: () => AppError = invalidCredentials,
  ): Promise<never> {
    const failures = await countLoginFailure(this.db, key, now, now - LOCKOUT_MS);
    const locked = failures >= MAX_LOGIN_FAILURES;
    if (locked) await lockLoginAddress(this.db, key, now + LOCKOUT_MS);
    const target = user ? { target: { type: "user", id: String(user.id) } } : {};
    await recordAudit(
      this.db,
      { actor: { type: "anonymous" }, action: "auth.login_failed", ...target, summary: { reason } },
      now,
    );
    if (locked) {
      await recordAudit(
        this.db,
        { actor: { type: "system" }, action: "auth.locked", ...target, summary: { reason } },
        now,
      );
      this.o.log.warn(
        { event: "auth.locked", userId: user?.id },
        "Login locked after repeated failures",
      );
      throw loginLocked();
    }
    throw refusal();
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
    return { ...(await this.userPrincipal(user)), csrfToken: csrfTokenOf(token) };
  }

  /** A user's permissions per comune; a TOTP-requiring role counts only once TOTP is on. */
  async userPrincipal(user: UserRow): Promise<Principal> {
    const roles = await rolesOfUser(this.db, user.id);
    const byTenant = new Map<string, Role[]>();
    for (const r of roles) {
      if (!isRole(r.role)) continue;
      byTenant.set(r.tenantId, [...(byTenant.get(r.tenantId) ?? []), r.role]);
    }
    const withheld = new Set<string>();
    if (user.totpConfirmedAt === null) {
      const gated = [...byTenant].filter(([, rs]) => rs.some((r) => ROLES_REQUIRING_TOTP.has(r)));
      const settings = await twoFactorSettings(
        this.db,
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

  /** An API key's principal: its permissions, in its comune only. */
  async authenticateApiKey(token: string): Promise<Principal> {
    const key = await findActiveApiKey(this.db, tokenHash(token));
    if (!key) throw unauthorized();
    const now = this.now();
    if (key.lastUsedAt === null || now - key.lastUsedAt >= TOUCH_EVERY_MS) {
      await touchApiKey(this.db, key.id, now);
    }
    const granted = new Set(key.permissions as Permission[]);
    const none: ReadonlySet<Permission> = new Set();
    return {
      actor: { type: "api-key", id: String(key.id) },
      instanceAdmin: false,
      permissionsIn: (t) => (t === key.tenantId ? granted : none),
    };
  }

  /** What the console shows about the logged-in user. */
  async describe(userId: number) {
    const user = await findUserById(this.db, userId);
    if (!user) throw unauthorized();
    const principal = await this.userPrincipal(user);
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

  // Account setup and TOTP enrolment -------------------------------------------------------------

  /** Sets the password from a setup link and logs the user in. */
  async completeSetup(input: { token: string; password: string }): Promise<LoginResult> {
    const now = this.now();
    const userId = await findUserTokenOwner(this.db, tokenHash(input.token), "setup", now);
    const user = userId === undefined ? undefined : await findUserById(this.db, userId);
    if (!user || user.disabledAt !== null) {
      throw new AppError(
        400,
        "SETUP_LINK_INVALID",
        "Il link di attivazione non è valido o è scaduto: chiederne uno nuovo",
      );
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
      throw new AppError(
        400,
        "SETUP_LINK_INVALID",
        "Il link di attivazione non è valido o è scaduto: chiederne uno nuovo",
      );
    }
    if (user.totpConfirmedAt !== null) {
      const token = await this.openSession(user.id, "totp", now, TOTP_STAGE_MS);
      return { stage: "totp", token, maxAgeMs: TOTP_STAGE_MS };
    }
    return this.finishLogin(user, failureKey(user.email), now, "setup-link");
  }

  /** Starts (or restarts) TOTP enrolment: a new pending secret, for the app's QR code. */
  async startTotpEnrolment(userId: number): Promise<{ secret: string; uri: string }> {
    const user = await findUserById(this.db, userId);
    if (!user) throw unauthorized();
    if (user.totpConfirmedAt !== null) {
      throw conflict("TOTP_ALREADY_ENABLED", "La verifica in due passaggi è già attiva");
    }
    const secret = newTotpSecret();
    await updateUser(this.db, userId, { totpSecret: secret, totpLastStep: null }, this.now());
    return { secret, uri: totpUri(secret, user.email) };
  }

  /** Confirms enrolment with a first code; returns the recovery codes, shown this once. */
  async confirmTotp(userId: number, code: string): Promise<string[]> {
    const now = this.now();
    const user = await findUserById(this.db, userId);
    if (!user) throw unauthorized();
    if (user.totpConfirmedAt !== null) {
      throw conflict("TOTP_ALREADY_ENABLED", "La verifica in due passaggi è già attiva");
    }
    if (!user.totpSecret) {
      throw conflict(
        "TOTP_NOT_STARTED",
        "Avviare prima l'attivazione della verifica in due passaggi",
      );
    }
    const step = await checkTotp(user.totpSecret, code, now, user.totpLastStep);
    if (step === undefined) throw invalidCode();
    const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
    await this.db.transaction().execute(async (trx) => {
      await updateUser(
        trx,
        userId,
        { totpConfirmedAt: now, totpLastStep: step, recoveryCodes: codes.map(recoveryCodeHash) },
        now,
      );
      await recordAudit(
        trx,
        {
          actor: { type: "user", id: String(userId) },
          action: "user.totp_enabled",
          target: { type: "user", id: String(userId) },
        },
        now,
      );
    });
    return codes;
  }

  /** New recovery codes (the old ones stop working), on a current TOTP code. */
  async regenerateRecoveryCodes(userId: number, code: string): Promise<string[]> {
    const now = this.now();
    const user = await findUserById(this.db, userId);
    if (!user?.totpSecret || user.totpConfirmedAt === null) {
      throw conflict("TOTP_NOT_ENABLED", "La verifica in due passaggi non è attiva");
    }
    const step = await checkTotp(user.totpSecret, code, now, user.totpLastStep);
    if (step === undefined || !(await advanceTotpStep(this.db, userId, step, user.totpLastStep))) {
      throw invalidCode();
    }
    const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
    await updateUser(this.db, userId, { recoveryCodes: codes.map(recoveryCodeHash) }, now);
    await recordAudit(
      this.db,
      {
        actor: { type: "user", id: String(userId) },
        action: "user.recovery_codes_renewed",
        target: { type: "user", id: String(userId) },
      },
      now,
    );
    return codes;
  }

  // Users and roles of a comune -------------------------------------------------------------------

  async listUsers(tenantId: string) {
    const users = await usersOfTenant(this.db, tenantId);
    return users.map((u) => ({
      id: u.id,
      email: u.email,
      displayName: u.displayName,
      roles: u.roles,
      passwordSet: u.passwordHash !== null,
      twoFactor: u.totpConfirmedAt !== null,
    }));
  }

  /**
   * Gives a person roles in a comune: a new account (with a setup link, returned once) or an
   * existing one (a person working for several comuni; they keep their password).
   */
  async addUser(input: {
    tenantId: string;
    email: string;
    displayName: string;
    roles: readonly Role[];
    actor: Actor;
  }): Promise<{ userId: number; created: boolean; setupLink: string | null }> {
    const now = this.now();
    const email = normalizeEmail(input.email);
    return this.db.transaction().execute(async (trx) => {
      const existing = await findUserByEmail(trx, email);
      if (
        existing &&
        (await rolesOfUser(trx, existing.id)).some((r) => r.tenantId === input.tenantId)
      ) {
        throw conflict(
          "USER_ALREADY_IN_TENANT",
          "La persona ha già dei ruoli in questo comune: modificarli invece di aggiungerla",
        );
      }
      const userId =
        existing?.id ??
        (await insertUser(trx, { email, displayName: input.displayName, instanceRole: null }, now));
      await replaceRoles(trx, input.tenantId, userId, [...new Set(input.roles)], now);
      const setupLink = existing?.passwordHash ? null : await this.newSetupLink(trx, userId, now);
      await recordAudit(
        trx,
        {
          tenantId: input.tenantId,
          actor: input.actor,
          action: "user.added",
          target: { type: "user", id: String(userId) },
          summary: { roles: [...new Set(input.roles)], newAccount: !existing },
        },
        now,
      );
      return { userId, created: !existing, setupLink };
    });
  }

  /** Replaces a person's roles in a comune; none removes them from it. A comune keeps an owner. */
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
      if (!before.length) throw notFound("Utente");
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

  /** A new setup link for a person of the comune (a forgotten password); earlier ones stop. */
  async issueSetupLink(input: { tenantId: string; userId: number; actor: Actor }): Promise<string> {
    const now = this.now();
    return this.db.transaction().execute(async (trx) => {
      const roles = await rolesOfUser(trx, input.userId);
      if (!roles.some((r) => r.tenantId === input.tenantId)) throw notFound("Utente");
      const link = await this.newSetupLink(trx, input.userId, now);
      await recordAudit(
        trx,
        {
          tenantId: input.tenantId,
          actor: input.actor,
          action: "user.setup_link_issued",
          target: { type: "user", id: String(input.userId) },
        },
        now,
      );
      return link;
    });
  }

  /**
   * The first account of a comune, or an instance administrator (`banditore users add`).
   * Returns the setup link when the account has no password yet.
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
      await recordAudit(
        trx,
        {
          ...(input.tenantId ? { tenantId: input.tenantId } : {}),
          actor: { type: "system" },
          action: "user.added",
          target: { type: "user", id: String(userId) },
          summary: {
            via: "command-line",
            roles: input.role ? [input.role] : [],
            instanceAdmin: input.instanceAdmin,
            newAccount: !existing,
          },
        },
        now,
      );
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

  // API keys ----------------------------------------------------------------------------------------

  async listApiKeys(tenantId: string): Promise<ApiKeyRow[]> {
    return listApiKeys(this.db, tenantId);
  }

  /**
   * A key for a machine of the comune, with some of the creator's own permissions (never more)
   * and never the management of people or keys. The key is returned once; only its hash stays.
   */
  async createApiKey(input: {
    tenantId: string;
    name: string;
    permissions: readonly Permission[];
    creator: Principal;
  }): Promise<{ key: string; row: ApiKeyRow }> {
    const now = this.now();
    const permissions = [...new Set(input.permissions)];
    const notForKeys = permissions.filter((p) => PERMISSIONS_NOT_FOR_KEYS.has(p));
    if (notForKeys.length) {
      throw new AppError(
        400,
        "VALIDATION_FAILED",
        "Richiesta non valida",
        notForKeys.map((p) => ({
          field: "body.permissions",
          problem: `"${p}" non può essere dato a una chiave API`,
        })),
      );
    }
    const held = input.creator.permissionsIn(input.tenantId);
    const missing = permissions.filter((p) => !held.has(p));
    if (missing.length) {
      throw new AppError(
        403,
        "PERMISSION_NOT_HELD",
        "Una chiave API può avere solo permessi che si possiedono",
        missing.map((p) => ({
          field: "body.permissions",
          problem: `"${p}" non è tra i propri permessi`,
        })),
      );
    }
    const key = newToken(API_KEY_PREFIX);
    return this.db.transaction().execute(async (trx) => {
      const row = await insertApiKey(
        trx,
        {
          tenantId: input.tenantId,
          name: input.name,
          tokenHash: tokenHash(key),
          tokenPrefix: key.slice(0, API_KEY_PREFIX.length + 6),
          permissions,
          createdBy: actorLabel(input.creator.actor),
        },
        now,
      );
      await recordAudit(
        trx,
        {
          tenantId: input.tenantId,
          actor: input.creator.actor,
          action: "apikey.created",
          target: { type: "api-key", id: String(row.id) },
          summary: { name: input.name, permissions },
        },
        now,
      );
      return { key, row };
    });
  }

  async revokeApiKey(input: { tenantId: string; keyId: number; actor: Actor }): Promise<void> {
    const now = this.now();
    await this.db.transaction().execute(async (trx) => {
      if (!(await revokeApiKey(trx, input.tenantId, input.keyId, now)))
        throw notFound("Chiave API");
      await recordAudit(
        trx,
        {
          tenantId: input.tenantId,
          actor: input.actor,
          action: "apikey.revoked",
          target: { type: "api-key", id: String(input.keyId) },
        },
        now,
      );
    });
  }
}

export function actorLabel(actor: Actor): string {
  return actor.id === undefined ? actor.type : `${actor.type}:${actor.id}`;
}
