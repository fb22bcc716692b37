import type { Db } from "../../platform/db/schema.js";
import type { TemplateInfo } from "../whatsapp/types.js";

/** A comune's template as stored: what WhatsApp last said of it. */
export interface StoredTemplate extends TemplateInfo {
  reason: string | null;
  syncedAt: number;
}

/**
 * Stores what WhatsApp lists for the comune as its templates: each one listed is written (its
 * status and reason as listed, the reason cleared when Meta gave none), each one no longer listed
 * is removed. One transaction, so a reader never sees half a sync; written as an upsert, so two
 * syncs at once (two approvals, say) wait for each other on the rows instead of one of them
 * inserting a row the other has just inserted.
 */
export async function replaceTemplatesOf(
  db: Db,
  input: { tenantId: string; templates: readonly TemplateInfo[]; now: number },
): Promise<void> {
  // One template per name and language (Meta's own key); the first listed wins.
  const listed = new Map<string, TemplateInfo>();
  for (const t of input.templates) {
    const key = `${t.name}\u0000${t.language}`;
    if (!listed.has(key)) listed.set(key, t);
  }
  const write = async (trx: Db) => {
    if (listed.size > 0) {
      const rows = [...listed.values()].map((t) => ({
        tenant_id: input.tenantId,
        name: t.name,
        language: t.language,
        category: t.category,
        status: t.status,
        reason: null,
        components: JSON.stringify(t.components),
        synced_at: input.now,
      }));
      await trx
        .insertInto("whatsapp_templates")
        .values(rows)
        .onConflict((oc) =>
          oc.columns(["tenant_id", "name", "language"]).doUpdateSet((eb) => ({
            category: eb.ref("excluded.category"),
            status: eb.ref("excluded.status"),
            reason: null,
            components: eb.ref("excluded.components"),
            synced_at: eb.ref("excluded.synced_at"),
          })),
        )
        .execute();
    }
    const stored = await trx
      .selectFrom("whatsapp_templates")
      .select(["name", "language"])
      .where("tenant_id", "=", input.tenantId)
      .execute();
    for (const gone of stored.filter((r) => !listed.has(`${r.name}\u0000${r.language}`))) {
      await trx
        .deleteFrom("whatsapp_templates")
        .where("tenant_id", "=", input.tenantId)
        .where("name", "=", gone.name)
        .where("language", "=", gone.language)
        .execute();
    }
  };
  if (db.isTransaction) await write(db);
  else await db.transaction().execute(write);
}

export async function storedTemplatesOf(db: Db, tenantId: string): Promise<StoredTemplate[]> {
  const rows = await db
    .selectFrom("whatsapp_templates")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .orderBy("name")
    .orderBy("language")
    .execute();
  return rows.map((r) => ({
    id: `${r.name}/${r.language}`,
    name: r.name,
    language: r.language,
    category: r.category,
    status: r.status,
    components: JSON.parse(r.components) as unknown[],
    reason: r.reason,
    syncedAt: Number(r.synced_at),
  }));
}

/** A template webhook's news: its status (and reason) or its category; false when it is not stored. */
export async function updateStoredTemplate(
  db: Db,
  input: {
    tenantId: string;
    name: string;
    language: string;
    changes: { status: string; reason: string | null } | { category: string };
  },
): Promise<boolean> {
  const result = await db
    .updateTable("whatsapp_templates")
    .set(input.changes)
    .where("tenant_id", "=", input.tenantId)
    .where("name", "=", input.name)
    .where("language", "=", input.language)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
