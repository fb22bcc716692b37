import type { Insertable } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OutboundMessagesTable } from "../../platform/db/schema.js";
import { buildTestApp, fakeClock, type TestApp } from "../../test/build-test-app.js";
import { testEngines } from "../../test/engines.js";
import { buildBroadcast, buildOutboundMessage } from "../../test/factories.js";
import { seedSession } from "../../test/staff-kit.js";
import type { Overview } from "./overview.service.js";

/**
 * The dashboard's figures over HTTP, against rows whose outcome is known: which broadcasts are
 * the latest, their delivered and read rates, what this month (the comune's calendar month, in
 * Rome: a broadcast at 23:30 UTC on 31 October is November's) sent and cost, and the messaging
 * limit left today. The default price list: marketing € 0.0658, service € 0.0248.
 */
const NOW = Date.UTC(2026, 10, 22, 9, 0, 0); // 22 November, 10:00 in Rome
const HOUR = 3_600_000;
const TENANT = "concorezzo";

describe.each(testEngines())("the dashboard overview on %s", (engine) => {
  let t: TestApp;
  let editor: Record<string, string>;
  const ids = { sending: 0, sent: 0, firstOfMonth: 0, lastOfOctober: 0 };

  const get = (headers: Record<string, string>, tenant = TENANT, lang = "it") =>
    t.app.inject({
      method: "GET",
      url: `/api/tenants/${tenant}/overview`,
      headers: { ...headers, "accept-language": lang },
    });

  /** A broadcast that started at `startedAt`, with one delivery per entry of `deliveries`. */
  async function started(
    startedAt: number,
    status: string,
    deliveries: Partial<Insertable<OutboundMessagesTable>>[],
    title = "Chiusura del municipio",
    tenant = TENANT,
  ): Promise<number> {
    const b = await buildBroadcast(t.database.db, {
      tenant_id: tenant,
      title,
      status,
      started_at: startedAt,
      finished_at: status === "sent" ? startedAt + HOUR : null,
      created_at: startedAt - HOUR,
      updated_at: startedAt,
    });
    let n = 0;
    for (const d of deliveries) {
      n += 1;
      await buildOutboundMessage(t.database.db, {
        tenant_id: tenant,
        kind: "broadcast",
        broadcast_id: b.id,
        recipient: `3933${String(b.id).padStart(4, "0")}${String(n).padStart(4, "0")}`,
        state: "accepted",
        accepted_at: startedAt,
        created_at: startedAt,
        ...d,
      });
    }
    return b.id;
  }

  beforeAll(async () => {
    t = await buildTestApp({ engine, clock: fakeClock(NOW) });
    const db = t.database.db;
    editor = await seedSession(db, fakeClock(NOW), "ufficio@example.it", { [TENANT]: ["editor"] });
    // Meta's word on the number's tier, as its account webhook brings it.
    await t.services.dispatch.applyAccountUpdate(TENANT, "phone_number_quality_update", {
      current_limit: "TIER_250",
    });

    // Four months ago: older than the five latest.
    for (let i = 0; i < 4; i += 1) {
      await started(Date.UTC(2026, 8, 1 + i, 9), "sent", [{ status: "delivered" }], "Estate");
    }
    // 31 October, 23:30 in Rome: October's, one message.
    ids.lastOfOctober = await started(Date.UTC(2026, 9, 31, 22, 30), "sent", [
      { status: "delivered" },
    ]);
    // 1 November, 00:30 in Rome: November's, one message not priced yet.
    ids.firstOfMonth = await started(Date.UTC(2026, 9, 31, 23, 30), "sent", [
      { status: "delivered" },
    ]);
    // Yesterday, within the rolling day of the messaging limit: two read, one delivered (not
    // priced yet), one failed; the three accepted spend the tier.
    const yesterday = NOW - 20 * HOUR;
    const tier = { spends_tier: 1 };
    const regular = { pricing_type: "regular", pricing_category: "marketing" };
    ids.sent = await started(yesterday, "sent", [
      { status: "read", ...regular, ...tier },
      { status: "read", ...regular, ...tier },
      { status: "delivered", ...tier },
      { state: "failed", status: null, accepted_at: null, error_code: 131026 },
    ]);
    // Under way: one delivery still queued.
    ids.sending = await started(NOW - HOUR, "sending", [
      { state: "queued", status: null, accepted_at: null },
    ]);
    // Not started: neither counted nor listed.
    await buildBroadcast(db, { tenant_id: TENANT, status: "draft", created_at: NOW - HOUR });
    await buildBroadcast(db, { tenant_id: TENANT, status: "cancelled", created_at: NOW - HOUR });
    // Another comune's broadcast of this month.
    await started(NOW - 2 * HOUR, "sent", [{ status: "delivered" }], "Altrove", "casale-marittimo");
    // An automatic reply this month (not priced yet: the service rate) and one last month.
    await buildOutboundMessage(db, { state: "accepted", accepted_at: NOW - 3 * HOUR });
    await buildOutboundMessage(db, { state: "accepted", accepted_at: Date.UTC(2026, 9, 20) });
  });
  afterAll(async () => {
    await t.close();
  });

  it("lists the five latest broadcasts that started, with their delivered and read rates", async () => {
    const res = await get(editor);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<Overview>();
    expect(body.recentBroadcasts.map((b) => b.id)).toEqual([
      ids.sending,
      ids.sent,
      ids.firstOfMonth,
      ids.lastOfOctober,
      expect.any(Number),
    ]);
    expect(body.recentBroadcasts[0]).toMatchObject({
      status: "sending",
      statusLabel: "in invio",
      recipients: 1,
      delivered: 0,
      deliveredRate: 0,
      readRate: null,
    });
    expect(body.recentBroadcasts[1]).toMatchObject({
      status: "sent",
      recipients: 4,
      delivered: 3,
      read: 2,
      failed: 1,
      deliveredRate: 0.75,
      readRate: 0.6667,
      startedAt: new Date(NOW - 20 * HOUR).toISOString(),
    });
    // Counts only: no number and no text of a message.
    expect(res.body).not.toMatch(/3933\d{6,}/);
    expect(res.body).not.toContain("municipio resta chiuso");
  });

  it("counts this month's messages and their cost in the comune's calendar month", async () => {
    const { month } = (await get(editor)).json<Overview>();
    expect(month).toMatchObject({
      from: "2026-11-01",
      to: "2026-11-22",
      // The one sending, yesterday's and 1 November's; not 31 October's.
      broadcasts: 3,
      broadcastMessages: 4,
      replies: 1,
      messages: 5,
      currency: "EUR",
    });
    // 4 marketing messages (2 priced by Meta, 2 not yet) at 0.0658 and a reply at 0.0248.
    expect(month.costMicros).toBe(288_000);
    expect(month.cost).toEqual({ it: "€ 0,29", en: "€ 0.29" });
  });

  it("says how much of the messaging limit is left today", async () => {
    const { messagingLimit } = (await get(editor)).json<Overview>();
    expect(messagingLimit).toEqual({ limit: 250, spentToday: 3, left: 247 });
  });

  it("speaks the staff's language and keeps to the comune's own broadcasts", async () => {
    const en = (await get(editor, TENANT, "en")).json<Overview>();
    expect(en.recentBroadcasts[0]?.statusLabel).toBe("sending");
    expect(en.recentBroadcasts.map((b) => b.title)).not.toContain("Altrove");
    // Another comune's figures are not this editor's to read.
    expect((await get(editor, "casale-marittimo")).statusCode).toBe(403);
  });

  it("answers a comune with no broadcast and an unknown messaging limit", async () => {
    const viewer = await seedSession(t.database.db, fakeClock(NOW), "sindaco@example.it", {
      "casale-marittimo": ["viewer"],
    });
    await t.database.db
      .deleteFrom("outbound_messages")
      .where("tenant_id", "=", "casale-marittimo")
      .execute();
    await t.database.db
      .deleteFrom("broadcasts")
      .where("tenant_id", "=", "casale-marittimo")
      .execute();
    const res = await get(viewer, "casale-marittimo");
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<Overview>();
    expect(body.recentBroadcasts).toEqual([]);
    expect(body.month).toMatchObject({ broadcasts: 0, messages: 0, costMicros: 0 });
    expect(body.messagingLimit).toEqual({ limit: null, spentToday: 0, left: null });
  });
});
