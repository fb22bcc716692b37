import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildTestApp, fakeClock, type TestApp } from "../../test/build-test-app.js";
import { createBroadcast } from "../../test/dispatch-harness.js";
import { testEngines } from "../../test/engines.js";
import { classifyError } from "../whatsapp/send-errors.js";
import type { StatusUpdate } from "../whatsapp/webhook-events.js";
import { applyStatusUpdate, callbackDataFor } from "./delivery-status.js";
import { insertOutboundMessage } from "./outbound.repository.js";

describe.each(testEngines())("status webhooks on deliveries, %s", (engine) => {
  let t: TestApp;
  const clock = fakeClock();
  beforeEach(async () => {
    t = await buildTestApp({ engine, clock });
  });
  afterEach(async () => {
    await t.close();
  });

  async function row(state: string, waMessageId: string | null, status: string | null = null) {
    const sender = await t.database.db
      .selectFrom("sender_numbers")
      .select("id")
      .where("tenant_id", "=", "concorezzo")
      .executeTakeFirstOrThrow();
    const id = await insertOutboundMessage(t.database.db, {
      tenantId: "concorezzo",
      senderNumberId: sender.id,
      kind: "reply",
      recipient: "393331234567",
      payload: JSON.stringify({ type: "text", body: "Ciao" }),
      priority: 100,
      spendsTier: false,
      now: clock.now(),
    });
    await t.database.db
      .updateTable("outbound_messages")
      .set({ state, wa_message_id: waMessageId, status })
      .where("id", "=", id)
      .execute();
    return id;
  }
  const read = (id: number) =>
    t.database.db
      .selectFrom("outbound_messages")
      .select(["state", "status", "wa_message_id", "error_code"])
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
  const status = (
    messageId: string,
    value: string,
    extra: Partial<StatusUpdate> = {},
  ): StatusUpdate => ({
    messageId,
    status: value,
    timestamp: clock.now(),
    recipientId: "393331234567",
    errors: [],
    ...extra,
  });
  const apply = (s: StatusUpdate) => applyStatusUpdate(t.database.db, "concorezzo", s, clock);

  it("moves forward only: late and repeated statuses change nothing", async () => {
    const id = await row("accepted", "wamid.A", "accepted");
    expect(await apply(status("wamid.A", "read"))).toBe("updated");
    expect(await apply(status("wamid.A", "delivered"))).toBe("ignored");
    expect(await apply(status("wamid.A", "sent"))).toBe("ignored");
    expect(
      await apply(status("wamid.A", "failed", { errors: [classifyError({ code: 131026 })] })),
    ).toBe("ignored");
    expect(await apply(status("wamid.A", "played"))).toBe("ignored");
    expect(await read(id)).toMatchObject({ state: "accepted", status: "read" });
  });

  it("settles a row whose answer was lost, from the row id in the callback data", async () => {
    const id = await row("in_flight", null);
    expect(await apply(status("wamid.B", "sent", { callbackData: callbackDataFor(id) }))).toBe(
      "updated",
    );
    expect(await read(id)).toMatchObject({
      state: "accepted",
      status: "sent",
      wa_message_id: "wamid.B",
    });
  });

  it("keeps a status that raced the send's own answer: the row is read again, not the status dropped", async () => {
    const id = await row("in_flight", null);
    const db = t.database.db;
    // The send's answer is recorded after the status read the row and before it writes, as the
    // dispatcher's results batch does (status null → accepted).
    let raced = false;
    const answerFirst = async () => {
      if (raced) return;
      raced = true;
      await db
        .updateTable("outbound_messages")
        .set({ state: "accepted", wa_message_id: "wamid.R", status: "accepted" })
        .where("id", "=", id)
        .execute();
    };
    const racing = new Proxy(db, {
      get(target, prop) {
        if (prop === "updateTable") {
          return (table: "outbound_messages") =>
            writesAfter(target.updateTable(table), answerFirst);
        }
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === "function" ? (value as () => unknown).bind(target) : value;
      },
    });
    const delivered = status("wamid.R", "delivered", { callbackData: callbackDataFor(id) });
    expect(await applyStatusUpdate(racing, "concorezzo", delivered, clock)).toBe("updated");
    expect(raced).toBe(true);
    expect(await read(id)).toMatchObject({
      state: "accepted",
      status: "delivered",
      wa_message_id: "wamid.R",
    });
  });

  it("ends a delivery Meta could not make with its code, and requeues one it asks to retry", async () => {
    const undeliverable = await row("accepted", "wamid.C", "sent");
    expect(
      await apply(
        status("wamid.C", "failed", {
          errors: [classifyError({ code: 131026, title: "Message undeliverable" })],
        }),
      ),
    ).toBe("failed");
    expect(await read(undeliverable)).toMatchObject({
      state: "failed",
      status: "failed",
      error_code: 131026,
    });

    const capped = await row("accepted", "wamid.D", "sent");
    expect(
      await apply(status("wamid.D", "failed", { errors: [classifyError({ code: 131049 })] })),
    ).toBe("requeued");
    expect(await read(capped)).toMatchObject({
      state: "queued",
      status: null,
      wa_message_id: null,
      error_code: 131049,
    });
    const next = await t.database.db
      .selectFrom("outbound_messages")
      .select("next_attempt_at")
      .where("id", "=", capped)
      .executeTakeFirstOrThrow();
    expect(next.next_attempt_at).toBeGreaterThanOrEqual(clock.now() + 24 * 60 * 60 * 1000);
  });

  /** A delivery of a broadcast at `broadcastStatus`, accepted by Meta as `waMessageId`. */
  async function delivery(broadcastStatus: string, waMessageId: string) {
    const broadcastId = await createBroadcast(t.database, "concorezzo");
    await t.database.db
      .updateTable("broadcasts")
      .set({ status: broadcastStatus })
      .where("id", "=", broadcastId)
      .execute();
    const id = await row("accepted", waMessageId, "sent");
    await t.database.db
      .updateTable("outbound_messages")
      .set({ kind: "broadcast", broadcast_id: broadcastId, payload: null })
      .where("id", "=", id)
      .execute();
    return { id, broadcastId };
  }
  const broadcastOf = (id: number) =>
    t.database.db
      .selectFrom("broadcasts")
      .select(["status", "attention_reason"])
      .where("id", "=", id)
      .executeTakeFirstOrThrow();

  it("stops the broadcast on a configuration error reported only here, and keeps the row for the resume", async () => {
    const { id, broadcastId } = await delivery("sending", "wamid.E");
    const paused = classifyError({ code: 132015, title: "Template is paused" });
    expect(await apply(status("wamid.E", "failed", { errors: [paused] }))).toBe("requeued");
    expect(await read(id)).toMatchObject({ state: "queued", status: null, error_code: 132015 });
    expect(await broadcastOf(broadcastId)).toEqual({
      status: "needs_attention",
      attention_reason: "132015 Template is paused",
    });

    // Resumed after the fix: the same news, delivered again (found by the row id it carries),
    // does not stop it a second time.
    await t.database.db
      .updateTable("broadcasts")
      .set({ status: "sending", attention_reason: null })
      .where("id", "=", broadcastId)
      .execute();
    await apply(
      status("wamid.E", "failed", { errors: [paused], callbackData: callbackDataFor(id) }),
    );
    expect(await read(id)).toMatchObject({ state: "queued", error_code: 132015 });
    expect(await broadcastOf(broadcastId)).toEqual({ status: "sending", attention_reason: null });
  });

  it("does not queue again a failed delivery of a cancelled broadcast", async () => {
    const retried = await delivery("cancelled", "wamid.F");
    expect(
      await apply(status("wamid.F", "failed", { errors: [classifyError({ code: 131016 })] })),
    ).toBe("requeued");
    expect(await read(retried.id)).toMatchObject({ state: "cancelled", error_code: 131016 });

    const halted = await delivery("cancelled", "wamid.G");
    expect(
      await apply(status("wamid.G", "failed", { errors: [classifyError({ code: 132015 })] })),
    ).toBe("requeued");
    expect(await read(halted.id)).toMatchObject({ state: "cancelled" });
    expect((await broadcastOf(halted.broadcastId)).status).toBe("cancelled");
  });

  it("ignores statuses for messages it does not know", async () => {
    expect(await apply(status("wamid.unknown", "delivered"))).toBe("unknown");
  });
});

/** A query builder whose execution first awaits `before`, through every chained call. */
function writesAfter<T extends object>(builder: T, before: () => Promise<void>): T {
  return new Proxy(builder, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== "function") return value;
      if (typeof prop === "string" && prop.startsWith("execute")) {
        return async (...args: unknown[]) => {
          await before();
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return (...args: unknown[]) => {
        const next = (value as (...a: unknown[]) => unknown).apply(target, args);
        return next !== null && typeof next === "object" ? writesAfter(next, before) : next;
      };
    },
  });
}
