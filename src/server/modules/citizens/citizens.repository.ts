import { sql, type Kysely, type Selectable, type Transaction, type Updateable } from "kysely";
import { engineOf } from "../../platform/db/dialect.js";
import type { DB, SubscribersTable } from "../../platform/db/schema.js";
import { identifierOf } from "./identity.js";
import { subscriberKey } from "./subscriber-key.js";

type Db = Kysely<DB> | Transaction<DB>;
export type SubscriberRow = Selectable<SubscribersTable>;

/**
 * `lock`: in a PostgreSQL transaction, hold the row until commit, so two processes handling two
 * messages of the same person one after the other see each other's counters (auto-reply cap,
 * flood window). SQLite has one writer at a time anyway.
 */
export function findSubscriberByKey(
  db: Db,
  tenantId: string,
  key: string,
  lock = false,
): Promise<SubscriberRow | undefined> {
  return db
    .selectFrom("subscribers")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("subscriber_key", "=", key)
    .$if(lock && engineOf(db) === "postgres", (q) => q.forUpdate())
    .executeTakeFirst();
}

/**
 * The person's row, created as a "contact" (bookkeeping only) on their first message. A row
 * written before the keyed hash existed is found by its number and gets its key now.
 */
export async function findOrCreateSubscriber(
  db: Db,
  input: { tenantId: string; key: string; waId: string | null; userId: string | null; now: number },
): Promise<SubscriberRow> {
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
      await db
        .updateTable("subscribers")
        .set({ subscriber_key: input.key })
        .where("id", "=", legacy.id)
        .execute();
      return { ...legacy, subscriber_key: input.key };
    }
  }
  const inserted = await db
    .insertInto("subscribers")
    .values({
      tenant_id: input.tenantId,
      subscriber_key: input.key,
      wa_id: input.waId,
      user_id: input.userId,
      status: "contact",
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
  return inserted;
}

export async function updateSubscriber(
  db: Db,
  id: number,
  set: Updateable<SubscribersTable>,
): Promise<void> {
  await db.updateTable("subscribers").set(set).where("id", "=", id).execute();
}

/**
 * Start-up: gives every row written without a keyed hash (before migration 0005, or by code that
 * does not know the secret) its key. Rows with neither number nor user id cannot get one.
 */
export async function backfillSubscriberKeys(db: Kysely<DB>, secret: string): Promise<number> {
  let done = 0;
  for (;;) {
    const rows = await db
      .selectFrom("subscribers")
      .select(["id", "tenant_id", "wa_id", "user_id"])
      .where("subscriber_key", "is", null)
      .where((eb) => eb.or([eb("wa_id", "is not", null), eb("user_id", "is not", null)]))
      .orderBy("id")
      .limit(500)
      .execute();
    if (rows.length === 0) return done;
    await db.transaction().execute(async (trx) => {
      for (const r of rows) {
        const identifier = identifierOf(r.wa_id, r.user_id) ?? "";
        await trx
          .updateTable("subscribers")
          .set({ subscriber_key: subscriberKey(secret, r.tenant_id, identifier) })
          .where("id", "=", r.id)
          .execute();
      }
    });
    done += rows.length;
  }
}

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
 * A confirmation never given within a day lapses: the name given with the request is erased and
 * the person is back where they were.
 */
export async function lapsePendingConfirmations(db: Db, now: number): Promise<number> {
  const result = await db
    .updateTable("subscribers")
    .set({
      status: sql<
        "contact" | "unsubscribed"
      >`case when unsubscribed_at is null then 'contact' else 'unsubscribed' end`,
      first_name: null,
      last_name: null,
      profile_name: null,
      pending_since: null,
      pending_message_id: null,
      pending_text: null,
      updated_at: now,
    })
    .where("status", "=", "pending")
    .where("pending_since", "<", now - DAY_MS)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The numbers of people who left (and are not blocked or flagged) and wrote again: kept only
 * while the bookkeeping needs them (24 hours after their last message), then erased again.
 */
export async function forgetIdleNumbers(db: Db, now: number): Promise<number> {
  const result = await db
    .updateTable("subscribers")
    .set({ wa_id: null, user_id: null, profile_name: null, updated_at: now })
    .where("status", "=", "unsubscribed")
    .where("blocked_at", "is", null)
    .where("flagged_at", "is", null)
    .where((eb) => eb.or([eb("wa_id", "is not", null), eb("user_id", "is not", null)]))
    .where((eb) =>
      eb.or([eb("last_inbound_at", "is", null), eb("last_inbound_at", "<", now - DAY_MS)]),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
