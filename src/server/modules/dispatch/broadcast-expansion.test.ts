import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../platform/db/connect.js";
import { buildTestApp, fakeClock, type TestApp } from "../../test/build-test-app.js";
import { createBroadcast, seedSubscribers } from "../../test/dispatch-harness.js";
import { testEngines } from "../../test/engines.js";
import { senderNumberOf } from "../../test/factories.js";
import {
  finishCompletedBroadcasts,
  updateBroadcastStatus,
} from "./broadcast-delivery.repository.js";
import { EXPANSION_STALL_MS, expandNextChunk, resumeExpansion } from "./broadcast-expansion.js";
import { beginExpansion, stalledExpansions } from "./broadcast-expansion.repository.js";
import { PRIORITY } from "./outbound.repository.js";

describe.each(testEngines())("a broadcast's expansion in chunks on %s", (engine) => {
  let t: TestApp;
  let database: Database;
  let senderNumberId: number;
  const clock = fakeClock();
  beforeEach(async () => {
    t = await buildTestApp({ engine, clock });
    database = t.database;
    senderNumberId = await senderNumberOf(database.db, "concorezzo");
  });
  afterEach(async () => {
    await t.close();
  });

  /** A broadcast moved to sending with its expansion begun, as startBroadcast leaves it. */
  async function startedBroadcast(): Promise<number> {
    const broadcastId = await createBroadcast(database, "concorezzo");
    await updateBroadcastStatus(database.db, { broadcastId, move: "start", now: clock.now() });
    await beginExpansion(database.db, broadcastId, clock.now());
    return broadcastId;
  }

  const input = (broadcastId: number) => ({
    broadcastId,
    tenantId: "concorezzo",
    senderNumberId,
    priority: PRIORITY.normal,
    now: clock.now(),
    chunk: 10,
  });

  /** The subscribers the broadcast has a delivery for. */
  async function deliveriesOf(broadcastId: number): Promise<number[]> {
    const rows = await database.db
      .selectFrom("outbound_messages")
      .select("subscriber_id")
      .where("broadcast_id", "=", broadcastId)
      .execute();
    return rows.map((r) => Number(r.subscriber_id));
  }

  /** Its status and resume marker. */
  function broadcastOf(broadcastId: number) {
    return database.db
      .selectFrom("broadcasts")
      .select(["status", "expanded_through"])
      .where("id", "=", broadcastId)
      .executeTakeFirstOrThrow();
  }

  it("stopped after one chunk, is never finished early, and the next start resumes it to everyone once", async () => {
    await seedSubscribers(database, "concorezzo", 35);
    const broadcastId = await startedBroadcast();

    // The process dies after its first chunk.
    expect(await expandNextChunk(database.db, input(broadcastId))).toEqual({
      added: 10,
      done: false,
    });
    // Everything expanded so far is sent: the broadcast is still not over.
    await database.db
      .updateTable("outbound_messages")
      .set({ state: "accepted" })
      .where("broadcast_id", "=", broadcastId)
      .execute();
    expect(await finishCompletedBroadcasts(database.db, clock.now())).toEqual([]);
    expect(await broadcastOf(broadcastId)).toEqual({ status: "sending", expanded_through: 10 });

    // The next start's lease round: a live expansion is left alone; one whose marker stood
    // still for EXPANSION_STALL_MS is resumed from its marker.
    const stalled = () =>
      stalledExpansions(database.db, {
        tenantIds: ["concorezzo"],
        stalledSince: clock.now() - EXPANSION_STALL_MS,
      });
    expect(await stalled()).toEqual([]);
    clock.advance(EXPANSION_STALL_MS);
    expect(await stalled()).toEqual([broadcastId]);
    expect(await resumeExpansion(database.db, input(broadcastId))).toBe(25);
    expect(await stalled()).toEqual([]);

    const subscribers = await deliveriesOf(broadcastId);
    expect(subscribers).toHaveLength(35);
    expect(new Set(subscribers).size).toBe(35);
    expect((await broadcastOf(broadcastId)).expanded_through).toBeNull();
    await database.db
      .updateTable("outbound_messages")
      .set({ state: "accepted" })
      .where("broadcast_id", "=", broadcastId)
      .execute();
    expect(await finishCompletedBroadcasts(database.db, clock.now())).toEqual([broadcastId]);
  });

  it("two runs of the same expansion create each delivery once between them", async () => {
    await seedSubscribers(database, "concorezzo", 45);
    const broadcastId = await startedBroadcast();
    const [a, b] = await Promise.all([
      resumeExpansion(database.db, input(broadcastId)),
      resumeExpansion(database.db, input(broadcastId)),
    ]);
    expect(a + b).toBe(45);
    const subscribers = await deliveriesOf(broadcastId);
    expect(subscribers).toHaveLength(45);
    expect(new Set(subscribers).size).toBe(45);
  });

  it("stops at its next chunk once the broadcast is cancelled", async () => {
    await seedSubscribers(database, "concorezzo", 30);
    const broadcastId = await startedBroadcast();
    await expandNextChunk(database.db, input(broadcastId));
    await updateBroadcastStatus(database.db, { broadcastId, move: "cancel", now: clock.now() });
    expect(await resumeExpansion(database.db, input(broadcastId))).toBe(0);
    expect(await deliveriesOf(broadcastId)).toHaveLength(10);
  });
});
