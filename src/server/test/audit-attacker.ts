import { createHash } from "node:crypto";
import { sql, type Kysely } from "kysely";
import type { DB } from "../platform/db/schema.js";

/**
 * What an attacker with write access to the database but without AUDIT_KEY_SECRET can do to the
 * audit log, with SQL and the public scheme (the audit module's README): SHA-256 of the JSON array
 * [prev_hash, id, tenant_id, actor_type, actor_id, action, target_type, target_id, summary,
 * created_at]. The audit tests check that `audit verify` sees through each.
 */

export interface ForgedFields {
  /** Left out: the column's default (1, the public scheme), as a plain INSERT gets. */
  hash_scheme?: number;
  key_id?: string;
}

export function publicSchemeHash(prev: string, fields: readonly unknown[]): string {
  return createHash("sha256")
    .update(JSON.stringify([prev, ...fields]))
    .digest("hex");
}

/** Reads the last entry and appends one after it that grants a role, hashed the public way. */
export async function appendBySql(
  db: Kysely<DB>,
  at: number,
  fields: ForgedFields = {},
): Promise<number> {
  const last = await db
    .selectFrom("audit_log")
    .select(["id", "hash"])
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirstOrThrow();
  const id = Number(last.id) + 1;
  const row = {
    tenant: "concorezzo",
    actorType: "user",
    actorId: "7",
    action: "user.role_granted",
    targetType: "user",
    targetId: "7",
    summary: '{"roles":["owner"]}',
  };
  const hash = publicSchemeHash(last.hash, [id, ...Object.values(row), at]);
  const { tenant, actorType, actorId, action, targetType, targetId, summary } = row;
  if (fields.hash_scheme === undefined) {
    await sql`insert into audit_log (id, tenant_id, actor_type, actor_id, action, target_type,
      target_id, summary, created_at, prev_hash, hash)
      values (${id}, ${tenant}, ${actorType}, ${actorId}, ${action}, ${targetType}, ${targetId},
      ${summary}, ${at}, ${last.hash}, ${hash})`.execute(db);
  } else {
    await sql`insert into audit_log (id, tenant_id, actor_type, actor_id, action, target_type,
      target_id, summary, created_at, prev_hash, hash, hash_scheme, key_id)
      values (${id}, ${tenant}, ${actorType}, ${actorId}, ${action}, ${targetType}, ${targetId},
      ${summary}, ${at}, ${last.hash}, ${hash}, ${fields.hash_scheme}, ${fields.key_id ?? null})`.execute(
      db,
    );
  }
  return id;
}

/**
 * Re-hashes the entries up to `throughId` with the public scheme (one summary edited, if given),
 * as someone without the key would rewrite the log so that it links up again.
 */
export async function rewriteWithPublicScheme(
  db: Kysely<DB>,
  edit?: { id: number; summary: string },
  throughId = Number.MAX_SAFE_INTEGER,
): Promise<void> {
  const rows = await db
    .selectFrom("audit_log")
    .selectAll()
    .where("id", "<=", throughId)
    .orderBy("id")
    .execute();
  let prev = "0".repeat(64);
  for (const r of rows) {
    const summary = edit?.id === Number(r.id) ? edit.summary : r.summary;
    const hash = publicSchemeHash(prev, [
      Number(r.id),
      r.tenant_id,
      r.actor_type,
      r.actor_id,
      r.action,
      r.target_type,
      r.target_id,
      summary,
      Number(r.created_at),
    ]);
    await db
      .updateTable("audit_log")
      .set({ summary, prev_hash: prev, hash, hash_scheme: 1, key_id: null })
      .where("id", "=", r.id)
      .execute();
    prev = hash;
  }
}
