import { sql, type Kysely } from "kysely";
import { engineOf } from "../dialect.js";

/**
 * Citizens' messages are handled before bulk events (statuses, account updates): a flood of
 * status webhooks (494,641 queued by 425 requests in a test) had a citizen's "ATTIVA ISCRIZIONE"
 * answered after 54.5 s, behind every event received before it.
 *
 * inbound_events gets `priority` (higher is handled sooner: 1 citizens' messages, 0 the rest),
 * and the partial index of unprocessed events becomes (priority DESC, received_at[, id]) WHERE
 * processed_at IS NULL, the claim's order. Queries that read one priority (the oldest status
 * still waiting, which the dispatcher asks on every tick) seek to it through the same index.
 * Messages still waiting are moved up here too; handled rows never need a priority again.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("inbound_events")
    .addColumn("priority", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db
    .updateTable("inbound_events")
    .set({ priority: 1 })
    .where("kind", "=", "message")
    .where("processed_at", "is", null)
    .execute();
  await sql`drop index inbound_events_unprocessed`.execute(db);
  // SQLite appends the rowid (`id`) to every index by itself.
  const columns =
    engineOf(db) === "postgres"
      ? sql`priority desc, received_at, id`
      : sql`priority desc, received_at`;
  await sql`create index inbound_events_claim on inbound_events (${columns})
    where processed_at is null`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index inbound_events_claim`.execute(db);
  await sql`create index inbound_events_unprocessed on inbound_events (received_at)
    where processed_at is null`.execute(db);
  await db.schema.alterTable("inbound_events").dropColumn("priority").execute();
}
