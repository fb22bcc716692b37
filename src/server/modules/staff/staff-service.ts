import type { Kysely } from "kysely";
import type { Clock } from "../../platform/clock.js";
import type { DB } from "../../platform/db/schema.js";

/**
 * What the staff services (accounts, API keys, sessions, two-factor) are built on: their options,
 * the database they read and write, and the clock their instants come from.
 */

/** The options every staff service takes; each adds its own. */
export interface StaffServiceOptions {
  db: Kysely<DB>;
  clock: Clock;
}

export abstract class StaffService<O extends StaffServiceOptions> {
  constructor(protected readonly o: O) {}

  protected get db() {
    return this.o.db;
  }
  protected now() {
    return this.o.clock.now();
  }
}
