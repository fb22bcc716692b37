import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildTestApp, fakeClock, type TestApp } from "../../test/build-test-app.js";
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

  it("ignores statuses for messages it does not know", async () => {
    expect(await apply(status("wamid.unknown", "delivered"))).toBe("unknown");
  });
});
