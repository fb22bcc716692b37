// The dispatch benches: (a) the held rate through the sandbox, (b) the unthrottled dispatcher
// against a bare undici loop, (e) the dispatching process's peak memory. See BENCHMARKS.md.
import { cp, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { SendLogEntry } from "../src/server/modules/sandbox/sandbox-state.js";
import { busiestSecond, SANDBOX_ENV } from "../src/server/test/dispatch-harness.js";
import type { HeldResult, TimedResult } from "./servers/dispatch-worker.js";
import { callServer, startBenchServer, type RunningBenchServer, type ServerSpec } from "./http.js";
import type { LoopDelay } from "./lib/ipc-server.js";
import { cpuMeter, processCpuSeconds } from "./lib/machine.js";

const SHIPPED_TENANTS = new URL("../config/tenants/", import.meta.url).pathname;
/** Concorezzo's number in the shipped tenant files. */
export const PHONE_NUMBER_ID = "100000000000001";

/** A copy of the shipped comuni with Concorezzo at `rate` msg/s (the file's maximum is 1,000). */
export async function tenantsWithRate(dir: string, rate: number): Promise<string> {
  await cp(SHIPPED_TENANTS, dir, { recursive: true });
  const file = path.join(dir, "concorezzo.yaml");
  const text = await readFile(file, "utf8");
  await writeFile(
    file,
    text.replace("  secretsFromEnv:", `  ratePerSecond: ${rate}\n  secretsFromEnv:`),
  );
  return dir;
}

export interface WebhookSink {
  url: string;
  received(): number;
  close(): Promise<void>;
}

/**
 * Where the sandbox's status webhooks go during the dispatch runs: answers 200 at once. The
 * dispatching process under test is a worker (`banditore worker`), which takes no webhooks.
 */
export async function startWebhookSink(): Promise<WebhookSink> {
  let received = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      received += 1;
      response.end("ok");
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/whatsapp`,
    received: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Placement {
  taskset: string | undefined;
  /** The dispatching process's CPU. */
  cpu: number;
  /** The sandbox's or fake API's CPU (shared with the bench process). */
  otherCpu: number;
  scratch: string;
  running: RunningBenchServer[];
}

export const CAP = 1000;
export const LATENCY_MS = 100;

export async function startSandbox(
  place: Placement,
  tenantsDir: string,
  webhookUrl: string,
  /** The compiled sandbox (bench/lib/build.ts), as `banditore sandbox` runs from dist/. */
  compiled: string,
): Promise<RunningBenchServer> {
  const spec: ServerSpec = {
    name: "sandbox",
    entry: "sandbox.ts",
    compiled,
    env: {
      TENANTS_DIR: tenantsDir,
      WHATSAPP_MODE: "cloud",
      LOG_LEVEL: "warn",
      ...SANDBOX_ENV,
      SANDBOX_WEBHOOK_URL: webhookUrl,
      SANDBOX_SETTINGS: JSON.stringify({
        throughputPerSecond: CAP,
        latencyMs: LATENCY_MS,
        // 100,000 recipients outside their window: the tier must not be what stops them.
        messagingLimitTier: "TIER_UNLIMITED",
      }),
    },
  };
  const server = await startBenchServer(spec, {
    taskset: place.taskset,
    cpu: place.otherCpu,
    dataDir: path.join(place.scratch, "sandbox"),
  });
  place.running.push(server);
  return server;
}

export async function startDispatchWorker(
  place: Placement,
  tenantsDir: string,
  graphUrl: string,
  options: {
    name?: string;
    env?: Record<string, string>;
    nodeArgs?: string[];
    /** The compiled worker (bench/lib/build.ts): production's plain `node`, no tsx. */
    compiled?: string;
  } = {},
): Promise<RunningBenchServer> {
  const spec: ServerSpec = {
    name: options.name ?? "dispatching process",
    entry: "dispatch-worker.ts",
    ...(options.compiled ? { compiled: options.compiled } : {}),
    env: {
      TENANTS_DIR: tenantsDir,
      WHATSAPP_MODE: "cloud",
      WHATSAPP_GRAPH_URL: graphUrl,
      LOG_LEVEL: "warn",
      ...SANDBOX_ENV,
      ...options.env,
    },
    ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
  };
  const server = await startBenchServer(spec, {
    taskset: place.taskset,
    cpu: place.cpu,
    dataDir: path.join(place.scratch, "worker"),
  });
  place.running.push(server);
  return server;
}

export interface HeldRun {
  subscribers: number;
  /** Time limit on the sending (the 1M run), or undefined: until the broadcast is sent. */
  stopAfterMs: number | undefined;
  worker: HeldResult;
  /** From the sandbox's send log, this run's entries. */
  requests: number;
  accepted: number;
  throttled: number;
  otherErrors: number;
  /**
   * Accepted sends per second after the first second (the start-up ramp): those accepted from
   * one second after the first on, over the time from then to the last.
   */
  achievedPerSecond: number;
  /** The most requests that arrived (accepted or refused) in any sliding one-second window. */
  maxWindow: number;
  /** The sandbox's event-loop delay over the run: its stalls bunch what arrives meanwhile. */
  sandboxLoop: LoopDelay;
  /** Shares of one core over the sending. */
  workerCpu: number;
  sandboxCpu: number;
  otherCpu: number;
}

/**
 * One broadcast to the `subscribers` already seeded in `dataDir`, through the sandbox at the
 * cap, watched from both ends.
 */
export async function heldRun(
  worker: RunningBenchServer,
  sandbox: RunningBenchServer,
  dataDir: string,
  subscribers: number,
  stopAfterMs?: number,
): Promise<HeldRun> {
  const before = await sendLog(sandbox, 0);
  const from = before.total;
  await callServer<LoopDelay>(sandbox, "loopDelay");
  const sandboxCpu = processCpuSeconds(sandbox.pid);
  const stop = cpuMeter([worker.pid, sandbox.pid]);
  const result = await callServer<HeldResult>(worker, "held", {
    dataDir,
    ...(stopAfterMs === undefined ? {} : { stopAfterMs }),
  });
  const cpu = stop();
  const sandboxLoop = await callServer<LoopDelay>(sandbox, "loopDelay");
  const sandboxShare = (processCpuSeconds(sandbox.pid) - sandboxCpu) / cpu.seconds;
  const { sends } = await sendLog(sandbox, from);
  const accepted = sends.filter((s) => s.wamid);
  return {
    subscribers,
    stopAfterMs,
    worker: result,
    requests: sends.length,
    accepted: accepted.length,
    throttled: sends.filter((s) => s.code === 130429).length,
    otherErrors: sends.filter((s) => !s.wamid && s.code !== 130429).length,
    achievedPerSecond: rateAfterRamp(accepted.map((s) => s.at)),
    // Every request that arrived, accepted or refused: what Meta's counter would have seen.
    maxWindow: busiestSecond(sends.filter((s) => s.phoneNumberId === PHONE_NUMBER_ID)),
    sandboxLoop,
    workerCpu: result.cpuSeconds / result.sendingSeconds,
    sandboxCpu: sandboxShare,
    otherCpu: cpu.other,
  };
}

/** Per second, the sends from one second after the first to the last. */
export function rateAfterRamp(at: readonly number[]): number {
  const times = [...at].sort((a, b) => a - b);
  const from = (times[0] ?? 0) + 1000;
  const steady = times.filter((t) => t >= from);
  const span = ((steady.at(-1) ?? 0) - from) / 1000;
  return span > 0 ? steady.length / span : Number.NaN;
}

async function sendLog(
  sandbox: RunningBenchServer,
  from: number,
): Promise<{ total: number; sends: SendLogEntry[] }> {
  const response = await fetch(`${sandbox.baseUrl}/sandbox/api/sends?from=${from}`);
  if (!response.ok) throw new Error(`send log: ${response.status}`);
  return (await response.json()) as { total: number; sends: SendLogEntry[] };
}

export interface UnthrottledRound {
  raw: TimedResult;
  ours: TimedResult;
  otherCpu: number;
}

/**
 * (b): a bare undici Pool.request loop, then the whole dispatcher, each sending `rows` messages
 * at `concurrency` in flight against the same fake Graph API, from the same process.
 */
export async function unthrottledRound(
  worker: RunningBenchServer,
  fakeGraph: RunningBenchServer,
  dataDir: string,
  rows: number,
  concurrency: number,
): Promise<UnthrottledRound> {
  const graphUrl = fakeGraph.baseUrl;
  const stop = cpuMeter([worker.pid, fakeGraph.pid]);
  const raw = await callServer<TimedResult>(worker, "raw", {
    graphUrl,
    requests: rows,
    concurrency,
  });
  const ours = await callServer<TimedResult>(worker, "ours", { dataDir, graphUrl, concurrency });
  return { raw, ours, otherCpu: stop().other };
}

export const perSecond = (r: TimedResult): number => r.rows / (r.ms / 1000);
