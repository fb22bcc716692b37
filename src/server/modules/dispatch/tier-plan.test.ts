import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildTestApp, fakeClock, type TestApp } from "../../test/build-test-app.js";
import { testEngines } from "../../test/engines.js";
import { buildOutboundMessage } from "../../test/factories.js";
import { seedUser } from "../../test/staff-kit.js";
import { setMessagingLimitTier } from "./sender-numbers.repository.js";
import { tierPlanOf } from "./tier-plan.js";

const NOW = Date.UTC(2026, 10, 23, 9, 0, 0);
const DAY = 24 * 60 * 60 * 1000;

describe.each(testEngines())("the messaging-limit plan on %s", (engine) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp({ engine, clock: fakeClock(NOW) });
  });
  afterEach(() => t.close());

  /** `n` people reached with templates outside their window, `ago` before now. */
  async function reached(n: number, ago: number): Promise<void> {
    for (let i = 0; i < n; i += 1) {
      await buildOutboundMessage(t.database.db, {
        recipient: `39333${String(i).padStart(7, "0")}`,
        state: "accepted",
        spends_tier: 1,
        accepted_at: NOW - ago,
        created_at: NOW - ago,
      });
    }
  }

  it("covers what today's budget allows and says by when the rest goes", async () => {
    const db = t.database.db;
    const plan = (recipients: number) =>
      tierPlanOf(db, { tenantId: "concorezzo", recipients, now: NOW });
    // Unknown tier: counted as unlimited, everyone now.
    expect(await plan(5_000)).toEqual({
      limit: null,
      spentToday: 0,
      now: 5_000,
      later: 0,
      lastBy: null,
    });
    await setMessagingLimitTier(db, { tenantId: "concorezzo", tier: "TIER_250", now: NOW });
    await reached(100, 60 * 60 * 1000);
    await reached(30, 2 * DAY); // Older than a day: no longer counted.
    expect(await plan(120)).toMatchObject({ limit: 250, spentToday: 100, now: 120, later: 0 });
    expect(await plan(700)).toEqual({
      limit: 250,
      spentToday: 100,
      now: 150,
      later: 550,
      lastBy: NOW + 3 * DAY,
    });
  });

  it("is in a broadcast's check, for the people outside their window", async () => {
    const db = t.database.db;
    await setMessagingLimitTier(db, { tenantId: "concorezzo", tier: "TIER_250", now: NOW });
    const editor = await (
      await seedUser(db, fakeClock(NOW), {
        email: "ufficio@example.it",
        roles: { concorezzo: ["editor"] },
      })
    ).session();
    const created = await t.app.inject({
      method: "POST",
      url: "/api/tenants/concorezzo/broadcasts",
      headers: editor,
      payload: { title: "Mercato", text: "Il mercato di martedì si sposta in piazza." },
    });
    expect(created.statusCode, created.body).toBe(201);
    const { check } = created.json<{ check: { messagingLimit: Record<string, unknown> } }>();
    expect(check.messagingLimit).toEqual({
      limit: 250,
      spentToday: 0,
      now: 0,
      later: 0,
      lastBy: null,
    });
  });
});
