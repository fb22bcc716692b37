import type { Kysely } from "kysely";
import type { DB } from "../../platform/db/schema.js";
import { messagingLimitOf } from "./outbound.repository.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * How a broadcast fits in Meta's messaging-limit tier: how many of its remaining deliveries can
 * go out now, and when capacity frees up for the rest (recipients reached count for 24 hours).
 */
export interface BroadcastPlan {
  /** Unique recipients per rolling 24 hours; null when unlimited (or not known). */
  tierLimit: number | null;
  /** Reached in the last 24 hours by this number's tier-spending messages. */
  spentLast24h: number;
  /** Deliveries of this broadcast not yet sent that spend the tier. */
  remainingTierDeliveries: number;
  /** How many of those can go now. */
  sendableNow: number;
  /** When the oldest reach within the window expires (more capacity), if anything waits. */
  nextCapacityAt: number | null;
  /** Days (24-hour windows) the remaining deliveries need at the current limit, this one included. */
  days: number;
}

export async function broadcastPlan(
  db: Kysely<DB>,
  input: {
    broadcastId: number;
    senderNumberIds: readonly number[];
    senderNumberId: number;
    now: number;
  },
): Promise<BroadcastPlan> {
  const { broadcastId, senderNumberIds, senderNumberId, now } = input;
  const since = now - DAY_MS;
  const tierLimit = await messagingLimitOf(db, senderNumberId);
  const spent = await db
    .selectFrom("outbound_messages")
    .select((eb) => [
      eb.fn.count<number>("recipient").distinct().as("n"),
      eb.fn.min("accepted_at").as("oldest"),
    ])
    .where("sender_number_id", "in", [...senderNumberIds])
    .where("spends_tier", "=", 1)
    .where("accepted_at", ">", since)
    .executeTakeFirstOrThrow();
  const remaining = await db
    .selectFrom("outbound_messages")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("broadcast_id", "=", broadcastId)
    .where("spends_tier", "=", 1)
    .where("state", "in", ["queued", "in_flight"])
    .executeTakeFirstOrThrow();
  const spentLast24h = Number(spent.n);
  const remainingTierDeliveries = Number(remaining.n);
  if (tierLimit === null) {
    return {
      tierLimit,
      spentLast24h,
      remainingTierDeliveries,
      sendableNow: remainingTierDeliveries,
      nextCapacityAt: null,
      days: remainingTierDeliveries > 0 ? 1 : 0,
    };
  }
  const left = Math.max(0, tierLimit - spentLast24h);
  const sendableNow = Math.min(left, remainingTierDeliveries);
  const waiting = remainingTierDeliveries - sendableNow;
  return {
    tierLimit,
    spentLast24h,
    remainingTierDeliveries,
    sendableNow,
    nextCapacityAt: waiting > 0 && spent.oldest !== null ? Number(spent.oldest) + DAY_MS : null,
    days: remainingTierDeliveries === 0 ? 0 : 1 + Math.ceil(waiting / tierLimit),
  };
}
