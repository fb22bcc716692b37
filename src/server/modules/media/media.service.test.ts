import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestDatabase, testEngines } from "../../test/engines.js";
import { buildTenant } from "../../test/factories.js";
import type { Database } from "../../platform/db/connect.js";
import { migrateToLatest } from "../../platform/db/migrate.js";
import type { Result } from "../whatsapp/types.js";
import { MEDIA_ID_USABLE_MS, mediaBytesOf, storeMediaFile, waMediaIdFor } from "./media.service.js";

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.UTC(2026, 11, 3, 9, 0);

/** A stand-in for the Cloud API's upload: counts the uploads and names each new id. */
function uploader() {
  const uploads: { mimeType: string; filename: string; bytes: number }[] = [];
  let fail = false;
  return {
    uploads,
    failNext: () => void (fail = true),
    uploadMedia: (file: { data: Uint8Array; mimeType: string; filename: string }) => {
      if (fail) {
        fail = false;
        return Promise.resolve<Result<{ id: string }>>({
          ok: false,
          error: { code: 131016, title: "Service unavailable", class: "backoff" },
        });
      }
      uploads.push({ mimeType: file.mimeType, filename: file.filename, bytes: file.data.length });
      return Promise.resolve<Result<{ id: string }>>({
        ok: true,
        value: { id: `media-${uploads.length}` },
      });
    },
  };
}

describe.each(testEngines())("a broadcast's file on %s", (engine) => {
  let database: Database;
  beforeEach(async () => {
    database = await openTestDatabase(engine);
    await migrateToLatest(database.db);
    await buildTenant(database.db, { id: "concorezzo", created_at: NOW });
  });
  afterEach(async () => database.close());

  it("keeps the bytes as uploaded, goes up once per number, again once its id is 29 days old", async () => {
    const db = database.db;
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 0, 255]);
    const file = await storeMediaFile(db, {
      tenantId: "concorezzo",
      kind: "image",
      mimeType: "image/png",
      filename: "allerta.png",
      bytes,
      createdBy: null,
      now: NOW,
    });
    expect(file).toMatchObject({ kind: "image", sizeBytes: 9, filename: "allerta.png" });
    expect((await mediaBytesOf(db, "concorezzo", file.id))?.equals(bytes)).toBe(true);
    expect(await mediaBytesOf(db, "casale-marittimo", file.id)).toBeUndefined();

    const api = uploader();
    const at = (now: number, phoneNumberId = "100000000000001") =>
      waMediaIdFor(db, api, { tenantId: "concorezzo", phoneNumberId, mediaFileId: file.id, now });
    expect(await at(NOW)).toEqual({ ok: true, value: "media-1" });
    expect(await at(NOW + DAY)).toEqual({ ok: true, value: "media-1" });
    expect(api.uploads).toEqual([{ mimeType: "image/png", filename: "allerta.png", bytes: 9 }]);
    // Another number of the comune has its own id.
    expect(await at(NOW + DAY, "100000000000009")).toEqual({ ok: true, value: "media-2" });
    // Meta forgets a file after 30 days: a day before, it goes up again, and the new id is kept.
    expect(await at(NOW + MEDIA_ID_USABLE_MS - 1)).toEqual({ ok: true, value: "media-1" });
    expect(await at(NOW + MEDIA_ID_USABLE_MS + 1)).toEqual({ ok: true, value: "media-3" });
    expect(await at(NOW + MEDIA_ID_USABLE_MS + DAY)).toEqual({ ok: true, value: "media-3" });
    expect(api.uploads).toHaveLength(3);
  });

  it("answers WhatsApp's refusal of an upload, and tries again the next time", async () => {
    const db = database.db;
    const file = await storeMediaFile(db, {
      tenantId: "concorezzo",
      kind: "document",
      mimeType: "application/pdf",
      filename: null,
      bytes: Buffer.from("%PDF-1.4"),
      createdBy: null,
      now: NOW,
    });
    const api = uploader();
    api.failNext();
    const input = { tenantId: "concorezzo", phoneNumberId: "1", mediaFileId: file.id, now: NOW };
    const failed = await waMediaIdFor(db, api, input);
    expect(failed.ok).toBe(false);
    expect(await waMediaIdFor(db, api, input)).toEqual({ ok: true, value: "media-1" });
    // A document without a name goes up under one that says what it is.
    expect(api.uploads[0]?.filename).toBe(`document-${file.id}`);
  });
});
