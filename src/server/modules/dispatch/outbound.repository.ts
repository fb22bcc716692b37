import { sql, type Kysely } from "kysely";
import type { DB } from "../../platform/db/schema.js";
import { requeuedState } from "./outbound-results.repository.js";

/**
 * The outbox: every message is a row before it is sent. States:
 * queued → in_flight → accepted | failed, or back to queued (retry); cancelled; skipped.
 * Meta's later statuses (sent, delivered, read, failed) live in `status`, forward only.
 * This file writes rows; outbound-claims.repository.ts claims them; what became of a send is
 * outbound-results.repository.ts.
 */
export const OUTBOUND_STATES = [
  "queued",
  "in_flight",
  "accepted",
  "failed",
  "cancelled",
  "skipped",
] as const;
export type OutboundState = (typeof OUTBOUND_STATES)[number];

/**
 * The states and flag that partial indexes are defined on (migration 0003), as SQL literals:
 * SQLite uses a partial index only when the query names its condition with the same literal,
 * never through a bound parameter.
 */
export const QUEUED = sql.lit("queued");
export const IN_FLIGHT = sql.lit("in_flight");
const SPENDS_TIER = sql.lit(1);
/** `in_sequence` (migration 0019): claimed from the broadcast's cursor, or through the claim index. */
export const IN_SEQUENCE = sql.lit(1);
export const NOT_IN_SEQUENCE = sql.lit(0);
const DAY_MS = 24 * 60 * 60 * 1000;

/** Replies to citizens first, then urgent broadcasts, then the rest. */
export const PRIORITY = { reply: 100, urgent: 50, normal: 0 } as const;

export interface ClaimedMessage {
  id: number;
  tenantId: string;
  kind: string;
  broadcastId: number | null;
  recipient: string;
  payload: string | null;
  priority: number;
  attempts: number;
  /** The last attempt's error code, and how many counted attempts in a row ended with it. */
  errorCode: number | null;
  errorRepeats: number;
  createdAt: number;
  spendsTier: boolean;
  /** A broadcast delivery inside the person's 24-hour window: when the window closes. */
  windowClosesAt: number | null;
}

export async function insertOutboundMessage(
  db: Kysely<DB>,
  row: {
    tenantId: string;
    senderNumberId: number;
    kind: "reply" | "broadcast";
    recipient: string;
    payload: string;
    priority: number;
    spendsTier: boolean;
    subscriberId?: number | null;
    now: number;
  },
): Promise<number> {
  const inserted = await db
    .insertInto("outbound_messages")
    .values({
      tenant_id: row.tenantId,
      sender_number_id: row.senderNumberId,
      kind: row.kind,
      broadcast_id: null,
      subscriber_id: row.subscriberId ?? null,
      recipient: row.recipient,
      payload: row.payload,
      priority: row.priority,
      state: "queued",
      status: null,
      next_attempt_at: row.now,
      wa_message_id: null,
      error_code: null,
      error_reason: null,
      accepted_at: null,
      in_flight_since: null,
      spends_tier: row.spendsTier ? 1 : 0,
      created_at: row.now,
      updated_at: row.now,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return inserted.id;
}

/**
 * A broadcast's deliveries in one INSERT … SELECT from its audience: the active, unblocked
 * subscribers of the comune who chose one of its topics or none (for a marketing broadcast, not those who pressed WhatsApp's stop
 * button for marketing: user_preferences). Never loads recipients into memory; a repeated
 * expansion adds nobody twice (unique broadcast_id + subscriber_id). A template to someone who
 * has not written in the last 24 hours spends the messaging-limit tier. With `subscriberIds`,
 * only the audience in that id range (one chunk of broadcast-expansion.ts).
 */
export async function insertDeliveriesForBroadcast(
  db: Kysely<DB>,
  input: {
    broadcastId: number;
    tenantId: string;
    senderNumberId: number;
    priority: number;
    now: number;
    /** The broadcast's category: "marketing" leaves out people who stopped marketing. */
    category?: string;
    /** The broadcast's topics; none: every subscriber. */
    topics?: readonly string[];
    /** Only subscribers with `after < id` and, unless null, `id <= through`. */
    subscriberIds?: { after: number; through: number | null };
  },
): Promise<number> {
  const { broadcastId, tenantId, senderNumberId, priority, now } = input;
  const after = input.subscriberIds?.after;
  const through = input.subscriberIds?.through ?? null;
  const windowStart = now - DAY_MS;
  // The first expansion of a broadcast's range (none of its deliveries there exists yet) is a
  // plain INSERT: PostgreSQL then skips ON CONFLICT's speculative insertion, a third of the cost
  // of a large expansion. The unique index still refuses a second delivery to anyone (the
  // statement would fail, never send twice); later expansions skip the subscribers who already
  // have one. A range beyond every delivery the broadcast has and beyond its claim cursor is
  // claimed in sequence (in_sequence = 1, migration 0019); rows added anywhere else (a start
  // again from 0 that finds people who joined meanwhile) go through the claim index.
  // The look-ups read the unique (broadcast_id, subscriber_id) index.
  const existing = (range: { through: number | null }) =>
    db
      .selectFrom("outbound_messages")
      .select("id")
      .where("broadcast_id", "=", broadcastId)
      .$if(after !== undefined, (q) => q.where("subscriber_id", ">", after ?? 0))
      .$if(range.through !== null, (q) => q.where("subscriber_id", "<=", range.through ?? 0))
      .limit(1)
      .executeTakeFirst();
  const cursor = await db
    .selectFrom("broadcasts")
    .select("claimed_through")
    .where("id", "=", broadcastId)
    .executeTakeFirst();
  const atFrontier =
    Number(cursor?.claimed_through ?? 0) <= (after ?? 0) &&
    (await existing({ through: null })) === undefined;
  const expandedBefore = !atFrontier && (await existing({ through })) !== undefined;
  const insert = db
    .insertInto("outbound_messages")
    .columns([
      "tenant_id",
      "sender_number_id",
      "kind",
      "broadcast_id",
      "subscriber_id",
      "recipient",
      "priority",
      "state",
      "next_attempt_at",
      "spends_tier",
      "window_closes_at",
      "created_at",
      "updated_at",
      "in_sequence",
    ])
    .expression((eb) =>
      eb
        .selectFrom("subscribers")
        .select((s) => [
          "tenant_id",
          sql.lit(senderNumberId).as("sender_number_id"),
          sql.lit("broadcast").as("kind"),
          sql.lit(broadcastId).as("broadcast_id"),
          "id",
          s.fn.coalesce("wa_id", "user_id").as("recipient"),
          sql.lit(priority).as("priority"),
          sql.lit("queued").as("state"),
          sql.lit(now).as("next_attempt_at"),
          sql<number>`case when last_inbound_at > ${sql.lit(windowStart)} then 0 else 1 end`.as(
            "spends_tier",
          ),
          sql<
            number | null
          >`case when last_inbound_at > ${sql.lit(windowStart)} then last_inbound_at + ${sql.lit(DAY_MS)} else null end`.as(
            "window_closes_at",
          ),
          sql.lit(now).as("created_at"),
          sql.lit(now).as("updated_at"),
          sql.lit(atFrontier ? 1 : 0).as("in_sequence"),
        ])
        .where("tenant_id", "=", tenantId)
        .$if(after !== undefined, (q) => q.where("id", ">", after ?? 0))
        .$if(through !== null, (q) => q.where("id", "<=", through ?? 0))
        .where("status", "=", "active")
        .where("blocked_at", "is", null)
        .$if(input.category === "marketing", (q) => q.where("marketing_stopped_at", "is", null))
        .$if((input.topics ?? []).length > 0, (q) =>
          q.where((w) =>
            w.or([
              // No choice made means every topic.
              w("topics", "=", "[]"),
              // The stored list is JSON of topic slugs ([a-z0-9-], no LIKE wildcard), so
              // '%"news"%' matches exactly the element "news", on both engines.
              ...(input.topics ?? []).map((id) => w("topics", "like", `%${JSON.stringify(id)}%`)),
            ]),
          ),
        )
        .where((w) => w.or([w("wa_id", "is not", null), w("user_id", "is not", null)])),
    );
  // The broadcast's number: its claims come from that number's dispatcher (claimDue).
  await db
    .updateTable("broadcasts")
    .set({ sender_number_id: senderNumberId })
    .where("id", "=", broadcastId)
    .where((w) =>
      w.or([w("sender_number_id", "is", null), w("sender_number_id", "<>", senderNumberId)]),
    )
    .execute();
  const result = await (
    expandedBefore
      ? insert.onConflict((oc) => oc.columns(["broadcast_id", "subscriber_id"]).doNothing())
      : insert
  ).executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
}

/**
 * Rows left in flight (a crash, a lost answer) longer than the grace period, that no status
 * webhook has named since, go back to the queue: they were never accepted, or Meta would have
 * told us by now. `keep` are the ids this process still has on the wire; with `claimedSince`,
 * only rows claimed at or after it (the caller's own, not an earlier process's) are considered.
 */
export async function requeueStaleInFlight(
  db: Kysely<DB>,
  input: {
    senderNumberId: number;
    olderThan: number;
    claimedSince?: number;
    keep: ReadonlySet<number>;
    now: number;
  },
): Promise<number> {
  let query = db
    .selectFrom("outbound_messages")
    .select("id")
    .where("sender_number_id", "=", input.senderNumberId)
    .where("state", "=", IN_FLIGHT)
    .where("in_flight_since", "<", input.olderThan);
  if (input.claimedSince !== undefined)
    query = query.where("in_flight_since", ">=", input.claimedSince);
  const stale = await query.limit(1000).execute();
  const ids = stale.map((r) => r.id).filter((id) => !input.keep.has(id));
  if (ids.length === 0) return 0;
  const result = await db
    .updateTable("outbound_messages")
    .set({
      state: requeuedState,
      in_flight_since: null,
      next_attempt_at: input.now,
      updated_at: input.now,
    })
    .where("id", "in", ids)
    .where("state", "=", "in_flight")
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * The tier-spending messages of these numbers Meta accepted after `since`: what counts against
 * the messaging-limit tier, read through the tier's partial index (migration 0003).
 */
function tierSpendingAcceptedSince(
  db: Kysely<DB>,
  senderNumberIds: readonly number[],
  since: number,
) {
  return db
    .selectFrom("outbound_messages")
    .where("sender_number_id", "in", [...senderNumberIds])
    .where("spends_tier", "=", SPENDS_TIER)
    .where("accepted_at", ">", since);
}

/** Unique recipients reached by tier-spending messages of these numbers since `since`. */
export async function tierRecipientsSince(
  db: Kysely<DB>,
  senderNumberIds: readonly number[],
  since: number,
): Promise<number> {
  if (senderNumberIds.length === 0) return 0;
  const row = await tierSpendingAcceptedSince(db, senderNumberIds, since)
    .select((eb) => eb.fn.count<number>("recipient").distinct().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Unique recipients reached by tier-spending messages of these numbers since `since`, and when
 * the oldest of those reaches was (null: none): the messaging-limit plan of a broadcast.
 */
export async function tierSpendSince(
  db: Kysely<DB>,
  senderNumberIds: readonly number[],
  since: number,
): Promise<{ recipients: number; oldestAt: number | null }> {
  const row = await tierSpendingAcceptedSince(db, senderNumberIds, since)
    .select((eb) => [
      eb.fn.count<number>("recipient").distinct().as("n"),
      eb.fn.min("accepted_at").as("oldest"),
    ])
    .executeTakeFirstOrThrow();
  return { recipients: Number(row.n), oldestAt: row.oldest === null ? null : Number(row.oldest) };
}
