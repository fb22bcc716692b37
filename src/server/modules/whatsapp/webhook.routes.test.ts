import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SANDBOX_SECRETS } from "../../config/tenants.js";
import { createLogger } from "../../platform/log.js";
import { buildTestApp, fakeClock, type TestApp } from "../../test/build-test-app.js";
import { testEngines } from "../../test/engines.js";
import { claimInboundEvents } from "./inbound-events.repository.js";
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

  it("refuses a body over 1 MiB with 413", async () => {
    const big = JSON.stringify({
      object: "whatsapp_business_account",
      entry: [],
      pad: "x".repeat(1024 * 1024),
    });
    const res = await post(t, big);
    expect(res.statusCode).toBe(413);
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
    const left = await t.database.db
      .selectFrom("inbound_events")
      .select("id")
      .where("processed_at", "is", null)
      .execute();
    expect(left).toEqual([]);
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
