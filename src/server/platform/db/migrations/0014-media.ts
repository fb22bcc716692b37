import type { Kysely } from "kysely";
import { addIdColumn, BIGINT, engineOf, notNull, tenantIndex, tenantRef } from "../dialect.js";

/**
 * Media a broadcast carries (an image, a video, a document), stored in the database so that every
 * process reads the same file: `media_files` holds the bytes once, checked against WhatsApp's
 * table when uploaded. `media_uploads` remembers the id the Cloud API gave each sender number for
 * a file (Meta keeps an uploaded file 30 days), so a file goes up once per number and again only
 * when its id has expired. `broadcasts.media_id` names the file a broadcast shows in its header.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function up(db: Kysely<any>): Promise<void> {
  const engine = engineOf(db);
  await addIdColumn(engine, db.schema.createTable("media_files"))
    .$call(tenantRef)
    .addColumn("kind", "text", notNull)
    .addColumn("mime_type", "text", notNull)
    .addColumn("size_bytes", BIGINT, notNull)
    .addColumn("filename", "text")
    .addColumn("sha256", "text", notNull)
    .addColumn("bytes", engine === "postgres" ? "bytea" : "blob", notNull)
    .addColumn("created_by", BIGINT)
    .addColumn("created_at", BIGINT, notNull)
    .execute();
  await tenantIndex(db, "media_files_tenant", "media_files", "id");
  await db.schema
    .createTable("media_uploads")
    .addColumn("media_file_id", BIGINT, (c) =>
      c.notNull().references("media_files.id").onDelete("cascade"),
    )
    .addColumn("phone_number_id", "text", notNull)
    .addColumn("wa_media_id", "text", notNull)
    .addColumn("uploaded_at", BIGINT, notNull)
    .addPrimaryKeyConstraint("media_uploads_pk", ["media_file_id", "phone_number_id"])
    .execute();
  await db.schema
    .alterTable("broadcasts")
    .addColumn("media_id", BIGINT, (c) => c.references("media_files.id"))
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("broadcasts").dropColumn("media_id").execute();
  await db.schema.dropTable("media_uploads").execute();
  await db.schema.dropTable("media_files").execute();
}
