import { describe, expect, it } from "vitest";
import { TokenBucket } from "./token-bucket.js";

const DURATION_MS = 10_000;
/** A realistic Date.now(): at this magnitude a double resolves about a quarter of a microsecond. */
const EPOCH = Date.UTC(2026, 10, 22, 9, 0, 0);

/** A greedy sender: at every 0.1 ms tick, takes as many sends as the bucket allows. */
function greedyTicks(bucket: TokenBucket, start: number): number[] {
  const sends: number[] = [];
  for (let tick = 0; tick < DURATION_MS * 10; tick += 1) {
    const now = start + tick / 10;
    while (bucket.tryTake(now)) sends.push(now);
  }
  return sends;
}

/** A greedy sender that sleeps exactly msUntilNext() whenever it is refused. */
function greedyWaits(bucket: TokenBucket, start: number): { sends: number[]; refusals: number } {
  const sends: number[] = [];
  let refusals = 0;
  let now = start;
  while (now < start + DURATION_MS) {
    if (bucket.tryTake(now)) {
      sends.push(now);
      continue;
    }
    refusals += 1;
    const wait = bucket.msUntilNext(now);
    // A refusal always names a positive wait (no hot loop), and that wait is enough.
    expect(wait).toBeGreaterThan(0);
    now += wait;
    expect(bucket.tryTake(now)).toBe(true);
    sends.push(now);
  }
  return { sends, refusals };
}

/**
 * The most sends in any sliding one-second window, checked at every send time t over (t − 1 s, t]
 * (the busiest window always ends at a send). A send at s counts at t if either way of writing
 * it in floating point says so (s + 1 s > t, or s > t − 1 s, as the sandbox's meter does).
 */
function maxInWindow(sends: readonly number[]): number {
  let max = 0;
  let first = 0;
  for (const [i, t] of sends.entries()) {
    const counts = (s: number): boolean => s + 1000 > t || s > t - 1000;
    while (!counts(sends[first] ?? t)) first += 1;
    max = Math.max(max, i - first + 1);
  }
  return max;
}

describe("TokenBucket: greedy senders over 10 s", () => {
  const cases = [
    { rate: 80, start: 0, step: "ticks" },
    { rate: 80, start: EPOCH, step: "ticks" },
    { rate: 1000, start: 0, step: "ticks" },
    { rate: 1000, start: EPOCH, step: "waits" },
    { rate: 80, start: EPOCH + 0.3, step: "waits" },
    { rate: 20, start: 0, step: "waits" },
    { rate: 3, start: 0, step: "waits" },
  ] as const;

  it.each(cases)("$rate/s from $start stepping by $step", ({ rate, start, step }) => {
    const bucket = new TokenBucket({ ratePerSecond: rate, now: start });
    const sends = step === "ticks" ? greedyTicks(bucket, start) : greedyWaits(bucket, start).sends;
    const inDuration = sends.filter((t) => t < start + DURATION_MS);
    expect(inDuration.length).toBeGreaterThanOrEqual(0.97 * rate * (DURATION_MS / 1000));
    expect(maxInWindow(sends)).toBeLessThanOrEqual(rate);
  });

  it("would exceed the rate as a plain bucket: the log is what holds the cap", () => {
    // Rate 80, burst 8: a plain bucket allows 8 + 79 = 87 in the first second.
    const bucket = new TokenBucket({ ratePerSecond: 80, now: 0 });
    const sends = greedyTicks(bucket, 0);
    expect(sends.filter((t) => t < 1000)).toHaveLength(80);
    expect(maxInWindow(sends)).toBe(80);
  });
});

describe("TokenBucket", () => {
  it("allows `burst` sends at once, then one per 1/rate", () => {
    const bucket = new TokenBucket({ ratePerSecond: 80, now: 0 });
    expect(bucket.burst).toBe(8);
    for (let i = 0; i < 8; i += 1) expect(bucket.tryTake(0)).toBe(true);
    expect(bucket.tryTake(0)).toBe(false);
    expect(bucket.msUntilNext(0)).toBe(12.5);
    expect(bucket.tryTake(12.4)).toBe(false);
    expect(bucket.tryTake(12.5)).toBe(true);
    expect(bucket.msUntilNext(12.5)).toBe(12.5);
  });

  it("saves no more than `burst` tokens however long it is idle", () => {
    const bucket = new TokenBucket({ ratePerSecond: 100, burst: 3, now: 0 });
    let taken = 0;
    while (bucket.tryTake(60_000)) taken += 1;
    expect(taken).toBe(3);
  });

  it("refuses while the last second already holds `rate` sends", () => {
    // Burst 5 at 5/s: five at t = 0 fill the window; the bucket alone would allow one at 200 ms.
    const bucket = new TokenBucket({ ratePerSecond: 5, burst: 5, now: 0 });
    for (let i = 0; i < 5; i += 1) expect(bucket.tryTake(0)).toBe(true);
    expect(bucket.tryTake(999)).toBe(false);
    expect(bucket.msUntilNext(999)).toBe(1);
    expect(bucket.tryTake(1000)).toBe(true);
  });

  it("caps a fractional rate at its integer part", () => {
    const bucket = new TokenBucket({ ratePerSecond: 2.5, burst: 3, now: 0 });
    expect(bucket.tryTake(0)).toBe(true);
    expect(bucket.tryTake(0)).toBe(true);
    expect(bucket.tryTake(0)).toBe(false);
    expect(bucket.msUntilNext(0)).toBe(1000);
  });

  it("applies a lower rate at once, counting the sends already made", () => {
    const bucket = new TokenBucket({ ratePerSecond: 1000, now: 0 });
    const sends: number[] = [];
    for (let tick = 0; tick < 5000; tick += 1) {
      if (tick === 500) bucket.setRate(40, tick / 10);
      while (bucket.tryTake(tick / 10)) sends.push(tick / 10);
    }
    expect(bucket.rate).toBe(40);
    expect(bucket.burst).toBe(4);
    // No send after the change while the window still holds 40 or more.
    const after = sends.filter((t) => t >= 50);
    for (const t of after) {
      expect(sends.filter((s) => s > t - 1000 && s <= t).length).toBeLessThanOrEqual(40);
    }
  });

  it("keeps saved tokens across a rate change, re-expressed at the new rate", () => {
    const bucket = new TokenBucket({ ratePerSecond: 100, burst: 1, now: 0 });
    expect(bucket.tryTake(0)).toBe(true);
    expect(bucket.msUntilNext(0)).toBe(10);
    // Half a token owed at 100/s is half a token at 50/s: 10 ms instead of 5 ms.
    bucket.setRate(50, 5);
    expect(bucket.msUntilNext(5)).toBe(10);
    expect(bucket.tryTake(15)).toBe(true);
  });

  it("refuses impossible settings", () => {
    expect(() => new TokenBucket({ ratePerSecond: 0, now: 0 })).toThrow(RangeError);
    expect(() => new TokenBucket({ ratePerSecond: Number.NaN, now: 0 })).toThrow(RangeError);
    expect(() => new TokenBucket({ ratePerSecond: 80, burst: 0, now: 0 })).toThrow(RangeError);
    expect(() => new TokenBucket({ ratePerSecond: 80, burst: 1.5, now: 0 })).toThrow(RangeError);
    const bucket = new TokenBucket({ ratePerSecond: 80, now: 0 });
    expect(() => bucket.setRate(0.5, 0)).toThrow(RangeError);
  });
});
