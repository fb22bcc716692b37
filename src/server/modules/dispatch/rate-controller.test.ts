import { describe, expect, it } from "vitest";
import { AdaptiveRate } from "./rate-controller.js";

const T0 = Date.UTC(2026, 10, 22, 9, 0, 0);

describe("AdaptiveRate", () => {
  it("starts at the ceiling and stays there while nothing is throttled", () => {
    const rate = new AdaptiveRate({ ceiling: 80 });
    expect(rate.current(T0)).toBe(80);
    rate.onSuccess(T0);
    expect(rate.current(T0 + 60_000)).toBe(80);
  });

  it("lowers the rate by a tenth on an isolated 130429, and halves it on one more a second later", () => {
    const rate = new AdaptiveRate({ ceiling: 80 });
    rate.onThrottled(T0);
    expect(rate.current(T0)).toBe(72);
    rate.onThrottled(T0 + 1000);
    expect(rate.current(T0 + 1000)).toBe(36);
    rate.onThrottled(T0 + 2000);
    expect(rate.current(T0 + 2000)).toBe(18);
  });

  it("treats a 130429 ten seconds or more after the last decrease as isolated again", () => {
    const rate = new AdaptiveRate({ ceiling: 1000, increasePerSecond: 10 });
    rate.onThrottled(T0);
    expect(rate.current(T0)).toBe(900);
    rate.onThrottled(T0 + 9_999);
    expect(rate.current(T0 + 9_999)).toBe(450);
    rate.onThrottled(T0 + 9_999 + 10_000);
    expect(rate.current(T0 + 9_999 + 10_000)).toBe(405);
  });

  it("counts a burst of 130429 within a second once (requests already in flight)", () => {
    const rate = new AdaptiveRate({ ceiling: 1000 });
    for (let ms = 0; ms < 1000; ms += 10) rate.onThrottled(T0 + ms);
    expect(rate.current(T0 + 999)).toBe(900);
    rate.onThrottled(T0 + 1000);
    expect(rate.current(T0 + 1000)).toBe(450);
  });

  it("honours a custom decrease factor and quiet period", () => {
    const rate = new AdaptiveRate({
      ceiling: 100,
      firstDecrease: 0.8,
      decrease: 0.6,
      quietMs: 5000,
    });
    rate.onThrottled(T0);
    rate.onThrottled(T0 + 4999);
    expect(rate.current(T0 + 4999)).toBe(80);
    rate.onThrottled(T0 + 5000);
    expect(rate.current(T0 + 5000)).toBe(48);
  });

  it("recovers additively once sending succeeds, up to the ceiling", () => {
    const rate = new AdaptiveRate({ ceiling: 80, firstDecrease: 0.5 });
    rate.onThrottled(T0);
    rate.onSuccess(T0 + 200);
    // ceiling / 20 = 4 per second.
    expect(rate.current(T0 + 200)).toBe(40);
    expect(rate.current(T0 + 5200)).toBe(60);
    expect(rate.current(T0 + 10_200)).toBe(80);
    expect(rate.current(T0 + 3_600_000)).toBe(80);
    // Later successes do not restart the clock.
    rate.onSuccess(T0 + 5200);
    expect(rate.current(T0 + 5200)).toBe(60);
  });

  it("does not recover by the clock alone while nothing gets through", () => {
    const rate = new AdaptiveRate({ ceiling: 80 });
    rate.onThrottled(T0);
    expect(rate.current(T0 + 600_000)).toBe(72);
  });

  it("decreases from the partly recovered rate, and recovery restarts", () => {
    const rate = new AdaptiveRate({ ceiling: 80, firstDecrease: 0.5, increasePerSecond: 10 });
    rate.onThrottled(T0);
    rate.onSuccess(T0);
    expect(rate.current(T0 + 2000)).toBe(60);
    rate.onThrottled(T0 + 2000);
    expect(rate.current(T0 + 2000)).toBe(30);
    expect(rate.current(T0 + 4000)).toBe(30);
    rate.onSuccess(T0 + 4000);
    expect(rate.current(T0 + 5000)).toBe(40);
  });

  it("never goes below the floor", () => {
    const rate = new AdaptiveRate({ ceiling: 80, floor: 5 });
    for (let s = 0; s < 20; s += 1) rate.onThrottled(T0 + s * 1000);
    expect(rate.current(T0 + 20_000)).toBe(5);
    const unit = new AdaptiveRate({ ceiling: 20 });
    for (let s = 0; s < 20; s += 1) unit.onThrottled(T0 + s * 1000);
    expect(unit.current(T0 + 20_000)).toBe(1);
  });

  it("refuses impossible settings", () => {
    expect(() => new AdaptiveRate({ ceiling: 80, floor: 100 })).toThrow(RangeError);
    expect(() => new AdaptiveRate({ ceiling: 80, floor: 0 })).toThrow(RangeError);
    expect(() => new AdaptiveRate({ ceiling: 80, decrease: 1 })).toThrow(RangeError);
    expect(() => new AdaptiveRate({ ceiling: 80, firstDecrease: 0 })).toThrow(RangeError);
    expect(() => new AdaptiveRate({ ceiling: 80, isolatedAfterMs: -1 })).toThrow(RangeError);
    expect(() => new AdaptiveRate({ ceiling: 80, increasePerSecond: 0 })).toThrow(RangeError);
    expect(() => new AdaptiveRate({ ceiling: Number.NaN })).toThrow(RangeError);
  });
});
