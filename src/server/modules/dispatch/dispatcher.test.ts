import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../../test/build-test-app.js";
import { until } from "../../test/dispatch-harness.js";
import { testEngines } from "../../test/engines.js";
import { createLogger } from "../../platform/log.js";
import { classifyError } from "../whatsapp/send-errors.js";
import type { SendOutcome, WhatsAppClient } from "../whatsapp/types.js";
import { NumberDispatcher } from "./dispatcher.js";
import { insertOutboundMessage, PRIORITY } from "./outbound.repository.js";

// The dispatcher against a scripted WhatsApp client: what it does with a given sequence of
// answers, without the sandbox's randomness.

/** An answer as the Cloud API client makes it of Meta's error body and HTTP status. */
const graphError = (code: number, httpStatus: number): SendOutcome => ({
  ok: false,
  error: classifyError({ code, title: `error ${code}`, httpStatus }),
});
const ACCEPTED: SendOutcome = { ok: true, messageId: "wamid.ok" };

/** An answer that takes `ms` to come. */
interface Slow {
  after: number;
  outcome: SendOutcome;
}

/**
 * Answers each recipient's sends in order from its script; past the end, accepts. `sends`
 * counts the requests per recipient.
 */
function scriptedClient(
  scripts: Record<string, (SendOutcome | Slow)[]>,
  sends = new Map<string, number>(),
): WhatsAppClient {
  const unused = () => Promise.reject(new Error("not used by the dispatcher"));
  return {
    send: async ({ to }) => {
      const n = sends.get(to) ?? 0;
      sends.set(to, n + 1);
      const step = scripts[to]?.[n] ?? ACCEPTED;
      const { after, outcome } = "after" in step ? step : { after: 0, outcome: step };
      if (after > 0) await new Promise((r) => setTimeout(r, after));
      return outcome.ok ? { ...outcome, messageId: `wamid.${to}.${n}` } : outcome;
    },
    markAsRead: unused,
    uploadMedia: unused,
    listTemplates: unused,
    blockUsers: unused,
    unblockUsers: unused,
  };
}

describe.each(testEngines())("the dispatcher with scripted answers on %s", (engine) => {
  let t: TestApp;
  let dispatcher: NumberDispatcher | undefined;
  /** The dispatcher's clock: real time plus whatever the test skips ahead (retry waits). */
  let skipped = 0;
  const clock = { now: () => Date.now() + skipped };

  beforeEach(async () => {
    t = await buildTestApp({ engine });
    skipped = 0;
  });
  afterEach(async () => {
    await dispatcher?.stop();
    dispatcher = undefined;
    await t.close();
  });

  async function senderId(): Promise<number> {
    const row = await t.database.db
      .selectFrom("sender_numbers")
      .select("id")
      .where("tenant_id", "=", "concorezzo")
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** Queues one reply per recipient, runs the dispatcher until all are final, returns the rows. */
  async function dispatch(
    scripts: Record<string, (SendOutcome | Slow)[]>,
    options: { sends?: Map<string, number>; inFlightGraceMs?: number; tickMs?: number } = {},
  ) {
    const { sends, ...timing } = options;
    const id = await senderId();
    for (const to of Object.keys(scripts)) {
      await insertOutboundMessage(t.database.db, {
        tenantId: "concorezzo",
        senderNumberId: id,
        kind: "reply",
        recipient: to,
        payload: JSON.stringify({ type: "text", body: "Buongiorno" }),
        priority: PRIORITY.reply,
        spendsTier: false,
        now: clock.now(),
      });
    }
    dispatcher = new NumberDispatcher({
      db: t.database.db,
      sender: {
        id,
        tenantId: "concorezzo",
        phoneNumberId: "100000000000001",
        ratePerSecond: 80,
        portfolioSenderIds: [id],
      },
      client: scriptedClient(scripts, sends),
      clock,
      log: createLogger("silent"),
      flushIntervalMs: 5,
      ...timing,
    });
    dispatcher.start();
    return until(
      "every reply to be accepted or failed",
      async () => {
        const rows = await t.database.db
          .selectFrom("outbound_messages")
          .select(["recipient", "state", "attempts", "error_code"])
          .orderBy("recipient")
          .execute();
        if (rows.every((r) => r.state === "accepted" || r.state === "failed")) return rows;
        // Backoff waits up to seconds: move the dispatcher's time past them instead of waiting.
        skipped += 10_000;
        return undefined;
      },
      20_000,
      20,
    );
  }

  it("retries a 5xx 'unknown error' (code 1) after other server faults, as a server fault", async () => {
    // What the sandbox's injected 5xx does at random (131016 or code 1, both HTTP 500): two
    // 131016 and then a code 1 used to end the delivery failed with code 1 at the third attempt,
    // the limit meant for a code 1 that may be a malformed request.
    const rows = await dispatch({
      "393200000001": [graphError(131016, 500), graphError(131016, 500), graphError(1, 500)],
      "393200000002": [graphError(1, 500), graphError(1, 500), graphError(1, 500)],
    });
    expect(rows).toEqual([
      { recipient: "393200000001", state: "accepted", attempts: 4, error_code: null },
      { recipient: "393200000002", state: "accepted", attempts: 4, error_code: null },
    ]);
  });

  it("counts an error's own attempt limit over that error's answers in a row, not over other errors", async () => {
    const rows = await dispatch({
      // 131000 allows three tries: after two 131016 its first one is not the last.
      "393200000003": [graphError(131016, 500), graphError(131016, 500), graphError(131000, 500)],
      // Three in a row of the same 131000, or of a code 1 refused as a bad request (HTTP 400):
      // given up, with that code.
      "393200000004": [graphError(131000, 500), graphError(131000, 500), graphError(131000, 500)],
      "393200000005": [graphError(1, 400), graphError(1, 400), graphError(1, 400)],
    });
    expect(rows).toEqual([
      { recipient: "393200000003", state: "accepted", attempts: 4, error_code: null },
      { recipient: "393200000004", state: "failed", attempts: 3, error_code: 131000 },
      { recipient: "393200000005", state: "failed", attempts: 3, error_code: 1 },
    ]);
  });

  it("does not send again a message whose answer came after the grace period but is not yet written", async () => {
    // The answer takes longer than the grace period: while on the wire the row is protected,
    // and once answered it must not be taken for silence before its outcome is written.
    const sends = new Map<string, number>();
    const rows = await dispatch(
      { "393200000006": [{ after: 1_500, outcome: ACCEPTED }] },
      { sends, inFlightGraceMs: 1_000, tickMs: 1 },
    );
    expect(rows).toEqual([
      { recipient: "393200000006", state: "accepted", attempts: 1, error_code: null },
    ]);
    expect(sends.get("393200000006")).toBe(1);
  });
});
