import { sql, type Kysely } from "kysely";
import { BIGINT } from "../dialect.js";

/** What the dispatcher needs beyond the first schema: claim times and the reconcile/claim indexes. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function up(db: Kysely<any>): Promise<void> {
  // When the row was handed to the API (state in_flight): after a crash, rows in flight longer
  // than the grace period with no status webhook naming them are sent again.
  await db.schema.alterTable("outbound_messages").addColumn("in_flight_since", BIGINT).execute();
  // Whether the message is a template sent outside the recipient's 24-hour window: those spend
  // the messaging-limit tier (unique recipients per rolling 24 hours).
  await db.schema
    .alterTable("outbound_messages")
    .addColumn("spends_tier", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createIndex("outbound_messages_broadcast_state")
    .on("outbound_messages")
    .columns(["broadcast_id", "state", "status"])
    .execute();
  await db.schema
    .createIndex("outbound_messages_in_flight")
    .on("outbound_messages")
    .columns(["sender_number_id", "in_flight_since"])
    .where(sql.ref("state"), "=", "in_flight")
    .execute();
  await db.schema
    .createIndex("outbound_messages_tier")
    .on("outbound_messages")
    .columns(["sender_number_id", "accepted_at"])
    .where(sql.ref("spends_tier"), "=", 1)
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("outbound_messages_tier").execute();
  await db.schema.dropIndex("outbound_messages_in_flight").execute();
  await db.schema.dropIndex("outbound_messages_broadcast_state").execute();
  await db.schema.alterTable("outbound_messages").dropColumn("spends_tier").execute();
  await db.schema.alterTable("outbound_messages").dropColumn("in_flight_since").execute();
}
