import { sql, type Kysely } from "kysely";
import { engineOf } from "../../platform/db/dialect.js";
import type { DB } from "../../platform/db/schema.js";

/**
 * The `audit_log` table: append-only, one chain for the whole deployment. What an entry's hash
 * covers and how it is sealed is audit-chain.ts's; the service appends (`recordAudit`). Rows
 * leave here as `AuditRow`, camelCase, mapped once.
 */
export interface AuditRow {
  id: number;
  /** Null for instance-level actions. */
  tenantId: string | null;
  actorType: string;
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  /** JSON, as stored (the hash covers the text). */
  summary: string | null;
  createdAt: number;
  prevHash: string | null;
  hash: string;
  hashScheme: number;
  keyId: string | null;
}

/** What an entry says, without its place in the chain: the part its hash covers with its id. */
export type AuditContent = Omit<AuditRow, "id" | "prevHash" | "hash" | "hashScheme" | "keyId">;

/** The newest entry's seal: what the next entry links to. */
export type ChainTail = Pick<AuditRow, "id" | "hash" | "hashScheme" | "keyId">;

/** An arbitrary constant naming the audit chain's advisory lock. */
const AUDIT_LOCK_KEY = 4_217_001;

/**
 * Takes the chain's write lock for the transaction and returns the newest entry, so nothing is
 * appended between reading it and building on it. On SQLite the transaction is the single
 * writer already.
 */
export async function lockChainTail(trx: Kysely<DB>): Promise<ChainTail | undefined> {
  if (engineOf(trx) === "postgres") {
    // One writer at a time across processes; released when the transaction ends.
    await sql`SELECT pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`.execute(trx);
  }
  const r = await trx
    .selectFrom("audit_log")
    .select(["id", "hash", "hash_scheme", "key_id"])
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();
  return (
    r && { id: Number(r.id), hash: r.hash, hashScheme: Number(r.hash_scheme), keyId: r.key_id }
  );
}

/**
 * Inserts an entry with an empty hash and returns its id: the id is part of the hash, so the
 * caller seals the row with `setEntryHash` in the same transaction.
 */
export async function insertUnsealedEntry(
  trx: Kysely<DB>,
  entry: AuditContent & { prevHash: string; hashScheme: number; keyId: string },
): Promise<number> {
  const { id } = await trx
    .insertInto("audit_log")
    .values({
      tenant_id: entry.tenantId,
      actor_type: entry.actorType,
      actor_id: entry.actorId,
      action: entry.action,
      target_type: entry.targetType,
      target_id: entry.targetId,
      summary: entry.summary,
      created_at: entry.createdAt,
      prev_hash: entry.prevHash,
      hash: "",
      hash_scheme: entry.hashScheme,
      key_id: entry.keyId,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return Number(id);
}

export async function setEntryHash(trx: Kysely<DB>, id: number, hash: string): Promise<void> {
  await trx.updateTable("audit_log").set({ hash }).where("id", "=", id).execute();
}

const auditColumns = [
  "id",
  "tenant_id",
  "actor_type",
  "actor_id",
  "action",
  "target_type",
  "target_id",
  "summary",
  "created_at",
  "prev_hash",
  "hash",
  "hash_scheme",
  "key_id",
] as const;

function toRow(r: {
  id: number;
  tenant_id: string | null;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  summary: string | null;
  created_at: number;
  prev_hash: string | null;
  hash: string;
  hash_scheme: number;
  key_id: string | null;
}): AuditRow {
  return {
    id: Number(r.id),
    tenantId: r.tenant_id,
    actorType: r.actor_type,
    actorId: r.actor_id,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    summary: r.summary,
    createdAt: Number(r.created_at),
    prevHash: r.prev_hash,
    hash: r.hash,
    hashScheme: Number(r.hash_scheme),
    keyId: r.key_id,
  };
}

/** A comune's entries, newest first, before an id (paging). */
export async function listAuditOfTenant(
  db: Kysely<DB>,
  tenantId: string,
  page: { before?: number | undefined; limit: number },
): Promise<AuditRow[]> {
  let q = db
    .selectFrom("audit_log")
    .select(auditColumns)
    .where("tenant_id", "=", tenantId)
    .orderBy("id", "desc")
    .limit(page.limit);
  if (page.before !== undefined) q = q.where("id", "<", page.before);
  return (await q.execute()).map(toRow);
}

/** The whole chain in id order, a page at a time (after an id). */
export async function auditPage(
  db: Kysely<DB>,
  afterId: number,
  limit: number,
  tenantId?: string,
): Promise<AuditRow[]> {
  let q = db
    .selectFrom("audit_log")
    .select(auditColumns)
    .where("id", ">", afterId)
    .orderBy("id")
    .limit(limit);
  if (tenantId !== undefined) q = q.where("tenant_id", "=", tenantId);
  return (await q.execute()).map(toRow);
}

export async function countAudit(db: Kysely<DB>): Promise<number> {
  const { n } = await db
    .selectFrom("audit_log")
    .select((eb) => eb.fn.countAll<number | string>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(n);
}
