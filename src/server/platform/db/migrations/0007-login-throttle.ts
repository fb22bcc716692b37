import type { Kysely } from "kysely";
import { BIGINT, notNull } from "../dialect.js";
import { createLoginFailures } from "./0004-access.js";

/**
 * Login throttling (issue #9): the per-address lockout of 0004 let anyone lock any e-mail
 * address out by typing ten wrong passwords. Its table gives way to counters keyed by the
 * account and by the account together with the client address (see
 * modules/staff/login-throttle.ts); the open lockouts are dropped with it, on purpose.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("login_failures").execute();
  await db.schema
    .createTable("login_throttle")
    // sha256 of "account\n<e-mail>" or "pair\n<e-mail>\n<address>": no address or e-mail in clear.
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("failures", "integer", notNull)
    // Bumped on every write: a charge is a compare-and-set on it, so parallel tries count once each.
    .addColumn("version", "integer", notNull)
    .addColumn("last_failure_at", BIGINT)
    .addColumn("not_before", BIGINT)
    // On a pair: the account logged in from this address (an address known for the account).
    .addColumn("last_success_at", BIGINT)
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("login_throttle").execute();
  await createLoginFailures(db);
}
