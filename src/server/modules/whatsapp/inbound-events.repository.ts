import type { Kysely, Transaction } from "kysely";
import { inClaimOrder } from "../../platform/db/claim-order.js";
import type { DB } from "../../platform/db/schema.js";

export interface NewInboundEvent {
  tenantId: string;
  kind: string;
  dedupKey: string;
  /** The normalized event as JSON. */
  payload: string;
  /** Higher is claimed sooner (citizens' messages ahead of bulk statuses). */
  priority: number;
}

export interface ClaimedInboundEvent {
  id: number;
  tenantId: string;
  kind: string;
  payload: string;
  attempts: number;
  priority: number;
}

/**
 * Stores events in one statement; an event already stored (same comune, same dedup key), or
 * twice in `events`, is skipped. Returns the (comune, dedup key) of each row actually added.
 */
export async function insertInboundEvents(
  db: Kysely<DB>,
  events: readonly (NewInboundEvent & { receivedAt: number })[],
): Promise<{ tenantId: string; dedupKey: string }[]> {
  if (events.length === 0) return [];
  const rows = await db
    .insertInto("inbound_events")
    .values(
      events.map((e) => ({
        tenant_id: e.tenantId,
        kind: e.kind,
        dedup_key: e.dedupKey,
        payload: e.payload,
        priority: e.priority,
        received_at: e.receivedAt,
        processed_at: null,
        locked_until: null,
        error: null,
      })),
    )
    .onConflict((oc) => oc.columns(["tenant_id", "dedup_key"]).doNothing())
    .returning(["tenant_id", "dedup_key"])
    .execute();
  return rows.map((r) => ({ tenantId: r.tenant_id, dedupKey: r.dedup_key }));
}

/**
 * Drops every claim on unprocessed events, for a process that knows no other one handles them
 * (SQLite: one process per file): claims found at start were left by a crash, and would
 * otherwise hold their events back until they expire. Returns how many were released.
 */
export async function releaseInboundClaims(db: Kysely<DB>): Promise<number> {
  const result = await db
    .updateTable("inbound_events")
    .set({ locked_until: null })
    .where("processed_at", "is", null)
    .where("locked_until", "is not", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * When the oldest event of `kind` for the comune still waiting for its first handling arrived,
 * or undefined when none waits: everything that arrived before it has been handled. Events that
 * already failed are left out (they wait for a retry or for a person, and must not hold up
 * whoever asks). `priority` is the one events of `kind` are stored with: the query then reads
 * the claim index from that priority's oldest entry on, not a backlog of other kinds.
 */
export async function oldestWaitingEventAt(
  db: Kysely<DB>,
  tenantId: string,
  kind: string,
  priority: number,
): Promise<number | undefined> {
  const row = await db
    .selectFrom("inbound_events")
    .select("received_at")
    .where("processed_at", "is", null)
    .where("priority", "=", priority)
    .where("tenant_id", "=", tenantId)
    .where("kind", "=", kind)
    .where("error", "is", null)
    .orderBy("priority", "desc")
    .orderBy("received_at")
    .limit(1)
    .executeTakeFirst();
  return row?.received_at;
}

/**
 * Claims up to `limit` unprocessed events, highest priority first and oldest first within it,
 * for `leaseMs`. The claim is one
 * conditional UPDATE, so two processes never hold the same event; a claim left by a crashed
 * process expires and the event is handled again (handlers are idempotent).
 */
export async function claimInboundEvents(
  db: Kysely<DB>,
  options: { now: number; leaseMs: number; limit: number; maxAttempts: number },
): Promise<ClaimedInboundEvent[]> {
  const { now, leaseMs, limit, maxAttempts } = options;
  const candidates = await db
    .selectFrom("inbound_events")
    .select("id")
    .where("processed_at", "is", null)
    .where("attempts", "<", maxAttempts)
    .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<", now)]))
    // In the order of the partial index of unprocessed events (priority desc, received_at, id):
    // ordered by id alone, SQLite scanned every event ever stored, processed ones included, on
    // each claim (BENCHMARKS.md, webhook ingest: O(table) per webhook).
    .orderBy("priority", "desc")
    .orderBy("received_at")
    .orderBy("id")
    .limit(limit)
    .execute();
  if (candidates.length === 0) return [];
  const rows = await db
    .updateTable("inbound_events")
    .set((eb) => ({ locked_until: now + leaseMs, attempts: eb("attempts", "+", 1) }))
    .where(
      "id",
      "in",
      candidates.map((c) => c.id),
    )
    .where("processed_at", "is", null)
    .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<", now)]))
    .returning(["id", "tenant_id", "kind", "payload", "attempts", "priority"])
    .execute();
  return inClaimOrder(
    rows.map((r) => ({
      id: r.id,
      tenantId: r.tenant_id,
      kind: r.kind,
      payload: r.payload,
      attempts: r.attempts,
      priority: r.priority,
    })),
  );
}

/** Marks a pass's handled events processed, in one statement (one commit, not one per event). */
export async function markInboundEventsProcessed(
  db: Kysely<DB>,
  ids: readonly number[],
  now: number,
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable("inbound_events")
    .set({ processed_at: now, locked_until: null, error: null })
    .where("id", "in", [...ids])
    .execute();
}

/** Records why handling failed; the event becomes claimable again after `retryAt`. */
export async function markInboundEventFailed(
  db: Kysely<DB>,
  id: number,
  error: string,
  retryAt: number,
): Promise<void> {
  await db
    .updateTable("inbound_events")
    .set({ error: error.slice(0, 1000), locked_until: retryAt })
    .where("id", "=", id)
    .execute();
}

export async function countUnprocessedInboundEvents(db: Kysely<DB>): Promise<number> {
  const row = await db
    .selectFrom("inbound_events")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("processed_at", "is", null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Marks one event handled inside the handler's own transaction, replacing its stored payload
 * (the handler's redacted copy: message bodies are not kept), and keeps it under `storedKey`
 * from now on (the handler's keyed form of the dedup key, which carries no wamid and so no
 * number). False, and nothing marked, when it was handled before, under either key: the handler
 * then does nothing, so a crash between its commit and the processor's mark cannot act twice. A
 * redelivery stored again under its plain key after the first copy was renamed is deleted here,
 * so it is never acted on.
 */
export async function markInboundEventHandledAs(
  trx: Transaction<DB>,
  input: { tenantId: string; dedupKey: string; storedKey: string; payload: string; now: number },
): Promise<boolean> {
  if (input.storedKey !== input.dedupKey) {
    const earlier = await trx
      .selectFrom("inbound_events")
      .select("id")
      .where("tenant_id", "=", input.tenantId)
      .where("dedup_key", "=", input.storedKey)
      .executeTakeFirst();
    if (earlier) {
      await trx
        .deleteFrom("inbound_events")
        .where("tenant_id", "=", input.tenantId)
        .where("dedup_key", "=", input.dedupKey)
        .where("processed_at", "is", null)
        .execute();
      return false;
    }
  }
  const result = await trx
    .updateTable("inbound_events")
    .set({ processed_at: input.now, payload: input.payload, dedup_key: input.storedKey })
    .where("tenant_id", "=", input.tenantId)
    .where("dedup_key", "=", input.dedupKey)
    .where("processed_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Whether the event was handled already, under its plain or its stored key. */
export async function inboundEventHandledAs(
  db: Kysely<DB>,
  input: { tenantId: string; dedupKey: string; storedKey: string },
): Promise<boolean> {
  const row = await db
    .selectFrom("inbound_events")
    .select("id")
    .where("tenant_id", "=", input.tenantId)
    .where("dedup_key", "in", [input.dedupKey, input.storedKey])
    .where("processed_at", "is not", null)
    .executeTakeFirst();
  return row !== undefined;
}

/** The stored events with one of these dedup keys (exact keys: the unique index serves them). */
export function inboundEventsWithKeys(
  db: Kysely<DB> | Transaction<DB>,
  tenantId: string,
  dedupKeys: readonly string[],
): Promise<{ id: number; dedup_key: string; payload: string }[]> {
  if (dedupKeys.length === 0) return Promise.resolve([]);
  return db
    .selectFrom("inbound_events")
    .select(["id", "dedup_key", "payload"])
    .where("tenant_id", "=", tenantId)
    .where("dedup_key", "in", [...dedupKeys])
    .execute();
}

/**
 * Gives a stored event a new dedup key and payload; when another row holds that key already (a
 * redelivery renamed before), this one is a copy and is deleted instead.
 */
export async function rekeyInboundEvent(
  db: Kysely<DB> | Transaction<DB>,
  input: { id: number; tenantId: string; dedupKey: string; payload: string },
): Promise<void> {
  const taken = await db
    .selectFrom("inbound_events")
    .select("id")
    .where("tenant_id", "=", input.tenantId)
    .where("dedup_key", "=", input.dedupKey)
    .where("id", "<>", input.id)
    .executeTakeFirst();
  if (taken) {
    await db.deleteFrom("inbound_events").where("id", "=", input.id).execute();
    return;
  }
  await db
    .updateTable("inbound_events")
    .set({ dedup_key: input.dedupKey, payload: input.payload })
    .where("id", "=", input.id)
    .execute();
}

/**
 * Deletes up to `limit` handled events received before `receivedBefore`, oldest first, walking
 * the primary key from `afterId` (ids grow with arrival, so only old rows and one batch beyond are
 * read: no index on the handled rows is kept for this). Events still waiting (a failure left for a
 * person) stay. Answers how many went, and where the next batch starts (undefined: none left).
 */
export async function pruneHandledInboundEvents(
  db: Kysely<DB>,
  input: { receivedBefore: number; afterId: number; limit: number },
): Promise<{ deleted: number; nextAfterId: number | undefined }> {
  const rows = await db
    .selectFrom("inbound_events")
    .select(["id", "received_at", "processed_at"])
    .where("id", ">", input.afterId)
    .orderBy("id")
    .limit(input.limit)
    .execute();
  const old = rows.filter((r) => r.received_at < input.receivedBefore);
  const ids = old.filter((r) => r.processed_at !== null).map((r) => Number(r.id));
  let deleted = 0;
  if (ids.length > 0) {
    // Handled is final, so the second condition is only a guard: nothing waiting is deleted.
    const result = await db
      .deleteFrom("inbound_events")
      .where("id", "in", ids)
      .where("processed_at", "is not", null)
      .executeTakeFirst();
    deleted = Number(result.numDeletedRows);
  }
  const last = old.at(-1);
  // A row newer than the cut-off ends the walk; so does the end of the table.
  const more = rows.length === input.limit && old.length === rows.length && last !== undefined;
  return { deleted, nextAfterId: more ? Number(last.id) : undefined };
}
