import type { Kysely } from "kysely";
import type { DB } from "../../platform/db/schema.js";
import {
  auditHash,
  auditPage,
  GENESIS_HASH,
  listAuditOfTenant,
  type AuditRow,
} from "./audit.repository.js";

/**
 * The audit log as other modules use it: record an action in the transaction that makes it.
 * See audit.repository.ts for the hash chain.
 */
export { appendAudit as recordAudit, type AuditEntry } from "./audit.repository.js";

export interface ChainCheck {
  /** Entries read. */
  checked: number;
  /** The hash of the last entry: note it elsewhere to detect a cut tail later. */
  lastHash: string;
  /** The first entry that does not hold, and why; undefined when the whole chain holds. */
  broken?: { id: number; reason: string };
}

/**
 * Walks the chain from the first entry. An entry holds when its prev_hash is the previous entry's
 * hash and its own hash matches its content: an edited entry fails the second test, a deleted
 * one makes the next entry fail the first. (Cutting the newest entries leaves a valid shorter
 * chain; comparing with a `lastHash` noted earlier shows it.)
 */
export async function verifyAuditChain(db: Kysely<DB>, pageSize = 1_000): Promise<ChainCheck> {
  let previous = GENESIS_HASH;
  let afterId = 0;
  let checked = 0;
  for (;;) {
    const rows = await auditPage(db, afterId, pageSize);
    if (!rows.length) return { checked, lastHash: previous };
    for (const row of rows) {
      checked += 1;
      if (row.prev_hash !== previous) {
        return {
          checked,
          lastHash: previous,
          broken: {
            id: row.id,
            reason:
              "its prev_hash is not the previous entry's hash (an entry before it was changed or removed)",
          },
        };
      }
      if (auditHash(row.prev_hash, row) !== row.hash) {
        return {
          checked,
          lastHash: previous,
          broken: {
            id: row.id,
            reason: "its content does not match its hash (the entry was changed)",
          },
        };
      }
      previous = row.hash;
      afterId = row.id;
    }
  }
}

export interface AuditEntryView {
  id: number;
  at: number;
  actor: { type: string; id: string | null };
  action: string;
  target: { type: string; id: string } | null;
  summary: unknown;
}

function present(row: AuditRow): AuditEntryView {
  return {
    id: row.id,
    at: row.created_at,
    actor: { type: row.actor_type, id: row.actor_id },
    action: row.action,
    target:
      row.target_type !== null && row.target_id !== null
        ? { type: row.target_type, id: row.target_id }
        : null,
    summary: row.summary === null ? null : (JSON.parse(row.summary) as unknown),
  };
}

/** A comune's entries, newest first; `nextBefore` continues the list. */
export async function listAudit(
  db: Kysely<DB>,
  tenantId: string,
  page: { before?: number | undefined; limit: number },
): Promise<{ entries: AuditEntryView[]; nextBefore: number | null }> {
  const rows = await listAuditOfTenant(db, tenantId, page);
  return {
    entries: rows.map(present),
    nextBefore: rows.length === page.limit ? (rows.at(-1)?.id ?? null) : null,
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
] as const;

/**
 * A comune's whole log as CSV (RFC 4180, oldest first), with the hashes so the export can be
 * checked against the chain. A cell that a spreadsheet would run as a formula is prefixed "'".
 */
export async function* auditCsv(db: Kysely<DB>, tenantId: string): AsyncGenerator<string> {
  yield `${CSV_COLUMNS.join(",")}\r\n`;
  let afterId = 0;
  for (;;) {
    const rows = await auditPage(db, afterId, 1_000, tenantId);
    if (!rows.length) return;
    yield rows
      .map((row) =>
        CSV_COLUMNS.map((c) =>
          csvCell(c === "created_at" ? new Date(row.created_at).toISOString() : row[c]),
        ).join(","),
      )
      .join("\r\n")
      .concat("\r\n");
    afterId = rows.at(-1)?.id ?? afterId;
  }
}

function csvCell(value: string | number | null): string {
  if (value === null) return "";
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
