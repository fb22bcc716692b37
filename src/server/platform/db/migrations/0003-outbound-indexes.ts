import { sql, type Kysely } from "kysely";
import { engineOf } from "../dialect.js";

/**
 * outbound_messages, reshaped for the two things it does at volume: take a broadcast's
 * deliveries in one INSERT … SELECT (1,000,000 rows for a large comune) and hand the dispatcher
 * its next due rows (BENCHMARKS.md, "Expansion" and "Dispatch").
 *
 * 1. The claim index becomes (sender_number_id, priority DESC, next_attempt_at[, id]) WHERE
 *    state = 'queued'. The old (sender_number_id, state, priority, next_attempt_at) could not
 *    give the claim's ORDER BY priority DESC, next_attempt_at, id: both engines read every queued
 *    row of the number and sorted them on each claim, so a claim cost O(queue) — 100,000 rows
 *    sorted for every 250 ms of sending at 1,000 msg/s. With the directions and the tie-break in
 *    the index, a claim reads only the rows it takes. Partial: a row leaves the index when it is
 *    claimed, so the index holds the queue and nothing else, and the writes that record outcomes
 *    no longer touch it. (SQLite adds the rowid, which is `id`, to every index by itself.)
 * 2. The unique index on wa_message_id becomes partial (WHERE wa_message_id IS NOT NULL): it
 *    indexed a NULL for every delivery not yet sent, a million entries per large broadcast that
 *    no query ever reads. Uniqueness of real wamids is kept; status webhooks look wamids up
 *    with `=`, which both engines match to the partial index.
 * 3. The tier index gets `AND accepted_at IS NOT NULL`: its queries ask `accepted_at > since`,
 *    so a queued delivery (no accepted_at yet) never needed an entry.
 * 4. The four foreign keys of outbound_messages (tenant, sender number, broadcast, subscriber)
 *    are dropped. PostgreSQL checks each one with a per-row trigger and a key-share lock on the
 *    parent row: together they made an expansion 3.5× slower, and SQLite's checks cost it ~25%.
 *    No code relies on them: rows are only created by insertOutboundMessage and
 *    insertDeliveriesForBroadcast from parents read in the same statement or transaction, and
 *    nothing deletes tenants, sender numbers, broadcasts or subscribers. Integrity that matters
 *    is kept: UNIQUE (broadcast_id, subscriber_id) (one delivery per subscriber per broadcast,
 *    whatever happens to an expansion), the unique wamid, the NOT NULLs, and every other
 *    table's foreign keys. A future erasure of a subscriber must delete or anonymise the
 *    subscriber's outbound rows itself: no constraint will stop it from forgetting.
 *
 * SQLite cannot drop a column constraint, so there the table is rebuilt (same columns, same ids,
 * the AUTOINCREMENT counter carried over: ids travel in biz_opaque_callback_data and must never
 * be reused) in one transaction; PostgreSQL alters it in place.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function up(db: Kysely<any>): Promise<void> {
  if (engineOf(db) === "postgres") {
    for (const column of ["tenant_id", "sender_number_id", "broadcast_id", "subscriber_id"]) {
      await sql`alter table outbound_messages drop constraint ${sql.id(`outbound_messages_${column}_fkey`)}`.execute(
        db,
      );
    }
    await sql`alter table outbound_messages drop constraint outbound_messages_wa_message_id_key`.execute(
      db,
    );
    await createIndexes(db, "postgres");
    return;
  }
  await db.transaction().execute(async (trx) => {
    await rebuildSqliteTable(trx, { foreignKeys: false, uniqueWamid: false });
    await createIndexes(trx, "sqlite");
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
async function createIndexes(db: Kysely<any>, engine: "sqlite" | "postgres"): Promise<void> {
  await sql`drop index if exists outbound_messages_claim`.execute(db);
  await sql`drop index if exists outbound_messages_tier`.execute(db);
  await sql`create unique index outbound_messages_wa_message_id on outbound_messages (wa_message_id)
    where wa_message_id is not null`.execute(db);
  await sql`create index outbound_messages_tier on outbound_messages (sender_number_id, accepted_at)
    where spends_tier = 1 and accepted_at is not null`.execute(db);
  if (engine === "postgres") {
    await sql`create index outbound_messages_claim on outbound_messages
      (sender_number_id, priority desc, next_attempt_at, id) where state = 'queued'`.execute(db);
  } else {
    await sql`create index outbound_messages_claim on outbound_messages
      (sender_number_id, priority desc, next_attempt_at) where state = 'queued'`.execute(db);
  }
}

/** The SQLite table with or without its foreign keys and full wamid unique, rows and ids kept. */
async function rebuildSqliteTable(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
  db: Kysely<any>,
  options: { foreignKeys: boolean; uniqueWamid: boolean },
): Promise<void> {
  const ref = (table: string) =>
    options.foreignKeys ? sql.raw(` references "${table}" ("id")`) : sql.raw("");
  const { rows } = await sql<{
    seq: number;
  }>`select seq from sqlite_sequence where name = 'outbound_messages'`.execute(db);
  const seq = rows[0]?.seq ?? 0;
  await sql`create table outbound_messages_new (
    "id" integer primary key autoincrement,
    "tenant_id" text not null${ref("tenants")},
    "sender_number_id" bigint not null${ref("sender_numbers")},
    "kind" text not null,
    "broadcast_id" bigint${ref("broadcasts")},
    "subscriber_id" bigint${ref("subscribers")},
    "recipient" text not null,
    "payload" text,
    "priority" integer default 0 not null,
    "state" text not null,
    "status" text,
    "attempts" integer default 0 not null,
    "next_attempt_at" bigint not null,
    "wa_message_id" text${sql.raw(options.uniqueWamid ? " unique" : "")},
    "error_code" integer,
    "error_reason" text,
    "accepted_at" bigint,
    "created_at" bigint not null,
    "updated_at" bigint not null,
    "in_flight_since" bigint,
    "spends_tier" integer default 0 not null,
    constraint "outbound_messages_broadcast_subscriber" unique ("broadcast_id", "subscriber_id"))`.execute(
    db,
  );
  const columns = sql.raw(
    `"id", "tenant_id", "sender_number_id", "kind", "broadcast_id", "subscriber_id", "recipient", ` +
      `"payload", "priority", "state", "status", "attempts", "next_attempt_at", "wa_message_id", ` +
      `"error_code", "error_reason", "accepted_at", "created_at", "updated_at", ` +
      `"in_flight_since", "spends_tier"`,
  );
  await sql`insert into outbound_messages_new (${columns}) select ${columns} from outbound_messages order by "id"`.execute(
    db,
  );
  await sql`drop table outbound_messages`.execute(db);
  await sql`alter table outbound_messages_new rename to outbound_messages`.execute(db);
  // The counter goes on from where the old table's left off, even past deleted rows.
  await sql`delete from sqlite_sequence where name = 'outbound_messages'`.execute(db);
  await sql`insert into sqlite_sequence (name, seq) select 'outbound_messages',
    max(${seq}, coalesce((select max("id") from outbound_messages), 0))`.execute(db);
  await sql`create index outbound_messages_broadcast_state on outbound_messages
    ("broadcast_id", "state", "status")`.execute(db);
  await sql`create index outbound_messages_in_flight on outbound_messages
    ("sender_number_id", "in_flight_since") where "state" = 'in_flight'`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function down(db: Kysely<any>): Promise<void> {
  if (engineOf(db) === "postgres") {
    await sql`drop index outbound_messages_claim`.execute(db);
    await sql`drop index outbound_messages_tier`.execute(db);
    await sql`drop index outbound_messages_wa_message_id`.execute(db);
    await sql`alter table outbound_messages add constraint outbound_messages_wa_message_id_key unique (wa_message_id)`.execute(
      db,
    );
    for (const [column, parent] of [
      ["tenant_id", "tenants"],
      ["sender_number_id", "sender_numbers"],
      ["broadcast_id", "broadcasts"],
      ["subscriber_id", "subscribers"],
    ] as const) {
      await sql`alter table outbound_messages add constraint ${sql.id(`outbound_messages_${column}_fkey`)}
        foreign key (${sql.id(column)}) references ${sql.id(parent)} (id)`.execute(db);
    }
  } else {
    await db.transaction().execute(async (trx) => {
      await rebuildSqliteTable(trx, { foreignKeys: true, uniqueWamid: true });
    });
  }
  await sql`create index outbound_messages_claim on outbound_messages
    (sender_number_id, state, priority, next_attempt_at)`.execute(db);
  await sql`create index outbound_messages_tier on outbound_messages (sender_number_id, accepted_at)
    where spends_tier = 1`.execute(db);
}
