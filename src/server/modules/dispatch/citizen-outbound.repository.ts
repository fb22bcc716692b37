import type { Kysely, Transaction } from "kysely";
import type { DB } from "../../platform/db/schema.js";

/**
 * What the citizens' part needs of the outbox (reached through dispatch.service.ts): skipping
 * the messages still queued for a person who left, and counting what was sent to them or as
 * replies.
 */
type Db = Kysely<DB> | Transaction<DB>;

/**
 * Moves every message still queued for the subscriber (replies, and deliveries of broadcasts
 * already under way) to the final state "skipped", which the dispatcher never claims. Messages
 * already on the wire finish on their own. Returns how many were skipped.
 */
export async function skipQueuedMessagesTo(
  db: Db,
  input: { tenantId: string; subscriberId: number; now: number },
): Promise<number> {
  const result = await db
    .updateTable("outbound_messages")
    .set({ state: "skipped", error_reason: "recipient unsubscribed", updated_at: input.now })
    .where("tenant_id", "=", input.tenantId)
    .where("subscriber_id", "=", input.subscriberId)
    .where("state", "=", "queued")
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The messages sent (or queued) to one subscriber, by kind and state: for their data export. */
export async function messageCountsFor(
  db: Db,
  tenantId: string,
  subscriberId: number,
): Promise<{ kind: string; state: string; status: string | null; count: number }[]> {
  const rows = await db
    .selectFrom("outbound_messages")
    .select(["kind", "state", "status", (eb) => eb.fn.countAll<number>().as("n")])
    .where("tenant_id", "=", tenantId)
    .where("subscriber_id", "=", subscriberId)
    .groupBy(["kind", "state", "status"])
    .execute();
  return rows.map((r) => ({ kind: r.kind, state: r.state, status: r.status, count: Number(r.n) }));
}

/**
 * Replies (kind "reply") that left for WhatsApp between `fromMs` (inclusive) and `toMs`
 * (exclusive), by the time they were accepted, priced at the comune's utility rate: since
 * October 2026 Meta charges free-form replies like utility messages.
 */
export async function replyCounts(
  db: Db,
  tenantId: string,
  fromMs: number,
  toMs: number,
  price: { utility: number; currency: string },
): Promise<{ count: number; cost: number; currency: string }> {
  const row = await db
    .selectFrom("outbound_messages")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("tenant_id", "=", tenantId)
    .where("kind", "=", "reply")
    .where("state", "=", "accepted")
    .where("accepted_at", ">=", fromMs)
    .where("accepted_at", "<", toMs)
    .executeTakeFirst();
  const count = Number(row?.n ?? 0);
  // Rounded to a hundredth of a cent: sums of many small prices drift in binary floating point.
  const cost = Math.round(count * price.utility * 10_000) / 10_000;
  return { count, cost, currency: price.currency };
}

/**
 * Before the rows of people who never subscribed are deleted (their retention ended): their
 * outbound rows (the auto-replies) stay for the statistics, without the link to the person.
 */
export async function detachSubscribers(db: Db, subscriberIds: readonly number[]): Promise<void> {
  if (subscriberIds.length === 0) return;
  await db
    .updateTable("outbound_messages")
    .set({ subscriber_id: null })
    .where("subscriber_id", "in", [...subscriberIds])
    .execute();
}
