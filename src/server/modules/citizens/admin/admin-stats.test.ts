import { afterEach, describe, expect, it } from "vitest";
import { buildTestApp, fakeClock, type TestApp } from "../../../test/build-test-app.js";
import { until } from "../../../test/dispatch-harness.js";
import { testEngines } from "../../../test/engines.js";
import { buildOutboundMessage } from "../../../test/factories.js";
import { startInProcessServer, type InProcessServer } from "../../../test/in-process-server.js";
import { callbackDataFor, applyStatusUpdate } from "../../dispatch/delivery-status.js";
import type { StatusUpdate } from "../../whatsapp/webhook-events.js";
import { replyStats } from "./admin-stats.service.js";
import { localDay } from "../../../platform/local-days.js";

// The replies' statistics charge what Meta's status webhooks say it charges (point 11 of issue
// #9): the sandbox reports the pricing of October 2026 on, and the statistics follow the
// statuses, with the comune's price list only for replies no status has priced yet.

const TOKEN = "admin-token-for-the-stats-0123456789";
const auth = { authorization: `Bearer ${TOKEN}` };
const CONCOREZZO = { slug: "concorezzo", display: "393665784663" };

interface RepliesAnswer {
  replies: number;
  cost: number;
  currency: string;
  pricePerReply: number;
}

describe.each(testEngines())("reply statistics on %s", (engine) => {
  let t: TestApp | undefined;
  let s: InProcessServer | undefined;
  afterEach(async () => {
    await t?.close();
    await s?.close();
    t = s = undefined;
  });

  it("charge the replies the sandbox's statuses price as service messages, as the statuses say", async () => {
    s = await startInProcessServer({ engine, env: { ADMIN_TOKEN: TOKEN } });
    const server = s;
    const db = server.server.database.db;
    // Two people write; the comune answers each inside their 24-hour window.
    for (const waId of ["393331110001", "393331110002"]) {
      const res = await fetch(`${server.baseUrl}/sandbox/api/phones/${waId}/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ to: CONCOREZZO.display, text: "Buongiorno", name: "Anna" }),
      });
      expect(res.status).toBe(202);
    }
    const replies = await until(
      "the replies to be delivered and priced",
      async () => {
        const rows = await db
          .selectFrom("outbound_messages")
          .select(["wa_message_id", "status", "pricing_type", "pricing_category"])
          .where("tenant_id", "=", CONCOREZZO.slug)
          .where("kind", "=", "reply")
          .execute();
        return rows.length >= 2 && rows.every((r) => r.status === "delivered" && r.pricing_type)
          ? rows
          : undefined;
      },
      15_000,
    );

    // What the sandbox posted for them (stored as the webhook handler read it): Meta's pricing
    // object of October 2026 on.
    const stored = await db
      .selectFrom("inbound_events")
      .select("payload")
      .where("tenant_id", "=", CONCOREZZO.slug)
      .where("kind", "=", "status")
      .execute();
    const pricings = stored
      .map((e) => (JSON.parse(e.payload) as { status: StatusUpdate }).status)
      .filter((status) => replies.some((r) => r.wa_message_id === status.messageId))
      .map((status) => status.pricing);
    // `sent` and `delivered` for each.
    expect(pricings.length).toBeGreaterThanOrEqual(2 * replies.length);
    for (const pricing of pricings)
      expect(pricing).toEqual({
        billable: true,
        pricingModel: "PMP",
        type: "regular",
        category: "service",
      });
    for (const row of replies)
      expect(row).toMatchObject({ pricing_type: "regular", pricing_category: "service" });

    const today = localDay(Date.now(), "Europe/Rome");
    const res = await fetch(
      `${server.baseUrl}/api/tenants/concorezzo/stats/replies?from=${today.slice(0, 8)}01&to=${today}`,
      { headers: auth },
    );
    expect(res.status).toBe(200);
    const answer = (await res.json()) as RepliesAnswer;
    const rate = 0.0248; // the service rate of the shipped price list
    expect(answer).toMatchObject({ replies: replies.length, currency: "EUR", pricePerReply: rate });
    expect(answer.cost).toBeCloseTo(replies.length * rate, 6);
  }, 60_000);

  it("count a reply as free, charged or not yet priced from its statuses, for the month", async () => {
    const clock = fakeClock(); // 2026-11-22
    t = await buildTestApp({ engine, clock, env: { ADMIN_TOKEN: TOKEN } });
    const app = t;
    const sender = await app.database.db
      .selectFrom("sender_numbers")
      .select("id")
      .where("tenant_id", "=", CONCOREZZO.slug)
      .executeTakeFirstOrThrow();
    let replies = 0;
    /** A reply accepted now, then the statuses given (the way the webhook handler applies them). */
    const reply = async (statuses: Partial<StatusUpdate>[]) => {
      const wamid = `wamid.stats-${replies++}`;
      const now = clock.now();
      const { id } = await buildOutboundMessage(app.database.db, {
        tenant_id: CONCOREZZO.slug,
        sender_number_id: sender.id,
        kind: "reply",
        recipient: "393331110003",
        payload: JSON.stringify({ type: "text", body: "Ciao" }),
        state: "accepted",
        status: "accepted",
        next_attempt_at: now,
        wa_message_id: wamid,
        accepted_at: now,
        created_at: now,
        updated_at: now,
      });
      for (const status of statuses)
        await applyStatusUpdate(
          app.database.db,
          CONCOREZZO.slug,
          {
            messageId: wamid,
            status: "sent",
            timestamp: clock.now(),
            recipientId: "393331110003",
            callbackData: callbackDataFor(id),
            errors: [],
            ...status,
          },
          clock,
        );
    };
    const service = { pricingModel: "PMP", category: "service" };
    // Charged: Meta's current model, on `sent` and again on `delivered`.
    await reply([
      { pricing: { ...service, billable: true, type: "regular" } },
      { status: "delivered", pricing: { ...service, billable: true, type: "regular" } },
    ]);
    // Free: Meta's model before October 2026, and an older shape with only `billable`.
    await reply([{ pricing: { ...service, billable: false, type: "free_customer_service" } }]);
    await reply([{ pricing: { billable: false, category: "service" } }]);
    // `delivered` before `sent` (no order guaranteed): the late `sent` still brings the pricing.
    await reply([
      { status: "delivered" },
      { status: "sent", pricing: { ...service, billable: true, type: "regular" } },
    ]);
    // No status with pricing yet: the price list's service rate.
    await reply([]);

    const res = await app.app.inject({
      url: "/api/tenants/concorezzo/stats/replies?from=2026-11-01&to=2026-11-30",
      headers: auth,
    });
    expect(res.statusCode).toBe(200);
    const rate = 0.0248;
    expect(res.json<RepliesAnswer>()).toMatchObject({ replies: 5, currency: "EUR" });
    expect(res.json<RepliesAnswer>().cost).toBeCloseTo(3 * rate, 6);
    const tenant = app.tenants.find((x) => x.slug === CONCOREZZO.slug)!;
    expect(await replyStats(app.database.db, tenant, "2026-11-01", "2026-11-30")).toMatchObject({
      replies: 5,
      charged: 2,
      free: 2,
      unpriced: 1,
      cost: Math.round(3 * rate * 10_000) / 10_000,
      pricePerReply: rate,
    });
    // Another month has none of them.
    expect((await replyStats(app.database.db, tenant, "2026-10-01", "2026-10-31")).replies).toBe(0);
  });
});
