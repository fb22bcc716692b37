import type { Kysely } from "kysely";
import { BIGINT, notNull, tenantRef } from "../dialect.js";

/**
 * `tenant_setting_versions`: the settings staff save from the console, over the comune's tenant
 * file. Each save is a new row, numbered from 1 per comune, holding every section overridden as
 * of that save (texts, keywords, service hours, closed days, election periods, topics, content
 * word lists, prices) as JSON; the latest row is in force. Rows are never changed or deleted: a
 * restore is a new row with an earlier one's content.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("tenant_setting_versions")
    .$call(tenantRef)
    .addColumn("version", "integer", notNull)
    .addColumn("settings", "text", notNull)
    .addColumn("changed", "text", notNull)
    .addColumn("saved_by_type", "text", notNull)
    .addColumn("saved_by_id", "text")
    .addColumn("saved_at", BIGINT, notNull)
    .addColumn("note", "text", notNull)
    .addColumn("restored_from", "integer")
    .addPrimaryKeyConstraint("tenant_setting_versions_pk", ["tenant_id", "version"])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("tenant_setting_versions").execute();
}
