import { FormData, request } from "undici";
import { describe, expect, it } from "vitest";
import type { PhoneMessage } from "./sandbox-state.js";
import { useTestSandbox } from "../../test/sandbox-kit.js";

/** Media upload and download, and the template list, over the Graph API. */

const CITIZEN = "393331234567";
const PNG = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");
type ErrorAnswer = { error: { code: number; error_data: { details: string } } };
type MediaInfo = {
  messaging_product: string;
  url: string;
  mime_type: string;
  sha256: string;
  file_size: number;
  id: string;
};

const t = useTestSandbox({ resetAfterEach: true });

function uploadForm(bytes: Buffer, mime: string, filename = "file.bin"): FormData {
  const form = new FormData();
  form.append("messaging_product", "whatsapp");
  form.append("type", mime);
  form.append("file", new Blob([bytes], { type: mime }), filename);
  return form;
}

describe("media", () => {
  it("uploads, describes, downloads with the token, and sends by id", async () => {
    const upload = await t.graph<{ id: string }>("POST", "/100000000000001/media", {
      form: uploadForm(PNG, "image/png", "avviso.png"),
    });
    expect(upload.status).toBe(200);
    expect(upload.body.id).toMatch(/^\d{16}$/);

    const info = await t.graph<MediaInfo>("GET", `/${upload.body.id}`);
    expect(info.body).toMatchObject({
      messaging_product: "whatsapp",
      mime_type: "image/png",
      file_size: PNG.length,
      id: upload.body.id,
    });
    expect(info.body.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(info.body.url).toBe(`${t.standalone.url}/sandbox/media/${upload.body.id}`);

    const withToken = await request(info.body.url, {
      headers: { authorization: "Bearer token-concorezzo" },
    });
    expect(withToken.statusCode).toBe(200);
    expect(withToken.headers["content-type"]).toBe("image/png");
    expect(Buffer.from(await withToken.body.arrayBuffer())).toEqual(PNG);
    const withoutToken = await request(info.body.url);
    expect(withoutToken.statusCode).toBe(401);
    await withoutToken.body.dump();
    // Another number's token cannot see it.
    expect((await t.graph("GET", `/${upload.body.id}`, { token: "token-casale" })).status).toBe(
      401,
    );

    await t.api("POST", `/phones/${CITIZEN}/messages`, { text: "ciao" });
    const sent = await t.graph("POST", "/100000000000001/messages", {
      body: {
        messaging_product: "whatsapp",
        to: CITIZEN,
        type: "image",
        image: { id: upload.body.id, caption: "Avviso" },
      },
    });
    expect(sent.status).toBe(200);
    const conversation = await t.api<{ messages: PhoneMessage[] }>(
      "GET",
      `/phones/${CITIZEN}/messages`,
    );
    expect(conversation.body.messages.at(-1)).toMatchObject({
      type: "image",
      text: "Avviso",
      media: {
        kind: "image",
        url: `/sandbox/api/media/${upload.body.id}`,
        mimeType: "image/png",
        filename: "avviso.png",
      },
    });
    const forPage = await request(`${t.standalone.url}/sandbox/api/media/${upload.body.id}`);
    expect(forPage.statusCode).toBe(200);
    expect(Buffer.from(await forPage.body.arrayBuffer())).toEqual(PNG);
  });

  it("refuses a wrong MIME type or a file too large with 131053", async () => {
    const exe = await t.graph<ErrorAnswer>("POST", "/100000000000001/media", {
      form: uploadForm(Buffer.from("MZ"), "application/x-msdownload"),
    });
    expect(exe.status).toBe(400);
    expect(exe.body.error.code).toBe(131053);
    const huge = await t.graph<ErrorAnswer>("POST", "/100000000000001/media", {
      form: uploadForm(Buffer.alloc(5 * 1024 * 1024 + 1), "image/jpeg"),
    });
    expect(huge.body.error.code).toBe(131053);
    expect(huge.body.error.error_data.details).toContain("maximum");
  });

  it("refuses a media id that is unknown or belongs to another number, accepts an https link", async () => {
    await t.api("POST", `/phones/${CITIZEN}/messages`, { text: "ciao", to: "393760088777" });
    const upload = await t.graph<{ id: string }>("POST", "/100000000000001/media", {
      form: uploadForm(PNG, "image/png"),
    });
    const foreign = await t.graph<ErrorAnswer>("POST", "/100000000000002/messages", {
      token: "token-casale",
      body: {
        messaging_product: "whatsapp",
        to: CITIZEN,
        type: "image",
        image: { id: upload.body.id },
      },
    });
    expect(foreign.body.error.code).toBe(100);
    expect(foreign.body.error.error_data.details).toContain("image['id']");
    const linked = await t.graph("POST", "/100000000000002/messages", {
      token: "token-casale",
      body: {
        messaging_product: "whatsapp",
        to: CITIZEN,
        type: "document",
        document: { link: "https://comune.example.it/ordinanza.pdf", filename: "ordinanza.pdf" },
      },
    });
    expect(linked.status).toBe(200);
    const conversation = await t.api<{ messages: PhoneMessage[] }>(
      "GET",
      `/phones/${CITIZEN}/messages`,
    );
    expect(conversation.body.messages.at(-1)?.media).toEqual({
      kind: "document",
      url: "https://comune.example.it/ordinanza.pdf",
      filename: "ordinanza.pdf",
    });
  });
});

describe("GET /{waba-id}/message_templates", () => {
  type Page = {
    data: {
      id: string;
      name: string;
      language?: string;
      status?: string;
      category?: string;
      components?: unknown[];
    }[];
    paging?: { cursors: { before: string; after: string }; next?: string };
  };

  it("lists the WABA's templates in Meta's shape, paginated", async () => {
    const first = await t.graph<Page>("GET", "/200000000000001/message_templates?limit=2");
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.data[0]).toMatchObject({
      name: "avviso_protezione_civile",
      language: "it",
      status: "APPROVED",
      category: "UTILITY",
    });
    expect(first.body.data[0]?.components?.[0]).toEqual({
      type: "HEADER",
      format: "TEXT",
      text: "Protezione civile: {{1}} in corso",
      example: { header_text: ["allerta meteo"] },
    });
    const next = first.body.paging?.next ?? "";
    expect(next).toContain("after=");
    const second = await request(next, { headers: { authorization: "Bearer token-concorezzo" } });
    const secondPage = (await second.body.json()) as Page;
    expect(secondPage.data.map((d) => d.name)).toEqual(["evento_comune", "chiusura_strada"]);

    const all: string[] = [];
    let url: string | undefined =
      `${t.standalone.url}/sandbox/graph/v25.0/200000000000001/message_templates?limit=4&fields=name`;
    while (url) {
      const page = (await (
        await request(url, { headers: { authorization: "Bearer token-concorezzo" } })
      ).body.json()) as Page;
      all.push(...page.data.map((d) => d.name));
      expect(Object.keys(page.data[0] ?? {}).sort()).toEqual(["id", "name"]);
      url = page.paging?.next;
    }
    expect(all).toEqual([
      "avviso_protezione_civile",
      "notizia_comune",
      "evento_comune",
      "chiusura_strada",
      "conferma_iscrizione",
      "notizia_immagine",
      "notizia_documento",
      "avviso_comune",
      "avviso_immagine",
      "hello_world",
    ]);
  });

  it("needs a token of a number in that WABA", async () => {
    const answer = await t.graph<ErrorAnswer>("GET", "/200000000000001/message_templates", {
      token: "token-casale",
    });
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe(190);
    const unknown = await t.graph<ErrorAnswer>("GET", "/299999/message_templates");
    expect(unknown.body.error.code).toBe(100);
  });
});
