import { sql, type Kysely } from "kysely";
import { inClaimOrder } from "../../platform/db/claim-order.js";
import type { DB } from "../../platform/db/schema.js";
import {
  IN_FLIGHT,
  IN_SEQUENCE,
  NOT_IN_SEQUENCE,
  QUEUED,
  type ClaimedMessage,
} from "./outbound.repository.js";

// The outbox's claims: what the dispatcher of a number takes next, and how much is waiting. The
// rows are written by outbound.repository.ts; a broadcast's fresh deliveries are taken in
// sequence from its cursor, everything else through the claim index (migration 0019).

/**
 * Claims the number's due rows, highest priority first, moving them to in_flight in one
 * conditional UPDATE (a row another claimer took in between is simply not returned). Broadcast
 * rows are claimed only while their broadcast is `sending`; `tierBudget` caps how many rows that
 * spend the messaging-limit tier may be taken.
 *
 * Two sources (migration 0019): the claim index (replies, retries, anything back in the queue)
 * and, for each broadcast of the number that is sending, its deliveries in sequence: the next
 * ones by subscriber id after its claim cursor, read through the unique (broadcast_id,
 * subscriber_id) index. Within a priority the claim index's rows come first (they waited
 * longer), then the broadcasts' in the order they were created. The cursor moves past what was
 * claimed, unless rows were left behind (no tier budget: only rows that spend none are taken).
 */
export async function claimDue(
  db: Kysely<DB>,
  input: { senderNumberId: number; now: number; limit: number; tierBudget: number },
): Promise<ClaimedMessage[]> {
  const { senderNumberId, now, limit, tierBudget } = input;
  if (limit <= 0) return [];
  const take = tierBudget > 0 ? Math.min(limit, Math.max(tierBudget, 1)) : limit;
  const tierless = tierBudget <= 0;
  const indexed = await db
    .selectFrom("outbound_messages")
    .select(["id", "priority"])
    .where("sender_number_id", "=", senderNumberId)
    .where("state", "=", QUEUED)
    .where("in_sequence", "=", NOT_IN_SEQUENCE)
    .where("next_attempt_at", "<=", now)
    .where((eb) =>
      eb.or([
        eb("broadcast_id", "is", null),
        eb(
          "broadcast_id",
          "in",
          eb.selectFrom("broadcasts").select("id").where("status", "=", "sending"),
        ),
      ]),
    )
    .$if(tierless, (q) => q.where("spends_tier", "=", 0))
    .orderBy("priority", "desc")
    .orderBy("next_attempt_at")
    .orderBy("id")
    .limit(take)
    .execute();
  const candidates: {
    id: number;
    priority: number;
    broadcastId?: number;
    subscriberId?: number;
  }[] = [...indexed];
  // Each sending broadcast of the number from its cursor: a range of the unique index, read in
  // order up to the limit (one statement per broadcast; a join ordered by priority would sort
  // every delivery of every broadcast first).
  const sequences = await db
    .selectFrom("broadcasts")
    .select(["id", "claimed_through"])
    .where("sender_number_id", "=", senderNumberId)
    .where("status", "=", "sending")
    .orderBy("id")
    .execute();
  for (const broadcast of sequences) {
    const next = await db
      .selectFrom("outbound_messages")
      .select(["id", "priority", "subscriber_id"])
      .where("broadcast_id", "=", broadcast.id)
      .where("subscriber_id", ">", Number(broadcast.claimed_through ?? 0))
      .where("state", "=", QUEUED)
      .where("in_sequence", "=", IN_SEQUENCE)
      .$if(tierless, (q) => q.where("spends_tier", "=", 0))
      .orderBy("subscriber_id")
      .limit(take)
      .execute();
    for (const r of next)
      candidates.push({
        id: r.id,
        priority: r.priority,
        broadcastId: broadcast.id,
        subscriberId: Number(r.subscriber_id),
      });
  }
  // Stable: within a priority, the order the sources were read in.
  const chosen = candidates.sort((a, b) => b.priority - a.priority).slice(0, take);
  if (chosen.length === 0) return [];
  const rows = await db
    .updateTable("outbound_messages")
    .set({ state: "in_flight", in_flight_since: now, updated_at: now, in_sequence: 0 })
    .where(
      "id",
      "in",
      chosen.map((c) => c.id),
    )
    .where("state", "=", "queued")
    .returning([
      "id",
      "tenant_id",
      "kind",
      "broadcast_id",
      "recipient",
      "payload",
      "priority",
      "attempts",
      "error_code",
      "error_repeats",
      "created_at",
      "spends_tier",
      "window_closes_at",
    ])
    .execute();
  // Every delivery in sequence up to a broadcast's last chosen one was chosen (each source is
  // read in order and the merge keeps it) or is no longer queued; the cursor moves only forward.
  if (!tierless) await moveClaimCursors(db, chosen);
  return inClaimOrder(
    rows.map((r) => ({
      id: r.id,
      tenantId: r.tenant_id,
      kind: r.kind,
      broadcastId: r.broadcast_id,
      recipient: r.recipient,
      payload: r.payload,
      priority: r.priority,
      attempts: r.attempts,
      errorCode: r.error_code,
      errorRepeats: r.error_repeats,
      createdAt: r.created_at,
      spendsTier: r.spends_tier === 1,
      windowClosesAt: r.window_closes_at === null ? null : Number(r.window_closes_at),
    })),
  );
}

async function moveClaimCursors(
  db: Kysely<DB>,
  chosen: readonly { broadcastId?: number; subscriberId?: number }[],
): Promise<void> {
  const through = new Map<number, number>();
  for (const c of chosen) {
    if (c.broadcastId === undefined || c.subscriberId === undefined) continue;
    through.set(c.broadcastId, Math.max(through.get(c.broadcastId) ?? 0, c.subscriberId));
  }
  for (const [broadcastId, subscriberId] of through) {
    await db
      .updateTable("broadcasts")
      .set({ claimed_through: subscriberId })
      .where("id", "=", broadcastId)
      .where((w) =>
        w.or([w("claimed_through", "is", null), w("claimed_through", "<", subscriberId)]),
      )
      .execute();
  }
}

/**
 * Earliest due time of the number's rows in the claim index, to sleep exactly until then. A
 * broadcast's deliveries in sequence are due from their start: while any is left, a claim finds
 * it.
 */
export async function nextDueAt(
  db: Kysely<DB>,
  senderNumberId: number,
): Promise<number | undefined> {
  const row = await db
    .selectFrom("outbound_messages")
    .select((eb) => eb.fn.min("next_attempt_at").as("due"))
    .where("sender_number_id", "=", senderNumberId)
    .where("state", "=", QUEUED)
    .where("in_sequence", "=", NOT_IN_SEQUENCE)
    .executeTakeFirst();
  return row?.due ?? undefined;
}

/**
 * Queue depth and in-flight count of a number, for metrics. The queued: the claim index's rows,
 * and each unfinished broadcast's deliveries past its claim cursor, counted in the unique index
 * alone (the few past it that were skipped or cancelled count too).
 */
export async function queueDepth(
  db: Kysely<DB>,
  senderNumberId: number,
): Promise<{ queued: number; inFlight: number }> {
  const count = async (state: typeof QUEUED) => {
    const row = await db
      .selectFrom("outbound_messages")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("sender_number_id", "=", senderNumberId)
      .where("state", "=", state)
      .$if(state === QUEUED, (q) => q.where("in_sequence", "=", NOT_IN_SEQUENCE))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };
  const inSequence = await db
    .selectFrom("broadcasts as b")
    .select((eb) =>
      eb
        .selectFrom("outbound_messages as o")
        .select((c) => c.fn.countAll<number>().as("n"))
        .whereRef("o.broadcast_id", "=", "b.id")
        .where("o.subscriber_id", ">", eb.fn.coalesce("b.claimed_through", sql.lit(0)))
        .as("n"),
    )
    .where("b.sender_number_id", "=", senderNumberId)
    .where("b.status", "in", ["sending", "paused", "needs_attention"])
    .execute();
  const queued = (await count(QUEUED)) + inSequence.reduce((sum, r) => sum + Number(r.n ?? 0), 0);
  return { queued, inFlight: await count(IN_FLIGHT) };
}
