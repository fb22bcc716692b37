import type { Kysely, Transaction } from "kysely";
import type { DB } from "../../platform/db/schema.js";

/**
 * The broadcast states the dispatcher reads and writes. The broadcasts part (compose, approve,
 * schedule) owns the states before `sending`; from there on: sending ⇄ paused, sending →
 * needs_attention → sending (resumed when fixed), → cancelled, → sent.
 */
export const DELIVERY_STATES = [
  "sending",
  "paused",
  "needs_attention",
  "cancelled",
  "sent",
] as const;
export type BroadcastDeliveryState = (typeof DELIVERY_STATES)[number];

type Db = Kysely<DB> | Transaction<DB>;

/** A conditional transition: true when the broadcast was in one of `from`. */
export async function updateBroadcastStatusIf(
  db: Db,
  input: {
    broadcastId: number;
    from: readonly string[];
    to: BroadcastDeliveryState;
    now: number;
    reason?: string | null;
  },
): Promise<boolean> {
  const result = await db
    .updateTable("broadcasts")
    .set({
      status: input.to,
      updated_at: input.now,
      ...(input.reason !== undefined ? { attention_reason: input.reason } : {}),
      ...(input.to === "sending" ? { started_at: input.now } : {}),
      ...(input.to === "sent" || input.to === "cancelled" ? { finished_at: input.now } : {}),
    })
    .where("id", "=", input.broadcastId)
    .where("status", "in", [...input.from])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
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

/** Sending broadcasts with nothing left queued or in flight become `sent`. */
export async function finishCompletedBroadcasts(db: Db, now: number): Promise<number[]> {
  const done = await db
    .selectFrom("broadcasts")
    .select("id")
    .where("status", "=", "sending")
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom("outbound_messages")
            .select("outbound_messages.id")
            .whereRef("outbound_messages.broadcast_id", "=", "broadcasts.id")
            .where("outbound_messages.state", "in", ["queued", "in_flight"]),
        ),
      ),
    )
    .execute();
  const finished: number[] = [];
  for (const { id } of done) {
    if (await updateBroadcastStatusIf(db, { broadcastId: id, from: ["sending"], to: "sent", now }))
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
 * Per-broadcast counters from one grouped query over the (broadcast_id, state, status) index.
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
