import { afterEach, describe, expect, it } from "vitest";
import {
  acceptedPerRecipient,
  HARNESS_ADMIN_TOKEN,
  createBroadcast,
  maxPerSecond,
  seedSubscribers,
  startHarness,
  until,
  type Harness,
  type HarnessOptions,
} from "../../test/dispatch-harness.js";
import { createTestPostgresDatabase, testEngines } from "../../test/engines.js";
import type { RunningServer } from "../../server.js";
import type { BroadcastCounters } from "./dispatch.service.js";

// The dispatcher against the standalone sandbox over real HTTP, as in production.

const CONCOREZZO_NUMBER_ID = "100000000000001";
let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/**
 * Starts the sandbox and the service with `options`, then an approved news broadcast to `count`
 * of Concorezzo's subscribers (seeded for it).
 */
async function sendingTo(
  count: number,
  options: HarnessOptions,
): Promise<{ h: Harness; server: RunningServer; id: number }> {
  const h = (harness = await startHarness(options));
  const server = await h.startService();
  await seedSubscribers(server.database, "concorezzo", count);
  const id = await createBroadcast(server.database, "concorezzo");
  await server.dispatch.startBroadcast(id);
  return { h, server, id };
}

/** Our rate at the sandbox's throughput cap for the number: sending as fast as Meta allows. */
function atCap(perSecond: number): HarnessOptions {
  return { ratePerSecond: perSecond, sandbox: { throughputPerSecond: perSecond } };
}

/** Waits until the broadcast's counters satisfy `done`, and answers them. */
async function untilCounters(
  server: RunningServer,
  id: number,
  what: string,
  done: (c: BroadcastCounters) => boolean,
  timeoutMs?: number,
  everyMs?: number,
): Promise<BroadcastCounters> {
  return until(
    what,
    async () => {
      const c = await server.dispatch.counters(id);
      return done(c) ? c : undefined;
    },
    timeoutMs,
    everyMs,
  );
}

async function broadcastStatus(h: Harness, id: number): Promise<string | undefined> {
  const row = await h
    .database()
    .db.selectFrom("broadcasts")
    .select("status")
    .where("id", "=", id)
    .executeTakeFirst();
  return row?.status;
}

describe("dispatch", () => {
  it("sends 5,000 deliveries at a cap of 200/s, each once, never above the cap", async () => {
    harness = await startHarness(atCap(200));
    const server = await harness.startService();
    const recipients = await seedSubscribers(server.database, "concorezzo", 5_000);
    const id = await createBroadcast(server.database, "concorezzo");
    expect(await server.dispatch.startBroadcast(id)).toEqual({ deliveries: 5_000 });

    await until(
      "the broadcast to be sent",
      async () => ((await broadcastStatus(harness!, id)) === "sent" ? true : undefined),
      60_000,
      200,
    );
    const counters = await server.dispatch.counters(id);
    expect(counters).toMatchObject({
      total: 5_000,
      accepted: 5_000,
      failed: 0,
      queued: 0,
      inFlight: 0,
    });

    const log = await harness.sandbox.sendLog();
    const perRecipient = acceptedPerRecipient(log);
    expect(perRecipient.size).toBe(5_000);
    expect([...perRecipient.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(perRecipient.keys())).toEqual(new Set(recipients));
    const bad = log.filter((e) => e.code === 130429);
    expect(bad).toEqual([]);
    expect(maxPerSecond(log, CONCOREZZO_NUMBER_ID)).toBeLessThanOrEqual(200);
  }, 90_000);

  it.each(testEngines())(
    "on %s, stores and applies every status of the sandbox's batched webhooks",
    async (engine) => {
      // Meta may put many statuses in one POST (docs/whatsapp-cloud-api.md §3.2): with a long
      // window the sandbox does, and the receiver must take each of them.
      const pg = engine === "postgres" ? await createTestPostgresDatabase() : undefined;
      try {
        const { h, server, id } = await sendingTo(400, {
          ratePerSecond: 200,
          sandbox: { throughputPerSecond: 200, statusBatchMs: 500 },
          env: pg ? { DATABASE_URL: pg.url } : {},
        });
        const counters = await untilCounters(
          server,
          id,
          "every delivery to be delivered",
          (c) => c.delivered === c.total && c.total > 0,
          30_000,
          200,
        );
        expect(counters).toMatchObject({ total: 400, delivered: 400, failed: 0 });

        // Each `sent` and `delivered` stored once, and handled without error.
        const events = await server.database.db
          .selectFrom("inbound_events")
          .select(["dedup_key", "processed_at", "error"])
          .where("kind", "=", "status")
          .execute();
        expect(events).toHaveLength(800);
        expect(new Set(events.map((e) => e.dedup_key)).size).toBe(800);
        expect(events.every((e) => e.processed_at !== null && e.error === null)).toBe(true);

        // …from far fewer POSTs than statuses.
        const metrics = await (await fetch(`http://127.0.0.1:${h.port}/metrics`)).text();
        const posts = (status: number) =>
          Number(
            new RegExp(
              `banditore_http_request_duration_seconds_count\\{method="POST",route="/webhooks/whatsapp",status_code="${status}"\\} (\\d+)`,
            ).exec(metrics)?.[1] ?? 0,
          );
        expect(posts(200)).toBeGreaterThan(0);
        expect(posts(200)).toBeLessThan(100);
        expect(posts(401)).toBe(0);
      } finally {
        await harness?.close();
        harness = undefined;
        await pg?.drop();
      }
    },
    60_000,
  );

  it("ends every delivery in a final state through 5xx, timeouts and undeliverable numbers, none twice", async () => {
    const { h, server, id } = await sendingTo(2_000, {
      ratePerSecond: 400,
      sandbox: {
        throughputPerSecond: 400,
        timeoutHoldMs: 1_500,
        faults: { serverErrorRate: 0.05, timeoutRate: 0.01, undeliverableRate: 0.01 },
      },
      env: { WHATSAPP_TIMEOUT_MS: "500" },
      dispatch: { inFlightGraceMs: 6_000, tickMs: 500 },
    });

    const counters = await untilCounters(
      server,
      id,
      "every delivery to reach a final state",
      // Final: accepted and told delivered, or failed; nothing queued, in flight or merely accepted.
      (c) => c.queued === 0 && c.inFlight === 0 && c.delivered + c.failed === c.total,
      90_000,
      250,
    );
    expect(counters.total).toBe(2_000);
    expect(counters.failed).toBeGreaterThan(0);
    expect(Object.keys(counters.failedByCode)).toEqual(["131026"]);

    const log = await h.sandbox.sendLog();
    const perRecipient = acceptedPerRecipient(log);
    expect(perRecipient.size).toBe(2_000);
    expect([...perRecipient.entries()].filter(([, n]) => n > 1)).toEqual([]);
    // The faults did happen: 5xx answers were retried, some answers were held past the timeout.
    expect(log.some((e) => e.code === 131016 || e.code === 1)).toBe(true);
    const failedRows = await server.database.db
      .selectFrom("outbound_messages")
      .select(["state", "error_code", "error_reason"])
      .where("broadcast_id", "=", id)
      .where("state", "=", "failed")
      .execute();
    expect(failedRows.length).toBe(counters.failed);
    for (const row of failedRows)
      expect(row).toMatchObject({
        error_code: 131026,
        error_reason: expect.stringMatching(/.+/) as string,
      });
  }, 120_000);

  it("sends a reply queued during a large broadcast ahead of the broadcast's waiting rows", async () => {
    const { h, server, id } = await sendingTo(3_000, atCap(80));
    await untilCounters(server, id, "the broadcast to be under way", (c) => c.accepted > 100);

    // A citizen writes (the 24-hour window opens) and gets an answer while the broadcast runs.
    await h.sandbox.api("POST", "/phones/393339876543/messages", {
      to: "393665784663",
      text: "Ciao",
      name: "Anna",
    });
    // Read the claimed rows before the log: a broadcast send that arrives after the log was read
    // was claimed by then (replies are claimed first, so no new broadcast row may pass the reply).
    const claimed = (await server.dispatch.counters(id)).inFlight;
    const before = (await h.sandbox.sendLog()).length;
    await server.dispatch.enqueueReply("concorezzo", {
      to: "393339876543",
      message: { type: "text", body: "Benvenuta!" },
    });
    const log = await until("the reply to reach the sandbox", async () => {
      const sends = await h.sandbox.sendLog();
      return sends.some((e) => e.to === "393339876543" && e.wamid) ? sends : undefined;
    });
    const reply = log.findIndex((e) => e.to === "393339876543" && e.wamid);
    // Only rows that were already claimed went before it; the rest of the queue waited.
    expect(reply - before).toBeLessThanOrEqual(claimed);
    const counters = await server.dispatch.counters(id);
    expect(counters.queued).toBeGreaterThan(1_000); // the broadcast was still running
    await server.dispatch.cancelBroadcast(id);
  }, 60_000);

  it("pauses, resumes and cancels: after each stop only rows already claimed are sent", async () => {
    const { h, server, id } = await sendingTo(2_000, atCap(100));
    await untilCounters(server, id, "sending", (c) => c.accepted > 50);

    /**
     * After a stop: the sends that arrive once the rows claimed at that moment have their
     * answers are at most those rows, and nothing comes in the second after.
     */
    async function nothingNewAfterStop(what: string): Promise<number> {
      const claimed = (await server.dispatch.counters(id)).inFlight;
      const atStop = (await h.sandbox.sendLog()).length;
      await untilCounters(server, id, `no row in flight ${what}`, (c) => c.inFlight === 0);
      const settled = (await h.sandbox.sendLog()).length;
      expect(settled - atStop).toBeLessThanOrEqual(claimed);
      await new Promise((r) => setTimeout(r, 1_000));
      expect((await h.sandbox.sendLog()).length).toBe(settled);
      return settled;
    }

    await server.dispatch.pauseBroadcast(id);
    const atPause = await nothingNewAfterStop("after the pause");
    expect(await broadcastStatus(h, id)).toBe("paused");

    await server.dispatch.resumeBroadcast(id);
    await until(
      "sending again",
      async () => ((await h.sandbox.sendLog()).length > atPause + 20 ? true : undefined),
      5_000,
    );

    const { cancelled } = await server.dispatch.cancelBroadcast(id);
    expect(cancelled).toBeGreaterThan(0);
    await nothingNewAfterStop("after the cancel");
    const counters = await server.dispatch.counters(id);
    // Rows that were waiting for a token at that moment are cancelled by the dispatcher itself.
    expect(counters.cancelled).toBeGreaterThanOrEqual(cancelled);
    expect(counters.queued + counters.inFlight).toBe(0);
    expect(counters.accepted + counters.cancelled).toBe(2_000);
    expect(await broadcastStatus(h, id)).toBe("cancelled");
  }, 60_000);

  it("stops a broadcast whose template is missing, loses nothing, and finishes it once fixed", async () => {
    harness = await startHarness(atCap(200));
    const server = await harness.startService();
    await seedSubscribers(server.database, "concorezzo", 300);
    const id = await createBroadcast(server.database, "concorezzo", {
      content: { type: "template", name: "modello_inesistente", language: "it" },
    });
    await server.dispatch.startBroadcast(id);
    await until("needs attention", async () =>
      (await broadcastStatus(harness!, id)) === "needs_attention" ? true : undefined,
    );
    const broadcast = await server.database.db
      .selectFrom("broadcasts")
      .select(["attention_reason"])
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(broadcast.attention_reason).toMatch(/132001/);
    const stopped = await server.dispatch.counters(id);
    expect(stopped.failed).toBe(0);
    expect(stopped.queued + stopped.inFlight).toBe(300);

    // The office fixes the template name and resumes: everyone gets it, once.
    await server.database.db
      .updateTable("broadcasts")
      .set({
        content: JSON.stringify({
          type: "template",
          name: "notizia_comune",
          language: "it",
          body: [{ text: "Aggiornamento" }],
        }),
      })
      .where("id", "=", id)
      .execute();
    await server.dispatch.resumeBroadcast(id);
    await until(
      "sent",
      async () => ((await broadcastStatus(harness!, id)) === "sent" ? true : undefined),
      30_000,
    );
    const log = await harness.sandbox.sendLog();
    expect(acceptedPerRecipient(log).size).toBe(300);
    expect([...acceptedPerRecipient(log).values()].every((n) => n === 1)).toBe(true);
  }, 60_000);

  it("spends the messaging-limit tier: a broadcast larger than today's budget waits, with its plan visible", async () => {
    const { h, server, id } = await sendingTo(300, {
      ratePerSecond: 200,
      messagingLimitTier: "TIER_250",
      sandbox: { throughputPerSecond: 200 },
    });

    await untilCounters(server, id, "the day's budget to be spent", (c) => c.accepted === 250);
    await new Promise((r) => setTimeout(r, 1_500));
    const progress = await server.app.inject({
      method: "GET",
      url: `/api/tenants/concorezzo/broadcasts/${id}/progress`,
      headers: { authorization: `Bearer ${HARNESS_ADMIN_TOKEN}` },
    });
    expect(progress.statusCode).toBe(200);
    const body = progress.json<{
      broadcast: { status: string };
      counters: { accepted: number; queued: number };
      plan: {
        tierLimit: number;
        spentLast24h: number;
        remainingTierDeliveries: number;
        sendableNow: number;
        nextCapacityAt: number | null;
        days: number;
      };
    }>();
    expect(body.broadcast.status).toBe("sending");
    expect(body.counters).toMatchObject({ accepted: 250, queued: 50 });
    expect(body.plan).toMatchObject({
      tierLimit: 250,
      spentLast24h: 250,
      remainingTierDeliveries: 50,
      sendableNow: 0,
      days: 2,
    });
    expect(body.plan.nextCapacityAt).toBeGreaterThan(Date.now() + 23 * 60 * 60 * 1000);
    // Nothing beyond the budget reached the sandbox.
    expect(acceptedPerRecipient(await h.sandbox.sendLog()).size).toBe(250);
  }, 60_000);

  it("streams a broadcast's progress as server-sent events until it is sent", async () => {
    const { h, id } = await sendingTo(400, atCap(200));
    const res = await fetch(
      `http://127.0.0.1:${h.port}/api/tenants/concorezzo/broadcasts/${id}/events`,
      { headers: { authorization: `Bearer ${HARNESS_ADMIN_TOKEN}` } },
    );
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const text = await res.text(); // the stream ends when the broadcast is sent
    const events = text
      .split("\n\n")
      .filter((e) => e.startsWith("event: progress"))
      .map(
        (e) =>
          JSON.parse(e.split("data: ")[1] ?? "{}") as {
            broadcast: { status: string };
            counters: { accepted: number };
          },
      );
    expect(events.length).toBeGreaterThan(1);
    expect(events.at(-1)).toMatchObject({
      broadcast: { status: "sent" },
      counters: { accepted: 400 },
    });
    const accepted = events.map((e) => e.counters.accepted);
    expect([...accepted].sort((a, b) => a - b)).toEqual(accepted); // only ever grows
  }, 60_000);
});
