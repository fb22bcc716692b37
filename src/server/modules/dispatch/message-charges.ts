/**
 * What messages cost, from what Meta's status webhooks said about each (pricing_type and
 * pricing_category, kept by delivery-status.ts) and the comune's price list (its tenant file).
 * Pure: the caller reads the counts.
 *
 * Meta decides whether a message is charged and in which category; the price list only gives
 * the rate of a category (Meta's statuses carry no amount). So:
 * - `regular` is charged, at the rate of its category;
 * - any other type (free_customer_service, free_entry_point, a deprecated billable=false) is free;
 * - a message with no pricing yet (no status with pricing has arrived) is priced from the list,
 *   at the rate of the category its kind is charged as (replies: service).
 */

/** Per delivered message, as in the tenant file's `pricing`. */
export interface PriceList {
  currency: string;
  marketing: number;
  utility: number;
  authentication: number;
  service: number;
}

export type RatedCategory = Exclude<keyof PriceList, "currency">;

/** Meta's categories (docs/whatsapp-cloud-api.md §3.4) → the price-list rate that applies. */
const RATE_OF: Readonly<Record<string, RatedCategory>> = {
  service: "service",
  utility: "utility",
  marketing: "marketing",
  marketing_lite: "marketing",
  authentication: "authentication",
  "authentication-international": "authentication",
};

/** Messages counted by the pricing their statuses gave; type null = not priced yet. */
export interface PricingCount {
  type: string | null;
  category: string | null;
  count: number;
}

export interface Charges {
  messages: number;
  /** Meta said charged (`regular`). */
  charged: number;
  /** Meta said free. */
  free: number;
  /** No status with pricing yet: charged as `fallback`, from the price list. */
  unpriced: number;
  cost: number;
  currency: string;
}

export function chargesOf(
  counts: readonly PricingCount[],
  prices: PriceList,
  fallback: RatedCategory,
): Charges {
  const charges: Charges = {
    messages: 0,
    charged: 0,
    free: 0,
    unpriced: 0,
    cost: 0,
    currency: prices.currency,
  };
  let cost = 0;
  for (const { type, category, count } of counts) {
    charges.messages += count;
    if (type === null) {
      charges.unpriced += count;
      cost += count * prices[fallback];
    } else if (type === "regular") {
      charges.charged += count;
      // A category Meta adds later is charged at the kind's rate rather than left out.
      cost += count * prices[(category && RATE_OF[category]) || fallback];
    } else {
      charges.free += count;
    }
  }
  // Rounded to a hundredth of a cent: sums of many small prices drift in binary floating point.
  charges.cost = Math.round(cost * 10_000) / 10_000;
  return charges;
}
