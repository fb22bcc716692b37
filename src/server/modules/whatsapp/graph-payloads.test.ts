import { describe, expect, it } from "vitest";
import {
  buildBlockBody,
  buildMarkAsReadBody,
  buildMessageBody,
  buildMessageJson,
} from "./graph-payloads.js";
import type { JsonObject } from "./graph-payloads.js";
import type { OutboundMessage, SendRequest } from "./types.js";

const TO = "+393331234567";

function body(message: OutboundMessage, extra: Partial<SendRequest> = {}): JsonObject {
  const built = buildMessageBody({ to: TO, message, ...extra });
  if (!built.ok) throw new Error(`unexpected refusal: ${built.error.details ?? ""}`);
  return built.value;
}

const envelope = { messaging_product: "whatsapp", recipient_type: "individual", to: TO };

// "The reference" and §n below: docs/whatsapp-cloud-api.md, whose examples these are.

describe("buildMessageBody: the reference's examples (§1.1–§1.8)", () => {
  it("text with preview, reply context and callback data (§1.1, §1.2)", () => {
    const text = "Avviso: ... https://comune.example.it";
    expect(
      body(
        { type: "text", body: text, previewUrl: true },
        { replyTo: "wamid.ABC", callbackData: "outbox:123" },
      ),
    ).toEqual({
      ...envelope,
      type: "text",
      text: { preview_url: true, body: text },
      context: { message_id: "wamid.ABC" },
      biz_opaque_callback_data: "outbox:123",
    });
  });

  it("leaves out what was not given", () => {
    const json = body({ type: "text", body: "Ciao" });
    expect(json).toEqual({ ...envelope, type: "text", text: { body: "Ciao" } });
    expect(Object.keys(json)).not.toContain("context");
  });

  it("media by id and by link (§1.3)", () => {
    expect(body({ type: "image", media: { id: "MEDIA_ID" }, caption: "..." })).toEqual({
      ...envelope,
      type: "image",
      image: { id: "MEDIA_ID", caption: "..." },
    });
    expect(
      body({
        type: "document",
        media: { link: "https://example.it/ordinanza.pdf" },
        caption: "...",
        filename: "ordinanza.pdf",
      }),
    ).toEqual({
      ...envelope,
      type: "document",
      document: {
        link: "https://example.it/ordinanza.pdf",
        caption: "...",
        filename: "ordinanza.pdf",
      },
    });
    expect(body({ type: "video", media: { id: "V" } })).toMatchObject({ video: { id: "V" } });
    expect(body({ type: "audio", media: { id: "A" } })).toMatchObject({
      type: "audio",
      audio: { id: "A" },
    });
  });

  it("location with string coordinates (§1.4)", () => {
    expect(
      body({
        type: "location",
        latitude: 45.4642,
        longitude: 9.19,
        name: "Municipio",
        address: "Piazza",
      }),
    ).toEqual({
      ...envelope,
      type: "location",
      location: { latitude: "45.4642", longitude: "9.19", name: "Municipio", address: "Piazza" },
    });
  });

  it("reply buttons (§1.5)", () => {
    expect(
      body({
        type: "buttons",
        header: "Iscrizione",
        body: "Vuoi ricevere gli avvisi del Comune?",
        footer: "Comune di ...",
        buttons: [
          { id: "SUB_YES", title: "Sì" },
          { id: "SUB_NO", title: "No" },
        ],
      }),
    ).toEqual({
      ...envelope,
      type: "interactive",
      interactive: {
        type: "button",
        header: { type: "text", text: "Iscrizione" },
        body: { text: "Vuoi ricevere gli avvisi del Comune?" },
        footer: { text: "Comune di ..." },
        action: {
          buttons: [
            { type: "reply", reply: { id: "SUB_YES", title: "Sì" } },
            { type: "reply", reply: { id: "SUB_NO", title: "No" } },
          ],
        },
      },
    });
  });

  it("list (§1.6)", () => {
    expect(
      body({
        type: "list",
        header: "Argomenti",
        body: "Scegli un argomento",
        footer: "...",
        buttonLabel: "Vedi opzioni",
        sections: [
          {
            title: "Servizi",
            rows: [{ id: "traffico", title: "Viabilità", description: "Chiusure strade" }],
          },
        ],
      }),
    ).toEqual({
      ...envelope,
      type: "interactive",
      interactive: {
        type: "list",
        header: { type: "text", text: "Argomenti" },
        body: { text: "Scegli un argomento" },
        footer: { text: "..." },
        action: {
          button: "Vedi opzioni",
          sections: [
            {
              title: "Servizi",
              rows: [{ id: "traffico", title: "Viabilità", description: "Chiusure strade" }],
            },
          ],
        },
      },
    });
  });

  it("template with media header, positional body and both button kinds (§1.8)", () => {
    expect(
      body({
        type: "template",
        name: "avviso_allerta_meteo",
        language: "it",
        header: { type: "image", media: { id: "MEDIA_ID" } },
        body: [{ text: "Zona Nord" }],
        buttons: [
          { subType: "quick_reply", index: 0, payload: "UNSUB" },
          { subType: "url", index: 1, text: "avviso/2026-10-03" },
        ],
      }),
    ).toEqual({
      ...envelope,
      type: "template",
      template: {
        name: "avviso_allerta_meteo",
        language: { code: "it" },
        components: [
          { type: "header", parameters: [{ type: "image", image: { id: "MEDIA_ID" } }] },
          { type: "body", parameters: [{ type: "text", text: "Zona Nord" }] },
          {
            type: "button",
            sub_type: "quick_reply",
            index: "0",
            parameters: [{ type: "payload", payload: "UNSUB" }],
          },
          {
            type: "button",
            sub_type: "url",
            index: "1",
            parameters: [{ type: "text", text: "avviso/2026-10-03" }],
          },
        ],
      },
    });
  });

  it("template headers: text, document with filename, location; named body parameters", () => {
    const template = (header: Extract<OutboundMessage, { type: "template" }>["header"]) =>
      body({
        type: "template",
        name: "t",
        language: "it",
        header,
        body: [{ name: "zona", text: "Nord" }],
      });
    expect(template({ type: "text", text: "value" })).toMatchObject({
      template: {
        components: [
          { type: "header", parameters: [{ type: "text", text: "value" }] },
          { type: "body", parameters: [{ type: "text", parameter_name: "zona", text: "Nord" }] },
        ],
      },
    });
    expect(
      template({ type: "document", media: { link: "https://x.it/x.pdf" }, filename: "x.pdf" }),
    ).toMatchObject({
      template: {
        components: [
          {
            parameters: [
              { type: "document", document: { link: "https://x.it/x.pdf", filename: "x.pdf" } },
            ],
          },
          {},
        ],
      },
    });
    expect(
      template({ type: "location", latitude: 45, longitude: 9, name: "Municipio" }),
    ).toMatchObject({
      template: {
        components: [
          {
            parameters: [
              { type: "location", location: { latitude: "45", longitude: "9", name: "Municipio" } },
            ],
          },
          {},
        ],
      },
    });
  });

  it("a template without variables has no components (hello_world)", () => {
    expect(body({ type: "template", name: "hello_world", language: "en_US" })).toEqual({
      ...envelope,
      type: "template",
      template: { name: "hello_world", language: { code: "en_US" } },
    });
  });
});

describe("other bodies", () => {
  it("mark as read (§1.10)", () => {
    expect(buildMarkAsReadBody("wamid.X")).toEqual({
      ok: true,
      value: { messaging_product: "whatsapp", status: "read", message_id: "wamid.X" },
    });
    expect(buildMarkAsReadBody("").ok).toBe(false);
  });

  it("block and unblock (§1b), at most 1,000 users", () => {
    expect(buildBlockBody(["393331234567", "393339876543"])).toEqual({
      ok: true,
      value: {
        messaging_product: "whatsapp",
        block_users: [{ user: "393331234567" }, { user: "393339876543" }],
      },
    });
    const tooMany = buildBlockBody(Array.from({ length: 1001 }, (_, i) => String(i)));
    expect(tooMany).toMatchObject({ ok: false, error: { code: 100, class: "fatal_config" } });
    expect(buildBlockBody([]).ok).toBe(false);
  });
});

describe("buildMessageJson: the same body as JSON text, its message part built once", () => {
  const messages: OutboundMessage[] = [
    { type: "text", body: 'Avviso "quotato" è\nqui', previewUrl: true },
    { type: "image", media: { id: "M1" }, caption: "Foto" },
    { type: "document", media: { link: "https://x.it/a.pdf" }, filename: "a.pdf" },
    { type: "audio", media: { id: "A1" } },
    { type: "location", latitude: 45.46, longitude: 9.19, name: "Municipio" },
    { type: "buttons", body: "Iscriversi?", footer: "Comune", buttons: [{ id: "Y", title: "Sì" }] },
    {
      type: "list",
      body: "Scegli",
      buttonLabel: "Apri",
      sections: [{ title: "Uffici", rows: [{ id: "a", title: "A", description: "Anagrafe" }] }],
    },
    {
      type: "template",
      name: "notizia_comune",
      language: "it",
      header: { type: "image", media: { id: "H1" } },
      body: [{ text: "Mercoledì 25 novembre" }],
      buttons: [{ subType: "quick_reply", index: 0, payload: "STOP" }],
    },
    // Refused: the problems must be the same, in the same order, on every send.
    { type: "text", body: "" },
    { type: "template", name: "Bad Name", language: "it", body: [{ text: "a\nb" }] },
  ];
  const extras: Partial<SendRequest>[] = [
    {},
    { callbackData: "om:42" },
    { replyTo: "wamid.Q", callbackData: "om:1" },
    { callbackData: "" },
    { to: "" },
  ];
  it.each(messages.map((m, i) => [i, m.type, m] as const))("message %i (%s)", (_, __, message) => {
    for (const extra of extras) {
      // Twice: the second send reads the message part built by the first.
      for (const round of [1, 2]) {
        const request = { to: TO, message, ...extra };
        const expected = buildMessageBody(request);
        const got = buildMessageJson(request);
        if (expected.ok)
          expect(got, `round ${round}`).toEqual({
            ok: true,
            value: JSON.stringify(expected.value),
          });
        else expect(got, `round ${round}`).toEqual(expected);
      }
    }
  });
});
