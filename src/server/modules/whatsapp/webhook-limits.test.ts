import { describe, expect, it } from "vitest";
import { nestsDeeperThan, SenderWindow, sizeProblem } from "./webhook-limits.js";

const bytes = (text: string) => Buffer.from(text, "utf8");

describe("nestsDeeperThan", () => {
  it("counts objects and arrays, not brackets inside strings or after escaped quotes", () => {
    expect(nestsDeeperThan(bytes('{"a":[{"b":1}]}'), 3)).toBe(false);
    expect(nestsDeeperThan(bytes('{"a":[{"b":[1]}]}'), 3)).toBe(true);
    expect(nestsDeeperThan(bytes(JSON.stringify({ a: "[[[[{{{{" })), 1)).toBe(false);
    expect(nestsDeeperThan(bytes(JSON.stringify({ a: 'say "[[[["', b: "\\" })), 1)).toBe(false);
    expect(nestsDeeperThan(bytes(JSON.stringify({ a: "è [[ 👍 {{" })), 1)).toBe(false);
  });

  it("reads a body of 100,000 levels without recursing", () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    expect(nestsDeeperThan(bytes(deep), 32)).toBe(true);
    expect(nestsDeeperThan(bytes(`${"[".repeat(32)}${"]".repeat(32)}`), 32)).toBe(false);
  });
});

describe("sizeProblem", () => {
  const change = (value: Record<string, unknown>, field = "messages") => ({ field, value });
  const body = (...changes: unknown[]) => ({ entry: [{ id: "1", changes }] });

  it("counts messages, statuses, a change's errors and account-level changes", () => {
    const items = (n: number) => Array.from({ length: n }, () => ({}));
    expect(sizeProblem(body(change({ messages: items(600), statuses: items(400) })))).toBe(
      undefined,
    );
    expect(
      sizeProblem(body(change({ messages: items(600), statuses: items(400), errors: [] }))),
    ).toBe("body: 1001 events, at most 1000 per notification");
    expect(
      sizeProblem(body(...Array.from({ length: 1000 }, () => change({}, "account_update")))),
    ).toBe(undefined);
    expect(sizeProblem({ entry: items(1001) })).toBe("entry: 1001 entries, at most 1000");
  });

  it("leaves bodies of another shape to the validation", () => {
    for (const value of [null, 7, "x", [], { entry: "no" }, { entry: [null, { changes: 3 }] }]) {
      expect(sizeProblem(value)).toBeUndefined();
    }
  });
});

describe("SenderWindow", () => {
  it("admits `limit` events per key and window, then again in the next window", () => {
    const window = new SenderWindow(60_000, 10);
    const t0 = 1_000_000;
    expect([1, 2, 3].map(() => window.admit("a", 2, t0))).toEqual([true, true, false]);
    expect(window.admit("b", 2, t0 + 59_999)).toBe(true);
    expect(window.admit("a", 2, t0 + 59_999)).toBe(false);
    expect(window.admit("a", 2, t0 + 60_000)).toBe(true);
    // A clock set back starts a new window rather than holding everyone back.
    expect(window.admit("a", 1, t0)).toBe(true);
  });

  it("keeps at most maxKeys counters: senders past them pass uncounted", () => {
    const window = new SenderWindow(60_000, 2);
    expect(window.admit("a", 1, 0)).toBe(true);
    expect(window.admit("b", 1, 0)).toBe(true);
    expect([window.admit("c", 1, 0), window.admit("c", 1, 0)]).toEqual([true, true]);
    expect(window.admit("a", 1, 0)).toBe(false);
  });
});
