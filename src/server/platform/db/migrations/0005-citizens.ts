import { sql, type Kysely } from "kysely";
import { addIdColumn, BIGINT, engineOf, notNull, tenantIndex, tenantRef } from "../dialect.js";

/**
 * The citizens' conversation (issue #5): the keyed hash on every subscriber row, blocking on
 * WhatsApp, Meta's marketing stop, auto-reply and flood bookkeeping, the confirmation step, the
 * broadcast category, and the moderation inbox.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function up(db: Kysely<any>): Promise<void> {
  const engine = engineOf(db);
  const columns: [string, "text" | "integer" | typeof BIGINT][] = [
    // HMAC of the identifier (subscriber-key.ts): set by the citizens' code on every row it
    // writes, and filled in at start for rows written before (the key needs the secret, which a
    // migration does not have). Lookups by full number go through it.
    ["subscriber_key", "text"],
    // The Block Users API call succeeded. blocked_at set and this null: block pending on WhatsApp.
    ["wa_blocked_at", BIGINT],
    // Meta's stop button (user_preferences "stop"): marketing broadcasts skip the person.
    ["marketing_stopped_at", BIGINT],
    // The last automatic reply, for "at most N per person per day".
    ["auto_replied_at", BIGINT],
    ["auto_replies_in_window", "integer"],
    // Flood rule: a fixed window's start and the messages counted in it.
    ["flood_window_start", BIGINT],
    ["flood_count", "integer"],
    // Flagged for review by a person (flood, or staff); the reason is a short code.
    ["flagged_at", BIGINT],
    ["flag_reason", "text"],
    // The confirmation step (status "pending"): the request waiting for "Confermo".
    ["pending_since", BIGINT],
    ["pending_message_id", "text"],
    ["pending_text", "text"],
  ];
  for (const [name, type] of columns) {
    await db.schema.alterTable("subscribers").addColumn(name, type).execute();
  }
  await db.schema
    .createIndex("subscribers_tenant_key")
    .on("subscribers")
    .columns(["tenant_id", "subscriber_key"])
    .unique()
    .execute();
  await db.schema
    .createIndex("subscribers_tenant_flagged")
    .on("subscribers")
    .columns(["tenant_id", "flagged_at"])
    .where(sql.ref("flagged_at"), "is not", null)
    .execute();

  // marketing | utility: marketing broadcasts skip people who pressed Meta's stop button.
  await db.schema
    .alterTable("broadcasts")
    .addColumn("category", "text", (c) => c.notNull().defaultTo("utility"))
    .execute();

  await addIdColumn(engine, db.schema.createTable("moderation_messages"))
    .$call(tenantRef)
    .addColumn("subscriber_id", BIGINT)
    .addColumn("subscriber_key", "text", notNull)
    .addColumn("inbound_message_id", "text", notNull)
    .addColumn("type", "text", notNull)
    .addColumn("text", "text")
    .addColumn("media_id", "text")
    .addColumn("received_at", BIGINT, notNull)
    .addColumn("flagged_at", BIGINT)
    .addColumn("purge_after", BIGINT, notNull)
    .addUniqueConstraint("moderation_messages_tenant_message", ["tenant_id", "inbound_message_id"])
    .execute();
  await db.schema
    .createIndex("moderation_messages_purge")
    .on("moderation_messages")
    .column("purge_after")
    .execute();
  await tenantIndex(db, "moderation_messages_tenant_key", "moderation_messages", "subscriber_key");
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("moderation_messages").execute();
  await db.schema.alterTable("broadcasts").dropColumn("category").execute();
  await db.schema.dropIndex("subscribers_tenant_flagged").execute();
  await db.schema.dropIndex("subscribers_tenant_key").execute();
  for (const name of [
    "pending_text",
    "pending_message_id",
    "pending_since",
    "flag_reason",
    "flagged_at",
    "flood_count",
    "flood_window_start",
    "auto_replies_in_window",
    "auto_replied_at",
    "marketing_stopped_at",
    "wa_blocked_at",
    "subscriber_key",
  ]) {
    await db.schema.alterTable("subscribers").dropColumn(name).execute();
  }
}
