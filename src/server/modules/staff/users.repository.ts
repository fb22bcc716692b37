import type { Selectable } from "kysely";
import type { Db, UsersTable } from "../../platform/db/schema.js";

/**
 * The `users` table: one row per staff account (an e-mail address), with its password hash,
 * TOTP state and recovery codes. Rows leave here as `UserRow`, camelCase, mapped once.
 */
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

export const userColumns = [
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

/** A `users` row as the database returns it, into the account the services use. */
export function toUser(r: Pick<Selectable<UsersTable>, (typeof userColumns)[number]>): UserRow {
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

/** The account whose unique `column` (its id or e-mail address) holds `value`. */
async function findUserWhere(
  db: Db,
  column: "id" | "email",
  value: number | string,
): Promise<UserRow | undefined> {
  const r = await db
    .selectFrom("users")
    .select(userColumns)
    .where(column, "=", value)
    .executeTakeFirst();
  return r && toUser(r);
}

export function findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  return findUserWhere(db, "email", email);
}

export function findUserById(db: Db, id: number): Promise<UserRow | undefined> {
  return findUserWhere(db, "id", id);
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
    disabledAt: number | null;
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
      ...(changes.disabledAt !== undefined ? { disabled_at: changes.disabledAt } : {}),
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

/** Every account, by e-mail; only the one with this address when given. */
export async function listAllUsers(db: Db, email?: string): Promise<UserRow[]> {
  let query = db.selectFrom("users").select(userColumns).orderBy("email");
  if (email !== undefined) query = query.where("email", "=", email);
  return (await query.execute()).map(toUser);
}
