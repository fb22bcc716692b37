import type { Selectable } from "kysely";
import type { ApiKeysTable, Db } from "../../platform/db/schema.js";

export interface ApiKeyRow {
  id: number;
  tenantId: string;
  name: string;
  tokenPrefix: string;
  permissions: string[];
  createdBy: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

const columns = [
  "id",
  "tenant_id",
  "name",
  "token_prefix",
  "permissions",
  "created_by",
  "created_at",
  "last_used_at",
  "revoked_at",
] as const;

function toKey(r: Pick<Selectable<ApiKeysTable>, (typeof columns)[number]>): ApiKeyRow {
  return {
    id: Number(r.id),
    tenantId: r.tenant_id,
    name: r.name,
    tokenPrefix: r.token_prefix,
    permissions: JSON.parse(r.permissions) as string[],
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
    lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  };
}

export async function insertApiKey(
  db: Db,
  key: {
    tenantId: string;
    name: string;
    tokenHash: string;
    tokenPrefix: string;
    permissions: readonly string[];
    createdBy: string;
  },
  now: number,
): Promise<ApiKeyRow> {
  const r = await db
    .insertInto("api_keys")
    .values({
      tenant_id: key.tenantId,
      name: key.name,
      token_hash: key.tokenHash,
      token_prefix: key.tokenPrefix,
      permissions: JSON.stringify(key.permissions),
      created_by: key.createdBy,
      created_at: now,
      last_used_at: null,
      revoked_at: null,
    })
    .returning(columns)
    .executeTakeFirstOrThrow();
  return toKey(r);
}

export async function listApiKeys(db: Db, tenantId: string): Promise<ApiKeyRow[]> {
  const rows = await db
    .selectFrom("api_keys")
    .select(columns)
    .where("tenant_id", "=", tenantId)
    .orderBy("id")
    .execute();
  return rows.map(toKey);
}

/** A key that is not revoked, by its hash. */
export async function findActiveApiKey(db: Db, tokenHash: string): Promise<ApiKeyRow | undefined> {
  const r = await db
    .selectFrom("api_keys")
    .select(columns)
    .where("token_hash", "=", tokenHash)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return r && toKey(r);
}

/** Revokes a key of the comune; false when the comune has no such active key. */
export async function revokeApiKey(
  db: Db,
  tenantId: string,
  id: number,
  now: number,
): Promise<boolean> {
  const r = await db
    .updateTable("api_keys")
    .set({ revoked_at: now })
    .where("id", "=", id)
    .where("tenant_id", "=", tenantId)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function touchApiKey(db: Db, id: number, now: number): Promise<void> {
  await db.updateTable("api_keys").set({ last_used_at: now }).where("id", "=", id).execute();
}
