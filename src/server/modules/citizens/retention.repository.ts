import type { Db } from "../../platform/db/schema.js";
import { DAY_MS } from "./citizens.repository.js";

/**
 * The retention purge's queries on subscriber rows (README.md, "Data kept"): who may be
 * forgotten, and forgetting them. The lapse of a pending request is a status move
 * (`updateSubscriberStatus` with "expire").
 */

/**
 * The retention of people who never subscribed ("contact" rows): their number is kept only while
 * the bookkeeping needs it, i.e. for 24 hours after their last message (the auto-reply cap and
 * the flood rule look no further back), unless staff must act on them (blocked, flagged) or the
 * moderation inbox still keeps their messages. Returns the ids whose rows may go; the caller
 * detaches outbound rows first.
 */
export async function idleContactIds(db: Db, now: number): Promise<number[]> {
  const rows = await db
    .selectFrom("subscribers as s")
    .select("s.id")
    .where("s.status", "=", "contact")
    .where((eb) =>
      eb.or([eb("s.last_inbound_at", "is", null), eb("s.last_inbound_at", "<", now - DAY_MS)]),
    )
    .where("s.blocked_at", "is", null)
    .where("s.flagged_at", "is", null)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom("moderation_messages as m")
            .select("m.id")
            .whereRef("m.tenant_id", "=", "s.tenant_id")
            .whereRef("m.subscriber_key", "=", "s.subscriber_key"),
        ),
      ),
    )
    .limit(1000)
    .execute();
  return rows.map((r) => r.id);
}

export async function deleteSubscribers(db: Db, ids: readonly number[]): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db
    .deleteFrom("subscribers")
    .where("id", "in", [...ids])
    .where("status", "=", "contact")
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * The numbers of people who left (and are not blocked or flagged) and wrote again: kept only
 * while the bookkeeping needs them (24 hours after their last message), then erased again
 * (`forgetNumbers`). Returns up to 1000 ids.
 */
export async function idleNumberIds(db: Db, now: number): Promise<number[]> {
  const rows = await db
    .selectFrom("subscribers")
    .select("id")
    .where("status", "=", "unsubscribed")
    .where("blocked_at", "is", null)
    .where("flagged_at", "is", null)
    .where((eb) => eb.or([eb("wa_id", "is not", null), eb("user_id", "is not", null)]))
    .where((eb) =>
      eb.or([eb("last_inbound_at", "is", null), eb("last_inbound_at", "<", now - DAY_MS)]),
    )
    .limit(1000)
    .execute();
  return rows.map((r) => r.id);
}

export async function forgetNumbers(db: Db, ids: readonly number[], now: number): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db
    .updateTable("subscribers")
    .set({ wa_id: null, user_id: null, profile_name: null, updated_at: now })
    .where("id", "in", [...ids])
    .where("status", "=", "unsubscribed")
    .where("blocked_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The comune and keyed hash of each row. */
export function keysOfSubscribers(
  db: Db,
  ids: readonly number[],
): Promise<{ id: number; tenantId: string; subscriberKey: string | null }[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .selectFrom("subscribers")
    .select(["id", "tenant_id as tenantId", "subscriber_key as subscriberKey"])
    .where("id", "in", [...ids])
    .execute();
}
