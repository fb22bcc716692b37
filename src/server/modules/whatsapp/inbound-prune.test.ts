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
    // 4,500 events 40 days old (more than two batches), of which 3 still wait: one never tried
    // (the processor was down), one failed and due for a retry, one given up for a person. Then
    // 10 handled yesterday, in arrival order as ids grow with it.
    type Waiting = "handled" | "untried" | "retrying" | "given-up";
    const waiting: Waiting[] = ["untried", "retrying", "given-up"];
    const row = (i: number, receivedAt: number, state: Waiting) => ({
      tenant_id: "concorezzo",
      kind: "status",
      dedup_key: `k${i}`,
      payload: "{}",
      received_at: receivedAt,
      processed_at: state === "handled" ? receivedAt + 1_000 : null,
      locked_until: state === "retrying" ? now + 60_000 : null,
      error: state === "handled" || state === "untried" ? null : "Error: down",
      attempts: { handled: 1, untried: 0, retrying: 3, "given-up": 10 }[state],
    });
    const stateOf = (i: number): Waiting =>
      i % 1500 === 7 ? (waiting[Math.floor(i / 1500)] ?? "handled") : "handled";
    const rows = [
      ...Array.from({ length: 4_500 }, (_, i) => row(i, now - 40 * DAY_MS + i, stateOf(i))),
      ...Array.from({ length: 10 }, (_, i) => row(10_000 + i, now - DAY_MS + i, "handled")),
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
