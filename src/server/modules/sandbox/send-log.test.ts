import { describe, expect, it } from "vitest";
import { SendLog, type SendLogEntry } from "./send-log.js";

const T0 = Date.UTC(2026, 11, 4, 9, 0, 0);

const accepted = (at: number, to = "393331234567"): SendLogEntry => ({
  at,
  phoneNumberId: "100000000000001",
  to,
  wamid: `wamid.${at}`,
});
const refused = (at: number, code: number, phoneNumberId = "100000000000001"): SendLogEntry => ({
  at,
  phoneNumberId,
  to: "393331234567",
  code,
});

describe("SendLog", () => {
  it("keeps the latest entries in full and says which is the first it still has", () => {
    const log = new SendLog(3, 100);
    for (let i = 0; i < 5; i += 1) log.record(accepted(T0 + i, `39333000000${i}`));
    expect(log.total).toBe(5);
    const all = log.entriesFrom(0);
    expect(all.first).toBe(2);
    expect(all.entries.map((e) => e.to)).toEqual(["393330000002", "393330000003", "393330000004"]);
    expect(log.entriesFrom(4).entries.map((e) => e.to)).toEqual(["393330000004"]);
    expect(log.entriesFrom(9)).toEqual({ first: 5, entries: [] });
  });

  it("counts arrivals per millisecond and per answer, of one number or all", () => {
    const log = new SendLog();
    log.record(accepted(T0));
    log.record(accepted(T0));
    log.record(refused(T0, 130429));
    log.record(refused(T0 + 1, 131056));
    log.record(refused(T0 + 1, 130429, "100000000000002"));
    expect(log.arrivalsFrom(0, "100000000000001").millis).toEqual([
      [T0, 2, 1, 0],
      [T0 + 1, 0, 0, 1],
    ]);
    expect(log.arrivalsFrom(0).millis).toEqual([
      [T0, 2, 1, 0],
      [T0 + 1, 0, 1, 1],
    ]);
    expect(log.arrivalsFrom(3, "100000000000001")).toEqual({
      first: 3,
      millis: [[T0 + 1, 0, 0, 1]],
    });
    expect(log.arrivalsFrom(0, "100000000000009").millis).toEqual([]);
  });

  it("keeps every arrival up to its limit, growing, then the latest ones", () => {
    const log = new SendLog(10, 5000);
    for (let i = 0; i < 3000; i += 1) log.record(accepted(T0 + i));
    const kept = log.arrivalsFrom(0);
    expect(kept.first).toBe(0);
    expect(kept.millis).toHaveLength(3000);
    expect(kept.millis.at(-1)).toEqual([T0 + 2999, 1, 0, 0]);
    for (let i = 3000; i < 6000; i += 1) log.record(accepted(T0 + i));
    const wrapped = log.arrivalsFrom(0);
    expect(wrapped.first).toBe(1000);
    expect(wrapped.millis).toHaveLength(5000);
    expect(wrapped.millis[0]).toEqual([T0 + 1000, 1, 0, 0]);
    expect(wrapped.millis.at(-1)).toEqual([T0 + 5999, 1, 0, 0]);
  });

  it("starts again from zero when cleared", () => {
    const log = new SendLog();
    log.record(accepted(T0));
    log.clear();
    expect(log.total).toBe(0);
    expect(log.entriesFrom(0).entries).toEqual([]);
    expect(log.arrivalsFrom(0).millis).toEqual([]);
    log.record(accepted(T0 + 5));
    expect(log.arrivalsFrom(0).millis).toEqual([[T0 + 5, 1, 0, 0]]);
  });
});
