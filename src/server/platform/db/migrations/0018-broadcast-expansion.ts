import type { Kysely } from "kysely";
import { BIGINT } from "../dialect.js";

/**
 * `broadcasts.expanded_through`: the resume marker of a broadcast's expansion, which on SQLite
 * runs in chunks by subscriber id (better-sqlite3 is synchronous: one 1,000,000-row INSERT …
 * SELECT held the event loop for 1.7 s, and webhooks and citizens' replies waited). A number: an
 * expansion is under way and every subscriber with an id up to it has had its delivery created;
 * null: no expansion is under way (none begun, or the last one complete). Each chunk's deliveries
 * and the marker's move commit together, so a crash between chunks leaves the marker exactly where
 * the next start resumes, and a broadcast whose marker is set is never marked sent
 * (broadcast-expansion.ts, finishCompletedBroadcasts). Rows of today have null: their
 * expansions were one statement, complete when committed.
 *
 * `broadcasts.expanded_at`: when the marker last moved. An expansion whose marker has not moved
 * for a while is one whose process died (or whose chunk failed): a sending process resumes only
 * those, so it does not race the process still running it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("broadcasts").addColumn("expanded_through", BIGINT).execute();
  await db.schema.alterTable("broadcasts").addColumn("expanded_at", BIGINT).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("broadcasts").dropColumn("expanded_at").execute();
  await db.schema.alterTable("broadcasts").dropColumn("expanded_through").execute();
}
