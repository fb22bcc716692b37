/**
 * The three limits Meta puts on a business number (docs/whatsapp-cloud-api.md §5), as pure
 * structures: every method takes `now` (epoch ms), so tests drive them with a fake clock.
 */

export const SECOND_MS = 1000;
export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Events per key in a sliding window: the throughput cap counts sends AND inbound messages of
 * a phone number in the last second. A sliding window (not a fixed one) is stricter, so a client
 * that stays under it stays under Meta's cap however Meta buckets time.
 */
export class SlidingWindow {
  private readonly events = new Map<string, { times: number[]; head: number }>();

  constructor(private readonly windowMs: number) {}

  count(key: string, now: number): number {
    const entry = this.events.get(key);
    if (!entry) return 0;
    const { times } = entry;
    while (entry.head < times.length && (times[entry.head] ?? 0) <= now - this.windowMs) {
      entry.head += 1;
    }
    // Compact now and then instead of shifting on every expiry.
    if (entry.head > 1024 && entry.head * 2 > times.length) {
      times.splice(0, entry.head);
      entry.head = 0;
    }
    return times.length - entry.head;
  }

  add(key: string, now: number): void {
    const entry = this.events.get(key);
    if (entry) entry.times.push(now);
    else this.events.set(key, { times: [now], head: 0 });
  }

  clear(): void {
    this.events.clear();
  }
}

/**
 * The pair rate limit, one business number → one user: a token bucket holding `burst` tokens
 * and refilling one every `refillMs` (Meta: about 1 message per 6 s, bursts of 45 "borrowed").
 */
export class PairRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly burst = 45,
    readonly refillMs = 6000,
  ) {}

  /** Takes a token if there is one; false means 131056. */
  tryTake(key: string, now: number): boolean {
    const bucket = this.buckets.get(key);
    const tokens = bucket
      ? Math.min(this.burst, bucket.tokens + Math.max(0, now - bucket.at) / this.refillMs)
      : this.burst;
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now });
      return false;
    }
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    return true;
  }

  clear(): void {
    this.buckets.clear();
  }
}

/**
 * Unique recipients per scope (a WABA) in a rolling window: the messaging limit counts users
 * reached outside their customer-service window in the last 24 hours. Each scope keeps its
 * recipients in the order they were last counted, so expired ones are dropped from the front.
 */
export class UniqueRecipientWindow {
  private readonly scopes = new Map<string, Map<string, number>>();

  constructor(private readonly windowMs = DAY_MS) {}

  has(scope: string, recipient: string, now: number): boolean {
    this.expire(scope, now);
    return this.scopes.get(scope)?.has(recipient) ?? false;
  }

  size(scope: string, now: number): number {
    this.expire(scope, now);
    return this.scopes.get(scope)?.size ?? 0;
  }

  add(scope: string, recipient: string, now: number): void {
    let recipients = this.scopes.get(scope);
    if (!recipients) {
      recipients = new Map();
      this.scopes.set(scope, recipients);
    }
    // Re-inserting moves the recipient to the end: the window runs from its latest message.
    recipients.delete(recipient);
    recipients.set(recipient, now);
  }

  clear(): void {
    this.scopes.clear();
  }

  private expire(scope: string, now: number): void {
    const recipients = this.scopes.get(scope);
    if (!recipients) return;
    for (const [recipient, at] of recipients) {
      if (at > now - this.windowMs) break;
      recipients.delete(recipient);
    }
  }
}
