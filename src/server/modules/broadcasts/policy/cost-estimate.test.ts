import { describe, expect, it } from "vitest";
import {
  categoryOf,
  estimateCost,
  formatMoney,
  formatUnitPrice,
  META_ITALY_USD,
  priceListOn,
  toMicros,
  type DatedPriceList,
} from "./cost-estimate.js";

const november = Date.parse("2026-11-02T09:00:00+01:00");

describe("cost estimate", () => {
  it("prices 1,234 recipients of a marketing template at Meta's July 2026 rate", () => {
    const estimate = estimateCost({
      recipients: 1234,
      category: "marketing",
      at: Date.parse("2026-08-03T09:00:00+02:00"),
      priceLists: META_ITALY_USD,
    });
    // 1,234 × 79,500 micro-dollars = 98,103,000: $98.103.
    expect(estimate.totalMicros).toBe(98_103_000);
    expect(estimate.total).toEqual({ it: "$ 98,10", en: "$ 98.10" });
    expect(estimate.priceListFrom).toBe("2026-07-01");
    expect(estimate.display.it).toBe(
      "Listino in vigore dal 01/07/2026: 1.234 × $ 0,0795 (modello marketing) = $ 98,10",
    );
    expect(estimate.display.en).toBe(
      "Price list in force from 2026-07-01: 1,234 × $ 0.0795 (marketing template) = $ 98.10",
    );
  });

  it("names no date for a comune's rates that state none", () => {
    const estimate = estimateCost({
      recipients: 10,
      category: "utility",
      at: november,
      priceLists: [
        {
          validFrom: "",
          currency: "EUR",
          marketing: 0.0658,
          utility: 0.0248,
          authentication: 0.0248,
          service: 0.0248,
        },
      ],
    });
    expect(estimate.display.it).toBe(
      "Tariffe del Comune: 10 × € 0,0248 (modello utility) = € 0,25",
    );
    expect(estimate.display.en).toBe(
      "The comune's rates: 10 × € 0.0248 (utility template) = € 0.25",
    );
  });

  it("splits the recipients inside their window at the service rate when the comune sends free-form", () => {
    const estimate = estimateCost({
      recipients: 1234,
      inWindow: 200,
      freeFormInWindow: true,
      category: "marketing",
      at: november,
      priceLists: META_ITALY_USD,
    });
    expect(estimate.lines).toEqual([
      { kind: "template", recipients: 1034, unitMicros: 79_500, totalMicros: 82_203_000 },
      { kind: "free-form", recipients: 200, unitMicros: 30_000, totalMicros: 6_000_000 },
    ]);
    expect(estimate.total.it).toBe("$ 88,20");
    expect(estimate.display.it).toContain(
      "200 × $ 0,03 (messaggio libero nella finestra di 24 ore, tariffa di servizio)",
    );
  });

  it("charged nothing for service messages and in-window utility templates before 2026-10-01", () => {
    const september = Date.parse("2026-09-30T21:59:00Z");
    const free = estimateCost({
      recipients: 100,
      inWindow: 40,
      freeFormInWindow: true,
      category: "utility",
      at: september,
      priceLists: META_ITALY_USD,
    });
    expect(free.totalMicros).toBe(60 * 30_000);
    const template = estimateCost({
      recipients: 100,
      inWindow: 40,
      category: "utility",
      at: september,
      priceLists: META_ITALY_USD,
    });
    expect(template.lines[1]).toMatchObject({ kind: "template-in-window", unitMicros: 0 });
    expect(
      estimateCost({
        recipients: 100,
        inWindow: 40,
        category: "utility",
        at: november,
        priceLists: META_ITALY_USD,
      }).totalMicros,
    ).toBe(100 * 30_000);
  });

  it("chooses the list in force on the send date, by its UTC day", () => {
    expect(priceListOn(Date.parse("2026-06-30T23:59:00Z"), META_ITALY_USD).validFrom).toBe(
      "2025-07-01",
    );
    expect(priceListOn(Date.parse("2026-07-01T00:00:00Z"), META_ITALY_USD).validFrom).toBe(
      "2026-07-01",
    );
    expect(() => priceListOn(Date.parse("2025-01-01T00:00:00Z"), META_ITALY_USD)).toThrow(
      "No price list is in force on 2025-01-01",
    );
  });

  it("totals a euro list without float drift and shows it the Italian way", () => {
    const euro: DatedPriceList[] = [
      {
        validFrom: "2026-07-01",
        currency: "EUR",
        marketing: 0.0658,
        utility: 0.0248,
        authentication: 0.0248,
        service: 0.0248,
      },
    ];
    // In floating point 0.1 + 0.2 drifts; micro-units do not: 3 × 0.1 is 300,000 exactly.
    expect(toMicros(0.1) * 3).toBe(toMicros("0.3"));
    const big = estimateCost({
      recipients: 1_234_567,
      category: "utility",
      at: november,
      priceLists: euro,
    });
    expect(big.totalMicros).toBe(1_234_567 * 24_800);
    expect(big.total).toEqual({ it: "€ 30.617,26", en: "€ 30,617.26" });
  });

  it("formats amounts and unit prices", () => {
    expect(formatMoney(5_000, "EUR", "it")).toBe("€ 0,01");
    expect(formatMoney(4_999, "EUR", "it")).toBe("€ 0,00");
    expect(formatMoney(1_000_000, "CHF", "en")).toBe("CHF 1.00");
    expect(formatUnitPrice(30_000, "USD", "it")).toBe("$ 0,03");
    expect(formatUnitPrice(65_800, "EUR", "it")).toBe("€ 0,0658");
    expect(formatUnitPrice(0, "EUR", "it")).toBe("€ 0,00");
    expect(toMicros("0.07951234")).toBe(79_512);
  });

  it("maps topics to categories: civil protection and traffic are utility, events marketing", () => {
    const urgent = false;
    expect(categoryOf(["protezione-civile"], { urgent }).category).toBe("utility");
    expect(categoryOf(["trasporti-viabilita", "protezione-civile"], { urgent }).category).toBe(
      "utility",
    );
    expect(categoryOf(["eventi-culturali"], { urgent }).category).toBe("marketing");
    // Mixed, unknown or all topics: marketing, as Meta counts unclear content.
    expect(categoryOf(["protezione-civile", "news"], { urgent }).category).toBe("marketing");
    expect(categoryOf(["servizi-scolastici"], { urgent }).category).toBe("marketing");
    expect(categoryOf("all", { urgent }).category).toBe("marketing");
    expect(categoryOf("all", { urgent: true }).category).toBe("utility");
    // The comune's own map, and the template's category above everything.
    const own = { "servizi-scolastici": "utility" } as const;
    expect(categoryOf(["servizi-scolastici"], { urgent, topicCategories: own }).category).toBe(
      "utility",
    );
    expect(
      categoryOf(["protezione-civile"], { urgent: true, templateCategory: "marketing" }).category,
    ).toBe("marketing");
  });
});
