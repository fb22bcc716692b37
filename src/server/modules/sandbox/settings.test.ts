import { describe, expect, it } from "vitest";
import {
  applySettingsUpdate,
  defaultSettings,
  messagingLimitOf,
  STATUS_BATCH_MS,
  throughputFor,
  type SandboxSettings,
} from "./settings.js";

const defaults = defaultSettings({ "1": 80, "2": 1000 });

function apply(update: unknown): SandboxSettings {
  const result = applySettingsUpdate(defaults, update);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.settings;
}

describe("settings", () => {
  it("start from each number's own rate, TIER_10K and no faults", () => {
    expect(throughputFor(defaults, "1", 5)).toBe(80);
    expect(throughputFor(defaults, "2", 5)).toBe(1000);
    expect(throughputFor(defaults, "3", 5)).toBe(5);
    expect(messagingLimitOf(defaults)).toBe(10_000);
    expect(Object.values(defaults.faults).every((f) => f === 0 || f === false)).toBe(true);
  });

  it("merge faults and delays key by key, replace the rest", () => {
    const next = apply({
      faults: { timeoutRate: 0.1 },
      statusDelayMs: { max: 500 },
      throughputPerSecond: 7,
    });
    expect(next.faults).toEqual({ ...defaults.faults, timeoutRate: 0.1 });
    expect(next.statusDelayMs).toEqual({ min: 20, max: 500 });
    expect(throughputFor(next, "2", 80)).toBe(7);
    expect(defaults.faults.timeoutRate).toBe(0);
  });

  it("let a custom messaging limit override the tier, and clear it with null", () => {
    const custom = apply({ messagingLimitOverride: 3, messagingLimitTier: "TIER_UNLIMITED" });
    expect(messagingLimitOf(custom)).toBe(3);
    const cleared = applySettingsUpdate(custom, { messagingLimitOverride: null });
    expect(cleared.ok && messagingLimitOf(cleared.settings)).toBe(Number.POSITIVE_INFINITY);
  });

  it("simulate no API latency by default, and take 0 to 10,000 ms", () => {
    expect(defaults.latencyMs).toBe(0);
    expect(apply({ latencyMs: 100 }).latencyMs).toBe(100);
    expect(apply({ latencyMs: 10_000 }).latencyMs).toBe(10_000);
    expect(apply({ timeoutHoldMs: 5 }).latencyMs).toBe(0);
    for (const latencyMs of [-1, 10_001, 2.5, "100"]) {
      const result = applySettingsUpdate(defaults, { latencyMs });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.problems.map((p) => p.field)).toEqual(["body.latencyMs"]);
    }
  });

  it("batch statuses in windows of STATUS_BATCH_MS by default, and take 0 (no batching) to 1,000 ms", () => {
    expect(defaults.statusBatchMs).toBe(STATUS_BATCH_MS);
    expect(STATUS_BATCH_MS).toBeGreaterThan(0);
    expect(apply({ statusBatchMs: 0 }).statusBatchMs).toBe(0);
    expect(apply({ statusBatchMs: 1_000 }).statusBatchMs).toBe(1_000);
    expect(apply({ latencyMs: 5 }).statusBatchMs).toBe(STATUS_BATCH_MS);
    for (const statusBatchMs of [-1, 1_001, 2.5, "25", null]) {
      const result = applySettingsUpdate(defaults, { statusBatchMs });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.problems.map((p) => p.field)).toEqual(["body.statusBatchMs"]);
    }
  });

  it("list every problem with its field", () => {
    const result = applySettingsUpdate(defaults, {
      throughputPerSecond: { "1": 1001 },
      faults: { timeoutRate: -1, unknown: true },
      undeliverableNumbers: ["+39 333"],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.field).sort()).toEqual([
      "body.faults",
      "body.faults.timeoutRate",
      "body.throughputPerSecond.1",
      "body.undeliverableNumbers.0",
    ]);
  });
});
