import { sql } from "kysely";
import type { Db } from "../../../platform/db/schema.js";
import { toSubscriber, type Subscriber } from "../citizens.repository.js";

/** The moderation inbox as the admin API reads it: the people to review, the report. */

export interface FlaggedRow {
  subscriber: Subscriber;
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
    subscriber: toSubscriber(row),
    flaggedMessages: Number(flagged_messages ?? 0),
    lastFlaggedMessageAt: last_flagged_at === null ? null : Number(last_flagged_at),
  }));
}

/** The comune's kept messages, each with its sender's subscriber row where there is one. */
function inboxWithSenders(db: Db, tenantId: string) {
  return db
    .selectFrom("moderation_messages as m")
    .leftJoin("subscribers as s", (join) =>
      join.onRef("s.subscriber_key", "=", "m.subscriber_key").on("s.tenant_id", "=", tenantId),
    )
    .where("m.tenant_id", "=", tenantId);
}

/** `KeptMessage`'s columns: the message, its sender, and whether either is flagged and why. */
const KEPT_COLUMNS = [
  "m.id",
  "s.id as subscriberId",
  "s.wa_id as waId",
  "m.type",
  "m.text",
  "m.media_id as mediaId",
  "m.received_at as receivedAt",
  "m.flagged_at as flaggedAt",
  "s.flagged_at as senderFlaggedAt",
  "s.flag_reason as flagReason",
] as const;

/** What both the report and the inbox tell of a kept message and its sender. */
interface KeptMessage {
  id: number;
  subscriberId: number | null;
  waId: string | null;
  type: string;
  text: string | null;
  mediaId: string | null;
  receivedAt: number;
  flaggedAt: number | null;
  senderFlaggedAt: number | null;
  flagReason: string | null;
}

export interface ReportMessage extends KeptMessage {
  userId: string | null;
  inboundMessageId: string;
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
): Promise<ReportMessage[]> {
  let query = inboxWithSenders(db, tenantId)
    .select(KEPT_COLUMNS)
    .select(["s.user_id as userId", "m.inbound_message_id as inboundMessageId"]);
  query =
    subscriberKey === undefined
      ? query.where((eb) =>
          eb.or([eb("m.flagged_at", "is not", null), eb("s.flagged_at", "is not", null)]),
        )
      : query.where("m.subscriber_key", "=", subscriberKey);
  return query.orderBy("m.received_at").orderBy("m.id").execute();
}

export interface InboxMessage extends KeptMessage {
  purgeAfter: number;
}

/** The moderation inbox as the staff read it: every kept message, newest first, before an id. */
export async function listInboxMessages(
  db: Db,
  tenantId: string,
  page: { before?: number | undefined; limit: number },
): Promise<InboxMessage[]> {
  let query = inboxWithSenders(db, tenantId)
    .select(KEPT_COLUMNS)
    .select("m.purge_after as purgeAfter")
    .orderBy("m.id", "desc")
    .limit(page.limit);
  if (page.before !== undefined) query = query.where("m.id", "<", page.before);
  const rows = await query.execute();
  return rows.map((r) => ({
    ...r,
    id: Number(r.id),
    subscriberId: r.subscriberId === null ? null : Number(r.subscriberId),
    receivedAt: Number(r.receivedAt),
    purgeAfter: Number(r.purgeAfter),
    flaggedAt: r.flaggedAt === null ? null : Number(r.flaggedAt),
    senderFlaggedAt: r.senderFlaggedAt === null ? null : Number(r.senderFlaggedAt),
  }));
}

/** How the staff's list filters people: a subscription state, or blocked (across states). */
export const LIST_STATUSES = ["active", "pending", "unsubscribed", "contact", "blocked"] as const;
export type ListStatus = (typeof LIST_STATUSES)[number];

export interface ListFilter {
  /** As the statistics count them: a state leaves out blocked people, "blocked" is every one. */
  status?: ListStatus;
  /** People who receive this topic: who chose it, and who chose none (they receive all). */
  topic?: string;
  /** Paging: rows with a smaller id (newest first). */
  before?: number;
  limit: number;
}

/** `topic` as a LIKE pattern matching it quoted inside the stored JSON list, wildcards escaped. */
const topicPattern = (topic: string) => `%${JSON.stringify(topic).replace(/[\\%_]/g, "\\$&")}%`;

/**
 * A comune's people, newest first, for the staff's list. Rows that identify nobody any more
 * (erased: no number, no user id) are left out: they are bookkeeping, not people.
 */
export async function listSubscribersOf(
  db: Db,
  tenantId: string,
  filter: ListFilter,
): Promise<Subscriber[]> {
  const { status, topic, before } = filter;
  const rows = await db
    .selectFrom("subscribers")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where((eb) => eb.or([eb("wa_id", "is not", null), eb("user_id", "is not", null)]))
    .$if(status === "blocked", (q) => q.where("blocked_at", "is not", null))
    .$if(status !== undefined && status !== "blocked", (q) =>
      q
        .where("status", "=", status as Exclude<ListStatus, "blocked">)
        .where("blocked_at", "is", null),
    )
    .$if(topic !== undefined, (q) =>
      q.where((eb) =>
        eb.or([
          eb("topics", "=", "[]"),
          sql<boolean>`topics like ${topicPattern(topic ?? "")} escape '\\'`,
        ]),
      ),
    )
    .$if(before !== undefined, (q) => q.where("id", "<", before ?? 0))
    .orderBy("id", "desc")
    .limit(filter.limit)
    .execute();
  return rows.map(toSubscriber);
}
