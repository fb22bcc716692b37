import { Agent, request } from "undici";
import type { Logger } from "../../platform/log.js";
import { signatureOf, type WebhookEnvelope } from "./webhook-envelopes.js";

export interface PostResult {
  /** Meta counts only HTTP 200 as received; anything else (or no answer) is retried. */
  ok: boolean;
  /** The HTTP status the webhook answered, or null when it did not answer. */
  status: number | null;
  error?: string;
  attempts: number;
}

export interface PostHandle {
  /** The first attempt's outcome (the phones API reports it). */
  first: Promise<PostResult>;
  /** The outcome after the retries. */
  final: Promise<PostResult>;
}

export interface WebhookPosterOptions {
  url: () => string;
  log: Logger;
  /** Waits before each retry; default `META_LIKE_RETRY_DELAYS_MS`. */
  retryDelaysMs?: readonly number[];
  /**
   * Meta publishes no timeout (docs/whatsapp-cloud-api.md §3.6); 10 s is generous for an endpoint
   * that must ack fast.
   */
  timeoutMs?: number;
}

/**
 * Meta retries a webhook that did not get an HTTP 200 at once, then less and less often, for up to
 * 7 days (docs/whatsapp-cloud-api.md §3.6; the schedule itself is not published). The sandbox does
 * the same shape, waits growing fourfold from 250 ms (0.25, 1, 4, 16, 64, 256 s) and then every 5
 * minutes, and stops after an hour rather than a week: enough for a receiver that restarts after
 * any outage a test or a demo makes, without holding the posts of one that is gone for good. What
 * matters to a receiver is kept: after an outage of D, a status's next retry can come about D or
 * more later, never at the restart.
 */
export const META_LIKE_RETRY_DELAYS_MS: readonly number[] = (() => {
  const delays = [250, 1_000, 4_000, 16_000, 64_000, 256_000];
  const total = () => delays.reduce((a, b) => a + b, 0);
  while (total() + 300_000 <= 3_600_000) delays.push(300_000);
  return delays;
})();

/** Items waiting for their window to close, with when each fell due (for their order). */
interface WindowBatch<T> {
  items: { dueAt: number; item: T }[];
  flush: (items: T[]) => void;
}

/**
 * Posts signed webhooks the way Meta does: JSON body, `X-Hub-Signature-256` over the exact
 * bytes, keep-alive connections, retries with exponential backoff. Also owns the sandbox's
 * timers, so `close()` can cancel everything scheduled and wait for posts in flight.
 */
export class WebhookPoster {
  private readonly agent = new Agent({ keepAliveTimeout: 4_000, connections: 64 });
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  /** By group and the window's end: what `laterInWindow` collected and has not flushed yet. */
  private readonly windows = new Map<string, WindowBatch<unknown>>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly retryDelaysMs: readonly number[];
  private readonly timeoutMs: number;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: WebhookPosterOptions) {
    this.retryDelaysMs = options.retryDelaysMs ?? META_LIKE_RETRY_DELAYS_MS;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Runs `task` after `delayMs` unless the sandbox closes first. */
  later(delayMs: number, task: () => void): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      task();
    }, delayMs);
    this.timers.set(timer, () => undefined);
  }

  /**
   * Runs `flush([item])` after `delayMs`, or, with `windowMs` > 0, hands `item` to `flush`
   * together with the other items of `group` due in the same window when that window closes.
   * Windows are `windowMs` long and aligned on a monotonic clock, so an item due at `t` goes at
   * the first multiple of `windowMs` not before `t`: at most `windowMs` late, never early. A
   * batch comes in the order its items fell due (ties in the order they were scheduled), and one
   * timer serves the whole batch. The batch's first item brings the `flush` used for all of it:
   * one group, one flush.
   */
  laterInWindow<T>(
    group: string,
    delayMs: number,
    windowMs: number,
    item: T,
    flush: (items: T[]) => void,
  ): void {
    if (this.closed) return;
    if (windowMs <= 0) {
      this.later(delayMs, () => flush([item]));
      return;
    }
    const now = performance.now();
    const dueAt = now + delayMs;
    const closesAt = Math.ceil(dueAt / windowMs) * windowMs;
    const key = `${group}@${closesAt}`;
    const open = this.windows.get(key) as WindowBatch<T> | undefined;
    if (open) {
      open.items.push({ dueAt, item });
      return;
    }
    const batch: WindowBatch<T> = { items: [{ dueAt, item }], flush };
    this.windows.set(key, batch as WindowBatch<unknown>);
    this.later(Math.ceil(closesAt - now), () => {
      this.windows.delete(key);
      // Array.prototype.sort is stable: items due together keep the order they were scheduled in.
      batch.flush(batch.items.sort((a, b) => a.dueAt - b.dueAt).map((i) => i.item));
    });
  }

  /** Resolves true after `ms`, or false at once when the sandbox closes. */
  sleep(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve(true);
      }, ms);
      this.timers.set(timer, () => resolve(false));
    });
  }

  post(envelope: WebhookEnvelope, appSecret: string): PostHandle {
    const body = JSON.stringify(envelope);
    const headers = {
      "content-type": "application/json",
      "x-hub-signature-256": signatureOf(body, appSecret),
      "user-agent": "facebookexternalua (Banditore sandbox)",
    };
    let reportFirst: (result: PostResult) => void = () => undefined;
    const first = new Promise<PostResult>((resolve) => (reportFirst = resolve));
    const final = (async () => {
      if (this.closed) {
        const result: PostResult = {
          ok: false,
          status: null,
          error: "sandbox closed",
          attempts: 0,
        };
        reportFirst(result);
        return result;
      }
      let result: PostResult;
      for (let attempt = 0; ; attempt += 1) {
        result = await this.attempt(body, headers, attempt + 1);
        if (attempt === 0) reportFirst(result);
        if (result.ok) return result;
        const delay = this.retryDelaysMs[attempt];
        if (delay === undefined || !(await this.sleep(delay))) break;
      }
      this.options.log.warn(
        {
          event: "sandbox.webhook_failed",
          status: result.status,
          attempts: result.attempts,
          reason: result.error,
        },
        "Sandbox: the webhook endpoint did not accept a notification",
      );
      return result;
    })();
    this.track(final);
    return { first, final };
  }

  /** Stops every timer, then waits for posts in flight. Idempotent. */
  close(): Promise<void> {
    return (this.closing ??= this.shutDown());
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    for (const [timer, cancel] of this.timers) {
      clearTimeout(timer);
      cancel();
    }
    this.timers.clear();
    this.windows.clear();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await this.agent.close();
  }

  /** Keeps a promise in the set `close()` waits for. */
  track(promise: Promise<unknown>): void {
    this.inFlight.add(promise);
    const forget = () => void this.inFlight.delete(promise);
    promise.then(forget, forget);
  }

  /**
   * Webhooks scheduled (a status waiting for its delay, a window of statuses waiting to close, a
   * retry waiting for its turn) or on the wire: zero once the sandbox has told the receiver
   * everything it has to tell so far.
   */
  get pending(): number {
    return this.timers.size + this.inFlight.size;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private async attempt(
    body: string,
    headers: Record<string, string>,
    attempts: number,
  ): Promise<PostResult> {
    try {
      const response = await request(this.options.url(), {
        method: "POST",
        body,
        headers,
        dispatcher: this.agent,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      await response.body.dump();
      return { ok: response.statusCode === 200, status: response.statusCode, attempts };
    } catch (error) {
      return { ok: false, status: null, error: (error as Error).message, attempts };
    }
  }
}
