/**
 * The send rate of one number, adapted to what Meta lets through (AIMD, as TCP does): 130429
 * (throughput exceeded) halves it, error-free sending wins it back a little each second.
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
  /** Factor applied on a 130429. Default 0.5. */
  decrease?: number;
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
    const { ceiling, floor = 1, decrease = 0.5 } = options;
    const increasePerSecond = options.increasePerSecond ?? ceiling / 20;
    const quietMs = options.quietMs ?? SECOND_MS;
    if (!(Number.isFinite(ceiling) && floor > 0 && floor <= ceiling)) {
      throw new RangeError(`need 0 < floor ≤ ceiling, got floor ${floor}, ceiling ${ceiling}`);
    }
    if (!(decrease > 0 && decrease < 1)) {
      throw new RangeError(`decrease must be in (0, 1), got ${decrease}`);
    }
    if (!(increasePerSecond > 0 && quietMs >= 0)) {
      throw new RangeError("increasePerSecond must be > 0 and quietMs ≥ 0");
    }
    this.#ceiling = ceiling;
    this.#floor = floor;
    this.#decrease = decrease;
    this.#increasePerSecond = increasePerSecond;
    this.#quietMs = quietMs;
    this.#base = ceiling;
  }

  /** A 130429: multiplicative decrease from the current rate, at most once per quiet period. */
  onThrottled(now: number): void {
    if (this.#decreasedAt !== undefined && now - this.#decreasedAt < this.#quietMs) return;
    this.#base = Math.max(this.#floor, this.current(now) * this.#decrease);
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
