import { sql, type Kysely, type Selection, type Transaction } from "kysely";
import { engineOf } from "../../platform/db/dialect.js";
import type { Db, DB } from "../../platform/db/schema.js";

/**
 * What became of the outbox's sends: the dispatcher's batches of answers (`recordResults`) and
 * the status webhooks' news of a row (`delivery-status.ts`). Both failure paths requeue with one
 * rule (`requeuedState`) and count an error's repeats the same way (`errorRepeatsAfter`).
 */

export type SendResult =
  | { id: number; outcome: "accepted"; waMessageId: string }
  | {
      id: number;
      outcome: "retry";
      at: number;
      code: number;
      reason: string;
      countsAttempt: boolean;
    }
  | { id: number; outcome: "failed"; code: number; reason: string }
  /** Put back untouched (paused or cancelled broadcast, shutdown before sending). */
  | { id: number; outcome: "released"; cancelled: boolean };

/**
 * "queued" — unless the row's broadcast was cancelled meanwhile (the cancel only reaches rows
 * that were queued at that moment; this one was in flight or accepted). The requeue rule of
 * both failure paths: the dispatcher's outcomes and a status webhook's failure.
 */
export const requeuedState = sql<string>`case when exists (select 1 from broadcasts b where b.id = outbound_messages.broadcast_id and b.status = 'cancelled') then 'cancelled' else 'queued' end`;

const ACCEPTED_PER_STATEMENT = 500;

/**
 * Marks sends accepted with their wamids, in one UPDATE … FROM a list of (id, wamid). Only rows
 * still in flight change; a status webhook that arrived before the answer keeps its status.
 */
async function recordAccepted(
  trx: Transaction<DB>,
  rows: readonly Extract<SendResult, { outcome: "accepted" }>[],
  now: number,
): Promise<void> {
  if (rows.length === 0) return;
  const set = sql`state = 'accepted', wa_message_id = v.wamid,
    status = coalesce(outbound_messages.status, 'accepted'),
    attempts = outbound_messages.attempts + 1, accepted_at = ${now}, in_flight_since = null,
    error_code = null, error_reason = null, error_repeats = 0, updated_at = ${now}`;
  if (engineOf(trx) === "postgres") {
    await sql`update outbound_messages set ${set}
      from (select unnest(${rows.map((r) => r.id)}::bigint[]) as id,
                   unnest(${rows.map((r) => r.waMessageId)}::text[]) as wamid) as v
      where outbound_messages.id = v.id and outbound_messages.state = 'in_flight'`.execute(trx);
    return;
  }
  // One JSON parameter rather than a VALUES list: the SQL text is the same for every batch, so
  // its statement is compiled once (connect.ts keeps statements by text), and Kysely binds
  // three parameters, not two per row (measured: ~2 µs less per message, unthrottled).
  const list = JSON.stringify(rows.map((r) => [r.id, r.waMessageId]));
  await sql`with v(id, wamid) as (select value ->> 0, value ->> 1 from json_each(${list}))
    update outbound_messages set ${set}
    from v where outbound_messages.id = v.id and outbound_messages.state = 'in_flight'`.execute(
    trx,
  );
}

/**
 * error_repeats after a counted attempt that ended with `code`: one more if the previous attempt
 * ended with the same code, else 1. An attempt that does not count (130429) is no repeat: 0.
 */
export function errorRepeatsAfter(code: number, counted: boolean) {
  return counted
    ? sql<number>`case when error_code = ${code} then error_repeats + 1 else 1 end`
    : sql<number>`0`;
}

/** Writes a batch of outcomes in one transaction: the database never sees one per message. */
export async function recordResults(
  db: Kysely<DB>,
  results: readonly SendResult[],
  now: number,
  extra?: (trx: Transaction<DB>) => Promise<void>,
): Promise<void> {
  if (results.length === 0 && !extra) return;
  await db.transaction().execute(async (trx) => {
    // Accepted sends, nearly all outcomes, in one statement per 500: one query per message
    // was most of the unthrottled dispatcher's CPU (BENCHMARKS.md). Outcomes are independent
    // (one per row per claim), so writing them first changes nothing.
    const accepted = results.filter((r) => r.outcome === "accepted");
    for (let i = 0; i < accepted.length; i += ACCEPTED_PER_STATEMENT) {
      await recordAccepted(trx, accepted.slice(i, i + ACCEPTED_PER_STATEMENT), now);
    }
    for (const r of results) {
      if (r.outcome === "accepted") continue;
      const base = trx
        .updateTable("outbound_messages")
        .where("id", "=", r.id)
        .where("state", "=", "in_flight");
      switch (r.outcome) {
        case "retry":
          await base
            .set((eb) => ({
              state: requeuedState,
              next_attempt_at: r.at,
              attempts: r.countsAttempt ? eb("attempts", "+", 1) : eb.ref("attempts"),
              in_flight_since: null,
              // An UPDATE's right-hand sides all read the row as it was: the previous error_code.
              error_repeats: errorRepeatsAfter(r.code, r.countsAttempt),
              error_code: r.code,
              error_reason: r.reason.slice(0, 500),
              updated_at: now,
            }))
            .execute();
          break;
        case "failed":
          await base
            .set((eb) => ({
              state: "failed",
              status: "failed",
              attempts: eb("attempts", "+", 1),
              in_flight_since: null,
              error_repeats: errorRepeatsAfter(r.code, true),
              error_code: r.code,
              error_reason: r.reason.slice(0, 500),
              updated_at: now,
            }))
            .execute();
          break;
        case "released":
          await base
            .set({
              state: r.cancelled ? "cancelled" : requeuedState,
              in_flight_since: null,
              updated_at: now,
            })
            .execute();
          break;
      }
    }
    await extra?.(trx);
  });
}

/** An outbound row as a status webhook reads it. */
export interface StatusTarget {
  id: number;
  broadcastId: number | null;
  state: string;
  status: string | null;
  waMessageId: string | null;
  attempts: number;
  errorCode: number | null;
  errorRepeats: number;
  pricingType: string | null;
  pricingCategory: string | null;
  createdAt: number;
}

const STATUS_TARGET_COLUMNS = [
  "id",
  "broadcast_id",
  "state",
  "status",
  "wa_message_id",
  "attempts",
  "error_code",
  "error_repeats",
  "pricing_type",
  "pricing_category",
  "created_at",
] as const;

function statusTargetOf(
  r: Selection<DB, "outbound_messages", (typeof STATUS_TARGET_COLUMNS)[number]>,
): StatusTarget {
  return {
    id: r.id,
    broadcastId: r.broadcast_id,
    state: r.state,
    status: r.status,
    waMessageId: r.wa_message_id,
    attempts: r.attempts,
    errorCode: r.error_code,
    errorRepeats: r.error_repeats,
    pricingType: r.pricing_type,
    pricingCategory: r.pricing_category,
    createdAt: r.created_at,
  };
}

/**
 * The comune's row a status names: the one whose last send Meta accepted with this message id,
 * or the row of this id (the one a send's callback data names, when the send's answer was lost).
 */
export async function statusTarget(
  db: Kysely<DB>,
  tenantId: string,
  key: { waMessageId: string } | { id: number },
): Promise<StatusTarget | undefined> {
  const row = await db
    .selectFrom("outbound_messages")
    .select(STATUS_TARGET_COLUMNS)
    .where((eb) =>
      "id" in key ? eb("id", "=", key.id) : eb("wa_message_id", "=", key.waMessageId),
    )
    .where("tenant_id", "=", tenantId)
    .executeTakeFirst();
  return row && statusTargetOf(row);
}

/**
 * Writes what a status webhook says of a row: its forward `status`, its `pricing`, and with
 * `acceptedAs` the message id of a send whose answer was lost (the row becomes accepted).
 * Optimistic: only while the row's status is still `seenStatus`, since if another handler (or the
 * send's own answer) moved it meanwhile, this one's view is stale. Answers whether it wrote.
 */
export async function applyStatusToRow(
  db: Kysely<DB>,
  input: {
    id: number;
    seenStatus: string | null;
    status?: string;
    pricing?: { type: string; category: string | null };
    acceptedAs?: string;
    now: number;
  },
): Promise<boolean> {
  const { id, seenStatus, status, pricing, acceptedAs, now } = input;
  const result = await db
    .updateTable("outbound_messages")
    .set({
      ...(status ? { status } : {}),
      ...(pricing ? { pricing_type: pricing.type, pricing_category: pricing.category } : {}),
      ...(acceptedAs !== undefined
        ? {
            state: "accepted",
            wa_message_id: acceptedAs,
            accepted_at: now,
            in_flight_since: null,
          }
        : {}),
      updated_at: now,
    })
    .where("id", "=", id)
    .where((eb) => (seenStatus === null ? eb("status", "is", null) : eb("status", "=", seenStatus)))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** A failure a status webhook reported, final: the row is failed with Meta's code and reason. */
export async function failFromStatus(
  db: Kysely<DB>,
  input: { id: number; waMessageId: string; code: number | null; reason: string; now: number },
): Promise<void> {
  await db
    .updateTable("outbound_messages")
    .set({
      state: "failed",
      status: "failed",
      wa_message_id: input.waMessageId,
      in_flight_since: null,
      error_code: input.code,
      error_reason: input.reason.slice(0, 500),
      updated_at: input.now,
    })
    .where("id", "=", input.id)
    .execute();
}

/**
 * A failure a status webhook reported, to retry at `at`: the row is queued again (cancelled, if
 * its broadcast was) with its send forgotten, if it is still accepted or in flight. Whether it
 * was requeued by this call.
 */
export async function requeueFromStatus(
  db: Db,
  input: { id: number; at: number; code: number | undefined; reason: string; now: number },
): Promise<boolean> {
  const { code, now } = input;
  const requeued = await db
    .updateTable("outbound_messages")
    .set({
      state: requeuedState,
      status: null,
      wa_message_id: null,
      accepted_at: null,
      in_flight_since: null,
      next_attempt_at: input.at,
      // The message will be sent again: the next send's statuses price it.
      pricing_type: null,
      pricing_category: null,
      error_repeats: code !== undefined ? errorRepeatsAfter(code, true) : 0,
      error_code: code ?? null,
      error_reason: input.reason.slice(0, 500),
      updated_at: now,
    })
    .where("id", "=", input.id)
    .where("state", "in", ["accepted", "in_flight"])
    .executeTakeFirst();
  return Number(requeued.numUpdatedRows) > 0;
}
