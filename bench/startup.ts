// Issue #14 item 8: what a start costs. `npm start` checks the build (tsc and vite run only
// when a source is newer than their output) and then serves; this part times, on a build that is
// already up to date, the check alone, `npm start` until `/readyz` answers 200, and the server
// process alone (`node dist/server/cli.js serve`, as a service manager starts it) until
// `/readyz`, and reads that process's resident memory after it has idled.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { request } from "undici";
import { median, range, table } from "./lib/stats.js";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

export interface StartupRun {
  /** `node scripts/build.js` on an up-to-date build, to its exit. */
  buildCheckMs: number;
  /** `npm start` until `/readyz` answers 200. */
  npmStartMs: number;
  /** `node dist/server/cli.js serve` until `/readyz` answers 200. */
  serveMs: number;
  /** The serve process's RSS after `idleMs` of idling, in bytes. */
  idleRss: number;
}

export interface StartupOptions {
  runs: number;
  idleMs: number;
}

/** Times `runs` starts of each kind, the build brought up to date first (not timed). */
export async function benchStartup(options: StartupOptions): Promise<StartupRun[]> {
  await exitOf(spawn(process.execPath, ["scripts/build.js"], { cwd: root, stdio: "ignore" }));
  const runs: StartupRun[] = [];
  for (let i = 0; i < options.runs; i++) {
    const buildStarted = performance.now();
    await exitOf(spawn(process.execPath, ["scripts/build.js"], { cwd: root, stdio: "ignore" }));
    const buildCheckMs = performance.now() - buildStarted;
    const npmStartMs = (await startUntilReady("npm", ["start"])).ms;
    const serve = await startUntilReady(process.execPath, ["dist/server/cli.js", "serve"], {
      idleMs: options.idleMs,
    });
    runs.push({ buildCheckMs, npmStartMs, serveMs: serve.ms, idleRss: serve.idleRss });
  }
  return runs;
}

/**
 * Starts a server with the demo comuni on a fresh SQLite directory and a free port, waits for
 * `/readyz`, optionally idles and reads its RSS, then stops it (SIGTERM to its process group,
 * so npm's child goes too).
 */
async function startUntilReady(
  command: string,
  args: string[],
  { idleMs = 0 } = {},
): Promise<{ ms: number; idleRss: number }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "banditore-bench-startup-"));
  const port = await freePort();
  const started = performance.now();
  const child = spawn(command, args, {
    cwd: root,
    detached: true,
    stdio: "ignore",
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir },
  });
  try {
    await waitForReady(port, child);
    const ms = performance.now() - started;
    let idleRss = 0;
    if (idleMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, idleMs));
      idleRss = rssOf(child.pid!);
    }
    return { ms, idleRss };
  } finally {
    const exited = exitOf(child).catch(() => undefined);
    process.kill(-child.pid!, "SIGTERM");
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function waitForReady(port: number, child: ChildProcess): Promise<void> {
  const deadline = performance.now() + 120_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    try {
      const response = await request(`http://127.0.0.1:${port}/readyz`);
      await response.body.dump();
      if (response.statusCode === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("/readyz did not answer 200 within 120 s");
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kib) * 1024;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

function exitOf(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) {
      resolve();
      return;
    }
    child.once("error", reject);
    child.once("exit", (code, signal) =>
      code === 0 || signal === "SIGTERM" || code === 143
        ? resolve()
        : reject(new Error(`exited with ${code ?? signal}`)),
    );
  });
}

/** The startup table of the results. */
export function startupSection(runs: readonly StartupRun[], idleMs: number): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const mb = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MB`;
  const column = (f: (r: StartupRun) => number, format: (v: number) => string) =>
    `${format(median(runs.map(f)))} (${range(runs.map(f), format)})`;
  return [
    "On a build that is up to date (brought up to date first, not timed), each run times the " +
      "build check of `npm start` alone (`node scripts/build.js`: tsc and vite run only when a " +
      "source is newer than their output), `npm start` until `/readyz` answers 200, and the " +
      "server process alone (`node dist/server/cli.js serve`, as a service manager starts it) " +
      `until \`/readyz\`, then that process's RSS after ${idleMs / 1000} s idle. Each start has ` +
      "a fresh SQLite directory (migrations run) and the demo comuni, in sandbox mode. Medians " +
      "and ranges.",
    "",
    table(
      ["build check", "`npm start` to `/readyz`", "serve to `/readyz`", "idle RSS"],
      [
        [
          column(
            (r) => r.buildCheckMs,
            (v) => `${Math.round(v)} ms`,
          ),
          column((r) => r.npmStartMs, seconds),
          column((r) => r.serveMs, seconds),
          column((r) => r.idleRss, mb),
        ],
      ],
    ),
  ].join("\n");
}
