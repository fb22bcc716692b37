import { beforeEach, describe, expect, it } from "vitest";
import { closedPort, recordingGraphKit } from "../../test/recording-graph-server.js";
import { SYNTHETIC_CODES } from "./send-errors.js";
import type { OutboundMessage } from "./types.js";

/** Sending through a recording fake of the Graph API: the bytes on the wire, and every fault. */

const { fake, client, json } = recordingGraphKit();

const SUCCESS = {
  messaging_product: "whatsapp",
  contacts: [{ input: "+393331234567", wa_id: "393331234567" }],
  messages: [{ id: "wamid.HBgL" }],
};

beforeEach(() => fake.reset(SUCCESS));

const text: OutboundMessage = { type: "text", body: "Avviso" };
const to = "+393331234567";

describe("send", () => {
  it("posts JSON to /{version}/{phone number id}/messages with the bearer token", async () => {
    const outcome = await client().send({ to, message: text, callbackData: "outbox:1" });
    expect(outcome).toEqual({ ok: true, messageId: "wamid.HBgL", waId: "393331234567" });
    const [req] = fake.recorded;
    expect(req?.method).toBe("POST");
    expect(req?.url).toBe("/v25.0/106540352242922/messages");
    expect(req?.headers.authorization).toBe("Bearer TEST_TOKEN");
    expect(req?.headers["content-type"]).toBe("application/json");
    expect(json(req)).toEqual({
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to,
      type: "text",
      text: { body: "Avviso" },
      biz_opaque_callback_data: "outbox:1",
    });
  });

  it("keeps the sandbox's path prefix", async () => {
    await client({ baseUrl: `${fake.origin}/sandbox/graph/` }).send({ to, message: text });
    expect(fake.recorded[0]?.url).toBe("/sandbox/graph/v25.0/106540352242922/messages");
  });

  it.each<[OutboundMessage, string]>([
    [{ type: "image", media: { id: "M1" }, caption: "Foto" }, "image"],
    [{ type: "document", media: { link: "https://x.it/a.pdf" }, filename: "a.pdf" }, "document"],
    [{ type: "audio", media: { id: "A1" } }, "audio"],
    [{ type: "location", latitude: 45.46, longitude: 9.19 }, "location"],
    [{ type: "buttons", body: "Iscriversi?", buttons: [{ id: "Y", title: "Sì" }] }, "interactive"],
    [
      {
        type: "list",
        body: "Scegli",
        buttonLabel: "Apri",
        sections: [{ rows: [{ id: "a", title: "A" }] }],
      },
      "interactive",
    ],
    [{ type: "template", name: "avviso", language: "it", body: [{ text: "Nord" }] }, "template"],
  ])("sends %j as type %s, without callback data when none is given", async (message, type) => {
    await client().send({ to, message });
    const body = json(fake.recorded[0]) as Record<string, unknown>;
    expect(body.type).toBe(type);
    expect(body[type]).toBeDefined();
    expect(body).not.toHaveProperty("biz_opaque_callback_data");
  });

  it("turns Meta's error JSON into a classified error", async () => {
    fake.answer = () => ({
      status: 400,
      json: {
        error: {
          message: "(#131026) Message undeliverable",
          type: "OAuthException",
          code: 131026,
          error_data: { messaging_product: "whatsapp", details: "Receiver is incapable" },
          fbtrace_id: "A",
        },
      },
    });
    expect(await client().send({ to, message: text })).toEqual({
      ok: false,
      error: {
        code: 131026,
        title: "(#131026) Message undeliverable",
        details: "Receiver is incapable",
        class: "permanent",
        httpStatus: 400,
      },
    });
  });

  it("backs off on an HTTP 500 without a Graph body", async () => {
    fake.answer = () => ({ status: 500, text: "<html>oops</html>" });
    expect(await client().send({ to, message: text })).toMatchObject({
      ok: false,
      error: { code: SYNTHETIC_CODES.http, class: "backoff", httpStatus: 500 },
    });
  });

  it("backs off, with a limit, on a 200 it cannot read", async () => {
    fake.answer = () => ({ status: 200, json: { messages: [] } });
    expect(await client().send({ to, message: text })).toMatchObject({
      ok: false,
      error: { code: SYNTHETIC_CODES.badResponse, class: "backoff", maxAttempts: 3 },
    });
  });

  it("times out a server that never answers", async () => {
    fake.answer = () => "hang";
    const started = Date.now();
    const outcome = await client({ timeoutMs: 200 }).send({ to, message: text });
    expect(outcome).toMatchObject({
      ok: false,
      error: { code: SYNTHETIC_CODES.timeout, class: "backoff" },
    });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it("backs off when the server drops the connection", async () => {
    fake.answer = () => "destroy";
    expect(await client().send({ to, message: text })).toMatchObject({
      ok: false,
      error: { code: SYNTHETIC_CODES.connection, class: "backoff" },
    });
  });

  it("backs off when the connection is refused", async () => {
    const port = await closedPort();
    const outcome = await client({ baseUrl: `http://127.0.0.1:${port}` }).send({
      to,
      message: text,
    });
    expect(outcome).toMatchObject({
      ok: false,
      error: { code: SYNTHETIC_CODES.connection, class: "backoff" },
    });
    if (!outcome.ok) expect(outcome.error.details).toMatch(/ECONNREFUSED/);
  });

  it("returns an aborted send as a value", async () => {
    fake.answer = () => "hang";
    const controller = new AbortController();
    const pending = client().send({ to, message: text }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect(await pending).toMatchObject({ ok: false, error: { code: SYNTHETIC_CODES.aborted } });
  });

  it("refuses an invalid message without any HTTP call", async () => {
    const outcome = await client().send({ to, message: { type: "text", body: "x".repeat(5000) } });
    expect(outcome).toMatchObject({ ok: false, error: { code: 100, class: "fatal_config" } });
    expect(fake.recorded).toHaveLength(0);
  });
});

describe("markAsRead", () => {
  it("posts the read status to /messages", async () => {
    fake.answer = () => ({ status: 200, json: { success: true } });
    expect(await client().markAsRead("wamid.X")).toEqual({ ok: true, value: undefined });
    expect(fake.recorded[0]?.url).toBe("/v25.0/106540352242922/messages");
    expect(json(fake.recorded[0])).toEqual({
      messaging_product: "whatsapp",
      status: "read",
      message_id: "wamid.X",
    });
  });
});
