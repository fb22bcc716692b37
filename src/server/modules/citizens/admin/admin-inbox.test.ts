import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, fakeClock, type TestApp } from "../../../test/build-test-app.js";
import { testEngines } from "../../../test/engines.js";
import { buildSubscriber } from "../../../test/factories.js";
import { editedTenants, type EditedTenants } from "../../../test/in-process-server.js";
import { seedSession } from "../../../test/staff-kit.js";
import { SANDBOX_SUBSCRIBER_KEY_SECRET } from "../key-secret.js";
import { subscriberKey } from "../subscriber-key.js";

const DAY = 86_400_000;
const LUCIA = "393471234567";
const MARIO = "393339876543";

interface Inbox {
  inbox: { enabled: boolean; retentionDays: number };
  messages: {
    id: number;
    number: string | null;
    text: string | null;
    flagged: boolean;
    flagReason: string | null;
    hasMedia: boolean;
    receivedAt: string;
    purgeAfter: string;
  }[];
  nextBefore: number | null;
}

/**
 * The moderation inbox as the console reads it (GET …/moderation/messages): whether the comune
 * keeps what citizens write, and the kept messages, newest first, numbers masked. Casale has
 * the inbox on here (a copy of the demo files), Concorezzo as shipped (off).
 */
describe.each(testEngines())("the moderation inbox's listing on %s", (engine) => {
  let t: TestApp;
  let tenants: EditedTenants;
  const clock = fakeClock();
  const headers: Record<string, Record<string, string>> = {};

  beforeAll(async () => {
    tenants = await editedTenants({
      "casale-marittimo": (yaml) => `${yaml}\nmoderation:\n  inbox: true\n  retentionDays: 20\n`,
    });
    t = await buildTestApp({ engine, clock, env: { TENANTS_DIR: tenants.dir } });
    const db = t.database.db;
    const now = clock.now();
    const person = async (waId: string, flagged: boolean) => {
      const key = subscriberKey(SANDBOX_SUBSCRIBER_KEY_SECRET, "casale-marittimo", waId);
      await buildSubscriber(db, {
        tenant_id: "casale-marittimo",
        wa_id: waId,
        subscriber_key: key,
        ...(flagged ? { flagged_at: now, flag_reason: "flood" } : {}),
      });
      return key;
    };
    const lucia = await person(LUCIA, false);
    const mario = await person(MARIO, true);
    const keep = (key: string, n: number, extra: { media_id?: string } = {}) =>
      db
        .insertInto("moderation_messages")
        .values({
          tenant_id: "casale-marittimo",
          subscriber_id: null,
          subscriber_key: key,
          inbound_message_id: `wamid.${n}`,
          type: extra.media_id ? "image" : "text",
          text: `messaggio ${n}`,
          media_id: extra.media_id ?? null,
          received_at: now + n * 1_000,
          flagged_at: null,
          purge_after: now + n * 1_000 + 20 * DAY,
        })
        .execute();
    await keep(lucia, 1);
    await keep(mario, 2);
    await keep(lucia, 3, { media_id: "media-1" });
    headers.editor = await seedSession(db, clock, "redazione@casale.it", {
      "casale-marittimo": ["editor"],
      concorezzo: ["editor"],
    });
    headers.viewer = await seedSession(db, clock, "consultazione@casale.it", {
      "casale-marittimo": ["viewer"],
    });
  });

  afterAll(async () => {
    await t.close();
    await tenants.remove();
  });

  const get = (url: string, who: string) =>
    t.app.inject({ method: "GET", url, headers: headers[who] ?? {} });

  it("lists the kept messages newest first, numbers masked, the sender's flag shown", async () => {
    const answer = await get("/api/tenants/casale-marittimo/moderation/messages", "editor");
    expect(answer.statusCode, answer.body).toBe(200);
    const body = answer.json<Inbox>();
    expect(body.inbox).toEqual({ enabled: true, retentionDays: 20 });
    expect(body.messages.map((m) => m.text)).toEqual(["messaggio 3", "messaggio 2", "messaggio 1"]);
    expect(body.messages.map((m) => m.number)).toEqual([
      "3934•••••567",
      "3933•••••543",
      "3934•••••567",
    ]);
    expect(answer.body).not.toContain(LUCIA);
    expect(answer.body).not.toContain(MARIO);
    expect(body.messages.map((m) => m.flagged)).toEqual([false, true, false]);
    expect(body.messages[1]?.flagReason).toBe("flood");
    expect(body.messages[0]?.hasMedia).toBe(true);
    expect(Date.parse(body.messages[0]?.purgeAfter ?? "")).toBe(clock.now() + 3_000 + 20 * DAY);
    expect(body.nextBefore).toBeNull();
  });

  it("pages with ?before, and tells a comune without the inbox that it is off", async () => {
    const first = (
      await get("/api/tenants/casale-marittimo/moderation/messages?limit=2", "editor")
    ).json<Inbox>();
    expect(first.messages).toHaveLength(2);
    expect(first.nextBefore).toBe(first.messages[1]?.id);
    const rest = (
      await get(
        `/api/tenants/casale-marittimo/moderation/messages?limit=2&before=${first.nextBefore}`,
        "editor",
      )
    ).json<Inbox>();
    expect(rest.messages.map((m) => m.text)).toEqual(["messaggio 1"]);

    const off = (await get("/api/tenants/concorezzo/moderation/messages", "editor")).json<Inbox>();
    expect(off).toEqual({
      inbox: { enabled: false, retentionDays: 30 },
      messages: [],
      nextBefore: null,
    });
  });

  it("refuses a role without moderation.read and a bad page", async () => {
    const viewer = await get("/api/tenants/casale-marittimo/moderation/messages", "viewer");
    expect(viewer.statusCode).toBe(403);
    const bad = await get("/api/tenants/casale-marittimo/moderation/messages?limit=0", "editor");
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ error: { details: { field: string }[] } }>().error.details).toEqual([
      expect.objectContaining({ field: "querystring.limit" }),
    ]);
  });
});
