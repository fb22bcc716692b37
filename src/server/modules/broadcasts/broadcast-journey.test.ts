import { describe, expect, it } from "vitest";
import { buildSubscriber } from "../../test/factories.js";
import { officeBroadcasts, useOfficeServer } from "../../test/office-broadcasts.js";
import {
  receivedBy,
  sandboxApi,
  untilReceived,
  type PhoneMessage,
} from "../../test/sandbox-phones.js";

/**
 * The whole journey on the real server, as `npm start` runs it: a citizen subscribes to Casale
 * Marittimo on a simulated phone, the communication office writes and submits a broadcast, the
 * mayor's delegate approves it, and the phone receives it through the comune's WhatsApp template,
 * over real HTTP between the server and its sandbox. Casale states no office hours, so an
 * approved broadcast starts at once whatever the time of the run.
 */
const CASALE = "393760088777";
const PHONE = "393471112233";

/** A 2×2 PNG, as a phone camera's picture would be (any valid PNG does). */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==",
  "base64",
);

describe("a broadcast from the office to a citizen's phone", () => {
  const s = useOfficeServer("casale-marittimo");

  const sandbox = (method: string, path: string, body?: object) =>
    sandboxApi(s.baseUrl, method, path, body);
  const broadcasts = officeBroadcasts(() => s.baseUrl, "casale-marittimo");
  const staff = broadcasts.post;
  const received = (phone = PHONE) => receivedBy(s.baseUrl, phone);
  const nth = async (n: number) =>
    (await untilReceived(s.baseUrl, PHONE, n))[n - 1] as PhoneMessage;

  it("subscribes, then receives what the office wrote and the mayor approved", async () => {
    await sandbox("POST", "/phones", { waId: PHONE, name: "Anna Bianchi" });
    await sandbox("POST", `/phones/${PHONE}/messages`, {
      to: CASALE,
      text: "Anna, Bianchi + ATTIVA",
    });
    await nth(1);
    await sandbox("POST", `/phones/${PHONE}/messages`, { to: CASALE, tap: "Confermo" });
    expect((await nth(2)).text).toContain("la tua iscrizione");

    const { broadcast } = await staff(s.office, "", {
      title: "Biblioteca",
      text: "Da lunedì la biblioteca comunale apre anche il sabato mattina.",
      topics: "all",
    });
    await staff(s.office, `/${broadcast.id}/submit`);
    const approved = await staff(s.mayor, `/${broadcast.id}/approve`);
    expect(approved.broadcast.status).toBe("sending");

    const news = await nth(3);
    expect(news.text).toContain("Notizie dal Comune:");
    expect(news.text).toContain("Da lunedì la biblioteca comunale apre anche il sabato mattina.");
    await broadcasts.untilSent(s.mayor, broadcast.id);
  });

  it("sends a picture to the civil-protection topic's subscribers only, each once, through the notice template", async () => {
    const db = s.server.database.db;
    // Subscribed earlier (how they chose does not matter here): one to civil protection, one to
    // cultural events only, one who chose nothing (every topic).
    const phones = { civil: "393471112240", culture: "393471112241", every: "393471112242" };
    const topicsOf = { civil: ["protezione-civile"], culture: ["eventi-culturali"], every: [] };
    for (const [who, waId] of Object.entries(phones) as [keyof typeof phones, string][]) {
      await sandbox("POST", "/phones", { waId, name: who });
      await buildSubscriber(db, {
        tenant_id: "casale-marittimo",
        wa_id: waId,
        topics: JSON.stringify(topicsOf[who]),
      });
    }
    const upload = await fetch(
      `${s.baseUrl}/api/tenants/casale-marittimo/media?filename=allerta.png`,
      { method: "POST", headers: { ...s.office, "content-type": "image/png" }, body: PNG },
    );
    expect(upload.status, await upload.clone().text()).toBe(201);
    const { media } = (await upload.json()) as { media: { id: number; kind: string } };
    expect(media.kind).toBe("image");

    const { broadcast } = await staff(s.office, "", {
      title: "Allerta meteo",
      text: "Allerta arancione per temporali fino a domani sera: evitate i sottopassi.",
      topics: ["protezione-civile"],
      mediaId: media.id,
    });
    await staff(s.office, `/${broadcast.id}/submit`);
    const approved = await staff(s.mayor, `/${broadcast.id}/approve`);
    expect(approved.broadcast.status).toBe("sending");
    await broadcasts.untilSent(s.mayor, broadcast.id);
    for (const who of ["civil", "every"] as const) {
      const got = await received(phones[who]);
      expect(got, who).toHaveLength(1);
      expect(got[0]?.text).toContain("Avviso del Comune:");
      expect(got[0]?.text).toContain("Allerta arancione per temporali");
      expect(got[0]?.media).toMatchObject({ kind: "image", mimeType: "image/png" });
      // The phone shows the very picture the office uploaded.
      const picture = await fetch(`${s.baseUrl}${got[0]?.media?.url ?? ""}`);
      expect(Buffer.from(await picture.arrayBuffer()).equals(PNG)).toBe(true);
    }
    expect(await received(phones.culture)).toHaveLength(0);
    // The picture went up to WhatsApp once, for Casale's number, and is kept for the next sends.
    const uploads = await db.selectFrom("media_uploads").selectAll().execute();
    expect(uploads.filter((u) => Number(u.media_file_id) === media.id)).toHaveLength(1);
  });
});
