import { sql, type Kysely } from "kysely";
import { BIGINT, engineOf } from "../dialect.js";

/**
 * Fewer indexes on the outbox, so a broadcast's expansion writes the table and its two keys and
 * little else (issue #14 (d): each further index on a million new rows cost about 0.3× of a raw
 * `INSERT … SELECT`, BENCHMARKS.md).
 *
 * - `outbound_messages.in_sequence`: 1 for a broadcast delivery not yet claimed that its
 *   expansion created beyond every delivery the broadcast already had. Those rows are claimed in
 *   subscriber order through the unique (broadcast_id, subscriber_id) index, from the broadcast's
 *   claim cursor; the claim sets 0. Every other row (replies, deliveries back in the queue for a
 *   retry, deliveries added by a repeated expansion, rows of before this migration) has 0.
 * - The claim index holds only the rows with 0: replies and retries, a handful at any time,
 *   instead of every queued delivery of every broadcast.
 * - `outbound_messages_broadcast_state` goes: a broadcast's counters read its rows through the
 *   unique index, and whether anything of it is left is answered by the cursor, the claim index
 *   and the in-flight index (broadcast-delivery.repository.ts).
 * - `broadcasts.sender_number_id`: the number the broadcast's deliveries are queued on (set by
 *   the expansion); `broadcasts.claimed_through`: the claim cursor, the highest subscriber id
 *   whose delivery was claimed in sequence (null: none yet). Every delivery with `in_sequence = 1`
 *   has a higher subscriber id.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("outbound_messages")
    .addColumn("in_sequence", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable("broadcasts").addColumn("sender_number_id", BIGINT).execute();
  await db.schema.alterTable("broadcasts").addColumn("claimed_through", BIGINT).execute();
  // Broadcasts of before: the number their deliveries were queued on, read through the unique
  // index (one row per broadcast).
  await sql`update broadcasts set sender_number_id = (select o.sender_number_id
    from outbound_messages o where o.broadcast_id = broadcasts.id limit 1)`.execute(db);
  await sql`drop index outbound_messages_broadcast_state`.execute(db);
  await sql`drop index outbound_messages_claim`.execute(db);
  await createClaimIndex(db, sql`state = 'queued' and in_sequence = 0`);
}

/** As migration 0003 made it: SQLite's index carries the rowid (the id) of itself. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
async function createClaimIndex(db: Kysely<any>, where: ReturnType<typeof sql>): Promise<void> {
  const columns =
    engineOf(db) === "postgres"
      ? sql`(sender_number_id, priority desc, next_attempt_at, id)`
      : sql`(sender_number_id, priority desc, next_attempt_at)`;
  await sql`create index outbound_messages_claim on outbound_messages ${columns} where ${where}`.execute(
    db,
  );
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index outbound_messages_claim`.execute(db);
  await createClaimIndex(db, sql`state = 'queued'`);
  await sql`create index outbound_messages_broadcast_state on outbound_messages
    (broadcast_id, state, status)`.execute(db);
  await db.schema.alterTable("broadcasts").dropColumn("claimed_through").execute();
  await db.schema.alterTable("broadcasts").dropColumn("sender_number_id").execute();
  await db.schema.alterTable("outbound_messages").dropColumn("in_sequence").execute();
}
