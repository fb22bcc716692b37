import { sql, type Kysely } from "kysely";
import type { DB } from "../../../platform/db/schema.js";
import { parseTopics } from "../citizens.repository.js";

/**
 * The queries behind the admin statistics: counts only, never a person. Each is one grouped
 * query per comune, so the cost does not grow with what is returned.
 */

export interface StateCounts {
  active: number;
  pendingConfirmation: number;
  unsubscribed: number;
  /** People who wrote without ever subscribing (kept for auto-reply, flood and block only). */
  contacts: number;
  blocked: number;
  blockPendingOnWhatsApp: number;
  marketingStopped: number;
  flagged: number;
}

/** Counts by subscription state; blocked, flagged and marketing-stopped cut across states. */
export async function countSubscriberStates(
  db: Kysely<DB>,
  tenantId: string,
): Promise<StateCounts> {
  const count = (condition: ReturnType<typeof sql<boolean>>) =>
    sql<number>`coalesce(sum(case when ${condition} then 1 else 0 end), 0)`;
  const row = await db
    .selectFrom("subscribers")
    .where("tenant_id", "=", tenantId)
    .select([
      count(sql`status = 'active' and blocked_at is null`).as("active"),
      count(sql`status = 'pending' and blocked_at is null`).as("pending"),
      count(sql`status = 'unsubscribed' and blocked_at is null`).as("unsubscribed"),
      count(sql`status = 'contact' and blocked_at is null`).as("contacts"),
      count(sql`blocked_at is not null`).as("blocked"),
      count(sql`blocked_at is not null and wa_blocked_at is null`).as("block_pending"),
      count(sql`status = 'active' and blocked_at is null and marketing_stopped_at is not null`).as(
        "marketing_stopped",
      ),
      count(sql`flagged_at is not null`).as("flagged"),
    ])
    .executeTakeFirstOrThrow();
  return {
    active: Number(row.active),
    pendingConfirmation: Number(row.pending),
    unsubscribed: Number(row.unsubscribed),
    contacts: Number(row.contacts),
    blocked: Number(row.blocked),
    blockPendingOnWhatsApp: Number(row.block_pending),
    marketingStopped: Number(row.marketing_stopped),
    flagged: Number(row.flagged),
  };
}

/**
 * Active, unblocked subscribers by their stored topic list. Distinct lists are few (people choose
 * among a handful of topics), so the caller sums them per topic.
 */
export async function countActiveByTopicList(
  db: Kysely<DB>,
  tenantId: string,
): Promise<{ topics: string[]; count: number }[]> {
  const rows = await db
    .selectFrom("subscribers")
    .where("tenant_id", "=", tenantId)
    .where("status", "=", "active")
    .where("blocked_at", "is", null)
    .select(["topics", sql<number>`count(*)`.as("count")])
    .groupBy("topics")
    .execute();
  return rows.map((r) => ({ topics: parseTopics(r.topics), count: Number(r.count) }));
}

/** The width of the ledger buckets: every real time zone's offset is a multiple of 15 minutes. */
export const BUCKET_MS = 15 * 60_000;

/**
 * Consent-ledger entries per action and 15-minute bucket in [fromMs, toMs): the caller folds the
 * buckets into local days, which no SQL common to both engines can do.
 */
export async function countLedgerByBucket(
  db: Kysely<DB>,
  tenantId: string,
  fromMs: number,
  toMs: number,
): Promise<{ bucket: number; action: string; count: number }[]> {
  const bucket = sql<number>`(created_at / ${sql.lit(BUCKET_MS)})`;
  const rows = await db
    .selectFrom("consent_events")
    .where("tenant_id", "=", tenantId)
    .where("created_at", ">=", fromMs)
    .where("created_at", "<", toMs)
    .select([bucket.as("bucket"), "action", sql<number>`count(*)`.as("count")])
    .groupBy([bucket, "action"])
    .execute();
  return rows.map((r) => ({ bucket: Number(r.bucket), action: r.action, count: Number(r.count) }));
}
