import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../platform/db/connect.js";
import { buildTestApp, type TestApp } from "../../test/build-test-app.js";
import { createBroadcast, seedSubscribers } from "../../test/dispatch-harness.js";
import { testEngines } from "../../test/engines.js";
import { senderNumberOf } from "../../test/factories.js";
import { finishCompletedBroadcasts, hasDeliveriesLeft } from "./broadcast-delivery.repository.js";
import { claimDue } from "./outbound-claims.repository.js";
import {
  insertDeliveriesForBroadcast,
  PRIORITY,
  requeueStaleInFlight,
} from "./outbound.repository.js";

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

  /** The broadcast's deliveries by subscriber, and the rows' states. */
  const deliveries = (broadcastId: number) =>
    database.db
      .selectFrom("outbound_messages")
      .select(["id", "subscriber_id", "state", "in_sequence"])
      .where("broadcast_id", "=", broadcastId)
      .orderBy("subscriber_id")
      .execute();
  const accept = (ids: number[]) =>
    database.db
      .updateTable("outbound_messages")
      .set({ state: "accepted", in_flight_since: null })
      .where("id", "in", ids)
      .execute();
  const claim = (limit: number) =>
    claimDue(database.db, { senderNumberId, now: NOW, limit, tierBudget: Infinity });

  it("claims a broadcast in subscriber order, takes back a requeued row, and finishes it only when nothing is left", async () => {
    await seedSubscribers(database, "concorezzo", 10);
    const broadcastId = await createBroadcast(database, "concorezzo");
    await markSending(broadcastId);
    await insertDeliveries(broadcastId);
    const rows = await deliveries(broadcastId);
    expect(rows.every((r) => r.in_sequence === 1)).toBe(true);

    const first = await claim(4);
    expect(first.map((r) => r.id).sort((a, b) => a - b)).toEqual(rows.slice(0, 4).map((r) => r.id));
    const cursor = await database.db
      .selectFrom("broadcasts")
      .select("claimed_through")
      .where("id", "=", broadcastId)
      .executeTakeFirstOrThrow();
    expect(cursor.claimed_through).toBe(rows[3]!.subscriber_id);
    expect(await finishCompletedBroadcasts(database.db, NOW)).toEqual([]); // 4 in flight, 6 queued

    // The four on the wire were lost (a crash): back in the queue, behind the cursor.
    await requeueStaleInFlight(database.db, {
      senderNumberId,
      olderThan: NOW + 1,
      keep: new Set(),
      now: NOW,
    });
    const rest = await claim(100);
    expect(rest.map((r) => r.id).sort((a, b) => a - b)).toEqual(rows.map((r) => r.id));
    expect(await claim(100)).toEqual([]);
    expect(await finishCompletedBroadcasts(database.db, NOW)).toEqual([]); // all 10 in flight

    await accept(rows.slice(0, 9).map((r) => r.id));
    expect(await finishCompletedBroadcasts(database.db, NOW)).toEqual([]); // one still in flight
    expect(await hasDeliveriesLeft(database.db, broadcastId)).toBe(true);
    await accept([rows[9]!.id]);
    expect(await hasDeliveriesLeft(database.db, broadcastId)).toBe(false);
    expect(await finishCompletedBroadcasts(database.db, NOW)).toEqual([broadcastId]);
  });

  it("sends a delivery added behind the claim cursor by a second expansion", async () => {
    const numbers = await seedSubscribers(database, "concorezzo", 6);
    await database.db
      .updateTable("subscribers")
      .set({ status: "unsubscribed" })
      .where("wa_id", "=", numbers[1]!)
      .execute();
    const broadcastId = await createBroadcast(database, "concorezzo");
    await markSending(broadcastId);
    expect(await insertDeliveries(broadcastId)).toBe(5);
    const sent = await claim(100);
    expect(sent).toHaveLength(5);
    await accept(sent.map((r) => r.id));

    // The second subscriber comes back, and the broadcast is started again: their delivery has a
    // lower subscriber id than the cursor, so it goes through the claim index.
    await database.db
      .updateTable("subscribers")
      .set({ status: "active" })
      .where("wa_id", "=", numbers[1]!)
      .execute();
    expect(await insertDeliveries(broadcastId)).toBe(1);
    expect(await finishCompletedBroadcasts(database.db, NOW)).toEqual([]);
    const late = await claim(100);
    expect(late.map((r) => r.recipient)).toEqual([numbers[1]]);
    await accept(late.map((r) => r.id));
    expect(await finishCompletedBroadcasts(database.db, NOW)).toEqual([broadcastId]);
  });

  it("claims an urgent broadcast's deliveries ahead of an earlier normal one's", async () => {
    await seedSubscribers(database, "concorezzo", 5);
    const normal = await createBroadcast(database, "concorezzo");
    const urgent = await createBroadcast(database, "concorezzo", { priority: "urgent" });
    for (const [broadcastId, priority] of [
      [normal, PRIORITY.normal],
      [urgent, PRIORITY.urgent],
    ] as const) {
      await markSending(broadcastId);
      await insertDeliveriesForBroadcast(database.db, {
        broadcastId,
        tenantId: "concorezzo",
        senderNumberId,
        priority,
        now: NOW,
      });
    }
    const first = await claim(5);
    expect(first.map((r) => r.broadcastId)).toEqual([urgent, urgent, urgent, urgent, urgent]);
    const next = await claim(5);
    expect(next.map((r) => r.broadcastId)).toEqual([normal, normal, normal, normal, normal]);
  });
});
