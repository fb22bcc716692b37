import type { Kysely } from "kysely";
import type { DB } from "../../platform/db/schema.js";
import { remainingTierDeliveriesOf } from "./broadcast-delivery.repository.js";
import { tierSpendSince } from "./outbound.repository.js";
import { messagingLimitOf } from "./sender-numbers.repository.js";

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
  const spent = await tierSpendSince(db, senderNumberIds, since);
  const spentLast24h = spent.recipients;
  const remainingTierDeliveries = await remainingTierDeliveriesOf(db, broadcastId);
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
    nextCapacityAt: waiting > 0 && spent.oldestAt !== null ? spent.oldestAt + DAY_MS : null,
    days: remainingTierDeliveries === 0 ? 0 : 1 + Math.ceil(waiting / tierLimit),
  };
}
