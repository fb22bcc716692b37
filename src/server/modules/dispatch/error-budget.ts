/**
 * The failure rate of a broadcast's recent sends: when more than `maxFailureRatio` of the last
 * `window` outcomes are failures, the broadcast should go to "needs attention" instead of burning
 * through its list (listmonk's MaxSendErrors, but as a ratio over a sliding window, so a long
 * broadcast is judged by how it goes now, not by its whole history).
 *
 * What counts is the caller's choice, and it must be this one:
 * - record(true) for every accepted send;
 * - record(false) for every final failure: a permanent error, or a retry decision of "fail"
 *   (attempts or age exhausted);
 * - nothing for a retry (not an outcome yet: it will be recorded when it ends) nor for a halt
 *   (fatal_config stops the broadcast by itself, and the row is not failed).
 * So 131026 "not on WhatsApp" counts: an audience where a fifth of the numbers cannot receive is
 * itself worth a look before the rest is sent.
 *
 * Nothing trips before `minSamples` outcomes: 3 failures among the first 5 say little.
 */

export interface ErrorBudgetOptions {
  /** How many recent outcomes are judged. Default 500. */
  window?: number;
  /** Trips when the failure ratio is strictly above this. Default 0.2. */
  maxFailureRatio?: number;
  /** Never trips with fewer outcomes than this. Default 50; at most `window`. */
  minSamples?: number;
}

export class ErrorBudget {
  readonly #window: number;
  readonly #maxFailureRatio: number;
  readonly #minSamples: number;
  /** A ring of the last outcomes: 1 = failure, 0 = success. */
  readonly #ring: Uint8Array;
  /** Where the next outcome goes (the oldest, once the ring is full). */
  #next = 0;
  #samples = 0;
  #failures = 0;

  constructor(options: ErrorBudgetOptions = {}) {
    const { window = 500, maxFailureRatio = 0.2, minSamples = 50 } = options;
    if (!(Number.isInteger(window) && window >= 1)) {
      throw new RangeError(`window must be an integer ≥ 1, got ${window}`);
    }
    // 1 is allowed: it never trips, which is how a comune turns the budget off.
    if (!(maxFailureRatio >= 0 && maxFailureRatio <= 1)) {
      throw new RangeError(`maxFailureRatio must be in [0, 1], got ${maxFailureRatio}`);
    }
    if (!(Number.isInteger(minSamples) && minSamples >= 1 && minSamples <= window)) {
      throw new RangeError(`minSamples must be an integer in [1, window], got ${minSamples}`);
    }
    this.#window = window;
    this.#maxFailureRatio = maxFailureRatio;
    this.#minSamples = minSamples;
    this.#ring = new Uint8Array(window);
  }

  record(ok: boolean): void {
    const outcome = ok ? 0 : 1;
    if (this.#samples === this.#window) this.#failures -= this.#ring[this.#next] ?? 0;
    else this.#samples += 1;
    this.#ring[this.#next] = outcome;
    this.#failures += outcome;
    this.#next = (this.#next + 1) % this.#window;
  }

  /** True when enough outcomes are known and too many of them failed. */
  get tripped(): boolean {
    return this.#samples >= this.#minSamples && this.failureRatio > this.#maxFailureRatio;
  }

  /** Failures over outcomes in the window; 0 before any. */
  get failureRatio(): number {
    return this.#samples === 0 ? 0 : this.#failures / this.#samples;
  }

  /** Outcomes in the window (at most `window`). */
  get samples(): number {
    return this.#samples;
  }

  /**
   * Forgets everything: for a broadcast resumed after "needs attention", which must not trip
   * again on the failures that stopped it.
   */
  reset(): void {
    this.#ring.fill(0);
    this.#next = 0;
    this.#samples = 0;
    this.#failures = 0;
  }
}
