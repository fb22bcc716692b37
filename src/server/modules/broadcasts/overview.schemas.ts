import { z } from "zod";
import { reportOut } from "./report.schemas.js";

/** The dashboard's answer (overview.service.ts), for the OpenAPI document and the service's type. */

const count = z.number().int().nonnegative();
const share = z.number().min(0).max(1).nullable();

/** One of the latest broadcasts: its report's heading with the counts the dashboard lists. */
const recentBroadcast = reportOut.shape.broadcast.extend({
  /** Deliveries of the broadcast (one per person reached). */
  recipients: count,
  delivered: count,
  read: count,
  failed: count,
  /** delivered ÷ deliveries meant to go (not skipped or cancelled), 0 to 1; null for none. */
  deliveredRate: share,
  /** read ÷ delivered, 0 to 1; null while nothing is delivered (the report's). */
  readRate: share,
});

export const overviewOut = z.object({
  tenant: z.string(),
  timeZone: z.string(),
  generatedAt: z.string(),
  recentBroadcasts: z.array(recentBroadcast),
  /** The comune's calendar month so far, `from` its first day and `to` today. */
  month: z.object({
    from: z.string(),
    to: z.string(),
    /** Broadcasts that started sending this month. */
    broadcasts: count,
    /** Their messages WhatsApp accepted. */
    broadcastMessages: count,
    /** Automatic replies accepted this month. */
    replies: count,
    messages: count,
    currency: z.string(),
    /** What Meta's statuses say they cost, those not priced yet at the comune's rates. */
    costMicros: count,
    cost: z.object({ it: z.string(), en: z.string() }),
  }),
  /** Meta's messaging limit: unique people reachable with templates in a rolling day. */
  messagingLimit: z.object({
    /** null: unlimited or not known yet. */
    limit: count.nullable(),
    spentToday: count,
    left: count.nullable(),
  }),
});
