import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../platform/db/connect.js";
import { buildTestApp, type TestApp } from "../../test/build-test-app.js";
import { createBroadcast, seedSubscribers } from "../../test/dispatch-harness.js";
import { testEngines } from "../../test/engines.js";
import { senderNumberOf } from "../../test/factories.js";
import { claimDue, insertDeliveriesForBroadcast, PRIORITY } from "./outbound.repository.js";

const NOW = Date.UTC(2026, 10, 22, 17, 30);

describe.each(testEngines())("the outbox on %s", (engine) => {
  let t: TestApp;
  let database: Database;
  let senderNumberId: number;
  beforeEach(async () => {
    t = await buildTestApp({ engine });
    database = t.database;
    senderNumberId = await senderNumberOf(database.db, "concorezzo");
  });
  afterEach(async () => {
    await t.close();
  });

  /** Writes the deliveries of Concorezzo's broadcast, as starting it does. */
  const insertDeliveries = (broadcastId: number) =>
    insertDeliveriesForBroadcast(database.db, {
      broadcastId,
      tenantId: "concorezzo",
      senderNumberId,
      priority: PRIORITY.normal,
      now: NOW,
    });
  const markSending = (broadcastId: number) =>
    database.db
      .updateTable("broadcasts")
      .set({ status: "sending" })
      .where("id", "=", broadcastId)
      .execute();

  it("expands a broadcast with one INSERT … SELECT over its audience, once per subscriber", async () => {
    const numbers = await seedSubscribers(database, "concorezzo", 50);
    await database.db
      .updateTable("subscribers")
      .set({ status: "unsubscribed" })
      .where("wa_id", "in", numbers.slice(0, 5))
      .execute();
    await database.db
      .updateTable("subscribers")
      .set({ blocked_at: NOW })
      .where("wa_id", "=", numbers[5]!)
      .execute();
    await database.db
      .updateTable("subscribers")
      .set({ last_inbound_at: NOW - 1000 })
      .where("wa_id", "=", numbers[6]!)
      .execute();
    await seedSubscribers(database, "casale-marittimo", 3, 1000); // another comune's: never included
    const broadcastId = await createBroadcast(database, "concorezzo");

    expect(await insertDeliveries(broadcastId)).toBe(44);
    expect(await insertDeliveries(broadcastId)).toBe(0); // a retried expansion adds nobody twice
    const rows = await database.db
      .selectFrom("outbound_messages")
      .select(["recipient", "state", "spends_tier", "next_attempt_at"])
      .where("broadcast_id", "=", broadcastId)
      .execute();
    expect(rows).toHaveLength(44);
    expect(rows.every((r) => r.state === "queued" && r.next_attempt_at === NOW)).toBe(true);
    // Someone who wrote in the last 24 hours is inside the window: no tier spent on them.
    expect(rows.find((r) => r.recipient === numbers[6])?.spends_tier).toBe(0);
    expect(rows.filter((r) => r.spends_tier === 1)).toHaveLength(43);
  });

  it("claims due rows by priority, each once, and only for broadcasts that are sending", async () => {
    await seedSubscribers(database, "concorezzo", 10);
    const broadcastId = await createBroadcast(database, "concorezzo");
    await insertDeliveries(broadcastId);
    const claim = (limit: number, tierBudget = Infinity) =>
      claimDue(database.db, { senderNumberId, now: NOW, limit, tierBudget });

    expect(await claim(100)).toEqual([]); // approved, not sending yet
    await markSending(broadcastId);
    const first = await claim(4);
    const second = await claim(100);
    expect(first).toHaveLength(4);
    expect(second).toHaveLength(6);
    expect(new Set([...first, ...second].map((r) => r.id)).size).toBe(10);
    expect(await claim(100)).toEqual([]);
  });

  it("claims no tier-spending row once the tier budget is spent", async () => {
    await seedSubscribers(database, "concorezzo", 3);
    const broadcastId = await createBroadcast(database, "concorezzo");
    await markSending(broadcastId);
    await insertDeliveries(broadcastId);
    expect(
      await claimDue(database.db, { senderNumberId, now: NOW, limit: 10, tierBudget: 0 }),
    ).toEqual([]);
    expect(
      await claimDue(database.db, { senderNumberId, now: NOW, limit: 10, tierBudget: 2 }),
    ).toHaveLength(2);
  });
});
