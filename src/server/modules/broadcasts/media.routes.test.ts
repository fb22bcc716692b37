import { describe, expect, it } from "vitest";
import { fakeClock, useTestApp, type Refusal } from "../../test/build-test-app.js";
import { testEngines } from "../../test/engines.js";
import { useSessions } from "../../test/staff-kit.js";

/** Uploading a broadcast's file, and naming it in a broadcast, as the office does. */

const NOW = Date.UTC(2026, 10, 23, 9, 0, 0);
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==",
  "base64",
);

describe.each(testEngines())("media uploads on %s", (engine) => {
  const t = useTestApp(() => ({ engine, clock: fakeClock(NOW) }), "each");
  const staff = useSessions(t, {
    editor: ["ufficio@example.it", { concorezzo: ["editor"] }],
    viewer: ["lettura@example.it", { concorezzo: ["viewer"] }],
  });

  const upload = (body: Buffer, type: string, headers = staff.editor, tenant = "concorezzo") =>
    t.app.inject({
      method: "POST",
      url: `/api/tenants/${tenant}/media?filename=foto.png`,
      headers: { ...headers, "content-type": type },
      payload: body,
    });

  it("keeps a picture, gives it back as uploaded, and lets a broadcast carry it", async () => {
    const stored = await upload(PNG, "image/png");
    expect(stored.statusCode, stored.body).toBe(201);
    const { media } = stored.json<{ media: { id: number; kind: string; sizeBytes: number } }>();
    expect(media).toMatchObject({ kind: "image", sizeBytes: PNG.length });

    const back = await t.app.inject({
      method: "GET",
      url: `/api/tenants/concorezzo/media/${media.id}`,
      headers: staff.viewer,
    });
    expect(back.statusCode, back.body).toBe(200);
    expect(back.headers["content-type"]).toBe("image/png");
    expect(back.rawPayload.equals(PNG)).toBe(true);

    const created = await t.app.inject({
      method: "POST",
      url: "/api/tenants/concorezzo/broadcasts",
      headers: staff.editor,
      payload: { title: "Festa", text: "Sabato la festa in piazza.", mediaId: media.id },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json<{ broadcast: { mediaId: number } }>().broadcast.mediaId).toBe(media.id);
    const audit = await t.database.db
      .selectFrom("audit_log")
      .select("action")
      .where("action", "=", "media.uploaded")
      .execute();
    expect(audit).toHaveLength(1);
  });

  it("refuses a file WhatsApp would refuse, saying why and what to do, in Italian", async () => {
    const gif = await upload(Buffer.from("GIF89a"), "image/gif");
    expect(gif.statusCode).toBe(400);
    const problem = gif.json<Refusal>().error.details[0];
    expect(problem?.field).toBe("body");
    expect(problem?.problem).toContain("«image/gif» non si può inviare");
    expect(problem?.problem).toContain("Converti il file");

    const big = await upload(Buffer.alloc(6 * 1024 * 1024, 1), "image/jpeg");
    expect(big.statusCode).toBe(400);
    expect(big.json<Refusal>().error.details[0]?.problem).toContain(
      "pesa 6 MB: WhatsApp accetta al massimo 5 MB",
    );

    const empty = await upload(Buffer.alloc(0), "image/png");
    expect(empty.statusCode).toBe(400);
    expect(empty.json<Refusal>().error.details[0]?.problem).toContain("vuoto");
  });

  it("lets only staff who write broadcasts upload, and keeps each comune's files to itself", async () => {
    expect((await upload(PNG, "image/png", staff.viewer)).statusCode).toBe(403);
    const mine = (await upload(PNG, "image/png")).json<{ media: { id: number } }>().media;
    const other = await t.app.inject({
      method: "GET",
      url: `/api/tenants/casale-marittimo/media/${mine.id}`,
      headers: staff.editor,
    });
    expect(other.statusCode).toBe(403);
    const unknown = await t.app.inject({
      method: "POST",
      url: "/api/tenants/concorezzo/broadcasts",
      headers: staff.editor,
      payload: { title: "Festa", text: "Sabato la festa in piazza.", mediaId: mine.id + 100 },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json<Refusal>().error.details).toEqual([
      { field: "body.mediaId", problem: expect.stringContaining("caricalo prima") as string },
    ]);
  });
});
