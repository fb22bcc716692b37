import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Tenant } from "../../config/tenants.js";
import { buildTestApp, type TestApp } from "../../test/build-test-app.js";
import { testEngines } from "../../test/engines.js";
import { InboundEventWriter } from "./inbound-events.service.js";
import type { WebhookEvent } from "./webhook-events.js";

const NOW = Date.UTC(2026, 10, 22, 9);

function errorEvent(dedupKey: string): WebhookEvent {
  return { kind: "error", dedupKey, wabaId: "200000000000001", errors: [] };
}

describe.each(testEngines())("the inbound event writer on %s", (engine) => {
  let t: TestApp;
  let tenant: Tenant;
  beforeEach(async () => {
    t = await buildTestApp({ engine });
    tenant = t.tenants.find((x) => x.slug === "concorezzo")!;
  });
  afterEach(async () => {
    await t.close();
  });

  const stored = () =>
    t.database.db
      .selectFrom("inbound_events")
      .select(["dedup_key", "received_at"])
      .orderBy("dedup_key")
      .execute();

  it("writes concurrent requests together and tells each how many of its events were new", async () => {
    const writer = new InboundEventWriter(t.database.db);
    const one = (key: string) => ({ tenant, event: errorEvent(key) });
    const answers = await Promise.all([
      writer.store([one("a"), one("b")], NOW),
      // "b" again in the same batch: stored once, counted for the first request only.
      writer.store([one("b"), one("c")], NOW + 1),
      writer.store([], NOW),
    ]);
    expect(answers).toEqual([2, 1, 0]);
    expect(await stored()).toEqual([
      { dedup_key: "a", received_at: NOW },
      { dedup_key: "b", received_at: NOW },
      { dedup_key: "c", received_at: NOW + 1 },
    ]);
    // A redelivery later: nothing new.
    expect(await writer.store([one("a")], NOW + 2)).toBe(0);
  });

  it("splits a large backlog into several writes, losing nothing", async () => {
    const writer = new InboundEventWriter(t.database.db);
    const requests = Array.from({ length: 60 }, (_, i) =>
      Array.from({ length: 20 }, (_, j) => ({ tenant, event: errorEvent(`k${i}-${j}`) })),
    );
    const answers = await Promise.all(requests.map((r) => writer.store(r, NOW)));
    expect(answers).toEqual(requests.map(() => 20));
    expect(await stored()).toHaveLength(1200);
  });

  it("fails every request of a batch whose write fails, and keeps working afterwards", async () => {
    const writer = new InboundEventWriter(t.database.db);
    const bad = { tenant: { ...tenant, slug: "no-such-comune" }, event: errorEvent("x") };
    const results = await Promise.allSettled([
      writer.store([{ tenant, event: errorEvent("y") }], NOW),
      writer.store([bad], NOW),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(await stored()).toEqual([]);
    expect(await writer.store([{ tenant, event: errorEvent("y") }], NOW)).toBe(1);
  });
});
