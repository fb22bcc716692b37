import { describe, expect, it } from "vitest";
import {
  daysBetween,
  isCalendarDay,
  localDay,
  localTime,
  nextDay,
  startOfLocalDay,
} from "./local-days.js";

describe("local days", () => {
  it("starts a day at local midnight, also on the days the clocks change", () => {
    expect(new Date(startOfLocalDay("2026-11-22", "Europe/Rome")).toISOString()).toBe(
      "2026-11-21T23:00:00.000Z",
    );
    expect(new Date(startOfLocalDay("2026-07-01", "Europe/Rome")).toISOString()).toBe(
      "2026-06-30T22:00:00.000Z",
    );
    // 29 March 2026: 02:00 → 03:00; 25 October 2026: 03:00 → 02:00.
    expect(new Date(startOfLocalDay("2026-03-29", "Europe/Rome")).toISOString()).toBe(
      "2026-03-28T23:00:00.000Z",
    );
    expect(new Date(startOfLocalDay("2026-03-30", "Europe/Rome")).toISOString()).toBe(
      "2026-03-29T22:00:00.000Z",
    );
    expect(new Date(startOfLocalDay("2026-10-26", "Europe/Rome")).toISOString()).toBe(
      "2026-10-25T23:00:00.000Z",
    );
    expect(startOfLocalDay("2026-11-22", "UTC")).toBe(Date.UTC(2026, 10, 22));
  });

  it("reads the local day and time of an instant", () => {
    expect(localDay(Date.UTC(2026, 10, 21, 23, 30), "Europe/Rome")).toBe("2026-11-22");
    expect(localTime(Date.UTC(2026, 6, 1, 10, 0, 5), "Europe/Rome")).toBe("2026-07-01 12:00:05");
  });

  it("validates and walks calendar days", () => {
    expect(isCalendarDay("2026-02-28")).toBe(true);
    expect(isCalendarDay("2026-02-29")).toBe(false);
    expect(isCalendarDay("2026-2-1")).toBe(false);
    expect(nextDay("2026-12-31")).toBe("2027-01-01");
    expect(daysBetween("2026-03-28", "2026-03-30")).toEqual([
      "2026-03-28",
      "2026-03-29",
      "2026-03-30",
    ]);
  });
});
