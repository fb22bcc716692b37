import { describe, expect, it } from "vitest";
import { newFbtraceId, newNumericId, newWamid } from "./ids.js";

describe("ids", () => {
  it("shapes a wamid as Meta's: a fixed head, the recipient, 12 random bytes, base64", () => {
    const wamid = newWamid("393331234567");
    expect(wamid).toMatch(/^wamid\.[A-Za-z0-9+/=]+$/);
    const bytes = Buffer.from(wamid.slice("wamid.".length), "base64");
    expect([...bytes.subarray(0, 6)]).toEqual([0x15, 0x02, 0x00, 0x11, 0x18, 0x12]);
    expect(bytes.subarray(6, 18).toString()).toBe("393331234567");
    expect(bytes).toHaveLength(6 + 12 + 12);
  });

  it("draws fresh random bytes for every id, across refills of the pool", () => {
    // 4,096 bytes a pool, 12 a wamid: 10,000 wamids refill it about 30 times.
    const wamids = Array.from({ length: 10_000 }, () => newWamid("393331234567"));
    expect(new Set(wamids).size).toBe(wamids.length);
    const tails = new Set(
      wamids.map((w) => Buffer.from(w.slice(6), "base64").subarray(18).toString("hex")),
    );
    expect(tails.size).toBe(wamids.length);
    const traces = Array.from({ length: 1_000 }, () => newFbtraceId());
    expect(new Set(traces).size).toBe(traces.length);
    expect(traces.every((t) => /^A[A-Za-z0-9_-]{11}$/.test(t))).toBe(true);
  });

  it("numbers numeric ids in 16 digits, below 2^53", () => {
    const a = newNumericId();
    const b = newNumericId();
    expect(a).toMatch(/^\d{16}$/);
    expect(Number(b)).toBeGreaterThan(Number(a));
    expect(Number(b)).toBeLessThan(2 ** 53);
  });
});
