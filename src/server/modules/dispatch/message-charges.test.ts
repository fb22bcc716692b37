import { describe, expect, it } from "vitest";
import { chargesOf, type PriceList } from "./message-charges.js";

const PRICES: PriceList = {
  currency: "EUR",
  marketing: 0.0658,
  utility: 0.0248,
  authentication: 0.0249,
  service: 0.0247,
};

describe("chargesOf", () => {
  it("charges what Meta calls regular at its category's rate, and nothing for the free types", () => {
    expect(
      chargesOf(
        [
          { type: "regular", category: "service", count: 10 },
          { type: "regular", category: "marketing", count: 2 },
          { type: "regular", category: "marketing_lite", count: 1 },
          { type: "regular", category: "authentication-international", count: 1 },
          { type: "free_customer_service", category: "service", count: 5 },
          { type: "free_entry_point", category: "service", count: 3 },
          { type: "free", category: "service", count: 1 },
        ],
        PRICES,
        "service",
      ),
    ).toEqual({
      messages: 23,
      charged: 14,
      free: 9,
      unpriced: 0,
      cost: Math.round((10 * 0.0247 + 3 * 0.0658 + 0.0249) * 10_000) / 10_000,
      currency: "EUR",
    });
  });

  it("prices what no status priced yet, and a category it does not know, at the fallback's rate", () => {
    const charges = chargesOf(
      [
        { type: null, category: null, count: 4 },
        { type: "regular", category: "referral_conversion", count: 1 },
        { type: "regular", category: null, count: 1 },
      ],
      PRICES,
      "service",
    );
    expect(charges).toMatchObject({ messages: 6, charged: 2, unpriced: 4 });
    expect(charges.cost).toBeCloseTo(6 * 0.0247, 6);
  });

  it("rounds to a hundredth of a cent", () => {
    const many = chargesOf([{ type: "regular", category: "service", count: 3 }], PRICES, "service");
    expect(many.cost).toBe(0.0741);
    expect(chargesOf([], PRICES, "service")).toMatchObject({ messages: 0, cost: 0 });
  });
});
