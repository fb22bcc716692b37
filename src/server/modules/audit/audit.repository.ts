import { sql, type Kysely, type Selectable } from "kysely";
import { engineOf } from "../../platform/db/dialect.js";
import type { AuditLogTable, DB } from "../../platform/db/schema.js";

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

function toRow(r: Pick<Selectable<AuditLogTable>, (typeof auditColumns)[number]>): AuditRow {
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

/** What a comune's listing may be narrowed to; every filter given must hold. */
export interface AuditFilter {
  /** Exactly this action ("user.disabled"). */
  action?: string | undefined;
  /** Actions of this kind: the part before the first dot ("user" for "user.disabled", …). */
  kind?: string | undefined;
  /** Who did it: the actor's type, and (optionally) its id. */
  actorType?: string | undefined;
  actorId?: string | undefined;
  /** Recorded at or after `from`, and before `to` (epoch milliseconds). */
  from?: number | undefined;
  to?: number | undefined;
}

/** A comune's entries, newest first, before an id (paging), narrowed by `filter`. */
export async function listAuditOfTenant(
  db: Kysely<DB>,
  tenantId: string,
  page: { before?: number | undefined; limit: number },
  filter: AuditFilter = {},
): Promise<AuditRow[]> {
  let q = db
    .selectFrom("audit_log")
    .select(auditColumns)
    .where("tenant_id", "=", tenantId)
    .orderBy("id", "desc")
    .limit(page.limit);
  if (page.before !== undefined) q = q.where("id", "<", page.before);
  if (filter.action !== undefined) q = q.where("action", "=", filter.action);
  if (filter.kind !== undefined) {
    // A prefix compared as text, not LIKE: "_" (as in "admin_token") is a LIKE wildcard, and
    // SQLite's LIKE ignores case.
    const prefix = `${filter.kind}.`;
    q = q.where(sql<string>`substr(action, 1, ${prefix.length})`, "=", prefix);
  }
  if (filter.actorType !== undefined) q = q.where("actor_type", "=", filter.actorType);
  if (filter.actorId !== undefined) q = q.where("actor_id", "=", filter.actorId);
  if (filter.from !== undefined) q = q.where("created_at", ">=", filter.from);
  if (filter.to !== undefined) q = q.where("created_at", "<", filter.to);
  return (await q.execute()).map(toRow);
}

/** How many of a comune's entries are in the chain up to `lastId` (those a check covered). */
export async function countAuditOfTenant(
  db: Kysely<DB>,
  tenantId: string,
  lastId: number,
): Promise<number> {
  const { n } = await db
    .selectFrom("audit_log")
    .select((eb) => eb.fn.countAll<number | string>().as("n"))
    .where("tenant_id", "=", tenantId)
    .where("id", "<=", lastId)
    .executeTakeFirstOrThrow();
  return Number(n);
}

/** One entry by id, whatever its comune (the check names a broken one). */
export async function findAuditEntry(db: Kysely<DB>, id: number): Promise<AuditRow | undefined> {
  const r = await db
    .selectFrom("audit_log")
    .select(auditColumns)
    .where("id", "=", id)
    .executeTakeFirst();
  return r && toRow(r);
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
