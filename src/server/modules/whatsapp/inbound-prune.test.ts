import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../platform/log.js";
import { buildTestApp, fakeClock, type TestApp } from "../../test/build-test-app.js";
import { testEngines } from "../../test/engines.js";
import { InboundEventProcessor } from "./inbound-events.service.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Handled webhook events are deleted once older than the retention; those still waiting (a
 * failure left for a person) and the recent ones stay, whatever their number.
 */
describe.each(testEngines())("pruning handled inbound events on %s", (engine) => {
  let t: TestApp;
  const clock = fakeClock(Date.UTC(2026, 11, 1, 9));
  beforeEach(async () => {
    t = await buildTestApp({ engine, clock });
  });
  afterEach(() => t.close());

  it("deletes only handled events older than the retention, in batches, oldest first", async () => {
    const db = t.database.db;
    const now = clock.now();
    // 4,500 handled events 40 days old (more than two batches), 3 old ones still failing, and
    // 10 handled yesterday, in arrival order as ids grow with it.
    const row = (i: number, receivedAt: number, handled: boolean) => ({
      tenant_id: "concorezzo",
      kind: "status",
      dedup_key: `k${i}`,
      payload: "{}",
      received_at: receivedAt,
      processed_at: handled ? receivedAt + 1_000 : null,
      locked_until: null,
      error: handled ? null : "Error: down",
      attempts: handled ? 1 : 10,
    });
    const rows = [
      ...Array.from({ length: 4_500 }, (_, i) => row(i, now - 40 * DAY_MS + i, i % 1500 !== 7)),
      ...Array.from({ length: 10 }, (_, i) => row(10_000 + i, now - DAY_MS + i, true)),
    ];
    for (let i = 0; i < rows.length; i += 500) {
      await db
        .insertInto("inbound_events")
        .values(rows.slice(i, i + 500))
        .execute();
    }
    const processor = new InboundEventProcessor({
      db,
      tenants: t.tenants,
      handlers: {},
      clock,
      log: createLogger("silent"),
      retentionMs: 30 * DAY_MS,
    });
    expect(await processor.prune()).toBe(4_497);
    const left = await db
      .selectFrom("inbound_events")
      .select(["dedup_key", "processed_at"])
      .orderBy("id")
      .execute();
    expect(left.filter((r) => r.processed_at === null).map((r) => r.dedup_key)).toEqual([
      "k7",
      "k1507",
      "k3007",
    ]);
    expect(left).toHaveLength(13);
    // Nothing more to do the next time.
    expect(await processor.prune()).toBe(0);
  });
});
