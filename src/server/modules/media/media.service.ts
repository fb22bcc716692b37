import { createHash } from "node:crypto";
import type { Db } from "../../platform/db/schema.js";
import { invalidRequest } from "../whatsapp/payload-checks.js";
import type { Result, WhatsAppClient } from "../whatsapp/types.js";
import {
  findMediaFile,
  insertMediaFile,
  readMediaBytes,
  saveUpload,
  uploadedMediaId,
  type MediaFileInfo,
} from "./media.repository.js";

export type { MediaFileInfo } from "./media.repository.js";

/**
 * The files broadcasts carry: kept in the database (every process reads the same bytes, and a
 * backup holds them), uploaded to the Cloud API once per sender number when first sent, and again
 * once Meta's copy has expired (README.md, "Media").
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Meta keeps an uploaded file 30 days (docs/whatsapp-cloud-api.md §2). An id older than 29 days is
 * not used: a broadcast that starts with it must not outlive it halfway.
 */
export const MEDIA_ID_USABLE_MS = 29 * DAY_MS;

/** Stores a file already checked against WhatsApp's table (broadcasts/policy/media-check.ts). */
export function storeMediaFile(
  db: Db,
  input: {
    tenantId: string;
    kind: MediaFileInfo["kind"];
    mimeType: string;
    filename: string | null;
    bytes: Buffer;
    createdBy: number | null;
    now: number;
  },
): Promise<MediaFileInfo> {
  return insertMediaFile(db, {
    ...input,
    sizeBytes: input.bytes.byteLength,
    sha256: createHash("sha256").update(input.bytes).digest("hex"),
  });
}

export function mediaFileOf(
  db: Db,
  tenantId: string,
  id: number,
): Promise<MediaFileInfo | undefined> {
  return findMediaFile(db, tenantId, id);
}

export function mediaBytesOf(db: Db, tenantId: string, id: number): Promise<Buffer | undefined> {
  return readMediaBytes(db, tenantId, id);
}

/**
 * The id under which the number sends the file: the one it got at its last upload while that is
 * younger than 29 days, else a new upload (kept for the next broadcasts). Two processes that
 * upload at once both succeed and the later id is kept: either works on Meta's side.
 */
export async function waMediaIdFor(
  db: Db,
  client: Pick<WhatsAppClient, "uploadMedia">,
  input: { tenantId: string; phoneNumberId: string; mediaFileId: number; now: number },
): Promise<Result<string>> {
  const known = await uploadedMediaId(db, {
    mediaFileId: input.mediaFileId,
    phoneNumberId: input.phoneNumberId,
    since: input.now - MEDIA_ID_USABLE_MS,
  });
  if (known) return { ok: true, value: known };
  const file = await findMediaFile(db, input.tenantId, input.mediaFileId);
  const bytes = file && (await readMediaBytes(db, input.tenantId, input.mediaFileId));
  if (!file || !bytes) {
    return { ok: false, error: invalidRequest([`media file ${input.mediaFileId}: not found`]) };
  }
  const uploaded = await client.uploadMedia({
    data: bytes,
    mimeType: file.mimeType,
    filename: file.filename ?? `${file.kind}-${file.id}`,
  });
  if (!uploaded.ok) return uploaded;
  await saveUpload(db, {
    mediaFileId: file.id,
    phoneNumberId: input.phoneNumberId,
    waMediaId: uploaded.value.id,
    now: input.now,
  });
  return { ok: true, value: uploaded.value.id };
}
