import { sql, type Kysely, type Transaction } from "kysely";
import type { DB } from "../../platform/db/schema.js";

type Db = Kysely<DB> | Transaction<DB>;

export interface UserRow {
  id: number;
  email: string;
  displayName: string;
  passwordHash: string | null;
  totpSecret: string | null;
  totpConfirmedAt: number | null;
  totpLastStep: number | null;
  recoveryCodes: string[];
  instanceRole: string | null;
  disabledAt: number | null;
}

const userColumns = [
  "id",
  "email",
  "display_name",
  "password_hash",
  "totp_secret",
  "totp_confirmed_at",
  "totp_last_step",
  "recovery_codes",
  "instance_role",
  "disabled_at",
] as const;

function toUser(r: {
  id: number;
  email: string;
  display_name: string;
  password_hash: string | null;
  totp_secret: string | null;
  totp_confirmed_at: number | null;
  totp_last_step: number | null;
  recovery_codes: string | null;
  instance_role: string | null;
  disabled_at: number | null;
}): UserRow {
  return {
    id: Number(r.id),
    email: r.email,
    displayName: r.display_name,
    passwordHash: r.password_hash,
    totpSecret: r.totp_secret,
    totpConfirmedAt: r.totp_confirmed_at,
    totpLastStep: r.totp_last_step === null ? null : Number(r.totp_last_step),
    recoveryCodes: r.recovery_codes ? (JSON.parse(r.recovery_codes) as string[]) : [],
    instanceRole: r.instance_role,
    disabledAt: r.disabled_at,
  };
}

export async function findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  const r = await db
    .selectFrom("users")
    .select(userColumns)
    .where("email", "=", email)
    .executeTakeFirst();
  return r && toUser(r);
}

export async function findUserById(db: Db, id: number): Promise<UserRow | undefined> {
  const r = await db
    .selectFrom("users")
    .select(userColumns)
    .where("id", "=", id)
    .executeTakeFirst();
  return r && toUser(r);
}

export async function insertUser(
  db: Db,
  user: { email: string; displayName: string; instanceRole: string | null },
  now: number,
): Promise<number> {
  const { id } = await db
    .insertInto("users")
    .values({
      email: user.email,
      display_name: user.displayName,
      password_hash: null,
      totp_secret: null,
      totp_confirmed_at: null,
      totp_last_step: null,
      recovery_codes: null,
      instance_role: user.instanceRole,
      disabled_at: null,
      created_at: now,
      updated_at: now,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return Number(id);
}

export async function updateUser(
  db: Db,
  id: number,
  changes: Partial<{
    passwordHash: string;
    totpSecret: string | null;
    totpConfirmedAt: number | null;
    totpLastStep: number | null;
    recoveryCodes: string[] | null;
    instanceRole: string | null;
  }>,
  now: number,
): Promise<void> {
  await db
    .updateTable("users")
    .set({
      ...(changes.passwordHash !== undefined ? { password_hash: changes.passwordHash } : {}),
      ...(changes.totpSecret !== undefined ? { totp_secret: changes.totpSecret } : {}),
      ...(changes.totpConfirmedAt !== undefined
        ? { totp_confirmed_at: changes.totpConfirmedAt }
        : {}),
      ...(changes.totpLastStep !== undefined ? { totp_last_step: changes.totpLastStep } : {}),
      ...(changes.recoveryCodes !== undefined
        ? { recovery_codes: changes.recoveryCodes && JSON.stringify(changes.recoveryCodes) }
        : {}),
      ...(changes.instanceRole !== undefined ? { instance_role: changes.instanceRole } : {}),
      updated_at: now,
    })
    .where("id", "=", id)
    .execute();
}

/** Moves the last accepted TOTP step forward only if no one else did: a code counts once. */
export async function advanceTotpStep(
  db: Db,
  id: number,
  step: number,
  previous: number | null,
): Promise<boolean> {
  const result = await db
    .updateTable("users")
    .set({ totp_last_step: step })
    .where("id", "=", id)
    .where((eb) =>
      previous === null ? eb("totp_last_step", "is", null) : eb("totp_last_step", "=", previous),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function rolesOfUser(
  db: Db,
  userId: number,
): Promise<{ tenantId: string; role: string }[]> {
  const rows = await db
    .selectFrom("user_roles")
    .select(["tenant_id", "role"])
    .where("user_id", "=", userId)
    .orderBy("tenant_id")
    .orderBy("role")
    .execute();
  return rows.map((r) => ({ tenantId: r.tenant_id, role: r.role }));
}

export async function usersOfTenant(
  db: Db,
  tenantId: string,
): Promise<(UserRow & { roles: string[] })[]> {
  const rows = await db
    .selectFrom("user_roles")
    .innerJoin("users", "users.id", "user_roles.user_id")
    .select([...userColumns.map((c) => `users.${c}` as const), "user_roles.role"])
    .where("user_roles.tenant_id", "=", tenantId)
    .orderBy("users.email")
    .orderBy("user_roles.role")
    .execute();
  const byId = new Map<number, UserRow & { roles: string[] }>();
  for (const r of rows) {
    const id = Number(r.id);
    const user = byId.get(id) ?? { ...toUser(r), roles: [] };
    user.roles.push(r.role);
    byId.set(id, user);
  }
  return [...byId.values()];
}

export async function replaceRoles(
  db: Db,
  tenantId: string,
  userId: number,
  roles: readonly string[],
  now: number,
): Promise<void> {
  await db
    .deleteFrom("user_roles")
    .where("tenant_id", "=", tenantId)
    .where("user_id", "=", userId)
    .execute();
  if (roles.length) {
    await db
      .insertInto("user_roles")
      .values(
        roles.map((role) => ({ tenant_id: tenantId, user_id: userId, role, created_at: now })),
      )
      .execute();
  }
}

export async function countOwners(db: Db, tenantId: string): Promise<number> {
  const r = await db
    .selectFrom("user_roles")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("tenant_id", "=", tenantId)
    .where("role", "=", "owner")
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function countUsersByTenant(db: Db): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom("user_roles")
    .select(["tenant_id", (eb) => eb.fn.count<number>("user_id").distinct().as("n")])
    .groupBy("tenant_id")
    .execute();
  return new Map(rows.map((r) => [r.tenant_id, Number(r.n)]));
}

// Sessions ------------------------------------------------------------------------------------

export interface SessionRow {
  id: string;
  userId: number;
  stage: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

export async function insertSession(db: Db, s: SessionRow): Promise<void> {
  await db
    .insertInto("sessions")
    .values({
      id: s.id,
      user_id: s.userId,
      stage: s.stage,
      created_at: s.createdAt,
      last_seen_at: s.lastSeenAt,
      expires_at: s.expiresAt,
    })
    .execute();
}

export async function findSession(db: Db, id: string): Promise<SessionRow | undefined> {
  const r = await db
    .selectFrom("sessions")
    .select(["id", "user_id", "stage", "created_at", "last_seen_at", "expires_at"])
    .where("id", "=", id)
    .executeTakeFirst();
  return (
    r && {
      id: r.id,
      userId: Number(r.user_id),
      stage: r.stage,
      createdAt: Number(r.created_at),
      lastSeenAt: Number(r.last_seen_at),
      expiresAt: Number(r.expires_at),
    }
  );
}

export async function touchSession(db: Db, id: string, now: number): Promise<void> {
  await db.updateTable("sessions").set({ last_seen_at: now }).where("id", "=", id).execute();
}

export async function deleteSession(db: Db, id: string): Promise<void> {
  await db.deleteFrom("sessions").where("id", "=", id).execute();
}

export async function deleteSessionsOfUser(db: Db, userId: number): Promise<number> {
  const r = await db.deleteFrom("sessions").where("user_id", "=", userId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Deletes sessions past their end or idle since `idleBefore`, and stale failure counts. */
export async function pruneExpired(
  db: Db,
  now: number,
  idleBefore: number,
  failuresBefore: number,
): Promise<void> {
  await db
    .deleteFrom("sessions")
    .where((eb) => eb.or([eb("expires_at", "<=", now), eb("last_seen_at", "<", idleBefore)]))
    .execute();
  await db
    .deleteFrom("login_failures")
    .where("last_failure_at", "<", failuresBefore)
    .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<=", now)]))
    .execute();
}

// One-time tokens -----------------------------------------------------------------------------

export async function insertUserToken(
  db: Db,
  t: { tokenHash: string; userId: number; purpose: string; expiresAt: number },
  now: number,
): Promise<void> {
  await db
    .insertInto("user_tokens")
    .values({
      token_hash: t.tokenHash,
      user_id: t.userId,
      purpose: t.purpose,
      created_at: now,
      expires_at: t.expiresAt,
      used_at: null,
    })
    .execute();
}

/** The user of a valid (unused, unexpired) token. */
export async function findUserTokenOwner(
  db: Db,
  tokenHash: string,
  purpose: string,
  now: number,
): Promise<number | undefined> {
  const row = await db
    .selectFrom("user_tokens")
    .select("user_id")
    .where("token_hash", "=", tokenHash)
    .where("purpose", "=", purpose)
    .where("used_at", "is", null)
    .where("expires_at", ">", now)
    .executeTakeFirst();
  return row && Number(row.user_id);
}

/** Marks a valid token used and returns its user; undefined when unknown, used or expired. */
export async function consumeUserToken(
  db: Db,
  tokenHash: string,
  purpose: string,
  now: number,
): Promise<number | undefined> {
  const r = await db
    .updateTable("user_tokens")
    .set({ used_at: now })
    .where("token_hash", "=", tokenHash)
    .where("purpose", "=", purpose)
    .where("used_at", "is", null)
    .where("expires_at", ">", now)
    .returning("user_id")
    .executeTakeFirst();
  return r && Number(r.user_id);
}

/** A new link replaces the user's earlier unused ones. */
export async function revokeUserTokens(db: Db, userId: number, now: number): Promise<void> {
  await db
    .updateTable("user_tokens")
    .set({ used_at: now })
    .where("user_id", "=", userId)
    .where("used_at", "is", null)
    .execute();
}

// Failed logins -------------------------------------------------------------------------------

export interface LoginFailures {
  failures: number;
  lastFailureAt: number;
  lockedUntil: number | null;
}

export async function findLoginFailures(
  db: Db,
  emailHash: string,
): Promise<LoginFailures | undefined> {
  const r = await db
    .selectFrom("login_failures")
    .select(["failures", "last_failure_at", "locked_until"])
    .where("email_hash", "=", emailHash)
    .executeTakeFirst();
  return (
    r && {
      failures: Number(r.failures),
      lastFailureAt: Number(r.last_failure_at),
      lockedUntil: r.locked_until === null ? null : Number(r.locked_until),
    }
  );
}

/**
 * Counts one failure in a single statement, so failures sent in parallel are all counted; a
 * count whose last failure is older than `forgetBefore` starts again. Returns the new count.
 */
export async function countLoginFailure(
  db: Db,
  emailHash: string,
  now: number,
  forgetBefore: number,
): Promise<number> {
  const r = await db
    .insertInto("login_failures")
    .values({ email_hash: emailHash, failures: 1, last_failure_at: now, locked_until: null })
    .onConflict((oc) =>
      oc.column("email_hash").doUpdateSet({
        failures: sql<number>`case when login_failures.last_failure_at < ${forgetBefore} then 1 else login_failures.failures + 1 end`,
        last_failure_at: now,
      }),
    )
    .returning("failures")
    .executeTakeFirstOrThrow();
  return Number(r.failures);
}

/** Locks the address until `until`; the count starts again after it. */
export async function lockLoginAddress(db: Db, emailHash: string, until: number): Promise<void> {
  await db
    .updateTable("login_failures")
    .set({ failures: 0, locked_until: until })
    .where("email_hash", "=", emailHash)
    .execute();
}

export async function clearLoginFailures(db: Db, emailHash: string): Promise<void> {
  await db.deleteFrom("login_failures").where("email_hash", "=", emailHash).execute();
}
