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
 *
 * Counters, not timestamps: per key, one count per millisecond of the window in a ring, and
 * their sum. Memory is fixed (4 bytes × window ms per key) whatever the rate, and counting
 * allocates nothing. Times are taken to the millisecond.
 */
export class SlidingWindow {
  private readonly rings = new Map<string, { counts: Uint32Array; head: number; total: number }>();

  constructor(private readonly windowMs: number) {}

  count(key: string, now: number): number {
    const ring = this.rings.get(key);
    if (!ring) return 0;
    this.advance(ring, Math.floor(now));
    return ring.total;
  }

  add(key: string, now: number): void {
    const at = Math.floor(now);
    let ring = this.rings.get(key);
    if (!ring) {
      ring = { counts: new Uint32Array(this.windowMs), head: at, total: 0 };
      this.rings.set(key, ring);
    }
    this.advance(ring, at);
    // An event older than the window (a clock that stepped back) no longer counts.
    if (at <= ring.head - this.windowMs) return;
    ring.counts[at % this.windowMs] = (ring.counts[at % this.windowMs] ?? 0) + 1;
    ring.total += 1;
  }

  clear(): void {
    this.rings.clear();
  }

  /** Moves the window's end to `now`, dropping the milliseconds that left it. */
  private advance(ring: { counts: Uint32Array; head: number; total: number }, now: number): void {
    if (now <= ring.head) return;
    if (now - ring.head >= this.windowMs) {
      ring.counts.fill(0);
      ring.total = 0;
    } else {
      for (let t = ring.head + 1; t <= now; t += 1) {
        const slot = t % this.windowMs;
        ring.total -= ring.counts[slot] ?? 0;
        ring.counts[slot] = 0;
      }
    }
    ring.head = now;
  }
}

/**
 * The pair rate limit, one business number → one user: a token bucket holding `burst` tokens
 * and refilling one every `refillMs` (Meta: about 1 message per 6 s, bursts of 45 "borrowed").
 *
 * Kept as one number per pair, the bucket's "theoretical arrival time" (the generic cell rate
 * algorithm, the same decisions as counting tokens): the instant the bucket is full again. A
 * pair whose instant has passed is as good as unknown and is forgotten, so the map holds only
 * the pairs written to in the last few seconds (a broadcast's recipients, each once: 6 to 12 s
 * of them), not every pair ever.
 */
export class PairRateLimiter {
  /** Per key, when its bucket is full again; in the order keys were last taken from. */
  private readonly fullAt = new Map<string, number>();
  private nextForgetAt = 0;

  constructor(
    readonly burst = 45,
    readonly refillMs = 6000,
  ) {}

  /** Takes a token if there is one; false means 131056. */
  tryTake(key: string, now: number): boolean {
    const fullAt = Math.max(this.fullAt.get(key) ?? now, now);
    // fullAt - now is the tokens missing, in refill periods: at least one must be left.
    if (fullAt - now > (this.burst - 1) * this.refillMs) return false;
    this.fullAt.delete(key);
    this.fullAt.set(key, fullAt + this.refillMs);
    this.forgetFull(now);
    return true;
  }

  /** Pairs remembered: those whose buckets are not yet full again (and a few just full). */
  get size(): number {
    return this.fullAt.size;
  }

  clear(): void {
    this.fullAt.clear();
    this.nextForgetAt = 0;
  }

  /**
   * Drops the least recently taken pairs whose buckets are full again, once per refill period:
   * a map's iteration walks the holes its deletions left, so doing it on every take would cost
   * as much as the map is long.
   */
  private forgetFull(now: number): void {
    if (now < this.nextForgetAt) return;
    this.nextForgetAt = now + this.refillMs;
    for (const [key, fullAt] of this.fullAt) {
      if (fullAt > now) break;
      this.fullAt.delete(key);
    }
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
