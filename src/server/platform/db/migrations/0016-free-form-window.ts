import type { Kysely } from "kysely";
import { BIGINT } from "../dialect.js";

/**
 * `outbound_messages.window_closes_at`: for a broadcast delivery to someone who wrote to the
 * comune in the 24 hours before the expansion, when that person's window closes (their last
 * message + 24 h); null otherwise. A comune that sends free-form messages inside the window
 * (`broadcasts.freeFormInWindow`) sends one to this row while the window is still open.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("outbound_messages").addColumn("window_closes_at", BIGINT).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("outbound_messages").dropColumn("window_closes_at").execute();
}
