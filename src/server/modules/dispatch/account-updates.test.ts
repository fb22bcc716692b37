import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../../test/build-test-app.js";
import { testEngines } from "../../test/engines.js";
import { senderNumberOf } from "../../test/factories.js";
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

  const senderId = () => senderNumberOf(t.database.db, "concorezzo");

  /** Concorezzo's account update `field` with `value`, applied at `now`; the tier it names. */
  const apply = (field: string, value: Record<string, unknown>, now: number) =>
    applyAccountUpdate(t.database.db, { tenantId: "concorezzo", field, value, now });

  it("takes the tier from phone_number_quality_update and business_capability_update", async () => {
    const db = t.database.db;
    expect(await messagingLimitOf(db, await senderId())).toBeNull();
    expect(
      await apply(
        "phone_number_quality_update",
        { event: "UPGRADE", current_limit: "TIER_10K" },
        1,
      ),
    ).toBe("TIER_10K");
    expect(await messagingLimitOf(db, await senderId())).toBe(10_000);
    expect(
      await apply("business_capability_update", { max_daily_conversation_per_phone: 2000 }, 2),
    ).toBe("TIER_2K");
    expect(await messagingLimitOf(db, await senderId())).toBe(2_000);
  });

  it("ignores updates that name no tier", async () => {
    expect(await apply("message_template_status_update", { event: "PAUSED" }, 1)).toBeUndefined();
    expect(
      await apply("business_capability_update", { max_phone_numbers_per_business: 2 }, 1),
    ).toBeUndefined();
    expect(await messagingLimitOf(t.database.db, await senderId())).toBeNull();
  });
});
