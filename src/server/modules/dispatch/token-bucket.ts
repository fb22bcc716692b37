/**
 * The gate to the wire for one sender number: at most `rate` sends in any one-second window,
 * with short bursts so that a loop whose timer fired late can catch up.
 *
 * Why not a plain token bucket: with capacity B refilled at R per second, a one-second window can
 * see the B saved tokens plus almost a second of refill, up to R + B − 1 sends, and Meta answers
 * the (R+1)-th with 130429. The usual fixes cost throughput: refilling at R − B + 1 loses
 * (B − 1)/R (9 % at the default burst of R/10); a capacity of one token (sends spaced 1/R apart)
 * loses whatever a late timer overshoots, on every wake-up.
 *
 * So a send must pass two gates:
 * - a token bucket of capacity `burst` refilled at `rate`/s (as GCRA: one "theoretical arrival
 *   time"), which smooths: never more than `burst` sends at once;
 * - a log of recent sends, which is the cap: a send at t counts against every instant of
 *   [t, t + 1 s), and a send is refused while floor(rate) of them still count. Hence, at every
 *   send time t, the sends in (t − 1 s, t] number at most floor(rate); and the busiest window
 *   (a − 1 s, a] always holds no more than the one ending at its own last send, so no window at
 *   all exceeds the rate. The log holds floor(rate) times (≤ 1,000 numbers; more only for the
 *   second after setRate lowers the rate).
 *
 * Throughput is the full rate: the bucket refills at R and the log admits R per second.
 * tryTake and msUntilNext compare `now` with the same ready time, so a caller that sleeps
 * exactly msUntilNext() finds the send allowed. `now` must not go backwards.
 */

const WINDOW_MS = 1000;

export interface TokenBucketOptions {
  /** Sends per second, ≥ 1; fractions are fine (the cap is its integer part). */
  ratePerSecond: number;
  /** Sends allowed at once after a pause; default max(1, ceil(rate / 10)), a tenth of a second. */
  burst?: number;
  now: number;
}

export class TokenBucket {
  #rate: number;
  #burst: number;
  readonly #fixedBurst: number | undefined;
  /** GCRA's theoretical arrival time: when the bucket would next be empty-but-for-one. */
  #tat: number;
  /** The expiry (send time + 1 s) of each recent send, oldest first, from index #head. */
  readonly #expiries: number[] = [];
  #head = 0;

  constructor(options: TokenBucketOptions) {
    if (options.burst !== undefined && !(Number.isInteger(options.burst) && options.burst >= 1)) {
      throw new RangeError(`burst must be an integer ≥ 1, got ${options.burst}`);
    }
    this.#fixedBurst = options.burst;
    this.#rate = checkRate(options.ratePerSecond);
    this.#burst = options.burst ?? defaultBurst(this.#rate);
    // Starts full: `burst` sends are allowed at once.
    this.#tat = options.now;
  }

  get rate(): number {
    return this.#rate;
  }

  get burst(): number {
    return this.#burst;
  }

  /** Takes a send if both gates allow it now. */
  tryTake(now: number): boolean {
    if (now < this.#readyAt(now)) return false;
    this.#tat = Math.max(this.#tat, now) + WINDOW_MS / this.#rate;
    // Rounding can make now + 1 s − 1 s < now: then a meter that asks "is the send after
    // t − 1 s?" would count it one ulp longer than we do. Count it until both say it has left.
    let expiry = now + WINDOW_MS;
    while (expiry - WINDOW_MS < now) expiry += ulpOf(expiry);
    this.#expiries.push(expiry);
    return true;
  }

  /** 0 if a send is allowed now; otherwise how long until it is (if nothing else changes). */
  msUntilNext(now: number): number {
    const readyAt = this.#readyAt(now);
    if (readyAt <= now) return 0;
    // now + (readyAt − now) can round one ulp short of readyAt: step up until it does not, so a
    // caller that sleeps exactly this long is let through.
    let wait = readyAt - now;
    while (now + wait < readyAt) wait += ulpOf(readyAt);
    return wait;
  }

  /**
   * Changes the rate from `now` on. Tokens already saved are kept (re-expressed at the new rate)
   * up to the new burst; sends made under the old rate keep counting in the log, so a lower cap
   * applies at once to the second that includes them.
   */
  setRate(ratePerSecond: number, now: number): void {
    const rate = checkRate(ratePerSecond);
    const debt = Math.max(0, this.#tat - now);
    this.#tat = now + (debt * this.#rate) / rate;
    this.#rate = rate;
    this.#burst = this.#fixedBurst ?? defaultBurst(rate);
  }

  /** The earliest time at which both gates allow a send. */
  #readyAt(now: number): number {
    const expiries = this.#expiries;
    while (this.#head < expiries.length && (expiries[this.#head] ?? 0) <= now) this.#head += 1;
    // Compact now and then instead of shifting on every expiry.
    if (this.#head > 1024 && this.#head * 2 > expiries.length) {
      expiries.splice(0, this.#head);
      this.#head = 0;
    }
    const emission = WINDOW_MS / this.#rate;
    const bucketReadyAt = this.#tat - (this.#burst - 1) * emission;
    // With `cap` or more sends still counting, wait for all but cap − 1 of them to expire.
    const cap = Math.floor(this.#rate);
    const excess = expiries.length - this.#head - cap;
    const windowReadyAt =
      excess >= 0 ? (expiries[this.#head + excess] ?? 0) : Number.NEGATIVE_INFINITY;
    return Math.max(bucketReadyAt, windowReadyAt);
  }
}

function checkRate(rate: number): number {
  if (!(Number.isFinite(rate) && rate >= 1)) {
    throw new RangeError(`ratePerSecond must be a finite number ≥ 1, got ${rate}`);
  }
  return rate;
}

function defaultBurst(rate: number): number {
  return Math.max(1, Math.ceil(rate / 10));
}

/** At least one unit in the last place of x: adding it moves x to a larger double. */
function ulpOf(x: number): number {
  return Math.max(Number.MIN_VALUE, Math.abs(x) * Number.EPSILON);
}
