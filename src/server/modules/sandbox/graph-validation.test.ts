import { describe, expect, it } from "vitest";
import { validateSendBody } from "./graph-validation.js";

const base = { messaging_product: "whatsapp", to: "+39 333 123-4567" };

function refusal(body: unknown): { code: number; details: string } | undefined {
  const result = validateSendBody(body);
  return result.ok ? undefined : { code: result.error.code, details: result.error.details };
}

describe("validateSendBody", () => {
  it("parses a text send, normalising the recipient and keeping the input", () => {
    const result = validateSendBody({
      ...base,
      type: "text",
      text: { body: "Ciao", preview_url: true },
      biz_opaque_callback_data: "d:1",
    });
    expect(result).toEqual({
      ok: true,
      send: {
        kind: "message",
        input: "+39 333 123-4567",
        waId: "393331234567",
        callbackData: "d:1",
        message: { type: "text", body: "Ciao", previewUrl: true },
      },
    });
  });

  it("defaults the type to text, as Meta does", () => {
    const result = validateSendBody({ ...base, text: { body: "x" } });
    expect(result.ok && result.send.kind === "message" && result.send.message.type).toBe("text");
  });

  it("parses mark-as-read", () => {
    expect(
      validateSendBody({ messaging_product: "whatsapp", status: "read", message_id: "wamid.X" }),
    ).toEqual({
      ok: true,
      send: { kind: "read", messageId: "wamid.X" },
    });
  });

  it.each([
    [{ ...base, type: "text", text: { body: "" } }, "Param text['body'] must not be empty"],
    [{ ...base, type: "text" }, "Param text is required"],
    [
      { ...base, type: "image", image: { caption: "x" } },
      "Param image must contain exactly one of 'id' or 'link'",
    ],
    [
      { ...base, type: "image", image: { link: "http://insecure.example/a.png" } },
      "Param image['link'] must be a valid HTTPS URL",
    ],
    [
      { ...base, type: "audio", audio: { id: "1", caption: "x" } },
      'Unexpected key "caption" on param "audio".',
    ],
    [
      { ...base, type: "location", location: { latitude: "91", longitude: 9 } },
      "Param location['latitude'] must be a number between -90 and 90",
    ],
    [
      { ...base, type: "template", template: { name: "x" } },
      "Param template['language'] is required",
    ],
    [
      {
        ...base,
        type: "template",
        template: {
          name: "x",
          language: { code: "it" },
          components: [{ type: "button", sub_type: "url", index: "12" }],
        },
      },
      "Param template['components'][0]['index'] must be an integer between 0 and 9",
    ],
    [
      { ...base, type: "text", text: { body: "x" }, biz_opaque_callback_data: "x".repeat(513) },
      "Param biz_opaque_callback_data must be at most 512 characters long",
    ],
    [
      { ...base, recipient_type: "group", type: "text", text: { body: "x" } },
      "Param recipient_type must be 'individual' (the sandbox does not emulate groups)",
    ],
  ])("refuses %j with code 100", (body, details) => {
    expect(refusal(body)).toEqual({ code: 100, details });
  });

  it("counts characters, not UTF-16 units, against limits", () => {
    expect(refusal({ ...base, type: "text", text: { body: "🚧".repeat(4096) } })).toBeUndefined();
    expect(refusal({ ...base, type: "text", text: { body: "🚧".repeat(4097) } })?.code).toBe(100);
  });

  it("refuses an unknown type with 131051", () => {
    expect(refusal({ ...base, type: "poll" })?.code).toBe(131051);
  });

  describe("interactive", () => {
    const buttons = (list: unknown[]) => ({
      ...base,
      type: "interactive",
      interactive: { type: "button", body: { text: "Confermi?" }, action: { buttons: list } },
    });
    const reply = (id: string, title: string) => ({ type: "reply", reply: { id, title } });

    it("parses reply buttons and enforces their limits", () => {
      expect(refusal(buttons([reply("a", "Sì"), reply("b", "No")]))).toBeUndefined();
      expect(refusal(buttons([]))?.details).toBe(
        "Param interactive['action']['buttons'] must have at least 1 element",
      );
      expect(refusal(buttons([1, 2, 3, 4].map((i) => reply(`${i}`, `t${i}`))))?.details).toBe(
        "Param interactive['action']['buttons'] must have at most 3 elements",
      );
      expect(refusal(buttons([reply("a", "x".repeat(21))]))?.details).toBe(
        "Param interactive['action']['buttons'][0]['reply']['title'] must be at most 20 characters long",
      );
      expect(refusal(buttons([reply("a", "Sì"), reply("b", "Sì")]))?.details).toContain(
        "must be unique",
      );
    });

    it("enforces the list limits: 10 rows in total, row title 24", () => {
      const rows = (n: number, title = "Riga") =>
        Array.from({ length: n }, (_, i) => ({ id: `r${i}`, title }));
      const list = (sections: unknown[]) => ({
        ...base,
        type: "interactive",
        interactive: {
          type: "list",
          body: { text: "Scegli" },
          action: { button: "Apri", sections },
        },
      });
      expect(refusal(list([{ title: "A", rows: rows(10) }]))).toBeUndefined();
      expect(
        refusal(
          list([
            { title: "A", rows: rows(6) },
            { title: "B", rows: rows(5).map((r) => ({ ...r, id: `b${r.id}` })) },
          ]),
        )?.details,
      ).toBe("Param interactive['action']['sections'] must have at most 10 rows in total");
      expect(refusal(list([{ rows: rows(1, "x".repeat(25)) }]))?.details).toBe(
        "Param interactive['action']['sections'][0]['rows'][0]['title'] must be at most 24 characters long",
      );
      expect(refusal(list([{ rows: rows(1) }, { rows: rows(1) }]))?.details).toBe(
        "Param interactive['action']['sections'][0]['title'] is required",
      );
    });
  });

  it("parses template components: header, positional body, buttons", () => {
    const result = validateSendBody({
      ...base,
      type: "template",
      template: {
        name: "evento_comune",
        language: { code: "it" },
        components: [
          { type: "header", parameters: [{ type: "image", image: { id: "123" } }] },
          {
            type: "body",
            parameters: [
              { type: "text", text: "Sagra" },
              { type: "date_time", date_time: { fallback_value: "sabato" } },
            ],
          },
          {
            type: "button",
            sub_type: "url",
            index: "0",
            parameters: [{ type: "text", text: "sagra" }],
          },
          {
            type: "button",
            sub_type: "quick_reply",
            index: 1,
            parameters: [{ type: "payload", payload: "STOP" }],
          },
        ],
      },
    });
    expect(result.ok && result.send.kind === "message" && result.send.message).toEqual({
      type: "template",
      template: {
        name: "evento_comune",
        language: "it",
        header: { type: "image", media: { id: "123" } },
        body: [{ text: "Sagra" }, { text: "sabato" }],
        buttons: [
          { subType: "url", index: 0, text: "sagra" },
          { subType: "quick_reply", index: 1, payload: "STOP" },
        ],
        bodyGiven: true,
      },
    });
  });
});
