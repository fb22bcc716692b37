import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../../test/build-test-app.js";
import { testEngines } from "../../test/engines.js";
import { applyAccountUpdate } from "./account-updates.js";
import { messagingLimitOf } from "./sender-numbers.repository.js";

describe.each(testEngines())("Meta's tier updates on %s", (engine) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp({ engine });
  });
  afterEach(async () => {
    await t.close();
  });

  const senderId = async () =>
    (
      await t.database.db
        .selectFrom("sender_numbers")
        .select("id")
        .where("tenant_id", "=", "concorezzo")
        .executeTakeFirstOrThrow()
    ).id;

  it("takes the tier from phone_number_quality_update and business_capability_update", async () => {
    const db = t.database.db;
    expect(await messagingLimitOf(db, await senderId())).toBeNull();
    expect(
      await applyAccountUpdate(db, {
        tenantId: "concorezzo",
        field: "phone_number_quality_update",
        value: { event: "UPGRADE", current_limit: "TIER_10K" },
        now: 1,
      }),
    ).toBe("TIER_10K");
    expect(await messagingLimitOf(db, await senderId())).toBe(10_000);
    expect(
      await applyAccountUpdate(db, {
        tenantId: "concorezzo",
        field: "business_capability_update",
        value: { max_daily_conversation_per_phone: 2000 },
        now: 2,
      }),
    ).toBe("TIER_2K");
    expect(await messagingLimitOf(db, await senderId())).toBe(2_000);
  });

  it("ignores updates that name no tier", async () => {
    const db = t.database.db;
    expect(
      await applyAccountUpdate(db, {
        tenantId: "concorezzo",
        field: "message_template_status_update",
        value: { event: "PAUSED" },
        now: 1,
      }),
    ).toBeUndefined();
    expect(
      await applyAccountUpdate(db, {
        tenantId: "concorezzo",
        field: "business_capability_update",
        value: { max_phone_numbers_per_business: 2 },
        now: 1,
      }),
    ).toBeUndefined();
    expect(await messagingLimitOf(db, await senderId())).toBeNull();
  });
});
