import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningServer } from "./server.js";
import { until as pollUntil } from "./test/dispatch-harness.js";
import { startInProcessServer, type InProcessServer } from "./test/in-process-server.js";
import type { OutboundMessage, SendOutcome } from "./modules/whatsapp/types.js";
import { STATUS_BATCH_MS } from "./modules/sandbox/settings.js";

// The whole loop over real HTTP on loopback, as `npm start` runs it in sandbox mode:
// simulated phone → sandbox → signed webhook → our endpoint → stored → handled;
// our client → sandbox Graph API → status webhooks → our endpoint.

const MARIO = "393331234567";
let running: InProcessServer;
let server: RunningServer;
let baseUrl: string;

async function api<T>(
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; json: T }> {
  const res = await fetch(`${baseUrl}${url}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : null) as T };
}

/** Everything runs in this process, so a shorter wait, checked more often than the harness's. */
const until = <T>(what: string, probe: () => Promise<T | undefined>) =>
  pollUntil(what, probe, 5_000, 25);

beforeAll(async () => {
  running = await startInProcessServer();
  ({ server, baseUrl } = running);
  await api("PUT", "/sandbox/api/settings", { statusDelayMs: { min: 1, max: 5 } });
});

afterAll(async () => {
  await running.close();
});

beforeEach(async () => {
  await api("POST", "/sandbox/api/reset");
});

describe("sandbox mode, end to end", () => {
  it("says so in the start log, with the /sandbox address", () => {
    expect(running.log()).toContain("Sandbox mode: no Meta credentials are configured");
    expect(running.log()).toMatch(/Play a citizen at http:\/\/127\.0\.0\.1:\d+\/sandbox/);
  });

  it("serves the simulated phones page", async () => {
    const res = await fetch(`${baseUrl}/sandbox`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await res.text()).toContain('lang="it"');
  });

  it("delivers a simulated phone's text to the comune through the signed webhook, once", async () => {
    const sent = await api<{
      message: { id: string; status: string };
      webhook: { status: number };
    }>("POST", `/sandbox/api/phones/${MARIO}/messages`, {
      to: "393665784663",
      text: "ATTIVA ISCRIZIONE",
      name: "Mario Rossi",
    });
    expect(sent.status).toBe(202);
    expect(sent.json.webhook.status).toBe(200);

    // Handled after the answer: the citizens' part subscribes them, logged masked.
    await until("the message to be handled", () =>
      Promise.resolve(
        running.log().includes('"event":"citizens.message_handled","tenant":"concorezzo"') ||
          undefined,
      ),
    );
    expect(running.log()).toContain('"sender":"3933•••••567"');
    expect(running.log()).not.toContain(MARIO);
    expect(running.log()).not.toContain("ATTIVA ISCRIZIONE");

    // Their message once, and the comune's confirmation after it.
    const conversation = await until("the confirmation", async () => {
      const res = await api<{
        messages: { id: string; direction: string; status: string; text?: string }[];
      }>("GET", `/sandbox/api/phones/${MARIO}/messages?to=393665784663`);
      return res.json.messages.length >= 2 ? res.json.messages : undefined;
    });
    expect(conversation).toEqual([
      expect.objectContaining({
        id: sent.json.message.id,
        direction: "from_phone",
        status: "delivered",
      }),
      expect.objectContaining({
        direction: "to_phone",
        text: expect.stringContaining("La tua iscrizione a *WhatsConcorezzo* è attiva") as unknown,
      }),
    ]);
  });

  it("lets the comune's client send every message type to a phone that wrote, with statuses coming back", async () => {
    // One POST per status, so that the webhook count at the end counts every status.
    await api("PUT", "/sandbox/api/settings", { statusBatchMs: 0 });
    try {
      await sendEveryMessageType();
    } finally {
      await api("PUT", "/sandbox/api/settings", { statusBatchMs: STATUS_BATCH_MS });
    }
  });

  async function sendEveryMessageType(): Promise<void> {
    // Writing opens Concorezzo's 24-hour window for this phone: free-form messages may follow.
    await api("POST", `/sandbox/api/phones/${MARIO}/messages`, {
      to: "393665784663",
      text: "Ciao",
      name: "Mario Rossi",
    });
    const client = server.whatsapp.forTenant("concorezzo");
    const upload = await client.uploadMedia({
      data: new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d]),
      mimeType: "application/pdf",
      filename: "ordinanza.pdf",
    });
    expect(upload.ok).toBe(true);
    const mediaId = upload.ok ? upload.value.id : "";

    const messages: OutboundMessage[] = [
      { type: "text", body: "Benvenuto! https://www.comune.concorezzo.mb.it", previewUrl: true },
      {
        type: "image",
        media: { link: "https://www.comune.concorezzo.mb.it/foto.jpg" },
        caption: "La piazza",
      },
      { type: "document", media: { id: mediaId }, caption: "Ordinanza", filename: "ordinanza.pdf" },
      { type: "video", media: { link: "https://www.comune.concorezzo.mb.it/video.mp4" } },
      { type: "audio", media: { link: "https://www.comune.concorezzo.mb.it/avviso.mp3" } },
      {
        type: "location",
        latitude: 45.5897,
        longitude: 9.3357,
        name: "Municipio",
        address: "Piazza della Pace 2",
      },
      {
        type: "buttons",
        body: "Confermi l'iscrizione?",
        buttons: [
          { id: "yes", title: "Confermo" },
          { id: "no", title: "Annulla" },
        ],
      },
      {
        type: "list",
        body: "Scegli gli argomenti",
        buttonLabel: "Argomenti",
        sections: [
          {
            title: "Servizi",
            rows: [{ id: "viabilita", title: "Viabilità", description: "Chiusure" }],
          },
        ],
      },
      {
        type: "template",
        name: "chiusura_strada",
        language: "it",
        body: [{ text: "via Roma" }, { text: "lunedì 23 novembre" }, { text: "lavori" }],
      },
    ];
    const outcomes: SendOutcome[] = [];
    for (const [i, message] of messages.entries()) {
      outcomes.push(await client.send({ to: MARIO, message, callbackData: `outbound:${i}` }));
    }
    for (const [i, outcome] of outcomes.entries()) {
      expect(outcome, `${messages[i]?.type}: ${JSON.stringify(outcome)}`).toMatchObject({
        ok: true,
        waId: MARIO,
      });
    }

    const conversation = await until("every message to be delivered", async () => {
      const res = await api<{
        messages: { id: string; direction: string; type: string; status: string }[];
      }>("GET", `/sandbox/api/phones/${MARIO}/messages`);
      // This client's sends only: the comune's automatic replies to Mario are not part of it.
      const sentIds = new Set(outcomes.map((o) => (o.ok ? o.messageId : "")));
      const received = res.json.messages.filter(
        (m) => m.direction === "to_phone" && sentIds.has(m.id),
      );
      return received.length === messages.length && received.every((m) => m.status === "delivered")
        ? received
        : undefined;
    });
    expect(conversation.map((m) => m.type)).toEqual([
      "text",
      "image",
      "document",
      "video",
      "audio",
      "location",
      "interactive",
      "interactive",
      "template",
    ]);

    // The latest interactive message is the list: the phone taps one of its rows.
    const tap = await api<{ webhook: { status: number } }>(
      "POST",
      `/sandbox/api/phones/${MARIO}/messages`,
      {
        to: "393665784663",
        tap: "Viabilità",
      },
    );
    expect(tap.status).toBe(202);
    expect(tap.json.webhook.status).toBe(200);

    // Every webhook the sandbox posted (inbound and statuses) passed our signature check.
    const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
    const webhookCount = (status: number) =>
      Number(
        new RegExp(
          `banditore_http_request_duration_seconds_count\\{method="POST",route="/webhooks/whatsapp",status_code="${status}"\\} (\\d+)`,
        ).exec(metrics)?.[1] ?? 0,
      );
    expect(webhookCount(200)).toBeGreaterThanOrEqual(2 * messages.length + 2);
    expect(webhookCount(401)).toBe(0);
  }

  it("classifies the sandbox's refusals as the client's error classes", async () => {
    const client = server.whatsapp.forTenant("casale-marittimo");
    const outsideWindow = await client.send({
      to: "393339990000",
      message: { type: "text", body: "Ciao" },
    });
    expect(outsideWindow).toMatchObject({ ok: false, error: { code: 131047, class: "permanent" } });

    const unknownTemplate = await client.send({
      to: "393339990000",
      message: { type: "template", name: "non_esiste", language: "it" },
    });
    expect(unknownTemplate).toMatchObject({
      ok: false,
      error: { code: 132001, class: "fatal_config" },
    });

    await api("PUT", "/sandbox/api/settings", { throughputPerSecond: 3 });
    try {
      const burst = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          client.send({
            to: `39333000000${i}`,
            message: { type: "template", name: "hello_world", language: "en_US" },
          }),
        ),
      );
      const throttled = burst.filter((o) => !o.ok);
      expect(burst.filter((o) => o.ok)).toHaveLength(3);
      expect(throttled).toHaveLength(5);
      for (const o of throttled)
        expect(o).toMatchObject({ ok: false, error: { code: 130429, class: "retry_later" } });
    } finally {
      await api("PUT", "/sandbox/api/settings", { throughputPerSecond: 80 });
    }
  });

  it("lists the comune's approved templates through the client", async () => {
    const templates = await server.whatsapp.forTenant("concorezzo").listTemplates();
    expect(templates.ok).toBe(true);
    const names = templates.ok ? templates.value.map((t) => t.name) : [];
    expect(names).toEqual(
      expect.arrayContaining(["avviso_protezione_civile", "notizia_comune", "chiusura_strada"]),
    );
  });
});
