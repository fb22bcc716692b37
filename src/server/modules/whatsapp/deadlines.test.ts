import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { SharedDeadlines } from "./deadlines.js";

describe("SharedDeadlines", () => {
  it("gives requests of the same slot and timeout one signal, aborted once the timeout has passed", async () => {
    let now = 0;
    const deadlines = new SharedDeadlines(() => now);
    const first = deadlines.signal(30);
    now = 99;
    expect(deadlines.signal(30)).toBe(first);
    expect(deadlines.signal(60)).not.toBe(first);
    now = 100;
    const next = deadlines.signal(30);
    expect(next).not.toBe(first);
    expect(first.aborted).toBe(false);
    await sleep(200);
    expect(first.aborted).toBe(true);
    expect(next.aborted).toBe(true);
  });

  it("never aborts a request before its own timeout", async () => {
    const deadlines = new SharedDeadlines();
    const signal = deadlines.signal(1500);
    await sleep(50);
    expect(signal.aborted).toBe(false);
    await sleep(1700);
    expect(signal.aborted).toBe(true);
  });
});
