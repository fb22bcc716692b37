import type { Kysely } from "kysely";
import { BIGINT, notNull, tenantRef } from "../dialect.js";

/**
 * `whatsapp_templates`: each comune's templates as WhatsApp last listed them (name, language,
 * category, status, the reason Meta gave, the components as JSON), synced at start, on demand and
 * at approval, and kept current by the template webhooks between syncs. What staff see of their
 * templates, and what tells them which broadcasts a paused template holds.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("whatsapp_templates")
    .$call(tenantRef)
    .addColumn("name", "text", notNull)
    .addColumn("language", "text", notNull)
    .addColumn("category", "text", notNull)
    .addColumn("status", "text", notNull)
    .addColumn("reason", "text")
    .addColumn("components", "text", notNull)
    .addColumn("synced_at", BIGINT, notNull)
    .addPrimaryKeyConstraint("whatsapp_templates_pk", ["tenant_id", "name", "language"])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("whatsapp_templates").execute();
}
