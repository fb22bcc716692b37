import {
  sql,
  type Kysely,
  type RawBuilder,
  type Selectable,
  type Updateable,
  type UpdateObject,
} from "kysely";
import { engineOf } from "../../platform/db/dialect.js";
import type { DB, Db, SubscribersTable, SubscriberStatus } from "../../platform/db/schema.js";
import {
  BACK,
  FIRST_SUBSCRIBER_STATUS,
  movesFrom,
  targetOf,
  type SubscriberMove,
} from "./subscriber-status.js";

/**
 * The subscriber rows: one person of one comune (see README.md). Rows leave this file as
 * `Subscriber` (camelCase, topics parsed); changes come in as `SubscriberChanges`, never with the
 * status, which only `updateSubscriberStatus` writes (subscriber-status.ts).
 */
export interface Subscriber {
  id: number;
  tenantId: string;
  /** Keyed hash of the identifier (subscriber-key.ts); null only on rows not yet backfilled. */
  subscriberKey: string | null;
  waId: string | null;
  userId: string | null;
  status: SubscriberStatus;
  firstName: string | null;
  lastName: string | null;
  profileName: string | null;
  /** The topic ids chosen; none means every topic. */
  topics: string[];
  locale: string | null;
  subscribedAt: number | null;
  unsubscribedAt: number | null;
  blockedAt: number | null;
  waBlockedAt: number | null;
  marketingStoppedAt: number | null;
  lastInboundAt: number | null;
  autoRepliedAt: number | null;
  autoRepliesInWindow: number | null;
  floodWindowStart: number | null;
  floodCount: number | null;
  flaggedAt: number | null;
  flagReason: string | null;
  pendingSince: number | null;
  pendingMessageId: string | null;
  pendingText: string | null;
  createdAt: number;
  updatedAt: number;
}

/** What a caller may change on a row; `updatedAt` is the caller's to set. */
export type SubscriberChanges = Partial<
  Omit<Subscriber, "id" | "tenantId" | "status" | "createdAt">
>;

/** What a withdrawn or lapsed request leaves: nothing of the name given with it. */
export const DROPPED_REQUEST = {
  firstName: null,
  lastName: null,
  profileName: null,
  pendingSince: null,
  pendingMessageId: null,
  pendingText: null,
} as const satisfies SubscriberChanges;

const COLUMNS = {
  subscriberKey: "subscriber_key",
  waId: "wa_id",
  userId: "user_id",
  firstName: "first_name",
  lastName: "last_name",
  profileName: "profile_name",
  topics: "topics",
  locale: "locale",
  subscribedAt: "subscribed_at",
  unsubscribedAt: "unsubscribed_at",
  blockedAt: "blocked_at",
  waBlockedAt: "wa_blocked_at",
  marketingStoppedAt: "marketing_stopped_at",
  lastInboundAt: "last_inbound_at",
  autoRepliedAt: "auto_replied_at",
  autoRepliesInWindow: "auto_replies_in_window",
  floodWindowStart: "flood_window_start",
  floodCount: "flood_count",
  flaggedAt: "flagged_at",
  flagReason: "flag_reason",
  pendingSince: "pending_since",
  pendingMessageId: "pending_message_id",
  pendingText: "pending_text",
  updatedAt: "updated_at",
} as const satisfies Record<keyof SubscriberChanges, keyof SubscribersTable>;

export function toSubscriber(row: Selectable<SubscribersTable>): Subscriber {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    subscriberKey: row.subscriber_key,
    waId: row.wa_id,
    userId: row.user_id,
    status: row.status,
    firstName: row.first_name,
    lastName: row.last_name,
    profileName: row.profile_name,
    topics: parseTopics(row.topics),
    locale: row.locale,
    subscribedAt: row.subscribed_at,
    unsubscribedAt: row.unsubscribed_at,
    blockedAt: row.blocked_at,
    waBlockedAt: row.wa_blocked_at,
    marketingStoppedAt: row.marketing_stopped_at,
    lastInboundAt: row.last_inbound_at,
    autoRepliedAt: row.auto_replied_at,
    autoRepliesInWindow: row.auto_replies_in_window,
    floodWindowStart: row.flood_window_start,
    floodCount: row.flood_count,
    flaggedAt: row.flagged_at,
    flagReason: row.flag_reason,
    pendingSince: row.pending_since,
    pendingMessageId: row.pending_message_id,
    pendingText: row.pending_text,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The stored topic list (JSON text); anything unreadable is no choice. */
export function parseTopics(json: string | null | undefined): string[] {
  try {
    const value: unknown = JSON.parse(json ?? "[]");
    return Array.isArray(value) ? value.filter((t): t is string => typeof t === "string") : [];
  } catch {
    return [];
  }
}

function columnsOf(changes: SubscriberChanges): Updateable<SubscribersTable> {
  const set: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    const column = COLUMNS[field as keyof SubscriberChanges];
    set[column] = field === "topics" ? JSON.stringify(value) : value;
  }
  return set;
}

/**
 * `lock`: in a PostgreSQL transaction, hold the row until commit, so two processes handling two
 * messages of the same person one after the other see each other's counters (auto-reply cap,
 * flood window). SQLite has one writer at a time anyway.
 */
export async function findSubscriberByKey(
  db: Db,
  tenantId: string,
  key: string,
  lock = false,
): Promise<Subscriber | undefined> {
  const row = await db
    .selectFrom("subscribers")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("subscriber_key", "=", key)
    .$if(lock && engineOf(db) === "postgres", (q) => q.forUpdate())
    .executeTakeFirst();
  return row && toSubscriber(row);
}

/** One person of one comune: a row of another comune is never found. */
export async function findSubscriber(
  db: Db,
  tenantId: string,
  id: number,
): Promise<Subscriber | undefined> {
  const row = await db
    .selectFrom("subscribers")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
  return row && toSubscriber(row);
}

/**
 * The person's row, created as a "contact" (bookkeeping only) on their first message. A row
 * written before the keyed hash existed is found by its number and gets its key now.
 */
export async function findOrCreateSubscriber(
  db: Db,
  input: { tenantId: string; key: string; waId: string | null; userId: string | null; now: number },
): Promise<Subscriber> {
  const found = await findSubscriberByKey(db, input.tenantId, input.key, db.isTransaction);
  if (found) return found;
  if (input.waId || input.userId) {
    const legacy = await db
      .selectFrom("subscribers")
      .selectAll()
      .where("tenant_id", "=", input.tenantId)
      .where("subscriber_key", "is", null)
      .where((eb) =>
        input.waId ? eb("wa_id", "=", input.waId) : eb("user_id", "=", input.userId ?? ""),
      )
      .executeTakeFirst();
    if (legacy) {
      await setSubscriberKey(db, legacy.id, input.key);
      return { ...toSubscriber(legacy), subscriberKey: input.key };
    }
  }
  const inserted = await db
    .insertInto("subscribers")
    .values({
      tenant_id: input.tenantId,
      subscriber_key: input.key,
      wa_id: input.waId,
      user_id: input.userId,
      status: FIRST_SUBSCRIBER_STATUS,
      first_name: null,
      last_name: null,
      profile_name: null,
      locale: null,
      subscribed_at: null,
      unsubscribed_at: null,
      blocked_at: null,
      last_inbound_at: null,
      created_at: input.now,
      updated_at: input.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toSubscriber(inserted);
}

/** Changes columns of one row; never its status (`updateSubscriberStatus`). */
export async function changeSubscriber(
  db: Db,
  id: number,
  changes: SubscriberChanges,
): Promise<void> {
  await db.updateTable("subscribers").set(columnsOf(changes)).where("id", "=", id).execute();
}

/** Which rows a status move applies to: one person, or (the purge) every request older than. */
export type StatusMoveTarget =
  | { move: SubscriberMove; id: number; tenantId: string }
  | { move: "expire"; pendingSinceBefore: number };

/**
 * The one write of `subscribers.status`: moves the row(s) by `move` of SUBSCRIBER_MOVES, only
 * from the states the table allows (`status IN (from)`), together with `changes` in the same
 * UPDATE (whose expressions all see the row as it was). Returns how many rows moved: 0 or 1 for
 * one person.
 */
export async function updateSubscriberStatus(
  db: Db,
  input: StatusMoveTarget & { now: number; changes?: SubscriberChanges },
): Promise<number> {
  const result = await db
    .updateTable("subscribers")
    .set({
      ...columnsOf(input.changes ?? {}),
      status: statusAfter(input.move),
      updated_at: input.now,
    })
    .where("status", "in", movesFrom(input.move))
    .$call((q) =>
      "id" in input
        ? q.where("id", "=", input.id).where("tenant_id", "=", input.tenantId)
        : q.where("pending_since", "<", input.pendingSinceBefore),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The target of `move` as SQL: a literal, or a CASE on the row's status and past. */
function statusAfter(move: SubscriberMove): RawBuilder<SubscriberStatus> {
  const back = sql<SubscriberStatus>`case when unsubscribed_at is null then ${sql.lit("contact")} else ${sql.lit("unsubscribed")} end`;
  const from = movesFrom(move);
  const target = (status: SubscriberStatus) => {
    const to = targetOf(move, status);
    return to === BACK || to === null ? back : sql<SubscriberStatus>`${sql.lit(to)}`;
  };
  const distinct = new Set(from.map((s) => targetOf(move, s)));
  if (distinct.size === 1) return target(from[0] ?? "contact");
  const whens = from.map((s) => sql`when status = ${sql.lit(s)} then ${target(s)}`);
  return sql<SubscriberStatus>`case ${sql.join(whens, sql` `)} end`;
}

/** Whose block one of the writes below changes: a person of the comune, at `now`. */
interface BlockWrite {
  tenantId: string;
  id: number;
  now: number;
}

/** The block's writes: its columns of one row; false when no row (or no blocked row) matched. */
async function writeBlock(
  db: Db,
  input: BlockWrite,
  columns: Pick<UpdateObject<DB, "subscribers">, "blocked_at" | "wa_blocked_at">,
  only: { whileBlocked: boolean },
): Promise<boolean> {
  const result = await db
    .updateTable("subscribers")
    .set({ ...columns, updated_at: input.now })
    .where("tenant_id", "=", input.tenantId)
    .where("id", "=", input.id)
    .$if(only.whileBlocked, (q) => q.where("blocked_at", "is not", null))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Sets the block (keeping the first instant when already blocked); false if the row is gone. */
export function setBlocked(db: Db, input: BlockWrite): Promise<boolean> {
  const blockedAt = sql<number>`coalesce(blocked_at, ${input.now})`;
  return writeBlock(db, input, { blocked_at: blockedAt }, { whileBlocked: false });
}

/** Records that WhatsApp applied the block, only if the person is still blocked. */
export function setBlockedOnWhatsApp(db: Db, input: BlockWrite): Promise<boolean> {
  return writeBlock(db, input, { wa_blocked_at: input.now }, { whileBlocked: true });
}

/** Lifts the block here and the record of it on WhatsApp. */
export function clearBlock(db: Db, input: BlockWrite): Promise<boolean> {
  return writeBlock(db, input, { blocked_at: null, wa_blocked_at: null }, { whileBlocked: true });
}

/** Up to `limit` rows without a keyed hash that can get one (a number or a user id). */
export function subscribersWithoutKey(
  db: Kysely<DB>,
  limit: number,
): Promise<{ id: number; tenantId: string; waId: string | null; userId: string | null }[]> {
  return db
    .selectFrom("subscribers")
    .select(["id", "tenant_id as tenantId", "wa_id as waId", "user_id as userId"])
    .where("subscriber_key", "is", null)
    .where((eb) => eb.or([eb("wa_id", "is not", null), eb("user_id", "is not", null)]))
    .orderBy("id")
    .limit(limit)
    .execute();
}

export async function setSubscriberKey(db: Db, id: number, key: string): Promise<void> {
  await db.updateTable("subscribers").set({ subscriber_key: key }).where("id", "=", id).execute();
}

/** Active people of the comune who pressed Meta's stop button (the statistics). */
export async function countMarketingStopped(db: Db, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom("subscribers")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("tenant_id", "=", tenantId)
    .where("status", "=", "active")
    .where("marketing_stopped_at", "is not", null)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Active, unblocked subscribers by their stored topic list and whether they wrote within
 * `windowStart` (their 24-hour window is open). Distinct lists are few: the caller sums them.
 */
export async function countReachableByTopicList(
  db: Db,
  tenantId: string,
  windowStart: number,
): Promise<{ topics: string[]; inWindow: boolean; count: number }[]> {
  const rows = await db
    .selectFrom("subscribers")
    .where("tenant_id", "=", tenantId)
    .where("status", "=", "active")
    .where("blocked_at", "is", null)
    .where((w) => w.or([w("wa_id", "is not", null), w("user_id", "is not", null)]))
    .select((s) => [
      "topics",
      s.case().when("last_inbound_at", ">", windowStart).then(1).else(0).end().as("in_window"),
      sql<number>`count(*)`.as("count"),
    ])
    .groupBy(["topics", "in_window"])
    .execute();
  return rows.map((r) => ({
    topics: parseTopics(r.topics),
    inWindow: Number(r.in_window) === 1,
    count: Number(r.count),
  }));
}
