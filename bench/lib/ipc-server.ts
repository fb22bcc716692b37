// The child side of `callServer` (bench/http.ts): a bench process that serves requests from the
// bench over its IPC channel, one operation at a time, and stops when the channel closes.
import { readFileSync, writeFileSync } from "node:fs";
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";

export type Operations = Record<string, (args: Record<string, unknown>) => Promise<unknown>>;

export function serveOperations(operations: Operations, onClose: () => Promise<void>): void {
  let queue: Promise<void> = Promise.resolve();
  process.on("message", (message: unknown) => {
    const { id, op, ...args } = (message ?? {}) as { id?: number; op?: string };
    queue = queue.then(async () => {
      try {
        const run = op === undefined ? undefined : operations[op];
        if (!run) throw new Error(`unknown operation ${op}`);
        process.send?.({ id, result: await run(args) });
      } catch (error) {
        process.send?.({
          id,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        });
      }
    });
  });
  process.once("disconnect", () => {
    void queue
      .then(onClose)
      .catch(() => undefined)
      .finally(() => process.exit(0));
  });
  process.send?.({ ready: true });
}

/**
 * The child side of a server's start (bench/http.ts's `startBenchServer`): tells the bench the
 * port the server listens on, and when the channel closes, closes the server and exits.
 */
export function announcePort(port: number, close: () => Promise<unknown>): void {
  process.send?.({ port });
  process.once("disconnect", () => {
    void close().finally(() => process.exit(0));
  });
}

/** The TCP port a server listens on (a node:http server's or Fastify's `address()`). */
export function listeningPort(address: string | { port: number } | null): number {
  if (!address || typeof address === "string") throw new Error("not listening on TCP");
  return address.port;
}

/**
 * Peak resident memory of this process since the last `resetPeakRss()`: the kernel's high-water
 * mark (VmHWM), which a blocked event loop cannot miss. Falls back to the lifetime peak where
 * /proc cannot be reset.
 */
export class PeakRss {
  readonly resettable: boolean;

  constructor() {
    this.resettable = resetPeakRss();
  }

  /** Bytes. */
  read(): number {
    try {
      const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
      if (kb) return Number(kb) * 1024;
    } catch {
      // Not Linux.
    }
    return process.resourceUsage().maxRSS * 1024;
  }
}

/** Resets the kernel's peak-RSS counter to the current RSS (Linux ≥ 4.0); false if it cannot. */
export function resetPeakRss(): boolean {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

/** CPU seconds (all threads: JS, GC, libuv pool) this process used since `from`. */
export function cpuSecondsSince(from: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1e6;
}

/** Event-loop delay over a stretch of a bench process's life, milliseconds. */
export interface LoopDelay {
  p99Ms: number;
  maxMs: number;
}

/**
 * Watches this process's event-loop delay (node:perf_hooks, 10 ms resolution): `take()` answers
 * what it saw since the last take and starts again. A stall of S ms shows as a max of ≈ S.
 */
export function loopDelayMeter(): { take(): LoopDelay } {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  return {
    take() {
      const seen = {
        p99Ms: histogram.percentile(99) / 1e6,
        maxMs: histogram.max / 1e6,
      };
      histogram.reset();
      return seen;
    },
  };
}

/** Garbage-collection pauses over a stretch of a bench process's life, milliseconds. */
export interface GcPauses {
  count: number;
  totalMs: number;
  maxMs: number;
}

/**
 * Watches this process's garbage collections (node:perf_hooks "gc" entries, each a pause of the
 * main thread): `take()` answers what it saw since the last take and starts again.
 */
export function gcPauseMeter(): { take(): GcPauses } {
  let seen: GcPauses = { count: 0, totalMs: 0, maxMs: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      seen.count += 1;
      seen.totalMs += entry.duration;
      seen.maxMs = Math.max(seen.maxMs, entry.duration);
    }
  });
  observer.observe({ entryTypes: ["gc"] });
  return {
    take() {
      const taken = seen;
      seen = { count: 0, totalMs: 0, maxMs: 0 };
      return taken;
    },
  };
}
