/**
 * The send log: every send request and the sandbox's answer, for reliability tests and benchmarks
 * in other processes (who got what, how often, and when). Bounded two ways, so that a benchmark's
 * hundreds of thousands of sends neither exhaust memory nor feed the garbage collector an object
 * per send to keep:
 *
 * - the latest `SEND_LOG_ENTRIES` requests in full (`entriesFrom`), what tests read;
 * - the latest `SEND_LOG_ARRIVALS` as compact records in typed arrays (`arrivalsFrom`): arrival
 *   time, number, answer. Enough for a benchmark's "busiest one-second window" and "achieved
 *   rate" over a run of a million sends, at 14 bytes a send and nothing for the GC to trace.
 *
 * Requests are numbered from 0 since the start (or the last `clear()`); a reader asks from the
 * number it saw last and is told the first one still kept.
 */

/** One send request as the sandbox answered it. */
export interface SendLogEntry {
  at: number;
  phoneNumberId: string;
  to: string;
  /** Set when accepted. */
  wamid?: string;
  /** Meta's error code when refused. */
  code?: number;
  callbackData?: string;
}

/** Full entries kept: more than any test sends, few enough to be cheap to keep. */
export const SEND_LOG_ENTRIES = 10_000;
/** Arrival records kept: the benchmarks' largest run (1,000,000 sends), twice over. */
export const SEND_LOG_ARRIVALS = 2_000_000;

const THROUGHPUT_ERROR = 130429;

/**
 * Arrivals of one millisecond: `[at, accepted, throttled (130429), other errors]`. A compact
 * form of a run's sends, bounded by the log's size.
 */
export type ArrivalMillisecond = [at: number, accepted: number, throttled: number, other: number];

export class SendLog {
  #total = 0;
  #entries: (SendLogEntry | undefined)[] = [];
  // Arrival records, a ring that grows by doubling until SEND_LOG_ARRIVALS, then wraps.
  #at: Float64Array;
  /** 0 when accepted, else Meta's error code. */
  #code: Int32Array;
  #number: Uint16Array;
  readonly #numberIds: string[] = [];

  constructor(
    private readonly entryLimit = SEND_LOG_ENTRIES,
    private readonly arrivalLimit = SEND_LOG_ARRIVALS,
  ) {
    const size = Math.min(1024, arrivalLimit);
    this.#at = new Float64Array(size);
    this.#code = new Int32Array(size);
    this.#number = new Uint16Array(size);
  }

  /** Requests logged since the start or the last `clear()`. */
  get total(): number {
    return this.#total;
  }

  record(entry: SendLogEntry): void {
    const i = this.#total;
    this.#entries[i % this.entryLimit] = entry;
    if (i === this.#at.length && i < this.arrivalLimit) this.#grow();
    const slot = i % this.#at.length;
    this.#at[slot] = entry.at;
    this.#code[slot] = entry.wamid ? 0 : (entry.code ?? -1);
    this.#number[slot] = this.#numberIndex(entry.phoneNumberId);
    this.#total = i + 1;
  }

  /** The full entries from request `from` on, as far back as they are kept, oldest first. */
  entriesFrom(from: number): { first: number; entries: SendLogEntry[] } {
    const first = Math.min(this.#total, Math.max(from, this.#total - this.entryLimit));
    const entries: SendLogEntry[] = [];
    for (let i = first; i < this.#total; i += 1) {
      const entry = this.#entries[i % this.entryLimit];
      if (entry) entries.push(entry);
    }
    return { first, entries };
  }

  /**
   * The arrivals from request `from` on (of one number, or all), counted per millisecond in
   * arrival order, as far back as they are kept.
   */
  arrivalsFrom(
    from: number,
    phoneNumberId?: string,
  ): { first: number; millis: ArrivalMillisecond[] } {
    const capacity = this.#at.length;
    const first = Math.min(this.#total, Math.max(from, this.#total - capacity));
    const wanted = phoneNumberId === undefined ? -1 : this.#numberIds.indexOf(phoneNumberId);
    const millis: ArrivalMillisecond[] = [];
    if (phoneNumberId !== undefined && wanted < 0) return { first, millis };
    let current: ArrivalMillisecond | undefined;
    for (let i = first; i < this.#total; i += 1) {
      const slot = i % capacity;
      if (wanted >= 0 && this.#number[slot] !== wanted) continue;
      const at = this.#at[slot] ?? 0;
      if (current?.[0] !== at) {
        current = [at, 0, 0, 0];
        millis.push(current);
      }
      const code = this.#code[slot];
      current[code === 0 ? 1 : code === THROUGHPUT_ERROR ? 2 : 3] += 1;
    }
    return { first, millis };
  }

  clear(): void {
    this.#total = 0;
    this.#entries = [];
  }

  #grow(): void {
    const size = Math.min(this.arrivalLimit, this.#at.length * 2);
    const at = new Float64Array(size);
    const code = new Int32Array(size);
    const number = new Uint16Array(size);
    at.set(this.#at);
    code.set(this.#code);
    number.set(this.#number);
    this.#at = at;
    this.#code = code;
    this.#number = number;
  }

  #numberIndex(phoneNumberId: string): number {
    const index = this.#numberIds.indexOf(phoneNumberId);
    if (index >= 0) return index;
    this.#numberIds.push(phoneNumberId);
    return this.#numberIds.length - 1;
  }
}
