import { describe, expect, it } from "vitest";
import {
  FAILED_RANK,
  STATUS_RANK,
  nextStatus,
  replacesRanksBelow,
  storedRank,
} from "./status-order.js";

const CURRENT = [null, "accepted", "sent", "delivered", "read", "failed"] as const;
const INCOMING = ["accepted", "sent", "delivered", "read", "failed"] as const;
const UNKNOWN = ["played", "deleted", "warning", "READ", "", "toString", "__proto__"];

/**
 * What to store, per current status (rows) and incoming status (columns, in INCOMING's order);
 * "-" = ignore. Written from the rules, not from the code.
 */
// prettier-ignore
const EXPECTED: Record<string, string[]> = {
  //          accepted    sent    delivered    read    failed
  none:      ["accepted", "sent", "delivered", "read", "failed"],
  accepted:  ["-",        "sent", "delivered", "read", "failed"],
  sent:      ["-",        "-",    "delivered", "read", "failed"],
  delivered: ["-",        "-",    "-",         "read", "-"],
  read:      ["-",        "-",    "-",         "-",    "-"],
  failed:    ["-",        "-",    "-",         "-",    "-"],
};

describe("nextStatus", () => {
  const pairs = CURRENT.flatMap((current) =>
    INCOMING.map((incoming, i) => {
      const want = EXPECTED[current ?? "none"]?.[i];
      return { current, incoming, want: want === "-" ? null : want };
    }),
  );

  it.each(pairs)("$current then $incoming → $want", ({ current, incoming, want }) => {
    expect(want).toBeDefined();
    expect(nextStatus(current, incoming)).toBe(want);
  });

  it.each(CURRENT)("ignores unknown statuses after %s", (current) => {
    for (const incoming of UNKNOWN) expect(nextStatus(current, incoming)).toBeNull();
  });

  it("treats a current value that is not a delivery status as none", () => {
    expect(nextStatus("played", "sent")).toBe("sent");
    expect(nextStatus("queued", "failed")).toBe("failed");
  });

  it("keeps a delivery's status moving forward whatever order the webhooks arrive in", () => {
    // Every permutation of sent, delivered, read ends at read; with failed after sent, at failed.
    const permutations = (items: string[]): string[][] =>
      items.length <= 1
        ? [items]
        : items.flatMap((item, i) =>
            permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((p) => [item, ...p]),
          );
    for (const order of permutations(["sent", "delivered", "read"])) {
      let status: string | null = "accepted";
      for (const incoming of order) status = nextStatus(status, incoming) ?? status;
      expect(status).toBe("read");
    }
    let status: string | null = null;
    for (const incoming of ["accepted", "failed", "sent", "delivered"]) {
      status = nextStatus(status, incoming) ?? status;
    }
    expect(status).toBe("failed");
  });
});

describe("ranks for conditional updates", () => {
  it("exports the forward order and a terminal rank for failed", () => {
    expect(STATUS_RANK).toEqual({ accepted: 0, sent: 1, delivered: 2, read: 3 });
    expect(FAILED_RANK).toBeGreaterThan(Math.max(...Object.values(STATUS_RANK)));
    expect(storedRank("failed")).toBe(FAILED_RANK);
    expect(storedRank("played")).toBeNull();
    expect(replacesRanksBelow("read")).toBe(STATUS_RANK.read);
    expect(replacesRanksBelow("failed")).toBe(STATUS_RANK.delivered);
    expect(replacesRanksBelow("deleted")).toBeNull();
  });

  it("gives the same answer as nextStatus for every pair (status_rank < :bound)", () => {
    for (const current of CURRENT) {
      for (const incoming of [...INCOMING, ...UNKNOWN]) {
        const stored = current === null ? null : storedRank(current);
        const bound = replacesRanksBelow(incoming);
        // SQL: status_rank IS NULL OR status_rank < :bound; no update at all for a null bound.
        const updates = bound !== null && (stored === null || stored < bound);
        expect(updates, `${current} then ${incoming}`).toBe(nextStatus(current, incoming) !== null);
      }
    }
  });
});
