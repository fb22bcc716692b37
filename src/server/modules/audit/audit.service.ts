import type { Kysely } from "kysely";
import type { z } from "zod";
import type { DB, Db } from "../../platform/db/schema.js";
import type { Actor } from "../../platform/http/access.js";
import { GENESIS_HASH, HASH_SCHEME, keyedHash } from "./audit-chain.js";
import { currentAuditKey, SANDBOX_AUDIT_KEY, type AuditKey } from "./audit-key.js";
import { csvRow } from "../../platform/csv.js";
import { verifyAuditChain } from "./audit-check.js";
import type { auditEntryOut, tenantChainCheckOut } from "./audit.schemas.js";
import {
  auditPage,
  countAuditOfTenant,
  findAuditEntry,
  insertUnsealedEntry,
  listAuditOfTenant,
  lockChainTail,
  setEntryHash,
  type AuditFilter,
  type AuditRow,
} from "./audit.repository.js";

/**
 * The audit log as other modules use it: record an action in the transaction that makes it
 * (`recordAudit`), list and export a comune's entries. See audit-chain.ts for the hash chain,
 * audit-key.ts for its key, audit-check.ts for the check and audit-anchor.ts for anchors.
 */
export type { AuditFilter } from "./audit.repository.js";
export { resolveAuditKeySecret, SANDBOX_AUDIT_KEY_SECRET, useAuditKey } from "./audit-key.js";
export { formatAnchor, parseAnchors, type AnchorCheck, type AuditAnchor } from "./audit-anchor.js";
export type { ChainBreak } from "./audit-chain.js";
export {
  anchorOf,
  chainHolds,
  describeFailure,
  readAnchorFile,
  startAuditAnchorJob,
  takeAnchor,
  verifyAuditChain,
  type ChainCheck,
} from "./audit-check.js";

/**
 * One action to record. The log is append-only, one chain for the whole deployment: each
 * entry's hash covers its own content and the previous entry's hash, so editing or deleting any
 * row breaks every hash after it (`banditore audit verify` names the first broken entry). New
 * entries are sealed with the process's AUDIT_KEY_SECRET (audit-chain.ts has the schemes).
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

/**
 * Appends one entry. Pass the transaction of the change it records, so the change and its
 * record commit together; entries are serialized so the chain never forks.
 */
export async function recordAudit(db: Db, entry: AuditEntry, now: number): Promise<number> {
  if (!db.isTransaction) return db.transaction().execute((trx) => recordAudit(trx, entry, now));
  const key = currentAuditKey();
  const last = await lockChainTail(db);
  return appendAfter(db, last?.hash ?? GENESIS_HASH, key, entry, now);
}

/** What sealAuditChain found at the end of the chain. */
export type ChainEnd =
  | { state: "keyed" | "empty" }
  /** It ended with entries sealed without the key: a sealing entry was appended. */
  | { state: "sealed"; entryId: number; before: "public scheme" | "development key" }
  /** Its last entry names another key: AUDIT_KEY_SECRET is not the key that sealed the log. */
  | { state: "other key"; lastId: number; keyId: string };

/**
 * Closes the chain's weak part at start: when the last entry was sealed with the public scheme
 * (written before the key existed) or the public development key, an "audit.keyed" entry sealed
 * with the key follows it at once. From then on an entry claiming a weaker seal is a forgery;
 * until then anyone could have appended one that looks like an entry of before.
 */
export async function sealAuditChain(db: Kysely<DB>, now: number): Promise<ChainEnd> {
  const key = currentAuditKey();
  return db.transaction().execute(async (trx): Promise<ChainEnd> => {
    const last = await lockChainTail(trx);
    if (!last) return { state: "empty" };
    if (last.hashScheme === HASH_SCHEME.keyed && last.keyId === key.id) return { state: "keyed" };
    const before =
      last.hashScheme === HASH_SCHEME.public
        ? "public scheme"
        : last.keyId === SANDBOX_AUDIT_KEY.id
          ? "development key"
          : undefined;
    if (!before) return { state: "other key", lastId: last.id, keyId: last.keyId ?? "" };
    const entryId = await appendAfter(
      trx,
      last.hash,
      key,
      {
        actor: { type: "system" },
        action: "audit.keyed",
        summary: { sealedAfter: last.id, before },
      },
      now,
    );
    return { state: "sealed", entryId, before };
  });
}

/** Appends an entry after `prevHash`, sealed with the key (in the caller's locked transaction). */
async function appendAfter(
  trx: Kysely<DB>,
  prevHash: string,
  key: AuditKey,
  entry: AuditEntry,
  now: number,
): Promise<number> {
  const content = {
    tenantId: entry.tenantId ?? null,
    actorType: entry.actor.type,
    actorId: entry.actor.id ?? null,
    action: entry.action,
    targetType: entry.target?.type ?? null,
    targetId: entry.target?.id ?? null,
    summary: entry.summary ? JSON.stringify(entry.summary) : null,
    createdAt: now,
  };
  const id = await insertUnsealedEntry(trx, {
    ...content,
    prevHash,
    hashScheme: HASH_SCHEME.keyed,
    keyId: key.id,
  });
  await setEntryHash(trx, id, keyedHash(key, prevHash, { id, ...content }));
  return id;
}

export type AuditEntryView = z.infer<typeof auditEntryOut>;

function present(row: AuditRow): AuditEntryView {
  return {
    id: row.id,
    at: row.createdAt,
    actor: { type: row.actorType, id: row.actorId },
    action: row.action,
    target:
      row.targetType !== null && row.targetId !== null
        ? { type: row.targetType, id: row.targetId }
        : null,
    summary: row.summary === null ? null : (JSON.parse(row.summary) as unknown),
  };
}

/** A comune's entries, newest first, narrowed by `filter`; `nextBefore` continues the list. */
export async function listAudit(
  db: Kysely<DB>,
  tenantId: string,
  page: { before?: number | undefined; limit: number },
  filter: AuditFilter = {},
): Promise<{ entries: AuditEntryView[]; nextBefore: number | null }> {
  const rows = await listAuditOfTenant(db, tenantId, page, filter);
  return {
    entries: rows.map(present),
    nextBefore: rows.length === page.limit ? (rows.at(-1)?.id ?? null) : null,
  };
}

/** The chain check as a comune's owner sees it (`GET /api/tenants/:tenant/audit/verify`). */
export type TenantChainCheck = z.infer<typeof tenantChainCheckOut>;

/**
 * The chain check of `banditore audit verify` (verifyAuditChain, the same walk from the first
 * entry with the server's key), told to a comune: the chain is one for the whole deployment, so
 * it holds or breaks for every comune at once, and a broken entry of another comune is named by
 * its place only. Anchors are not checked here (they are kept off the host, see README.md).
 */
export async function verifyForTenant(
  db: Kysely<DB>,
  tenantId: string,
  now: number,
): Promise<TenantChainCheck> {
  const check = await verifyAuditChain(db);
  const entriesOfComune = await countAuditOfTenant(db, tenantId, check.lastId);
  let broken: TenantChainCheck["broken"] = null;
  if (check.broken) {
    const row = await findAuditEntry(db, check.broken.id);
    const ours = row?.tenantId === tenantId;
    broken = {
      id: check.broken.id,
      position: check.broken.position,
      code: check.broken.code,
      ofThisComune: ours,
      at: ours && row ? row.createdAt : null,
      action: ours && row ? row.action : null,
    };
  }
  return {
    ok: !check.broken,
    entries: check.entries,
    entriesOfComune,
    chainLength: check.chainLength,
    checkedAt: now,
    broken,
  };
}

const CSV_COLUMNS = [
  "id",
  "created_at",
  "actor_type",
  "actor_id",
  "action",
  "target_type",
  "target_id",
  "summary",
  "prev_hash",
  "hash",
  "hash_scheme",
  "key_id",
] as const;

/** A row's cells under the export's column names (the table's own). */
function csvRecord(row: AuditRow): Record<(typeof CSV_COLUMNS)[number], string | number | null> {
  return {
    id: row.id,
    created_at: new Date(row.createdAt).toISOString(),
    actor_type: row.actorType,
    actor_id: row.actorId,
    action: row.action,
    target_type: row.targetType,
    target_id: row.targetId,
    summary: row.summary,
    prev_hash: row.prevHash,
    hash: row.hash,
    hash_scheme: row.hashScheme,
    key_id: row.keyId,
  };
}

/**
 * A comune's whole log as CSV (RFC 4180, oldest first), with the hashes so the export can be
 * checked against the chain; cells are written by platform/csv.ts (formulas neutralised).
 */
export async function* auditCsv(db: Kysely<DB>, tenantId: string): AsyncGenerator<string> {
  yield csvRow(CSV_COLUMNS);
  let afterId = 0;
  for (;;) {
    const rows = await auditPage(db, afterId, 1_000, tenantId);
    if (!rows.length) return;
    yield rows
      .map((row) => {
        const record = csvRecord(row);
        return csvRow(CSV_COLUMNS.map((c) => record[c]));
      })
      .join("");
    afterId = rows.at(-1)?.id ?? afterId;
  }
}
