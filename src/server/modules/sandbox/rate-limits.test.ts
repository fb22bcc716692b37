import { describe, expect, it } from "vitest";
import { DAY_MS, PairRateLimiter, SlidingWindow, UniqueRecipientWindow } from "./rate-limits.js";

const T0 = Date.UTC(2026, 10, 22, 9, 0, 0);

describe("SlidingWindow", () => {
  it("counts events in the last window, per key", () => {
    const window = new SlidingWindow(1000);
    window.add("a", T0);
    window.add("a", T0 + 500);
    window.add("b", T0 + 500);
    expect(window.count("a", T0 + 999)).toBe(2);
    // An event exactly one window old has left it.
    expect(window.count("a", T0 + 1000)).toBe(1);
    expect(window.count("a", T0 + 1500)).toBe(0);
    expect(window.count("b", T0 + 1499)).toBe(1);
    expect(window.count("c", T0)).toBe(0);
  });

  it("counts events in the same millisecond and after a long quiet", () => {
    const window = new SlidingWindow(1000);
    for (let i = 0; i < 1500; i += 1) window.add("a", T0);
    expect(window.count("a", T0 + 999)).toBe(1500);
    expect(window.count("a", T0 + 1000)).toBe(0);
    window.add("a", T0 + 60_000);
    expect(window.count("a", T0 + 60_000)).toBe(1);
  });

  it("stays correct across many events (compaction)", () => {
    const window = new SlidingWindow(1000);
    for (let i = 0; i < 5000; i += 1) window.add("a", T0 + i);
    expect(window.count("a", T0 + 4999)).toBe(1000);
    expect(window.count("a", T0 + 5500)).toBe(499);
    window.add("a", T0 + 5500);
    expect(window.count("a", T0 + 5500)).toBe(500);
  });
});

describe("PairRateLimiter", () => {
  it("allows a burst, then one message per refill period", () => {
    const limiter = new PairRateLimiter(45, 6000);
    for (let i = 0; i < 45; i += 1) expect(limiter.tryTake("n:u", T0)).toBe(true);
    expect(limiter.tryTake("n:u", T0)).toBe(false);
    expect(limiter.tryTake("n:other", T0)).toBe(true);
    expect(limiter.tryTake("n:u", T0 + 5999)).toBe(false);
    expect(limiter.tryTake("n:u", T0 + 6000)).toBe(true);
    expect(limiter.tryTake("n:u", T0 + 6001)).toBe(false);
  });

  it("refills up to the burst, not beyond", () => {
    const limiter = new PairRateLimiter(3, 1000);
    for (let i = 0; i < 3; i += 1) limiter.tryTake("k", T0);
    const later = T0 + 60_000;
    expect([1, 2, 3, 4].map(() => limiter.tryTake("k", later))).toEqual([true, true, true, false]);
  });

  it("forgets pairs once their buckets are full again, so a broadcast's recipients do not pile up", () => {
    const limiter = new PairRateLimiter(45, 6000);
    let taken = 0;
    for (let i = 0; i < 20_000; i += 1) if (limiter.tryTake(`n:${i}`, T0 + i)) taken += 1;
    expect(taken).toBe(20_000);
    // One send per pair at one per millisecond: only the last 6 to 12 s of pairs are remembered.
    expect(limiter.size).toBeLessThanOrEqual(12_001);
    // A forgotten pair starts from a full bucket, as a remembered full one would.
    for (let i = 0; i < 45; i += 1) expect(limiter.tryTake("n:0", T0 + 20_000)).toBe(true);
    expect(limiter.tryTake("n:0", T0 + 20_000)).toBe(false);
  });

  it("refusals do not consume (a client retrying early is not punished twice)", () => {
    const limiter = new PairRateLimiter(1, 1000);
    expect(limiter.tryTake("k", T0)).toBe(true);
    expect(limiter.tryTake("k", T0 + 500)).toBe(false);
    expect(limiter.tryTake("k", T0 + 1000)).toBe(true);
  });
});

describe("UniqueRecipientWindow", () => {
  it("counts each recipient once per scope within 24 h", () => {
    const window = new UniqueRecipientWindow();
    window.add("waba1", "u1", T0);
    window.add("waba1", "u1", T0 + 1000);
    window.add("waba1", "u2", T0 + 2000);
    window.add("waba2", "u1", T0);
    expect(window.size("waba1", T0 + 3000)).toBe(2);
    expect(window.size("waba2", T0 + 3000)).toBe(1);
    expect(window.has("waba1", "u2", T0 + 3000)).toBe(true);
  });

  it("drops recipients whose latest message is older than 24 h", () => {
    const window = new UniqueRecipientWindow();
    window.add("w", "u1", T0);
    window.add("w", "u2", T0 + 1000);
    window.add("w", "u1", T0 + 2000); // u1 counted again: its window restarts
    expect(window.size("w", T0 + DAY_MS + 1000)).toBe(1);
    expect(window.has("w", "u2", T0 + DAY_MS + 1000)).toBe(false);
    expect(window.has("w", "u1", T0 + DAY_MS + 1000)).toBe(true);
    expect(window.size("w", T0 + DAY_MS + 2000)).toBe(0);
  });
});
