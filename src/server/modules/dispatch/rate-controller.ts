/**
 * The send rate of one number, adapted to what Meta lets through (AIMD, as TCP does): 130429
 * (throughput exceeded) lowers it, error-free sending wins it back a little each second. An
 * isolated 130429 (none for a while before it) lowers the rate by a tenth only: one bunched
 * second (a jittery network, a stall at Meta's end) says little about the number's real rate,
 * and halving for it costs seconds of sending. A second one soon after halves it, and each
 * further one halves again: the number really is slower than its configured rate.
 *
 * Why adapt at all when the token bucket already keeps to the configured rate: Meta counts inbound
 * messages against the same cap (docs/whatsapp-cloud-api.md §5), measures at its end after network
 * jitter, and may run a number below its nominal rate (a coexistence number is fixed at 20/s). Only
 * its answers say so.
 *
 * Feed it every 130429 (onThrottled) and every accepted send (onSuccess); read current() before
 * taking tokens and pass it to TokenBucket.setRate. The answer may be fractional.
 */

const SECOND_MS = 1000;

export interface AdaptiveRateOptions {
  /** The number's configured rate: never exceeded. */
  ceiling: number;
  /** Never below this, however many 130429 arrive. Default 1. */
  floor?: number;
  /** Factor applied on a 130429 that follows another decrease closely. Default 0.5. */
  decrease?: number;
  /** Factor applied on an isolated 130429 (see isolatedAfterMs). Default 0.9. */
  firstDecrease?: number;
  /** A 130429 this long after the last decrease (or with none before) is isolated. Default 10 s. */
  isolatedAfterMs?: number;
  /** Recovery per second of error-free sending. Default ceiling / 20 (floor to ceiling in ~20 s). */
  increasePerSecond?: number;
  /**
   * After a decrease, further 130429 within this time change nothing: they answer requests
   * already in flight at the old rate, and counting each would take the rate to the floor in
   * one burst. Default 1 s (Meta's cap is per second).
   */
  quietMs?: number;
}

export class AdaptiveRate {
  readonly #ceiling: number;
  readonly #floor: number;
  readonly #decrease: number;
  readonly #firstDecrease: number;
  readonly #isolatedAfterMs: number;
  readonly #increasePerSecond: number;
  readonly #quietMs: number;
  /** The rate right after the last decrease (the ceiling before any). */
  #base: number;
  #decreasedAt: number | undefined;
  /**
   * When recovery started: the first success after the last decrease. Recovery waits for it so
   * that a number that cannot send at all (every request throttled, timing out or in
   * maintenance) does not climb back to the ceiling by the clock alone.
   */
  #recoveringSince: number | undefined;

  constructor(options: AdaptiveRateOptions) {
    const { ceiling, floor = 1, decrease = 0.5, firstDecrease = 0.9 } = options;
    const isolatedAfterMs = options.isolatedAfterMs ?? 10 * SECOND_MS;
    const increasePerSecond = options.increasePerSecond ?? ceiling / 20;
    const quietMs = options.quietMs ?? SECOND_MS;
    if (!(Number.isFinite(ceiling) && floor > 0 && floor <= ceiling)) {
      throw new RangeError(`need 0 < floor ≤ ceiling, got floor ${floor}, ceiling ${ceiling}`);
    }
    for (const [name, factor] of [
      ["decrease", decrease],
      ["firstDecrease", firstDecrease],
    ] as const) {
      if (!(factor > 0 && factor < 1)) {
        throw new RangeError(`${name} must be in (0, 1), got ${factor}`);
      }
    }
    if (!(isolatedAfterMs >= 0)) throw new RangeError("isolatedAfterMs must be ≥ 0");
    if (!(increasePerSecond > 0 && quietMs >= 0)) {
      throw new RangeError("increasePerSecond must be > 0 and quietMs ≥ 0");
    }
    this.#ceiling = ceiling;
    this.#floor = floor;
    this.#decrease = decrease;
    this.#firstDecrease = firstDecrease;
    this.#isolatedAfterMs = isolatedAfterMs;
    this.#increasePerSecond = increasePerSecond;
    this.#quietMs = quietMs;
    this.#base = ceiling;
  }

  /** A 130429: multiplicative decrease from the current rate, at most once per quiet period. */
  onThrottled(now: number): void {
    const since = this.#decreasedAt === undefined ? Infinity : now - this.#decreasedAt;
    if (since < this.#quietMs) return;
    const factor = since >= this.#isolatedAfterMs ? this.#firstDecrease : this.#decrease;
    this.#base = Math.max(this.#floor, this.current(now) * factor);
    this.#decreasedAt = now;
    this.#recoveringSince = undefined;
  }

  /** An accepted send: starts the recovery clock if a decrease is pending. */
  onSuccess(now: number): void {
    if (this.#decreasedAt !== undefined && this.#recoveringSince === undefined) {
      this.#recoveringSince = now;
    }
  }

  /** The rate to use now: the last decrease plus additive recovery, capped at the ceiling. */
  current(now: number): number {
    if (this.#recoveringSince === undefined) return this.#base;
    const seconds = Math.max(0, now - this.#recoveringSince) / SECOND_MS;
    return Math.min(this.#ceiling, this.#base + this.#increasePerSecond * seconds);
  }
}
