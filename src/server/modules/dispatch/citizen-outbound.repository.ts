import type { Selectable } from "kysely";
import type { Db, OutboundMessagesTable } from "../../platform/db/schema.js";
import { chargesOf, type Charges, type PriceList } from "./message-charges.js";

/**
 * What the citizens' part needs of the outbox (reached through dispatch.service.ts): skipping
 * the messages still queued for a person who left, and counting what was sent to them or as
 * replies.
 */

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
 * (exclusive), by the time they were accepted, counted by the pricing their status webhooks
 * gave (one grouped query) and priced as message-charges.ts says: what Meta said it charges, at
 * the comune's rate for the category; a reply not priced yet at the service rate (since
 * October 2026 Meta charges free-form replies).
 */
export async function replyCharges(
  db: Db,
  tenantId: string,
  fromMs: number,
  toMs: number,
  prices: PriceList,
): Promise<Charges> {
  const rows = await db
    .selectFrom("outbound_messages")
    .select(["pricing_type", "pricing_category", (eb) => eb.fn.countAll<number>().as("n")])
    .where("tenant_id", "=", tenantId)
    .where("kind", "=", "reply")
    .where("state", "=", "accepted")
    .where("accepted_at", ">=", fromMs)
    .where("accepted_at", "<", toMs)
    .groupBy(["pricing_type", "pricing_category"])
    .execute();
  const counts = rows.map((r) => ({
    type: r.pricing_type,
    category: r.pricing_category,
    count: Number(r.n),
  }));
  return chargesOf(counts, prices, "service");
}

/**
 * The same count and cost for callers that know only the utility rate (and the currency): the
 * rates not given are taken to be the utility rate, Meta's rate for every category but
 * marketing in Italy.
 */
export async function replyCounts(
  db: Db,
  tenantId: string,
  fromMs: number,
  toMs: number,
  price: { utility: number; currency: string } & Partial<PriceList>,
): Promise<{ count: number; cost: number; currency: string }> {
  const { utility } = price;
  const charges = await replyCharges(db, tenantId, fromMs, toMs, {
    marketing: utility,
    authentication: utility,
    service: utility,
    ...price,
  });
  return { count: charges.messages, cost: charges.cost, currency: charges.currency };
}

/**
 * Before the rows of people who never subscribed are deleted (their retention ended): their
 * outbound rows (the auto-replies) stay for the statistics, without the link to the person.
 */
export async function detachSubscribers(db: Db, subscriberIds: readonly number[]): Promise<void> {
  if (subscriberIds.length === 0) return;
  await db
    .updateTable("outbound_messages")
    // Out of the claim cursor's reach (it walks subscriber ids): a row still queued is claimed
    // through the claim index.
    .set({ subscriber_id: null, in_sequence: 0 })
    .where("subscriber_id", "in", [...subscriberIds])
    .execute();
}

/** A sent (or queued) message of one person, as erasure needs to see it. */
export interface OutboundTrace {
  id: number;
  tenantId: string;
  kind: string;
  state: string;
  waMessageId: string | null;
  /** Set when the row waits for an outcome before its recipient becomes this pseudonym. */
  pseudonym: string | null;
}

/** The columns an `OutboundTrace` is read from. */
const TRACE_COLUMNS = ["id", "tenant_id", "kind", "state", "wa_message_id", "pseudonym"] as const;

/**
 * The person's rows whose recipient is not yet `pseudonym`: what erasing (or forgetting) them
 * still has to rewrite. Found by subscriber_id (indexed with the broadcast's unique pair).
 */
export async function outboundTracesOf(
  db: Db,
  input: { tenantId: string; subscriberId: number; pseudonym: string },
): Promise<OutboundTrace[]> {
  const rows = await db
    .selectFrom("outbound_messages")
    .select(TRACE_COLUMNS)
    .where("tenant_id", "=", input.tenantId)
    .where("subscriber_id", "=", input.subscriberId)
    .where("recipient", "<>", input.pseudonym)
    .orderBy("id")
    .execute();
  return rows.map(traceOf);
}

/**
 * Rows still on their way (queued, in flight) to a person whose number must go: they keep the
 * number until the dispatcher has an outcome for them, then `pseudonymiseOutboundMessage` puts
 * `pseudonym` in its place (see the citizens README, "Erasure"). Returns how many were marked.
 */
export async function pseudonymiseAfterOutcome(
  db: Db,
  input: { tenantId: string; subscriberId: number; pseudonym: string },
): Promise<number> {
  const result = await db
    .updateTable("outbound_messages")
    .set({ pseudonym: input.pseudonym })
    .where("tenant_id", "=", input.tenantId)
    .where("subscriber_id", "=", input.subscriberId)
    .where("state", "in", ["queued", "in_flight"])
    .where("recipient", "<>", input.pseudonym)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Rows marked by `pseudonymiseAfterOutcome`, oldest first (the partial index of migration 0008). */
export async function outboundAwaitingPseudonym(db: Db, limit: number): Promise<OutboundTrace[]> {
  const rows = await db
    .selectFrom("outbound_messages")
    .select(TRACE_COLUMNS)
    .where("pseudonym", "is not", null)
    .orderBy("id")
    .limit(limit)
    .execute();
  return rows.map(traceOf);
}

/**
 * One row's personal data replaced: the recipient by the person's pseudonym, the message id by
 * its pseudonym, the payload (a reply's text, which may greet them by name) dropped; a row still
 * queued is skipped, so nothing is ever sent to a pseudonym. Only a row whose recipient is not
 * the pseudonym already, and never one on the wire (its outcome is still to be written).
 */
export async function pseudonymiseOutboundMessage(
  db: Db,
  input: { id: number; recipient: string; waMessageId: string | null; now: number },
): Promise<boolean> {
  const result = await db
    .updateTable("outbound_messages")
    .set((eb) => ({
      recipient: input.recipient,
      wa_message_id: input.waMessageId,
      payload: null,
      pseudonym: null,
      state: eb.case().when("state", "=", "queued").then("skipped").else(eb.ref("state")).end(),
      updated_at: input.now,
    }))
    .where("id", "=", input.id)
    .where("state", "<>", "in_flight")
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Whether a status webhook concerns an erased person's message: the row that carries its
 * message id's pseudonym, or the row its callback data names once its recipient is a
 * pseudonym or waits for one. The second covers a status of an earlier attempt of the row
 * (sent again after a timeout or a failure): the row carries the last attempt's id only.
 */
export async function outboundRowOfErasedPerson(
  db: Db,
  input: { tenantId: string; messageKey: string; rowId: number | undefined },
): Promise<boolean> {
  const row = await db
    .selectFrom("outbound_messages")
    .select("id")
    .where("tenant_id", "=", input.tenantId)
    .where((eb) =>
      input.rowId === undefined
        ? eb("wa_message_id", "=", input.messageKey)
        : eb.or([
            eb("wa_message_id", "=", input.messageKey),
            eb.and([
              eb("id", "=", input.rowId),
              eb.or([eb("recipient", "like", "key:%"), eb("pseudonym", "is not", null)]),
            ]),
          ]),
    )
    .executeTakeFirst();
  return row !== undefined;
}

function traceOf(
  r: Pick<Selectable<OutboundMessagesTable>, (typeof TRACE_COLUMNS)[number]>,
): OutboundTrace {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    kind: r.kind,
    state: r.state,
    waMessageId: r.wa_message_id,
    pseudonym: r.pseudonym,
  };
}
