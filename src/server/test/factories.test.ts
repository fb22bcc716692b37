import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "./build-test-app.js";
import { testEngines } from "./engines.js";
import {
  buildBroadcast,
  buildOutboundMessage,
  buildSubscriber,
  buildTenant,
  subscriberValues,
} from "./factories.js";

/** The factories insert rows the schema accepts, with the defaults they promise. */
describe.each(testEngines())("test factories on %s", (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ engine });
  });
  afterAll(() => t.close());

  it("insert a comune's row named by its id", async () => {
    expect(await buildTenant(t.database.db, { id: "altrove", created_at: 2_000 })).toEqual({
      id: "altrove",
      name: "altrove",
      service_name: "altrove",
      config_hash: "test",
      created_at: 2_000,
      updated_at: 2_000,
    });
  });

  it("insert an active subscriber of Concorezzo with a fresh number, overrides on top", async () => {
    const db = t.database.db;
    const first = await buildSubscriber(db, { created_at: 1_000 });
    const second = await buildSubscriber(db);
    expect(first).toMatchObject({
      tenant_id: "concorezzo",
      status: "active",
      subscribed_at: 1_000,
      created_at: 1_000,
      updated_at: 1_000,
      blocked_at: null,
      topics: "[]",
    });
    expect(first.wa_id).toMatch(/^39333\d{7}$/);
    expect(second.wa_id).not.toBe(first.wa_id);
    expect(second.id).toBeGreaterThan(first.id);

    const contact = await buildSubscriber(db, {
      tenant_id: "casale-marittimo",
      status: "contact",
      wa_id: null,
      user_id: "IT.1234567890",
    });
    expect(contact).toMatchObject({
      tenant_id: "casale-marittimo",
      status: "contact",
      wa_id: null,
      user_id: "IT.1234567890",
      subscribed_at: null,
    });
    expect(subscriberValues({ user_id: "IT.1" }).wa_id).toBeNull();
  });

  it("insert an approved broadcast and a queued reply from the comune's own sender number", async () => {
    const db = t.database.db;
    const broadcast = await buildBroadcast(db, { title: "Mercato sospeso" });
    expect(broadcast).toMatchObject({
      tenant_id: "concorezzo",
      title: "Mercato sospeso",
      status: "approved",
      priority: "normal",
      started_at: null,
    });
    expect(JSON.parse(broadcast.content)).toMatchObject({ type: "text" });

    const sender = await db
      .selectFrom("sender_numbers")
      .select("id")
      .where("tenant_id", "=", "casale-marittimo")
      .executeTakeFirstOrThrow();
    const reply = await buildOutboundMessage(db, {
      tenant_id: "casale-marittimo",
      created_at: 5_000,
    });
    expect(reply).toMatchObject({
      tenant_id: "casale-marittimo",
      sender_number_id: sender.id,
      kind: "reply",
      state: "queued",
      next_attempt_at: 5_000,
      attempts: 0,
    });
    const delivery = await buildOutboundMessage(db, {
      kind: "broadcast",
      broadcast_id: broadcast.id,
      payload: null,
    });
    expect(delivery).toMatchObject({ kind: "broadcast", broadcast_id: broadcast.id });
  });
});
