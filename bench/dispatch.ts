// The dispatch benches: (a) the held rate through the sandbox, (b) the unthrottled dispatcher
// against a bare undici loop, (e) the dispatching process's peak memory. See BENCHMARKS.md.
import { cp, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { ArrivalMillisecond } from "../src/server/modules/sandbox/send-log.js";
import { busiestSecondOfCounts, SANDBOX_ENV } from "../src/server/test/dispatch-harness.js";
import { citizensDuringBroadcast, type CitizenReplies } from "./citizen.js";
import type { HeldResult, TimedResult } from "./servers/dispatch-worker.js";
import type { SandboxHealth } from "./servers/sandbox.js";
import { callServer, startBenchServer, type RunningBenchServer, type ServerSpec } from "./http.js";
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
  /** From now on, inbound messages (not statuses) go on to this webhook URL, or none. */
  forwardInbound(url: string | undefined): void;
  close(): Promise<void>;
}

/**
 * Where the sandbox's webhooks go during the dispatch runs: statuses are answered 200 at once
 * (the dispatching process under test is a worker, `banditore worker`, which takes no
 * webhooks). Inbound messages, while forwarding is on, go on to the web process byte for byte,
 * signature included, and the sandbox gets its answer: what Meta's posts to a web process with
 * DISPATCH=off would be, without 2,000 statuses a second on the side.
 */
export async function startWebhookSink(): Promise<WebhookSink> {
  let received = 0;
  let forwardTo: string | undefined;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received += 1;
      const body = Buffer.concat(chunks);
      if (!forwardTo || !body.includes('"messages":[')) {
        response.end("ok");
        return;
      }
      fetch(forwardTo, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-hub-signature-256": String(request.headers["x-hub-signature-256"] ?? ""),
        },
        body,
      }).then(
        async (answer) => response.writeHead(answer.status).end(await answer.text()),
        () => response.writeHead(502).end(),
      );
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/whatsapp`,
    received: () => received,
    forwardInbound: (url) => (forwardTo = url),
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

/** Starts a server of the run pinned to `cpu`, and records it in `place.running` for the end. */
async function startPlaced(
  place: Placement,
  spec: ServerSpec,
  cpu: number,
  dataDir: string,
): Promise<RunningBenchServer> {
  const server = await startBenchServer(spec, { taskset: place.taskset, cpu, dataDir });
  place.running.push(server);
  return server;
}

/** What every server of the dispatch runs shares: the comuni, cloud mode, their secrets. */
const cloudEnv = (tenantsDir: string) => ({
  TENANTS_DIR: tenantsDir,
  WHATSAPP_MODE: "cloud",
  LOG_LEVEL: "warn",
  ...SANDBOX_ENV,
});

export const CAP = 1000;
export const LATENCY_MS = 100;

export async function startSandbox(
  place: Placement,
  tenantsDir: string,
  webhookUrl: string,
  /** The compiled sandbox (bench/lib/build.ts), as `banditore sandbox` runs from dist/. */
  compiled: string,
  /** Extra Node.js flags, e.g. `--cpu-prof` under --profile. */
  nodeArgs: string[] = [],
): Promise<RunningBenchServer> {
  const spec: ServerSpec = {
    name: "sandbox",
    entry: "sandbox.ts",
    compiled,
    // Pinned to one CPU, V8's parallel scavenges wait for helper threads that share that CPU:
    // scavenges of 15–33 ms, whose stalls bunch our requests into 130429s. One GC thread keeps
    // the sandbox steady (BENCHMARKS.md, 2026-12-07). --sandbox-flags=--no-single-threaded-gc
    // turns it off.
    nodeArgs: ["--single-threaded-gc", ...nodeArgs],
    env: {
      ...cloudEnv(tenantsDir),
      SANDBOX_WEBHOOK_URL: webhookUrl,
      SANDBOX_SETTINGS: JSON.stringify({
        throughputPerSecond: CAP,
        latencyMs: LATENCY_MS,
        // 100,000 recipients outside their window: the tier must not be what stops them.
        messagingLimitTier: "TIER_UNLIMITED",
      }),
    },
  };
  return startPlaced(place, spec, place.otherCpu, path.join(place.scratch, "sandbox"));
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
    env: { ...cloudEnv(tenantsDir), WHATSAPP_GRAPH_URL: graphUrl, ...options.env },
    ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
  };
  return startPlaced(place, spec, place.cpu, path.join(place.scratch, "worker"));
}

/**
 * A web process (`banditore serve` with DISPATCH=off) on the dispatching process's database: it
 * takes the citizens' webhooks, handles them and queues the replies, which the worker sends.
 */
export async function startWebProcess(
  place: Placement,
  tenantsDir: string,
  graphUrl: string,
  dataDir: string,
  compiled: string,
): Promise<RunningBenchServer> {
  const spec: ServerSpec = {
    name: "web process (DISPATCH=off)",
    entry: "ours.ts",
    compiled,
    env: { ...cloudEnv(tenantsDir), WHATSAPP_GRAPH_URL: graphUrl, DISPATCH: "off" },
  };
  return startPlaced(place, spec, place.cpu, dataDir);
}

export interface HeldRun {
  subscribers: number;
  /** Time limit on the sending (the 1M run), or undefined: until the broadcast is sent. */
  stopAfterMs: number | undefined;
  worker: HeldResult;
  /** From the sandbox's send log (its arrivals per millisecond), this run's requests. */
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
  /**
   * The sandbox's event-loop delay and GC pauses over the run (its stalls bunch what arrives
   * meanwhile), and its memory at the end.
   */
  sandboxHealth: SandboxHealth;
  /** Item 7: citizens writing during the run, when asked for. */
  citizens: CitizenReplies | undefined;
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
  options: {
    stopAfterMs?: number;
    /** Item 7: the web process that takes the citizens' webhooks, and how many write. */
    citizens?: { web: RunningBenchServer; tries: number };
  } = {},
): Promise<HeldRun> {
  const { stopAfterMs, citizens } = options;
  const from = (await arrivals(sandbox, Number.MAX_SAFE_INTEGER)).total;
  await callServer<SandboxHealth>(sandbox, "health");
  const sandboxCpu = processCpuSeconds(sandbox.pid);
  const stop = cpuMeter([worker.pid, sandbox.pid, ...(citizens ? [citizens.web.pid] : [])]);
  // The citizens write from 2 s into the sending until 2 s before its end (at the cap).
  const writing = citizens
    ? citizensDuringBroadcast(sandbox, {
        tries: citizens.tries,
        gapMs: Math.max(10, ((subscribers - 4 * CAP) / CAP / citizens.tries) * 1000),
        sendsBefore: from,
        warmUp: 2 * CAP,
      })
    : undefined;
  const [result, citizenReplies] = await Promise.all([
    callServer<HeldResult>(worker, "held", {
      dataDir,
      ...(stopAfterMs === undefined ? {} : { stopAfterMs }),
    }),
    writing,
  ]);
  const cpu = stop();
  const sandboxHealth = await callServer<SandboxHealth>(sandbox, "health");
  const sandboxShare = (processCpuSeconds(sandbox.pid) - sandboxCpu) / cpu.seconds;
  const { millis } = await arrivals(sandbox, from);
  const sum = (column: 1 | 2 | 3) => millis.reduce((n, m) => n + m[column], 0);
  return {
    subscribers,
    stopAfterMs,
    worker: result,
    requests: sum(1) + sum(2) + sum(3),
    accepted: sum(1),
    throttled: sum(2),
    otherErrors: sum(3),
    achievedPerSecond: rateAfterRamp(millis.map((m): [number, number] => [m[0], m[1]])),
    // Every request that arrived, accepted or refused: what Meta's counter would have seen.
    maxWindow: busiestSecondOfCounts(
      millis.map((m): [number, number] => [m[0], m[1] + m[2] + m[3]]),
    ),
    sandboxHealth,
    citizens: citizenReplies,
    workerCpu: result.cpuSeconds / result.sendingSeconds,
    sandboxCpu: sandboxShare,
    otherCpu: cpu.other,
  };
}

/**
 * Per second, the sends from one second after the first to the last, from `[at, count]` pairs
 * in time order.
 */
export function rateAfterRamp(counts: readonly (readonly [number, number])[]): number {
  const sent = counts.filter(([, n]) => n > 0);
  const from = (sent[0]?.[0] ?? 0) + 1000;
  const steady = sent.filter(([at]) => at >= from);
  const span = ((steady.at(-1)?.[0] ?? 0) - from) / 1000;
  return span > 0 ? steady.reduce((n, [, count]) => n + count, 0) / span : Number.NaN;
}

/**
 * The sandbox's arrivals at Concorezzo's number from request `from` on, per millisecond
 * (its compact send log: every request of a run, however long). Throws if the log no longer
 * holds them all.
 */
async function arrivals(
  sandbox: RunningBenchServer,
  from: number,
): Promise<{ total: number; millis: ArrivalMillisecond[] }> {
  const response = await fetch(
    `${sandbox.baseUrl}/sandbox/api/sends/arrivals?from=${from}&phoneNumberId=${PHONE_NUMBER_ID}`,
  );
  if (!response.ok) throw new Error(`send log: ${response.status}`);
  const body = (await response.json()) as {
    total: number;
    first: number;
    millis: ArrivalMillisecond[];
  };
  if (body.first > from) throw new Error(`send log: requests from ${from} on are no longer kept`);
  return body;
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
