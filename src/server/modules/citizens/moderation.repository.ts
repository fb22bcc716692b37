import type { Db } from "../../platform/db/schema.js";

/** Keeps one citizen message in the moderation inbox (a redelivery is a no-op). */
export async function keepModerationMessage(
  db: Db,
  row: {
    tenantId: string;
    subscriberId: number | null;
    subscriberKey: string;
    inboundMessageId: string;
    type: string;
    text: string | null;
    mediaId: string | null;
    receivedAt: number;
    purgeAfter: number;
    flagged: boolean;
  },
): Promise<void> {
  await db
    .insertInto("moderation_messages")
    .values({
      tenant_id: row.tenantId,
      subscriber_id: row.subscriberId,
      subscriber_key: row.subscriberKey,
      inbound_message_id: row.inboundMessageId,
      type: row.type,
      text: row.text,
      media_id: row.mediaId,
      received_at: row.receivedAt,
      flagged_at: row.flagged ? row.receivedAt : null,
      purge_after: row.purgeAfter,
    })
    .onConflict((oc) => oc.columns(["tenant_id", "inbound_message_id"]).doNothing())
    .execute();
}

/** The person's kept messages, oldest first. */
export function moderationMessagesOf(db: Db, tenantId: string, subscriberKey: string) {
  return db
    .selectFrom("moderation_messages")
    .select([
      "id",
      "inbound_message_id as inboundMessageId",
      "type",
      "text",
      "media_id as mediaId",
      "received_at as receivedAt",
      "purge_after as purgeAfter",
    ])
    .where("tenant_id", "=", tenantId)
    .where("subscriber_key", "=", subscriberKey)
    .orderBy("received_at")
    .orderBy("id")
    .execute();
}

export async function deleteModerationMessagesOf(
  db: Db,
  tenantId: string,
  subscriberKey: string,
): Promise<number> {
  const result = await db
    .deleteFrom("moderation_messages")
    .where("tenant_id", "=", tenantId)
    .where("subscriber_key", "=", subscriberKey)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The retention purge: every message past its purge_after, in every comune. */
export async function purgeModerationMessages(db: Db, now: number): Promise<number> {
  const result = await db
    .deleteFrom("moderation_messages")
    .where("purge_after", "<=", now)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
