import { sql, type Kysely, type Transaction } from "kysely";
import type { DB } from "../../platform/db/schema.js";
import type { SubscriberRow } from "./citizens.repository.js";

/** The subscriber rows and moderation inbox as the admin API reads and changes them. */
type Db = Kysely<DB> | Transaction<DB>;
export { findSubscriberByKey, type SubscriberRow } from "./citizens.repository.js";

/** One person of one comune: a row of another comune is never found. */
export function findSubscriber(
  db: Db,
  tenantId: string,
  id: number,
): Promise<SubscriberRow | undefined> {
  return db
    .selectFrom("subscribers")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
}

/** Sets the block (keeping the first instant when already blocked); false if the row is gone. */
export async function setBlocked(
  db: Db,
  input: { tenantId: string; id: number; now: number },
): Promise<boolean> {
  const result = await db
    .updateTable("subscribers")
    .set({ blocked_at: sql<number>`coalesce(blocked_at, ${input.now})`, updated_at: input.now })
    .where("tenant_id", "=", input.tenantId)
    .where("id", "=", input.id)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Records that WhatsApp applied the block, only if the person is still blocked. */
export async function setBlockedOnWhatsApp(
  db: Db,
  input: { tenantId: string; id: number; now: number },
): Promise<boolean> {
  const result = await db
    .updateTable("subscribers")
    .set({ wa_blocked_at: input.now, updated_at: input.now })
    .where("tenant_id", "=", input.tenantId)
    .where("id", "=", input.id)
    .where("blocked_at", "is not", null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Lifts the block here and the record of it on WhatsApp. */
export async function clearBlock(
  db: Db,
  input: { tenantId: string; id: number; now: number },
): Promise<boolean> {
  const result = await db
    .updateTable("subscribers")
    .set({ blocked_at: null, wa_blocked_at: null, updated_at: input.now })
    .where("tenant_id", "=", input.tenantId)
    .where("id", "=", input.id)
    .where("blocked_at", "is not", null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export interface FlaggedRow {
  row: SubscriberRow;
  flaggedMessages: number;
  lastFlaggedMessageAt: number | null;
}

/**
 * People to review: flagged themselves (flood rule, staff) or with flagged messages in the
 * moderation inbox. Newest first, at most `limit`.
 */
export async function listFlagged(db: Db, tenantId: string, limit: number): Promise<FlaggedRow[]> {
  const flaggedMessages = db
    .selectFrom("moderation_messages")
    .where("tenant_id", "=", tenantId)
    .where("flagged_at", "is not", null)
    .select([
      "subscriber_key",
      sql<number>`count(*)`.as("n"),
      sql<number>`max(flagged_at)`.as("last_flagged_at"),
    ])
    .groupBy("subscriber_key");
  const rows = await db
    .selectFrom("subscribers as s")
    .leftJoin(flaggedMessages.as("m"), "m.subscriber_key", "s.subscriber_key")
    .where("s.tenant_id", "=", tenantId)
    .where((eb) => eb.or([eb("s.flagged_at", "is not", null), eb("m.n", ">", 0)]))
    .selectAll("s")
    .select(["m.n as flagged_messages", "m.last_flagged_at"])
    .orderBy(sql`coalesce(s.flagged_at, m.last_flagged_at)`, "desc")
    .orderBy("s.id", "desc")
    .limit(limit)
    .execute();
  return rows.map(({ flagged_messages, last_flagged_at, ...row }) => ({
    row,
    flaggedMessages: Number(flagged_messages ?? 0),
    lastFlaggedMessageAt: last_flagged_at === null ? null : Number(last_flagged_at),
  }));
}

export interface ReportMessageRow {
  id: number;
  subscriber_id: number | null;
  wa_id: string | null;
  user_id: string | null;
  inbound_message_id: string;
  type: string;
  text: string | null;
  media_id: string | null;
  received_at: number;
  flagged_at: number | null;
  sender_flagged_at: number | null;
  flag_reason: string | null;
}

/**
 * The moderation inbox for the report to the authorities, oldest first. For one person: every
 * message kept from them (the staff chose to report that person). For everyone: flagged
 * messages, and every kept message of a flagged person.
 */
export function listReportMessages(
  db: Db,
  tenantId: string,
  subscriberKey: string | undefined,
): Promise<ReportMessageRow[]> {
  let query = db
    .selectFrom("moderation_messages as m")
    .leftJoin("subscribers as s", (join) =>
      join.onRef("s.subscriber_key", "=", "m.subscriber_key").on("s.tenant_id", "=", tenantId),
    )
    .where("m.tenant_id", "=", tenantId)
    .select([
      "m.id",
      "s.id as subscriber_id",
      "s.wa_id",
      "s.user_id",
      "m.inbound_message_id",
      "m.type",
      "m.text",
      "m.media_id",
      "m.received_at",
      "m.flagged_at",
      "s.flagged_at as sender_flagged_at",
      "s.flag_reason",
    ]);
  query =
    subscriberKey === undefined
      ? query.where((eb) =>
          eb.or([eb("m.flagged_at", "is not", null), eb("s.flagged_at", "is not", null)]),
        )
      : query.where("m.subscriber_key", "=", subscriberKey);
  return query.orderBy("m.received_at").orderBy("m.id").execute();
}
