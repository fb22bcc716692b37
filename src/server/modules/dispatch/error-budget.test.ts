import { describe, expect, it } from "vitest";
import { ErrorBudget } from "./error-budget.js";

function recordMany(budget: ErrorBudget, ok: boolean, count: number): void {
  for (let i = 0; i < count; i += 1) budget.record(ok);
}

describe("ErrorBudget", () => {
  it("starts empty and untripped", () => {
    const budget = new ErrorBudget();
    expect(budget.samples).toBe(0);
    expect(budget.failureRatio).toBe(0);
    expect(budget.tripped).toBe(false);
  });

  it("does not trip before minSamples, however bad the start", () => {
    const budget = new ErrorBudget();
    recordMany(budget, false, 3);
    recordMany(budget, true, 2);
    expect(budget.failureRatio).toBe(0.6);
    expect(budget.tripped).toBe(false);
    recordMany(budget, false, 44);
    expect(budget.samples).toBe(49);
    expect(budget.tripped).toBe(false);
    budget.record(false);
    expect(budget.tripped).toBe(true);
  });

  it("trips strictly above the ratio", () => {
    const budget = new ErrorBudget();
    recordMany(budget, true, 40);
    recordMany(budget, false, 10);
    expect(budget.failureRatio).toBe(0.2);
    expect(budget.tripped).toBe(false);
    budget.record(false);
    expect(budget.failureRatio).toBeCloseTo(11 / 51);
    expect(budget.tripped).toBe(true);
  });

  it("judges only the last `window` outcomes", () => {
    const budget = new ErrorBudget();
    recordMany(budget, false, 200);
    expect(budget.tripped).toBe(true);
    recordMany(budget, true, 400);
    // The window holds the last 100 failures and 400 successes: exactly 20 %.
    expect(budget.samples).toBe(500);
    expect(budget.failureRatio).toBe(0.2);
    expect(budget.tripped).toBe(false);
    recordMany(budget, true, 100);
    expect(budget.failureRatio).toBe(0);
  });

  it("keeps its count right as the ring wraps many times", () => {
    const budget = new ErrorBudget({ window: 7, minSamples: 7 });
    const outcomes: boolean[] = [];
    for (let i = 0; i < 100; i += 1) {
      const ok = i % 3 !== 0;
      outcomes.push(ok);
      budget.record(ok);
      const recent = outcomes.slice(-7);
      expect(budget.samples).toBe(recent.length);
      expect(budget.failureRatio).toBeCloseTo(recent.filter((o) => !o).length / recent.length, 12);
    }
  });

  it("honours custom options", () => {
    const budget = new ErrorBudget({ window: 10, maxFailureRatio: 0.5, minSamples: 4 });
    recordMany(budget, false, 3);
    expect(budget.tripped).toBe(false);
    budget.record(true);
    expect(budget.tripped).toBe(true);
    recordMany(budget, true, 2);
    expect(budget.failureRatio).toBe(0.5);
    expect(budget.tripped).toBe(false);
  });

  it("never trips with a ratio of 1", () => {
    const budget = new ErrorBudget({ maxFailureRatio: 1 });
    recordMany(budget, false, 500);
    expect(budget.tripped).toBe(false);
  });

  it("forgets everything on reset", () => {
    const budget = new ErrorBudget();
    recordMany(budget, false, 100);
    expect(budget.tripped).toBe(true);
    budget.reset();
    expect(budget.samples).toBe(0);
    expect(budget.tripped).toBe(false);
    recordMany(budget, true, 50);
    expect(budget.failureRatio).toBe(0);
  });

  it("refuses impossible settings", () => {
    expect(() => new ErrorBudget({ window: 0 })).toThrow(RangeError);
    expect(() => new ErrorBudget({ window: 10 })).toThrow(RangeError); // minSamples 50 > 10
    expect(() => new ErrorBudget({ maxFailureRatio: 1.5 })).toThrow(RangeError);
    expect(() => new ErrorBudget({ minSamples: 0 })).toThrow(RangeError);
  });
});
