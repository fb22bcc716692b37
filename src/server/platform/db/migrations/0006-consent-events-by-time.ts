import type { Kysely } from "kysely";
import { tenantIndex } from "../dialect.js";

/**
 * The statistics count a comune's consent-ledger entries per day over a period (subscriptions
 * and unsubscriptions per day): an index on (tenant_id, created_at) lets that read only the
 * period's entries instead of every entry the comune ever had.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function up(db: Kysely<any>): Promise<void> {
  await tenantIndex(db, "consent_events_tenant_time", "consent_events", "created_at");
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("consent_events_tenant_time").execute();
}
