import type { Kysely } from "kysely";

/**
 * Two things the outbox learns to keep about each message.
 *
 * - `error_repeats`: how many counted attempts in a row ended with `error_code`. An error's own
 *   attempt limit ("a few tries" of code 1, 131000 or an unknown code) is about that error
 *   coming back, so it is checked against this count, not against every attempt the message
 *   had: two 131016 and then one code 1 are three server faults, not three code 1.
 * - `pricing_type`, `pricing_category`: what Meta's status webhooks said the message costs
 *   (`pricing.type`: regular, free_customer_service, free_entry_point; `pricing.category`:
 *   service, utility, marketing, …), null until a status with pricing arrives. The statistics
 *   charge what Meta says it charges, and use the comune's price list only for messages Meta has
 *   not priced (yet).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("outbound_messages")
    .addColumn("error_repeats", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable("outbound_messages").addColumn("pricing_type", "text").execute();
  await db.schema.alterTable("outbound_messages").addColumn("pricing_category", "text").execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("outbound_messages").dropColumn("pricing_category").execute();
  await db.schema.alterTable("outbound_messages").dropColumn("pricing_type").execute();
  await db.schema.alterTable("outbound_messages").dropColumn("error_repeats").execute();
}
