/**
 * Timeouts for many HTTP requests with a few timers. A request's deadline is an AbortSignal;
 * making an AbortController and a timer for each of a thousand sends a second is a measurable
 * share of what a send costs (see BENCHMARKS.md, "unthrottled"). Here the requests that start
 * within the same slot (100 ms) with the same timeout share one controller, aborted by one timer
 * when the slot's last deadline has passed: each request gets its full timeout and at most one
 * slot more. Aborting the shared signal stops only requests still running, all of them late.
 */
import { setMaxListeners } from "node:events";

const SLOT_MS = 100;

interface Slot {
  /** Requests starting before this (performance.now() ms) join the slot. */
  joinBefore: number;
  controller: AbortController;
}

export class SharedDeadlines {
  readonly #slots = new Map<number, Slot>();
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** A signal aborted between `timeoutMs` and `timeoutMs` + 100 ms from now. */
  signal(timeoutMs: number): AbortSignal {
    const now = this.#now();
    const slot = this.#slots.get(timeoutMs);
    if (slot && now < slot.joinBefore) return slot.controller.signal;
    const controller = new AbortController();
    // Every request of the slot listens to it: hundreds are not a leak.
    setMaxListeners(0, controller.signal);
    const joinBefore = now + SLOT_MS;
    this.#slots.set(timeoutMs, { joinBefore, controller });
    // Unref'd: a pending deadline must not keep a process alive that has nothing else to do.
    setTimeout(() => {
      controller.abort();
      if (this.#slots.get(timeoutMs)?.controller === controller) this.#slots.delete(timeoutMs);
    }, SLOT_MS + timeoutMs).unref();
    return controller.signal;
  }
}
