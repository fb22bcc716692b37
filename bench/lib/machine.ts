import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";

/** Facts about the machine and the software, printed above the results. */
export interface MachineFacts {
  cpuModel: string;
  logicalCpus: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  fastify: string;
  autocannon: string;
  date: string;
}

export function machineFacts(): MachineFacts {
  return {
    cpuModel: cpuModel(),
    // os.cpus(), not availableParallelism(): the latter shrinks once this process is pinned.
    logicalCpus: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    fastify: packageVersion("fastify"),
    autocannon: packageVersion("autocannon"),
    date: new Date().toISOString().slice(0, 10),
  };
}

function cpuModel(): string {
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    const model = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim();
    if (model) return model;
  } catch {
    // Not Linux: fall through.
  }
  return os.cpus()[0]?.model ?? "unknown";
}

function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    const pkg = require(`${name}/package.json`) as { version?: string };
    return pkg.version ?? "?";
  } catch {
    return "?";
  }
}

/** The path of `taskset` when it exists and there are at least two CPUs to pin to. */
export function tasksetPath(): string | undefined {
  if (os.availableParallelism() < 2) return undefined;
  try {
    return (
      execFileSync("sh", ["-c", "command -v taskset"], { encoding: "utf8" }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

/** Pins every thread of this process to one CPU; false when that did not work. */
export function pinSelf(taskset: string, cpu: number): boolean {
  try {
    execFileSync(taskset, ["-a", "-p", "-c", String(cpu), String(process.pid)], {
      stdio: "ignore",
    });
    return true;
  } catch {
    return false;
  }
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The fields of /proc/<pid>/stat after the command name, and the name; undefined if gone. */
function procStat(pid: number | string): { name: string; fields: string[] } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may itself contain spaces and parentheses.
    const close = stat.lastIndexOf(")");
    return {
      name: stat.slice(stat.indexOf("(") + 1, close),
      fields: stat.slice(close + 2).split(" "),
    };
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc; NaN when unreadable. */
export function processCpuSeconds(pid: number): number {
  const stat = procStat(pid);
  if (!stat) return Number.NaN;
  return (Number(stat.fields[11]) + Number(stat.fields[12])) / CLOCK_TICKS;
}

/**
 * CPU seconds used by every local `postgres` process, including backends that have exited
 * (their time is added to the postmaster's "children" counters once it reaps them).
 */
function postgresCpuSeconds(): number {
  let ticks = 0;
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(entry);
    if (stat?.name !== "postgres") continue;
    // utime, stime, cutime, cstime
    for (const i of [11, 12, 13, 14]) ticks += Number(stat.fields[i]) || 0;
  }
  return ticks / CLOCK_TICKS;
}

export interface CpuReading {
  seconds: number;
  /** Shares of one core over the stretch: this process, the watched pids, everything else. */
  self: number;
  watched: number;
  /** CPU of every other process plus hypervisor steal. */
  other: number;
}

/**
 * Starts measuring CPU use; the returned function ends the stretch. "Watched" is `pids` plus,
 * when asked, every local PostgreSQL process; "other" is everything else the machine did, near 0
 * for an undisturbed measurement.
 */
export function cpuMeter(
  pids: readonly number[],
  options: { postgres?: boolean } = {},
): () => CpuReading {
  const watchedSeconds = () =>
    pids.reduce((sum, pid) => sum + (processCpuSeconds(pid) || 0), 0) +
    (options.postgres ? postgresCpuSeconds() : 0);
  const started = performance.now();
  const system = systemCpuTimes();
  const self = process.cpuUsage();
  const watched = watchedSeconds();
  return () => {
    const seconds = (performance.now() - started) / 1000;
    const systemNow = systemCpuTimes();
    const selfNow = process.cpuUsage(self);
    const selfShare = (selfNow.user + selfNow.system) / 1e6 / seconds;
    const watchedShare = (watchedSeconds() - watched) / seconds;
    const busy = (systemNow.busy - system.busy) / seconds;
    const steal = (systemNow.steal - system.steal) / seconds;
    return {
      seconds,
      self: selfShare,
      watched: watchedShare,
      other: Math.max(0, busy - selfShare - watchedShare) + steal,
    };
  };
}

/** CPU time over all CPUs from /proc/stat, in seconds: busy (excluding steal), steal, total. */
export interface CpuTimes {
  busy: number;
  steal: number;
  total: number;
}

export function systemCpuTimes(): CpuTimes {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
    // user nice system idle iowait irq softirq steal (guest time is already inside user).
    const t = line
      .trim()
      .split(/\s+/)
      .slice(1, 9)
      .map((v) => Number(v) / CLOCK_TICKS);
    const at = (i: number) => t[i] ?? 0;
    const total = t.reduce((a, b) => a + b, 0);
    return { busy: total - at(3) - at(4) - at(7), steal: at(7), total };
  } catch {
    return { busy: Number.NaN, steal: Number.NaN, total: Number.NaN };
  }
}

/**
 * How busy the machine is without us: the share of all CPUs in use over `ms` while the bench
 * does nothing. Anything well above 0 means another job is running and the figures will skew.
 */
export async function backgroundCpu(ms = 1000): Promise<number> {
  const before = systemCpuTimes();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = systemCpuTimes();
  return (after.busy - before.busy) / (after.total - before.total || Number.NaN);
}
