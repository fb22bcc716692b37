import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SANDBOX_SECRETS } from "../../config/tenants.js";
import { createLogger } from "../../platform/log.js";
import { buildTestApp, fakeClock, type TestApp } from "../../test/build-test-app.js";
import { testEngines } from "../../test/engines.js";
import { claimInboundEvents, countUnprocessedInboundEvents } from "./inbound-events.repository.js";
import {
  InboundEventProcessor,
  releaseClaimsLeftByACrash,
  statusesWaitingSince,
  type InboundEventHandlers,
} from "./inbound-events.service.js";
import type { WebhookEvent } from "./webhook-events.js";
import { signWebhookBody } from "./webhook-signature.js";

const fixture = (name: string) =>
  readFileSync(new URL(`../../test/fixtures/whatsapp/${name}.json`, import.meta.url), "utf8");

const WABA = "200000000000001";

type Notification = { entry: { changes: { value: Record<string, unknown> }[] }[] };

/** One notification with `count` delivered statuses of new wamids, to the given recipients. */
function statusesBody(count: number, recipient: (i: number) => string, tag = "flood"): string {
  return JSON.stringify({
    object: "whatsapp_business_account",
    entry: [
      {
        id: WABA,
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: {
                display_phone_number: "393665784663",
                phone_number_id: "100000000000001",
              },
              statuses: Array.from({ length: count }, (_, i) => ({
                id: `wamid.${tag}-${i}`,
                status: "delivered",
                timestamp: "1789383600",
                recipient_id: recipient(i),
              })),
            },
          },
        ],
      },
    ],
  });
}

/** A text message from `from` with a wamid of its own. */
function textFrom(from: string, id: string, text = "Buongiorno"): string {
  return fixture("text")
    .replaceAll("393331234567", from)
    .replace(/"id": "wamid\.[^"]+"/, `"id": "wamid.${id}"`)
    .replace("ATTIVA ISCRIZIONE", text);
}

function post(
  t: TestApp,
  body: string,
  signature = signWebhookBody(body, SANDBOX_SECRETS.appSecret),
) {
  return t.app.inject({
    method: "POST",
    url: "/webhooks/whatsapp",
    headers: {
      "content-type": "application/json",
      ...(signature ? { "x-hub-signature-256": signature } : {}),
    },
    payload: body,
  });
}

async function storedEvents(t: TestApp) {
  return t.database.db
    .selectFrom("inbound_events")
    .select(["tenant_id", "kind", "dedup_key", "processed_at"])
    .orderBy("id")
    .execute();
}

describe.each(testEngines())("POST /webhooks/whatsapp on %s", (engine) => {
  let t: TestApp;
  const handled: { tenant: string; event: WebhookEvent }[] = [];
  beforeEach(async () => {
    handled.length = 0;
    t = await buildTestApp({
      engine,
      handlers: {
        message: (event, tenant) => {
          handled.push({ tenant: tenant.slug, event });
          return Promise.resolve();
        },
        status: (event, tenant) => {
          handled.push({ tenant: tenant.slug, event });
          return Promise.resolve();
        },
      },
    });
  });
  afterEach(async () => {
    await t.close();
  });

  it("stores a signed text message once, routed to its comune, and hands it on after the answer", async () => {
    const body = fixture("text");
    const res = await post(t, body);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ received: 1, stored: 1 });
    const rows = await storedEvents(t);
    expect(rows).toEqual([
      {
        tenant_id: "concorezzo",
        kind: "message",
        dedup_key: expect.stringMatching(/^message:wamid\./) as string,
        processed_at: null,
      },
    ]);

    await t.inboundProcessor.drain();
    expect(handled).toHaveLength(1);
    expect(handled[0]?.tenant).toBe("concorezzo");
    expect(handled[0]?.event.kind).toBe("message");
    expect((await storedEvents(t))[0]?.processed_at).toEqual(expect.any(Number));
  });

  it("stores a redelivered webhook only once and handles it once", async () => {
    const body = fixture("text");
    expect((await post(t, body)).json()).toEqual({ received: 1, stored: 1 });
    expect((await post(t, body)).json()).toEqual({ received: 1, stored: 0 });
    await t.inboundProcessor.drain();
    expect(await post(t, body)).toMatchObject({ statusCode: 200 });
    await t.inboundProcessor.drain();
    expect(await storedEvents(t)).toHaveLength(1);
    expect(handled).toHaveLength(1);
  });

  it("refuses a missing signature, a wrong one, and a body changed by one byte, storing nothing", async () => {
    const body = fixture("text");
    const signature = signWebhookBody(body, SANDBOX_SECRETS.appSecret);
    const tampered = body.replace('"body"', '"bodY"');
    expect(tampered).not.toBe(body);
    for (const res of [
      await post(t, body, ""),
      await post(t, body, signWebhookBody(body, "another-app-secret")),
      await post(t, tampered, signature),
      await post(t, body, "sha256=xyz"),
    ]) {
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: { code: "INVALID_SIGNATURE" } });
    }
    expect(await storedEvents(t)).toEqual([]);
  });

  it("answers malformed JSON with 400 and stores nothing", async () => {
    const res = await post(t, '{"object": "whatsapp_business_account", "entry": [');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: "INVALID_JSON" } });
    expect(await storedEvents(t)).toEqual([]);
  });

  it("answers a payload missing what we need with 400 naming the field, and stores nothing", async () => {
    const broken = JSON.parse(fixture("text")) as {
      entry: { changes: { value: { messages: { id?: string }[] } }[] }[];
    };
    delete broken.entry[0]!.changes[0]!.value.messages[0]!.id;
    const res = await post(t, JSON.stringify(broken));
    expect(res.statusCode).toBe(400);
    const error = res.json<{ error: { code: string; details: { field: string }[] } }>().error;
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.details.map((d) => d.field).join(" ")).toMatch(/messages\.0\.id/);
    expect(await storedEvents(t)).toEqual([]);
  });

  it("takes a signed notification of 2 MiB (Meta sends up to 3 MB) and refuses one over 3 MiB with 413", async () => {
    const sized = (bytes: number) => {
      const body = JSON.parse(fixture("text")) as Notification;
      body.entry[0]!.changes[0]!.value["added_in_v99"] = "x".repeat(bytes);
      return JSON.stringify(body);
    };
    const taken = await post(t, sized(2 * 1024 * 1024));
    expect(taken.statusCode).toBe(200);
    expect(taken.json()).toEqual({ received: 1, stored: 1 });
    const refused = await post(t, sized(3 * 1024 * 1024));
    expect(refused.statusCode).toBe(413);
    expect(refused.json()).toMatchObject({ error: { code: "BODY_TOO_LARGE" } });
    expect(await storedEvents(t)).toHaveLength(1);
  });

  it("answers a signed notification nested 100,000 levels deep with 400, never 500, and stores nothing", async () => {
    const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`;
    const account = (waba: string, value: string) =>
      `{"object":"whatsapp_business_account","entry":[{"id":"${waba}","time":1789386000,` +
      `"changes":[{"field":"account_update","value":{"event":"X","added_in_v99":${value}}}]}]}`;
    const message = fixture("text").replace(
      '"type": "text"',
      `"type":"text","zz":${deep(100_000)}`,
    );
    for (const body of [
      // An account-level value is kept whole, unknown fields and all: hashing it for the dedup
      // key overflowed the stack, for an account we know…
      account(WABA, deep(100_000)),
      // …and for one we do not, since the hash was taken before routing.
      account("999999999999999", deep(100_000)),
      account(WABA, deep(3_000)),
      message,
      `${"[".repeat(100_000)}${"]".repeat(100_000)}`,
    ]) {
      const res = await post(t, body);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({
        error: { code: "NESTING_TOO_DEEP", message: expect.stringContaining("32") as string },
      });
    }
    expect(await storedEvents(t)).toEqual([]);
  });

  it("keeps an account-level value whose unknown fields nest as deep as the limit allows", async () => {
    // The envelope takes 6 levels (object, entry, entry[0], changes, changes[0], value).
    const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`;
    const body = (levels: number) =>
      `{"object":"whatsapp_business_account","entry":[{"id":"${WABA}","time":1789386000,` +
      `"changes":[{"field":"account_update","value":{"event":"X","deep":${nested(levels)}}}]}]}`;
    const kept = await post(t, body(26));
    expect(kept.statusCode).toBe(200);
    expect(kept.json()).toEqual({ received: 1, stored: 1 });
    expect((await post(t, body(27))).statusCode).toBe(400);
    expect(await storedEvents(t)).toHaveLength(1);
  });

  it("stores a message whose wamid and text carry U+0000 and a lone UTF-16 half, once", async () => {
    // JSON escapes can carry what a text column cannot keep: PostgreSQL refused the dedup key
    // (a 500), SQLite kept U+FFFD and the answer counted nothing stored.
    const body = fixture("text")
      .replace(/"id": "wamid\.[^"]+"/, '"id": "wamid.odd\\u0000\\ud800"')
      .replace("ATTIVA ISCRIZIONE", "Ciao\\u0000");
    expect((await post(t, body)).json()).toEqual({ received: 1, stored: 1 });
    expect((await post(t, body)).json()).toEqual({ received: 1, stored: 0 });
    expect((await storedEvents(t)).map((r) => r.dedup_key)).toEqual([
      "message:wamid.odd\ufffd\ufffd",
    ]);
  });

  it("refuses a notification of more than 1,000 events with 400 naming the count, storing nothing", async () => {
    const refused = await post(
      t,
      statusesBody(1001, (i) => `39333${i}`),
    );
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({
      error: {
        code: "TOO_MANY_EVENTS",
        message: "La notifica contiene più di 1000 eventi",
        details: [{ field: "body", problem: "1001 events, at most 1000 per notification" }],
      },
    });
    expect(await storedEvents(t)).toEqual([]);
    // As many as Meta batches: all stored.
    const taken = await post(
      t,
      statusesBody(1000, (i) => `39333${i}`),
    );
    expect(taken.json()).toEqual({ received: 1000, stored: 1000 });
  });

  it("refuses a list longer than any notification before reading its items", async () => {
    const body = JSON.parse(fixture("text")) as Notification;
    body.entry[0]!.changes[0]!.value["contacts"] = Array.from({ length: 1001 }, () => ({}));
    const res = await post(t, JSON.stringify(body));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      error: {
        code: "TOO_MANY_EVENTS",
        details: [
          { field: "entry.0.changes.0.value.contacts", problem: "1001 contacts, at most 1000" },
        ],
      },
    });
  });

  it("names at most 20 problems of a notification it refuses", async () => {
    const body = statusesBody(500, (i) => `39333${i}`).replaceAll(
      '"status":"delivered"',
      '"status":7',
    );
    const res = await post(t, body);
    expect(res.statusCode).toBe(400);
    const details = res.json<{ error: { details: { field: string; problem: string }[] } }>().error
      .details;
    expect(details).toHaveLength(21);
    expect(details[20]).toEqual({ field: "body", problem: "480 more problems" });
  });

  it("acknowledges an event for an unknown phone-number id without storing it", async () => {
    const body = fixture("text").replaceAll("100000000000001", "999999999999999");
    const res = await post(t, body);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ received: 1, stored: 0 });
    const metrics = await t.app.inject({ method: "GET", url: "/metrics" });
    expect(metrics.body).toContain("banditore_webhook_unknown_phone_number_total 1");
  });

  it("stores Meta's documented payloads of every kind", async () => {
    for (const name of [
      "interactive-button-reply",
      "image",
      "location",
      "unsupported",
      "unknown-message-type",
      "status-sent",
      "status-failed",
      "status-played",
      "value-errors",
      "user-preferences-stop",
      "template-status-paused",
      "phone-number-quality-update",
      "bsuid-message",
      "batched",
    ]) {
      const res = await post(t, fixture(name));
      expect(res.statusCode, name).toBe(200);
      expect(res.json<{ stored: number }>().stored, name).toBeGreaterThan(0);
    }
    const kinds = new Set((await storedEvents(t)).map((r) => r.kind));
    expect(kinds).toEqual(new Set(["message", "status", "error", "account"]));
    await t.inboundProcessor.drain();
    expect(await countUnprocessedInboundEvents(t.database.db)).toBe(0);
  });
});

describe.each(testEngines())("what one webhook sender can make us store, on %s", (engine) => {
  let t: TestApp;
  const clock = fakeClock();
  const order: string[] = [];
  beforeEach(async () => {
    order.length = 0;
    t = await buildTestApp({
      engine,
      clock,
      handlers: {
        message: (event) => {
          order.push(`message ${event.message.id}`);
          return Promise.resolve();
        },
        status: () => {
          order.push("status");
          return Promise.resolve();
        },
      },
    });
  });
  afterEach(async () => {
    await t.close();
  });

  const droppedMetric = async (kind: string) => {
    const metrics = (await t.app.inject({ method: "GET", url: "/metrics" })).body;
    const line = metrics
      .split("\n")
      .find((l) => l.startsWith(`banditore_webhook_events_dropped_total{kind="${kind}"`));
    return line ? Number(line.split(" ").pop()) : 0;
  };

  it("drops one number's messages past 60 a minute, counts them, and takes them again the minute after", async () => {
    const flooder = "393471234568";
    for (let i = 0; i < 60; i++) {
      expect((await post(t, textFrom(flooder, `flood-${i}`))).json()).toEqual({
        received: 1,
        stored: 1,
      });
    }
    // Answered 200 all the same: Meta retrying would only bring them back.
    const over = await post(t, textFrom(flooder, "flood-60"));
    expect(over.statusCode).toBe(200);
    expect(over.json()).toEqual({ received: 1, stored: 0, dropped: 1 });
    expect(await droppedMetric("message")).toBe(1);
    // Another citizen writing meanwhile is not held back by it.
    expect((await post(t, textFrom("393281234569", "other"))).json()).toMatchObject({ stored: 1 });

    clock.advance(60_000);
    expect((await post(t, textFrom(flooder, "flood-61"))).json()).toEqual({
      received: 1,
      stored: 1,
    });
    const stored = await storedEvents(t);
    expect(stored).toHaveLength(62);
    expect(stored.map((r) => r.dedup_key)).not.toContain("message:wamid.flood-60");
  });

  it("drops statuses about one recipient past 300 a minute, keeping the rest of the request", async () => {
    // 1,000 statuses, every other one about the same number.
    const res = await post(
      t,
      statusesBody(1000, (i) =>
        i % 2 === 0 ? "393331234567" : `3934${String(i).padStart(8, "0")}`,
      ),
    );
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ received: 1000, stored: 800, dropped: 200 });
    expect(await droppedMetric("status")).toBe(200);
  });

  it("handles a citizen's message ahead of the statuses stored before it", async () => {
    const firstStatusAt = clock.now();
    for (let r = 0; r < 5; r++) {
      const body = statusesBody(1000, (i) => `3935${r}${String(i).padStart(7, "0")}`, `bulk-${r}`);
      expect((await post(t, body)).json()).toMatchObject({ stored: 1000 });
      clock.advance(10);
    }
    expect(
      (await post(t, textFrom("393331234567", "citizen", "ATTIVA ISCRIZIONE"))).json(),
    ).toEqual({
      received: 1,
      stored: 1,
    });
    // The dispatcher's "statuses waiting since" still reads the oldest status.
    expect(await statusesWaitingSince(t.database.db, "concorezzo")).toBe(firstStatusAt);
    await t.inboundProcessor.drain();
    expect(order).toHaveLength(5001);
    // First, before any of the 5,000 statuses that arrived earlier.
    expect(order[0]).toBe("message wamid.citizen");
    expect(await statusesWaitingSince(t.database.db, "concorezzo")).toBeUndefined();
  });
});

describe("GET /webhooks/whatsapp (verification)", () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp();
  });
  afterEach(async () => {
    await t.close();
  });

  it("echoes the challenge as plain text when the verify token is a comune's", async () => {
    const res = await t.app.inject({
      method: "GET",
      url: `/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${SANDBOX_SECRETS.verifyToken}&hub.challenge=1158201444`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    expect(res.body).toBe("1158201444");
  });

  it("refuses a wrong token with 403", async () => {
    const res = await t.app.inject({
      method: "GET",
      url: "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1",
    });
    expect(res.statusCode).toBe(403);
  });
});

describe("inbound event processing", () => {
  it("retries a failing handler after a pause, and another process picks up what was left", async () => {
    const clock = fakeClock();
    let fail = true;
    const seen: string[] = [];
    const handlers: InboundEventHandlers = {
      message: (event) => {
        seen.push(event.message.id);
        return fail ? Promise.reject(new Error("citizens part is down")) : Promise.resolve();
      },
    };
    const t = await buildTestApp({ clock, handlers });
    try {
      await post(t, fixture("text"));
      await t.inboundProcessor.drain();
      const row = () =>
        t.database.db
          .selectFrom("inbound_events")
          .select(["processed_at", "attempts", "error"])
          .executeTakeFirstOrThrow();
      expect(await row()).toEqual({
        processed_at: null,
        attempts: 1,
        error: "Error: citizens part is down",
      });

      fail = false;
      await t.inboundProcessor.drain(); // within the retry pause: not tried again yet
      expect(seen).toHaveLength(1);

      // As after a restart: a new processor on the same database, once the pause is over.
      clock.advance(2_001);
      const restarted = new InboundEventProcessor({
        db: t.database.db,
        tenants: t.tenants,
        handlers,
        clock,
        log: createLogger("silent"),
      });
      await restarted.drain();
      expect(seen).toHaveLength(2);
      expect(await row()).toEqual({ processed_at: clock.now(), attempts: 2, error: null });
    } finally {
      await t.close();
    }
  });

  it("says since when statuses wait to be handled, and frees the claims a crash left", async () => {
    const clock = fakeClock();
    const t = await buildTestApp({ clock, handlers: { status: () => Promise.resolve() } });
    const db = t.database.db;
    try {
      expect(await statusesWaitingSince(db, "concorezzo")).toBeUndefined();
      await post(t, fixture("status-sent"));
      const receivedAt = clock.now();
      clock.advance(1_000);
      expect(await statusesWaitingSince(db, "concorezzo")).toBe(receivedAt);
      expect(await statusesWaitingSince(db, "casale-marittimo")).toBeUndefined();

      // A process claims it and dies before handling it: the claim holds it back for a minute.
      await claimInboundEvents(db, {
        now: clock.now(),
        leaseMs: 60_000,
        limit: 10,
        maxAttempts: 10,
      });
      await t.inboundProcessor.drain();
      expect(await statusesWaitingSince(db, "concorezzo")).toBe(receivedAt);

      expect(await releaseClaimsLeftByACrash(db)).toBe(1);
      await t.inboundProcessor.drain();
      expect(await statusesWaitingSince(db, "concorezzo")).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});
