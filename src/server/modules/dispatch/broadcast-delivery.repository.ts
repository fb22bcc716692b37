import { sql, type ExpressionBuilder, type RawBuilder } from "kysely";
import type { DB, Db } from "../../platform/db/schema.js";
import { ruleOf, type BroadcastMove } from "./broadcast-status.js";
import { IN_FLIGHT, IN_SEQUENCE, NOT_IN_SEQUENCE, QUEUED } from "./outbound.repository.js";

/**
 * What a move asks: `halt` and `reject` the reason shown to staff, `approve` who approved,
 * `schedule` when to start; the other moves take nothing beside.
 */
export type BroadcastStatusMove =
  | { broadcastId: number; move: "halt" | "reject"; now: number; reason: string }
  | { broadcastId: number; move: "approve"; now: number; approvedBy: number | null }
  | { broadcastId: number; move: "schedule"; now: number; startAt: number }
  | {
      broadcastId: number;
      move: Exclude<BroadcastMove, "halt" | "reject" | "approve" | "schedule">;
      now: number;
    };

/**
 * Whether the move happened; when it did not, the state the broadcast is in (null: there is no
 * such broadcast), so a caller can answer 409 with it.
 */
export type BroadcastStatusMoved = { moved: true } | { moved: false; current: string | null };

/**
 * The one write of `broadcasts.status`: moves the broadcast by `move` of BROADCAST_MOVES
 * (broadcast-status.ts), only from the states the table allows (`status IN (from)`), with the
 * move's side columns in the same UPDATE. Two racing moves cannot both apply from the same state.
 */
export async function updateBroadcastStatus(
  db: Db,
  input: BroadcastStatusMove,
): Promise<BroadcastStatusMoved> {
  const rule = ruleOf(input.move);
  const reason = rule.reason === "cleared" ? null : "reason" in input ? input.reason : undefined;
  const approver =
    rule.approver === "cleared" ? null : "approvedBy" in input ? input.approvedBy : undefined;
  const result = await db
    .updateTable("broadcasts")
    .set({
      status: rule.to,
      updated_at: input.now,
      ...(reason !== undefined ? { attention_reason: reason } : {}),
      ...(approver !== undefined ? { approved_by: approver } : {}),
      ...("startAt" in input ? { scheduled_at: input.startAt } : {}),
      ...(rule.startsSending
        ? { started_at: sql<number>`coalesce(started_at, ${input.now})` }
        : {}),
      ...(rule.finishes ? { finished_at: input.now } : {}),
    })
    .where("id", "=", input.broadcastId)
    .where("status", "in", [...rule.from])
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) > 0) return { moved: true };
  const row = await db
    .selectFrom("broadcasts")
    .select("status")
    .where("id", "=", input.broadcastId)
    .executeTakeFirst();
  return { moved: false, current: row?.status ?? null };
}

export async function findBroadcast(db: Db, broadcastId: number) {
  return db
    .selectFrom("broadcasts")
    .select([
      "id",
      "tenant_id",
      "status",
      "priority",
      "category",
      "content",
      "topics",
      "attention_reason",
      "started_at",
      "finished_at",
    ])
    .where("id", "=", broadcastId)
    .executeTakeFirst();
}

/** Status and content of the broadcasts among `ids`, for the dispatcher's pre-send check. */
export async function broadcastStates(
  db: Db,
  ids: readonly number[],
): Promise<Map<number, { status: string; content: string }>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom("broadcasts")
    .select(["id", "status", "content"])
    .where("id", "in", [...ids])
    .execute();
  return new Map(rows.map((r) => [r.id, { status: r.status, content: r.content }]));
}

/** Cancel: the rows not yet sent are marked cancelled (in flight ones finish on their own). */
export async function cancelQueuedDeliveries(
  db: Db,
  broadcastId: number,
  now: number,
): Promise<number> {
  const result = await db
    .updateTable("outbound_messages")
    .set({ state: "cancelled", updated_at: now })
    .where("broadcast_id", "=", broadcastId)
    .where("state", "=", "queued")
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * The broadcasts (`b`) with nothing left queued or in flight, read where each kind of row is
 * indexed (migration 0019), never over a broadcast's whole outbox: deliveries in sequence past
 * the claim cursor (the unique index, from the cursor), and the number's rows in the claim index
 * and in flight (their partial indexes: the unary plus keeps SQLite from reading the
 * broadcast's rows through the unique index instead). One statement, so a row moving from one
 * kind to another between two reads is never missed.
 */
function withNothingLeft(db: Db) {
  const numberRows = (
    eb: ExpressionBuilder<DB & { b: DB["broadcasts"] }, "b">,
    state: RawBuilder<string>,
  ) =>
    eb
      .selectFrom("outbound_messages as o")
      .select("o.id")
      .whereRef("o.sender_number_id", "=", "b.sender_number_id")
      .where("o.state", "=", state)
      .$if(state === QUEUED, (q) => q.where("o.in_sequence", "=", NOT_IN_SEQUENCE))
      .where(sql<boolean>`+o.broadcast_id = b.id`);
  return (
    db
      .selectFrom("broadcasts as b")
      .select("b.id")
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom("outbound_messages as o")
              .select("o.id")
              .whereRef("o.broadcast_id", "=", "b.id")
              .where("o.subscriber_id", ">", eb.fn.coalesce("b.claimed_through", sql.lit(0)))
              .where("o.state", "=", QUEUED)
              .where("o.in_sequence", "=", IN_SEQUENCE),
          ),
        ),
      )
      .where((eb) => eb.not(eb.exists(numberRows(eb, QUEUED))))
      .where((eb) => eb.not(eb.exists(numberRows(eb, IN_FLIGHT))))
      // A broadcast whose number is not recorded (none of its rows came from an expansion): its
      // rows, read through the unique index.
      .where((eb) =>
        eb.or([
          eb("b.sender_number_id", "is not", null),
          eb.not(
            eb.exists(
              eb
                .selectFrom("outbound_messages as o")
                .select("o.id")
                .whereRef("o.broadcast_id", "=", "b.id")
                .where("o.state", "in", ["queued", "in_flight"]),
            ),
          ),
        ]),
      )
  );
}

/** Whether any delivery of the broadcast is still queued or in flight. */
export async function hasDeliveriesLeft(db: Db, broadcastId: number): Promise<boolean> {
  const done = await withNothingLeft(db).where("b.id", "=", broadcastId).executeTakeFirst();
  return done === undefined;
}

/**
 * Sending broadcasts with nothing left queued or in flight become `sent`; never one whose
 * expansion is under way (broadcast-expansion.ts): its next chunks have no rows yet.
 */
export async function finishCompletedBroadcasts(db: Db, now: number): Promise<number[]> {
  const done = await withNothingLeft(db)
    .where("b.status", "=", "sending")
    .where("b.expanded_through", "is", null)
    .execute();
  const finished: number[] = [];
  for (const { id } of done) {
    if ((await updateBroadcastStatus(db, { broadcastId: id, move: "finish", now })).moved)
      finished.push(id);
  }
  return finished;
}

export interface BroadcastCounters {
  total: number;
  queued: number;
  inFlight: number;
  accepted: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  cancelled: number;
  skipped: number;
  /** Failures by Meta's error code (or our negative codes for faults on the way). */
  failedByCode: Record<string, number>;
}

/**
 * Per-broadcast counters from one grouped query over the broadcast's rows (the unique
 * (broadcast_id, subscriber_id) index leads to them).
 * "sent", "delivered", "read" count the furthest status each delivery reached.
 */
export async function broadcastCounters(db: Db, broadcastId: number): Promise<BroadcastCounters> {
  const rows = await db
    .selectFrom("outbound_messages")
    .select(["state", "status", "error_code", (eb) => eb.fn.countAll<number>().as("n")])
    .where("broadcast_id", "=", broadcastId)
    .groupBy(["state", "status", "error_code"])
    .execute();
  const c: BroadcastCounters = {
    total: 0,
    queued: 0,
    inFlight: 0,
    accepted: 0,
    sent: 0,
    delivered: 0,
    read: 0,
    failed: 0,
    cancelled: 0,
    skipped: 0,
    failedByCode: {},
  };
  for (const r of rows) {
    const n = Number(r.n);
    c.total += n;
    if (r.state === "queued") c.queued += n;
    else if (r.state === "in_flight") c.inFlight += n;
    else if (r.state === "cancelled") c.cancelled += n;
    else if (r.state === "skipped") c.skipped += n;
    else if (r.state === "failed" || r.status === "failed") {
      c.failed += n;
      const code = String(r.error_code ?? "unknown");
      c.failedByCode[code] = (c.failedByCode[code] ?? 0) + n;
    } else if (r.state === "accepted") {
      c.accepted += n;
      if (r.status === "sent") c.sent += n;
      if (r.status === "delivered") c.delivered += n;
      if (r.status === "read") c.read += n;
    }
  }
  // Reaching "read" implies "delivered" implies "sent": counters are cumulative.
  c.delivered += c.read;
  c.sent += c.delivered;
  return c;
}

/**
 * The broadcast's deliveries Meta accepted (and did not fail since), counted by the pricing
 * their status webhooks gave (type null: no status with pricing yet), for its report's cost.
 */
export async function broadcastPricingCounts(
  db: Db,
  broadcastId: number,
): Promise<{ type: string | null; category: string | null; count: number }[]> {
  const rows = await db
    .selectFrom("outbound_messages")
    .select(["pricing_type", "pricing_category", (eb) => eb.fn.countAll<number>().as("n")])
    .where("broadcast_id", "=", broadcastId)
    .where("state", "=", "accepted")
    .groupBy(["pricing_type", "pricing_category"])
    .execute();
  return rows.map((r) => ({
    type: r.pricing_type,
    category: r.pricing_category,
    count: Number(r.n),
  }));
}

/** Deliveries of the broadcast not yet sent (queued or in flight) that spend the tier. */
export async function remainingTierDeliveriesOf(db: Db, broadcastId: number): Promise<number> {
  const row = await db
    .selectFrom("outbound_messages")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("broadcast_id", "=", broadcastId)
    .where("spends_tier", "=", 1)
    .where("state", "in", ["queued", "in_flight"])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Scheduled broadcasts of these comuni whose start time has come, oldest first. */
export async function dueScheduledBroadcasts(
  db: Db,
  input: { tenantIds: readonly string[]; now: number; limit: number },
): Promise<number[]> {
  if (input.tenantIds.length === 0) return [];
  const rows = await db
    .selectFrom("broadcasts")
    .select("id")
    .where("tenant_id", "in", [...input.tenantIds])
    .where("status", "=", "scheduled")
    .where("scheduled_at", "<=", input.now)
    .orderBy("scheduled_at")
    .limit(input.limit)
    .execute();
  return rows.map((r) => Number(r.id));
}
