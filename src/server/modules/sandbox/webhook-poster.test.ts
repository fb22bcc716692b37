import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../platform/log.js";
import { accountEnvelope, signatureOf } from "./webhook-envelopes.js";
import { META_LIKE_RETRY_DELAYS_MS, WebhookPoster } from "./webhook-poster.js";
import { startWebhookReceiver, type WebhookReceiver } from "../../test/sandbox-kit.js";

const envelope = accountEnvelope(
  "200000000000001",
  "account_update",
  { event: "TEST" },
  Date.UTC(2026, 0, 1),
);
const silent = createLogger("silent");
let receiver: WebhookReceiver | undefined;
let poster: WebhookPoster | undefined;
afterEach(async () => {
  await poster?.close();
  await receiver?.close();
});

describe("signatureOf", () => {
  it("is HMAC-SHA256 of the exact bytes, lowercase hex, prefixed", () => {
    // echo -n '{"a":1}' | openssl dgst -sha256 -hmac secret
    expect(signatureOf('{"a":1}', "secret")).toBe(
      "sha256=aa9e2e3575f5d7098b6caccd790888c36d5fdb63342a73bada2d6a51747a8494",
    );
    expect(signatureOf(Buffer.from('{"a":1}'), "secret")).toBe(signatureOf('{"a":1}', "secret"));
    expect(signatureOf('{"a":1}', "secret")).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(signatureOf('{"a":1}', "secret")).not.toBe(signatureOf('{"a": 1}', "secret"));
  });
});

describe("WebhookPoster", () => {
  it("posts signed JSON and reports the first answer", async () => {
    receiver = await startWebhookReceiver();
    const r = receiver;
    poster = new WebhookPoster({ url: () => r.url, log: createLogger("silent") });
    const result = await poster.post(envelope, "secret-concorezzo").final;
    expect(result).toEqual({ ok: true, status: 200, attempts: 1 });
    expect(r.received[0]?.signatureValid).toBe(true);
    expect(r.received[0]?.body).toEqual(envelope);
  });

  it("retries anything but 200 with backoff, then gives up", async () => {
    receiver = await startWebhookReceiver();
    const r = receiver;
    const answers = [500, 204, 200];
    r.answer = () => answers.shift() ?? 200;
    poster = new WebhookPoster({
      url: () => r.url,
      log: createLogger("silent"),
      retryDelaysMs: [5, 10],
    });
    const handle = poster.post(envelope, "secret-concorezzo");
    expect(await handle.first).toMatchObject({ ok: false, status: 500, attempts: 1 });
    expect(await handle.final).toMatchObject({ ok: true, status: 200, attempts: 3 });
    expect(r.received).toHaveLength(3);

    r.answer = () => 503;
    const failing = await poster.post(envelope, "secret-concorezzo").final;
    expect(failing).toMatchObject({ ok: false, status: 503, attempts: 3 });
  });

  it("keeps retrying by default like Meta, less and less often, for an hour", () => {
    // A receiver down for ten seconds must still get its statuses after it restarts: the old
    // default (250 ms, 1 s, 4 s) had given up before, and the rows in doubt were sent again.
    const delays = META_LIKE_RETRY_DELAYS_MS;
    expect(delays.slice(0, 6)).toEqual([250, 1_000, 4_000, 16_000, 64_000, 256_000]);
    expect(delays.every((d, i) => i === 0 || d >= (delays[i - 1] ?? 0))).toBe(true);
    const total = delays.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(55 * 60_000);
    expect(total).toBeLessThanOrEqual(60 * 60_000);
  });

  it("reports an endpoint that does not answer", async () => {
    poster = new WebhookPoster({
      url: () => "http://127.0.0.1:9/webhooks",
      log: createLogger("silent"),
      retryDelaysMs: [],
    });
    const result = await poster.post(envelope, "s").first;
    expect(result.ok).toBe(false);
    expect(result.status).toBeNull();
    expect(result.error).toBeTruthy();
  });

  it("close() cancels scheduled work and pending retries, and waits for posts in flight", async () => {
    receiver = await startWebhookReceiver();
    const r = receiver;
    r.answer = () => 500;
    poster = new WebhookPoster({
      url: () => r.url,
      log: createLogger("silent"),
      retryDelaysMs: [60_000],
    });
    let ran = false;
    poster.later(10_000, () => (ran = true));
    const handle = poster.post(envelope, "secret-concorezzo");
    await handle.first;
    const started = Date.now();
    await poster.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await handle.final).toMatchObject({ ok: false, attempts: 1 });
    expect(ran).toBe(false);
    expect(await poster.sleep(1000)).toBe(false);
    expect((await poster.post(envelope, "s").first).error).toBe("sandbox closed");
  });
});

describe("WebhookPoster.laterInWindow", () => {
  const WINDOW_MS = 500;
  /** Until 1 ms into the next window, so that items due in the next few ms share one. */
  const windowStart = () =>
    new Promise((resolve) => setTimeout(resolve, WINDOW_MS - (performance.now() % WINDOW_MS) + 1));

  it("hands a group's items due in one window over together when it closes, in the order they fall due", async () => {
    poster = new WebhookPoster({ url: () => "http://127.0.0.1:9/webhooks", log: silent });
    const p = poster;
    const flushed: { group: string; items: number[]; at: number }[] = [];
    const flushTo = (group: string) => (items: number[]) =>
      void flushed.push({ group, items, at: performance.now() });
    await windowStart();
    const scheduledAt = performance.now();
    // Scheduled out of order: the batch comes in the order of the delays.
    for (const delayMs of [30, 10, 20])
      p.laterInWindow("a", delayMs, WINDOW_MS, delayMs, flushTo("a"));
    p.laterInWindow("b", 10, WINDOW_MS, 10, flushTo("b"));
    p.laterInWindow("a", WINDOW_MS + 10, WINDOW_MS, WINDOW_MS + 10, flushTo("a"));
    // One timer per group and window, not per item.
    expect(p.pending).toBe(3);

    await vi.waitFor(() => expect(flushed).toHaveLength(3), { timeout: 3 * WINDOW_MS });
    // Two groups' windows closing together come in no promised order.
    const byGroup = (group: string) => flushed.filter((f) => f.group === group).map((f) => f.items);
    expect(byGroup("a")).toEqual([[10, 20, 30], [WINDOW_MS + 10]]);
    expect(byGroup("b")).toEqual([[10]]);
    // Never before an item's delay, at most a window after it (plus the timer's own lateness).
    for (const { items, at } of flushed) {
      const waited = at - scheduledAt;
      expect(waited).toBeGreaterThanOrEqual(Math.max(...items) - 1);
      expect(waited).toBeLessThanOrEqual(Math.max(...items) + WINDOW_MS + 100);
    }
    expect(p.pending).toBe(0);
  });

  it("with a window of 0, hands each item over alone after its delay", async () => {
    poster = new WebhookPoster({ url: () => "http://127.0.0.1:9/webhooks", log: silent });
    const p = poster;
    const flushed: string[][] = [];
    p.laterInWindow("a", 20, 0, "second", (items) => void flushed.push(items));
    p.laterInWindow("a", 5, 0, "first", (items) => void flushed.push(items));
    expect(p.pending).toBe(2);
    await vi.waitFor(() => expect(flushed).toEqual([["first"], ["second"]]), { timeout: 1000 });
  });

  it("drops the open windows at close()", async () => {
    poster = new WebhookPoster({ url: () => "http://127.0.0.1:9/webhooks", log: silent });
    const p = poster;
    const flushed: string[][] = [];
    p.laterInWindow("a", 5, 50, "x", (items) => void flushed.push(items));
    await p.close();
    expect(p.pending).toBe(0);
    p.laterInWindow("a", 5, 50, "y", (items) => void flushed.push(items));
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(flushed).toEqual([]);
  });
});
