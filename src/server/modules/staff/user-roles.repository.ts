import type { Db } from "../../platform/db/schema.js";
import { toUser, userColumns, type UserRow } from "./users.repository.js";

/** The `user_roles` table: who holds which role in which comune. */
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

/** The comuni each of these users has a role in (a user with none is absent from the map). */
export async function tenantsOfUsers(
  db: Db,
  userIds: readonly number[],
): Promise<Map<number, string[]>> {
  const result = new Map<number, string[]>();
  if (!userIds.length) return result;
  const rows = await db
    .selectFrom("user_roles")
    .select(["user_id", "tenant_id"])
    .distinct()
    .where("user_id", "in", [...userIds])
    .orderBy("tenant_id")
    .execute();
  for (const r of rows) {
    const id = Number(r.user_id);
    result.set(id, [...(result.get(id) ?? []), r.tenant_id]);
  }
  return result;
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
