import { sql, type Kysely } from "kysely";

/**
 * Erasure without leftovers (issue #9 item 2). A message still on its way to a person who erased
 * their data (the reply that confirms the erasure, a delivery on the wire) needs the number until
 * the dispatcher has its outcome; `pseudonym` holds what replaces the number then. The partial
 * index keeps the rows waiting for it findable without reading the outbox: it holds only them,
 * a handful at any time.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("outbound_messages").addColumn("pseudonym", "text").execute();
  await sql`create index outbound_messages_pseudonym on outbound_messages (id)
    where pseudonym is not null`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("outbound_messages_pseudonym").execute();
  await db.schema.alterTable("outbound_messages").dropColumn("pseudonym").execute();
}
