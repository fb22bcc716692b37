import { spawn, type ChildProcess } from "node:child_process";
import { isDeepStrictEqual } from "node:util";
import autocannon from "autocannon";
import { compiledEntry } from "./lib/build.js";
import { cpuMeter } from "./lib/machine.js";
import { median } from "./lib/stats.js";

export const REPO_ROOT = new URL("../", import.meta.url).pathname;
const TENANTS_DIR = new URL("../config/tenants/", import.meta.url).pathname;

export interface ServerSpec {
  /** Short name used in the table. */
  name: string;
  /** Entry point under bench/servers/. */
  entry: string;
  env?: Record<string, string>;
  /** Extra Node.js flags, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  /** A compiled entry point to run; by default `entry`, compiled by bench/lib/build.ts. */
  compiled?: string;
}

export interface RunningBenchServer {
  spec: ServerSpec;
  /** Empty for a process that serves no HTTP (it reported `{ ready: true }` instead of a port). */
  baseUrl: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts a bench server in its own Node.js process (pinned to `cpu` through taskset when given)
 * and resolves once it reports its port over IPC. Its stdout (the access log, when enabled) goes
 * to /dev/null, as a log shipper would take it away; stderr is shown.
 */
export async function startBenchServer(
  spec: ServerSpec,
  options: { taskset?: string | undefined; cpu: number; dataDir: string },
): Promise<RunningBenchServer> {
  const node = [
    process.execPath,
    ...(spec.nodeArgs ?? []),
    spec.compiled ?? (await compiledEntry(spec.entry)),
  ];
  const [command, ...args] = options.taskset
    ? [options.taskset, "-c", String(options.cpu), ...node]
    : node;
  const child = spawn(command ?? process.execPath, args, {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOST: "127.0.0.1",
      PORT: "0",
      DATA_DIR: options.dataDir,
      TENANTS_DIR,
      WHATSAPP_MODE: "sandbox",
      ...spec.env,
    },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${spec.name}: no port after 30 s`)), 30_000);
    child.once("message", (message: unknown) => {
      clearTimeout(timer);
      const { port, ready } = (message ?? {}) as { port?: unknown; ready?: unknown };
      if (typeof port === "number" && port > 0) resolve(port);
      else if (ready === true) resolve(0);
      else reject(new Error(`${spec.name}: unexpected message ${JSON.stringify(message)}`));
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${spec.name}: exited with code ${code} before listening`));
    });
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${spec.name}: no pid`);
  return {
    spec,
    baseUrl: port > 0 ? `http://127.0.0.1:${port}` : "",
    pid,
    child,
    stop: () => stopChild(child),
  };
}

let nextCallId = 0;

/**
 * Asks a bench process started with an IPC channel to do something (`bench/lib/ipc-server.ts` on
 * its side) and resolves with its answer; rejects with its error, or if it exits first.
 */
export function callServer<T>(
  server: RunningBenchServer,
  op: string,
  args: Record<string, unknown> = {},
): Promise<T> {
  const { child } = server;
  const id = ++nextCallId;
  return new Promise<T>((resolve, reject) => {
    const onMessage = (message: unknown) => {
      const m = message as { id?: number; result?: unknown; error?: string } | null;
      if (m?.id !== id) return;
      done();
      if (m.error !== undefined) reject(new Error(`${server.spec.name} ${op}: ${m.error}`));
      else resolve(m.result as T);
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`${server.spec.name} exited (code ${code}) during ${op}`));
    };
    const done = () => {
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    child.on("message", onMessage);
    child.once("exit", onExit);
    child.send({ id, op, ...args });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    // Closing the IPC channel asks the server to close; SIGTERM if there is none any more.
    if (child.connected) child.disconnect();
    else child.kill("SIGTERM");
  });
}

/** Fetches a path once: the bench refuses to measure a route that does not answer 200. */
export async function fetchJson(baseUrl: string, path: string): Promise<unknown> {
  const response = await fetch(`${baseUrl}${path}`);
  if (response.status !== 200) {
    throw new Error(`GET ${baseUrl}${path} answered ${response.status}: ${await response.text()}`);
  }
  return response.json();
}

/** Checks that every server answers the path with the same body. */
export async function assertSameBodies(
  servers: readonly RunningBenchServer[],
  path: string,
): Promise<void> {
  const bodies = await Promise.all(servers.map((s) => fetchJson(s.baseUrl, path)));
  const [first, ...rest] = bodies;
  rest.forEach((body, i) => {
    if (!isDeepStrictEqual(body, first)) {
      throw new Error(
        `GET ${path}: ${servers[i + 1]?.spec.name} and ${servers[0]?.spec.name} answer differently`,
      );
    }
  });
}

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** Share of one core the server used while under load. */
  serverCpu: number;
  /** Share of one core this process (autocannon) used. */
  loadCpu: number;
  /**
   * CPU (in cores) used by everything else on the machine during the run, plus time stolen by
   * the hypervisor: both should be near 0, or the run was disturbed.
   */
  otherCpu: number;
  /** Non-2xx answers, connection errors and timeouts: should be 0. */
  failures: number;
}

/** One autocannon run against a running server, with both sides' CPU use. */
export async function load(
  server: RunningBenchServer,
  path: string,
  options: { connections: number; seconds: number },
): Promise<LoadResult> {
  const stop = cpuMeter([server.pid]);
  const result = await autocannon({
    url: `${server.baseUrl}${path}`,
    connections: options.connections,
    duration: options.seconds,
    pipelining: 1,
  });
  const cpu = stop();
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    serverCpu: cpu.watched,
    loadCpu: cpu.self,
    otherCpu: cpu.other,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

/** Server CPU time per request, in µs. */
export const cpuPerRequest = (r: LoadResult): number => (r.serverCpu / r.requestsPerSecond) * 1e6;

export interface CaseSummary {
  runs: LoadResult[];
  requestsPerSecond: number;
  p50: number;
  p99: number;
  serverCpu: number;
  /** Server CPU time per request, in µs: robust when the load generator is the limit. */
  cpuPerRequest: number;
  loadCpu: number;
  otherCpu: number;
  failures: number;
}

export function summarize(runs: LoadResult[]): CaseSummary {
  const pick = (f: (r: LoadResult) => number) => median(runs.map(f));
  return {
    runs,
    requestsPerSecond: pick((r) => r.requestsPerSecond),
    p50: pick((r) => r.p50),
    p99: pick((r) => r.p99),
    serverCpu: pick((r) => r.serverCpu),
    cpuPerRequest: pick(cpuPerRequest),
    loadCpu: pick((r) => r.loadCpu),
    otherCpu: pick((r) => r.otherCpu),
    failures: runs.reduce((sum, r) => sum + r.failures, 0),
  };
}
