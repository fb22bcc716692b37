import type { Selectable } from "kysely";
import type { Db, MediaFilesTable } from "../../platform/db/schema.js";

/** What is known of a stored file without its bytes. */
export interface MediaFileInfo {
  id: number;
  tenantId: string;
  kind: "image" | "video" | "document";
  mimeType: string;
  sizeBytes: number;
  filename: string | null;
  sha256: string;
  createdAt: number;
}

const INFO = [
  "id",
  "tenant_id",
  "kind",
  "mime_type",
  "size_bytes",
  "filename",
  "sha256",
  "created_at",
] as const;

type InfoRow = Pick<Selectable<MediaFilesTable>, (typeof INFO)[number]>;

function infoOf(row: InfoRow): MediaFileInfo {
  return {
    id: Number(row.id),
    tenantId: row.tenant_id,
    kind: row.kind as MediaFileInfo["kind"],
    mimeType: row.mime_type,
    sizeBytes: Number(row.size_bytes),
    filename: row.filename,
    sha256: row.sha256,
    createdAt: Number(row.created_at),
  };
}

export async function insertMediaFile(
  db: Db,
  input: Omit<MediaFileInfo, "id" | "createdAt"> & {
    bytes: Buffer;
    createdBy: number | null;
    now: number;
  },
): Promise<MediaFileInfo> {
  const row = await db
    .insertInto("media_files")
    .values({
      tenant_id: input.tenantId,
      kind: input.kind,
      mime_type: input.mimeType,
      size_bytes: input.sizeBytes,
      filename: input.filename,
      sha256: input.sha256,
      bytes: input.bytes,
      created_by: input.createdBy,
      created_at: input.now,
    })
    .returning(INFO)
    .executeTakeFirstOrThrow();
  return infoOf(row);
}

/** The comune's file with this id, to select from. */
const fileOf = (db: Db, tenantId: string, id: number) =>
  db.selectFrom("media_files").where("tenant_id", "=", tenantId).where("id", "=", id);

/** A file of the comune, without its bytes; undefined when it has none with that id. */
export async function findMediaFile(
  db: Db,
  tenantId: string,
  id: number,
): Promise<MediaFileInfo | undefined> {
  const row = await fileOf(db, tenantId, id).select(INFO).executeTakeFirst();
  return row ? infoOf(row) : undefined;
}

export async function readMediaBytes(
  db: Db,
  tenantId: string,
  id: number,
): Promise<Buffer | undefined> {
  const row = await fileOf(db, tenantId, id).select("bytes").executeTakeFirst();
  return row ? Buffer.from(row.bytes) : undefined;
}

/** The Cloud API's id of the file for the number, if it was uploaded at or after `since`. */
export async function uploadedMediaId(
  db: Db,
  input: { mediaFileId: number; phoneNumberId: string; since: number },
): Promise<string | undefined> {
  const row = await db
    .selectFrom("media_uploads")
    .select("wa_media_id")
    .where("media_file_id", "=", input.mediaFileId)
    .where("phone_number_id", "=", input.phoneNumberId)
    .where("uploaded_at", ">=", input.since)
    .executeTakeFirst();
  return row?.wa_media_id;
}

/** Keeps the id the number got for the file, replacing an expired one. */
export async function saveUpload(
  db: Db,
  input: { mediaFileId: number; phoneNumberId: string; waMediaId: string; now: number },
): Promise<void> {
  await db
    .insertInto("media_uploads")
    .values({
      media_file_id: input.mediaFileId,
      phone_number_id: input.phoneNumberId,
      wa_media_id: input.waMediaId,
      uploaded_at: input.now,
    })
    .onConflict((oc) =>
      oc
        .columns(["media_file_id", "phone_number_id"])
        .doUpdateSet({ wa_media_id: input.waMediaId, uploaded_at: input.now }),
    )
    .execute();
}
