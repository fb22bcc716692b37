import { beforeEach, describe, expect, it } from "vitest";
import { recordingGraphKit } from "../../test/recording-graph-server.js";

/** Media, templates and blocking through a recording fake of the Graph API. */

const { fake, client, json } = recordingGraphKit();

beforeEach(() => fake.reset({}));

describe("uploadMedia", () => {
  it("sends multipart with the file and type parts", async () => {
    fake.answer = () => ({ status: 200, json: { id: "MEDIA_1" } });
    const data = new Uint8Array([0x25, 0x50, 0x44, 0x46]);
    const result = await client().uploadMedia({
      data,
      mimeType: "application/pdf",
      filename: "a.pdf",
    });
    expect(result).toEqual({ ok: true, value: { id: "MEDIA_1" } });
    const req = fake.recorded[0];
    expect(req?.url).toBe("/v25.0/106540352242922/media");
    expect(req?.headers.authorization).toBe("Bearer TEST_TOKEN");
    const contentType = req?.headers["content-type"] ?? "";
    expect(contentType).toMatch(/^multipart\/form-data; boundary=/);
    const form = await new Response(req?.body, {
      headers: { "content-type": contentType },
    }).formData();
    expect(form.get("messaging_product")).toBe("whatsapp");
    expect(form.get("type")).toBe("application/pdf");
    const file = form.get("file");
    expect(file).toBeInstanceOf(Blob);
    if (!(file instanceof File)) throw new Error("file part is not a file");
    expect(file.name).toBe("a.pdf");
    expect(file.type).toBe("application/pdf");
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(data);
  });

  it("refuses an empty file before sending", async () => {
    const result = await client().uploadMedia({
      data: new Uint8Array(),
      mimeType: "image/png",
      filename: "a.png",
    });
    expect(result).toMatchObject({
      ok: false,
      error: { class: "fatal_config", details: "file.data: empty" },
    });
    expect(fake.recorded).toHaveLength(0);
  });
});

describe("listTemplates", () => {
  const template = (id: string) => ({
    id,
    name: `t${id}`,
    language: "it",
    category: "UTILITY",
    status: "APPROVED",
    components: [],
  });

  it("follows paging.next", async () => {
    fake.answer = (req) =>
      req.url.includes("after=P2")
        ? { status: 200, json: { data: [template("3")], paging: { cursors: { after: "END" } } } }
        : {
            status: 200,
            json: {
              data: [template("1"), template("2")],
              paging: { next: `${fake.origin}/v25.0/WABA1/message_templates?limit=100&after=P2` },
            },
          };
    const result = await client().listTemplates();
    expect(result.ok && result.value.map((t) => t.id)).toEqual(["1", "2", "3"]);
    const first = new URL(fake.recorded[0]?.url ?? "", fake.origin);
    expect(first.pathname).toBe("/v25.0/WABA1/message_templates");
    expect(first.searchParams.get("fields")).toBe("name,status,category,language,components");
    expect(first.searchParams.get("limit")).toBe("100");
    expect(fake.recorded[1]?.headers.authorization).toBe("Bearer TEST_TOKEN");
    expect(fake.recorded).toHaveLength(2);
  });

  it("does not send the token to another host", async () => {
    fake.answer = () => ({
      status: 200,
      json: { data: [], paging: { next: "https://evil.example/next" } },
    });
    expect(await client().listTemplates()).toMatchObject({
      ok: false,
      error: { class: "backoff" },
    });
    expect(fake.recorded).toHaveLength(1);
  });

  it("needs the WABA id", async () => {
    expect(await client({ wabaId: undefined }).listTemplates()).toMatchObject({
      ok: false,
      error: { class: "fatal_config", details: "wabaId: not configured" },
    });
  });
});

describe("blockUsers / unblockUsers", () => {
  it("posts to /block_users and reads per-user results", async () => {
    fake.answer = () => ({
      status: 400,
      json: {
        messaging_product: "whatsapp",
        block_users: {
          added_users: [{ input: "393331234567", wa_id: "393331234567" }],
          failed_users: [{ input: "393330000000", errors: [{ code: 131009, message: "Invalid" }] }],
        },
        error: { code: 139100, message: "Failed to block some users" },
      },
    });
    const result = await client().blockUsers(["393331234567", "393330000000"]);
    expect(result).toMatchObject({
      ok: true,
      value: {
        succeeded: ["393331234567"],
        failed: [{ user: "393330000000", error: { code: 131009, class: "fatal_config" } }],
      },
    });
    expect(fake.recorded[0]?.method).toBe("POST");
    expect(fake.recorded[0]?.url).toBe("/v25.0/106540352242922/block_users");
    expect(json(fake.recorded[0])).toEqual({
      messaging_product: "whatsapp",
      block_users: [{ user: "393331234567" }, { user: "393330000000" }],
    });
  });

  it("unblocks with DELETE and the same body", async () => {
    fake.answer = () => ({
      status: 200,
      json: { block_users: { removed_users: [{ input: "1", wa_id: "1" }] } },
    });
    expect(await client().unblockUsers(["1"])).toEqual({
      ok: true,
      value: { succeeded: ["1"], failed: [] },
    });
    expect(fake.recorded[0]?.method).toBe("DELETE");
    expect(json(fake.recorded[0])).toEqual({
      messaging_product: "whatsapp",
      block_users: [{ user: "1" }],
    });
  });

  it("returns a whole-request Graph error as an error", async () => {
    fake.answer = () => ({ status: 401, json: { error: { code: 190, message: "Token expired" } } });
    expect(await client().blockUsers(["1"])).toMatchObject({
      ok: false,
      error: { code: 190, class: "fatal_config" },
    });
  });
});
