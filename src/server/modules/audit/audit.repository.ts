import { createHash } from "node:crypto";
import { sql, type Kysely, type Selectable, type Transaction } from "kysely";
import { engineOf } from "../../platform/db/dialect.js";
import type { AuditLogTable, DB } from "../../platform/db/schema.js";
import type { Actor } from "../../platform/http/access.js";

/**
 * The audit log: append-only, one chain for the whole deployment. Each entry's hash covers its
 * own content and the previous entry's hash, so editing or deleting any row breaks every hash
 * after it (`banditore audit verify` names the first broken entry).
 */
export interface AuditEntry {
  /** Undefined for instance-level actions. */
  tenantId?: string;
  actor: Actor;
  /** A stable dotted name: "subscriber.erase", "subscriber.block", "user.login", … */
  action: string;
  target?: { type: string; id: string };
  /** What changed, as JSON: never a full phone number or a message body. */
  summary?: Record<string, unknown>;
}

/** The chain's genesis: the prev_hash of the first entry. */
export const GENESIS_HASH = "0".repeat(64);

/** The canonical text an entry's hash is computed over (also used by the verifier). */
export function auditHash(prevHash: string, row: Omit<AuditRow, "prev_hash" | "hash">): string {
  const content = JSON.stringify([
    prevHash,
    Number(row.id),
    row.tenant_id,
    row.actor_type,
    row.actor_id,
    row.action,
    row.target_type,
    row.target_id,
    row.summary,
    Number(row.created_at),
  ]);
  return createHash("sha256").update(content).digest("hex");
}

/**
 * Appends one entry. Pass the transaction of the change it records, so the change and its
 * record commit together; entries are serialized so the chain never forks.
 */
export async function appendAudit(
  db: Kysely<DB> | Transaction<DB>,
  entry: AuditEntry,
  now: number,
): Promise<number> {
  if (!db.isTransaction) return db.transaction().execute((trx) => appendAudit(trx, entry, now));
  if (engineOf(db) === "postgres") {
    // One writer at a time across processes; released when the transaction ends.
    await sql`SELECT pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`.execute(db);
  }
  const last = await db
    .selectFrom("audit_log")
    .select(["id", "hash"])
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();
  const prevHash = last?.hash ?? GENESIS_HASH;
  const row = {
    tenant_id: entry.tenantId ?? null,
    actor_type: entry.actor.type,
    actor_id: entry.actor.id ?? null,
    action: entry.action,
    target_type: entry.target?.type ?? null,
    target_id: entry.target?.id ?? null,
    summary: entry.summary ? JSON.stringify(entry.summary) : null,
    created_at: now,
  };
  // The id is part of the hash: insert with a placeholder, then seal the row.
  const { id } = await db
    .insertInto("audit_log")
    .values({ ...row, prev_hash: prevHash, hash: "" })
    .returning("id")
    .executeTakeFirstOrThrow();
  const hash = auditHash(prevHash, { id: Number(id), ...row });
  await db.updateTable("audit_log").set({ hash }).where("id", "=", id).execute();
  return Number(id);
}

/** An arbitrary constant naming the audit chain's advisory lock. */
const AUDIT_LOCK_KEY = 4_217_001;

export type AuditRow = Selectable<AuditLogTable>;

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
] as const;

const toRow = (r: AuditRow): AuditRow => ({
  ...r,
  id: Number(r.id),
  created_at: Number(r.created_at),
});

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
