// `npm run bench`: the HTTP overhead of our stack against bare Fastify, the storage steps a
// broadcast depends on (migrations, subscriber import, expansion), the dispatch engine (held rate
// through the sandbox, unthrottled throughput, memory), webhook ingest, and the expansion of a
// 1M-subscriber broadcast, on SQLite and, when DATABASE_URL is set, PostgreSQL. Every figure is
// a ratio to a baseline measured in the same run. Prints Markdown on stdout (progress goes to
// stderr). See BENCHMARKS.md for what is measured and how to read it.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import type { Engine } from "../src/server/platform/db/dialect.js";
import {
  CAP,
  heldRun,
  LATENCY_MS,
  perSecond,
  startDispatchWorker,
  startSandbox,
  startWebhookSink,
  startWebProcess,
  tenantsWithRate,
  unthrottledRound,
  type HeldRun,
  type Placement,
  type UnthrottledRound,
  type WebhookSink,
} from "./dispatch.js";
import { percentile } from "./citizen.js";
import {
  assertSameBodies,
  callServer,
  cpuPerRequest,
  load,
  startBenchServer,
  summarize,
  type CaseSummary,
  type LoadResult,
  type RunningBenchServer,
  type ServerSpec,
} from "./http.js";
import { compiledEntry, removeCompiled } from "./lib/build.js";
import { verdict, type GoalRow } from "./lib/goals.js";
import { backgroundCpu, cpuMeter, machineFacts, pinSelf, tasksetPath } from "./lib/machine.js";
import { int, median, ms, pct, range, ratio, si, table } from "./lib/stats.js";
import type { ExpansionResult, TimedResult } from "./servers/dispatch-worker.js";
import { EXPANSION_CHUNK } from "../src/server/modules/dispatch/broadcast-expansion.js";
import { RATE_HEADROOM } from "../src/server/modules/dispatch/dispatcher.js";
import {
  engineVersion,
  INSERT_BATCH,
  loadShippedTenants,
  storageRun,
  type StorageRun,
} from "./storage.js";
import { floodRun, startFakeGraph, type FloodResult } from "./flood.js";
import { benchStartup, startupSection, type StartupRun } from "./startup.js";
import { createTestPostgresDatabase } from "../src/server/test/engines.js";
import {
  APP_SECRET,
  cloudEnv,
  steadyWebhookLoad,
  webhookBodies,
  webhookCpuPerRequest,
  webhookLoad,
  type WebhookLoad,
} from "./webhook.js";

const PARTS = ["http", "storage", "dispatch", "webhook", "expansion", "flood", "startup"] as const;
type Part = (typeof PARTS)[number];

const USAGE = `Usage: npm run bench -- [options]
  --quick             smoke run (≈ 2 min): 1 run of 2 s per case, 20,000 subscribers, 10,000
                      held-rate deliveries, 100,000-subscriber expansion
  --runs N            runs per HTTP and webhook case, per storage engine, unthrottled dispatch
                      rounds (default 3)
  --seconds S         seconds per HTTP and webhook run (default 5)
  --connections C     autocannon connections (default 100)
  --subscribers N     subscribers to import and expand in the storage part (default 200,000)
  --deliveries N      deliveries of the held-rate dispatch run (default 100,000)
  --recipients N      subscribers of the expansion part, and of the largest memory run
                      (default 1,000,000)
  --flood-backlog N   status events stored before the flood part's citizens write
                      (default 50,000)
  --retries N         times a run disturbed by other processes is measured again (default 3;
                      waiting and redoing take 2 minutes at most in all; 0 turns it off)
  --only PARTS        comma-separated: ${PARTS.join(", ")} (default: all)
  --profile DIR       write CPU profiles (node --cpu-prof) of the dispatching process and the
                      sandbox to DIR
  --worker-flags F    extra Node.js flags for the held-rate dispatching process, space-separated
                      (e.g. "--max-semi-space-size=2": an engine setting measured against the
                      default)
  --sandbox-flags F   the same for the sandbox process, which runs with --single-threaded-gc
                      ("--no-single-threaded-gc" undoes it)
  --server-flags F    the same for our web processes of the webhook part (and the split's worker)
Set DATABASE_URL=postgres://… to include PostgreSQL in the storage and expansion parts.`;

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    runs: { type: "string" },
    seconds: { type: "string" },
    connections: { type: "string" },
    subscribers: { type: "string" },
    retries: { type: "string" },
    deliveries: { type: "string" },
    recipients: { type: "string" },
    "flood-backlog": { type: "string" },
    profile: { type: "string" },
    "worker-flags": { type: "string" },
    "sandbox-flags": { type: "string" },
    "server-flags": { type: "string" },
    only: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}

function usageError(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function count(value: string | undefined, fallback: number, name: string, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value.replaceAll(/[_,]/g, ""));
  if (!Number.isInteger(n) || n < min) usageError(`--${name} must be an integer ≥ ${min}`);
  return n;
}

/** Extra Node.js flags given as one space-separated option. */
function nodeFlags(name: "worker-flags" | "sandbox-flags" | "server-flags"): string[] {
  const list = (flags[name] ?? "").split(" ").filter(Boolean);
  if (list.some((f) => !f.startsWith("--"))) usageError(`--${name} takes Node.js flags`);
  return list;
}
/** Of the held-rate dispatching process (--worker-flags) and of the sandbox (--sandbox-flags). */
const workerFlags = nodeFlags("worker-flags");
const sandboxFlags = nodeFlags("sandbox-flags");
/** Of our processes in the webhook part (--server-flags). */
const serverFlags = nodeFlags("server-flags");

const only = new Set<string>(
  (flags.only ?? PARTS.join(","))
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean),
);
for (const part of only) {
  if (!(PARTS as readonly string[]).includes(part)) {
    usageError(`--only: "${part}" is not one of ${PARTS.join(", ")}`);
  }
}
const runs = (part: Part) => only.has(part);
const options = {
  runs: count(flags.runs, flags.quick ? 1 : 3, "runs"),
  seconds: count(flags.seconds, flags.quick ? 2 : 5, "seconds"),
  warmupSeconds: 1,
  connections: count(flags.connections, 100, "connections"),
  subscribers: count(flags.subscribers, flags.quick ? 20_000 : 200_000, "subscribers"),
  retries: count(flags.retries, flags.quick ? 1 : 3, "retries", 0),
  deliveries: count(flags.deliveries, flags.quick ? 10_000 : 100_000, "deliveries", 100),
  recipients: count(flags.recipients, flags.quick ? 100_000 : 1_000_000, "recipients", 1000),
  floodBacklog: count(flags["flood-backlog"], flags.quick ? 20_000 : 50_000, "flood-backlog", 1000),
  profile: flags.profile === undefined ? undefined : path.resolve(flags.profile),
};

/** Baselines from docs/performance-baseline.md §2.3/§2.4 (the benchmark machine, 1M rows). */
const BASELINE = {
  sqlite: { insert: 614_000, expand: 2_720_000 },
  postgres: { insert: 314_000, expand: 374_000 },
} as const;

/** A run is disturbed when the rest of the machine used more than this share of one core. */
const DISTURBED = 0.2;
const SERVER_CPU = 0;
const LOAD_CPU = 1;

const progress = (message: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

const facts = machineFacts();
const idleLoad = await backgroundCpu();
if (idleLoad > 0.05) {
  progress(`warning: ${pct(idleLoad)} of the CPUs busy before the start: something else runs`);
}
// The server under test on CPU 0; this process (autocannon, the DB client) on CPU 1.
const taskset = tasksetPath();
const pinned = taskset !== undefined && pinSelf(taskset, LOAD_CPU);

const running: RunningBenchServer[] = [];
let scratchDir: string | undefined;
const sinks: WebhookSink[] = [];
async function cleanUp() {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await Promise.all(sinks.splice(0).map((s) => s.close()));
  await removeCompiled();
  if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
  scratchDir = undefined;
}
const newScratch = (name: string) => {
  if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
  scratchDir = mkdtempSync(path.join(os.tmpdir(), `banditore-bench-${name}-`));
  return scratchDir;
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping the servers`);
    void cleanUp().finally(() => process.exit(130));
  });
}

/** Time the bench may spend, in all, waiting for quiet and redoing disturbed runs. */
const PATIENCE_MS = 120_000;
const patienceGiven = options.retries > 0 ? PATIENCE_MS : 0;
let patienceLeft = patienceGiven;
let impatient = options.retries === 0;

/**
 * Waits for the machine to be quiet, then measures; when other processes were busy meanwhile
 * (a shared VM, a test suite running next door), measures again, up to `options.retries`
 * times. The last attempt is kept either way, and the caller reports how many were redone.
 * All waiting and redoing together is capped at PATIENCE_MS, so a busy machine slows the
 * bench by at most that much.
 */
async function undisturbed<T>(
  label: string,
  measure: () => Promise<T>,
  otherCpu: (result: T) => number,
): Promise<{ result: T; redone: number }> {
  for (let attempt = 0; ; attempt++) {
    await waitForQuiet();
    const started = performance.now();
    const result = await measure();
    const other = otherCpu(result);
    if (other <= DISTURBED || attempt >= options.retries || patienceLeft <= 0) {
      return { result, redone: attempt };
    }
    patienceLeft -= performance.now() - started;
    progress(`${label}: other processes used ${pct(other)} of a core; measuring again`);
  }
}

/** Waits until the machine uses less than 5% of a core without us, while patience lasts. */
async function waitForQuiet(): Promise<void> {
  const started = performance.now();
  while (patienceLeft - (performance.now() - started) > 0) {
    if ((await backgroundCpu(500)) * facts.logicalCpus < 0.05) break;
  }
  patienceLeft -= performance.now() - started;
  if (patienceLeft <= 0 && !impatient) {
    impatient = true;
    progress("spent the time allowed for waiting on other processes: measuring as things are");
  }
}

// --- HTTP --------------------------------------------------------------------------------------

const BARE: ServerSpec = { name: "bare Fastify 5", entry: "bare.ts" };
const OURS: ServerSpec = {
  name: "Banditore, `LOG_LEVEL=info` (default)",
  entry: "ours.ts",
  env: { LOG_LEVEL: "info" },
};
const OURS_QUIET: ServerSpec = {
  name: "Banditore, `LOG_LEVEL=warn`",
  entry: "ours.ts",
  env: { LOG_LEVEL: "warn" },
};
const HEALTH = "/healthz";
const TENANT = "/api/tenants/concorezzo";

interface HttpCase {
  route: string;
  spec: ServerSpec;
  /** The bare case this one is compared with. */
  versus?: HttpCase;
  results: LoadResult[];
  redone: number;
}

async function benchHttp(): Promise<HttpCase[]> {
  newScratch("http");
  const servers = new Map<ServerSpec, RunningBenchServer>();
  for (const [i, spec] of [BARE, OURS, OURS_QUIET].entries()) {
    progress(`starting ${spec.name}`);
    const server = await startBenchServer(spec, {
      taskset: pinned ? taskset : undefined,
      cpu: SERVER_CPU,
      dataDir: path.join(scratchDir ?? os.tmpdir(), `server-${i}`),
    });
    running.push(server);
    servers.set(spec, server);
  }
  const all = [...servers.values()];
  await assertSameBodies(all, HEALTH);
  await assertSameBodies(all, TENANT);

  const make = (route: string, spec: ServerSpec, versus?: HttpCase): HttpCase => ({
    route,
    spec,
    ...(versus ? { versus } : {}),
    results: [],
    redone: 0,
  });
  const bareHealth = make(HEALTH, BARE);
  const bareTenant = make(TENANT, BARE);
  const cases = [
    bareHealth,
    make(HEALTH, OURS, bareHealth),
    bareTenant,
    make(TENANT, OURS, bareTenant),
    make(TENANT, OURS_QUIET, bareTenant),
  ];
  const serverOf = (c: HttpCase) => {
    const server = servers.get(c.spec);
    if (!server) throw new Error(`no server for ${c.spec.name}`);
    return server;
  };

  for (const c of cases) {
    progress(`warm-up ${c.spec.name} ${c.route}`);
    await load(serverOf(c), c.route, {
      connections: options.connections,
      seconds: options.warmupSeconds,
    });
  }
  // Runs are interleaved (every case, then every case again), so drift hits all cases alike.
  for (let run = 1; run <= options.runs; run++) {
    for (const c of cases) {
      const label = `run ${run}/${options.runs} ${c.spec.name} ${c.route}`;
      const { result, redone } = await undisturbed(
        label,
        () =>
          load(serverOf(c), c.route, {
            connections: options.connections,
            seconds: options.seconds,
          }),
        (r) => r.otherCpu,
      );
      c.results.push(result);
      c.redone += redone;
      progress(
        `${label}: ${si(result.requestsPerSecond)} req/s, p50 ${result.p50} ms, ` +
          `p99 ${result.p99} ms, server CPU ${pct(result.serverCpu)}, ` +
          `other CPU ${pct(result.otherCpu)}` +
          (result.failures ? `, ${result.failures} FAILURES` : ""),
      );
    }
  }
  await cleanUp();
  return cases;
}

/**
 * Median over runs of ours ÷ bare, each run paired with the bare run measured just before it:
 * the machine's speed drifts (a shared VM), and a pair taken seconds apart shares the drift.
 */
function paired<R>(c: { results: R[] }, bare: { results: R[] }, f: (r: R) => number): number {
  return median(
    c.results.flatMap((r, i) => {
      const b = bare.results[i];
      return b ? [f(r) / f(b)] : [];
    }),
  );
}

function httpSection(cases: HttpCase[]): string {
  const summaries = new Map<HttpCase, CaseSummary>(cases.map((c) => [c, summarize(c.results)]));
  const summary = (c: HttpCase) => {
    const s = summaries.get(c);
    if (!s) throw new Error("unreachable");
    return s;
  };
  const rows = cases.map((c) => {
    const s = summary(c);
    const versus = c.versus;
    return [
      `\`GET ${c.route}\``,
      c.spec.name,
      `**${si(s.requestsPerSecond)}**`,
      range(c.results.map((r) => r.requestsPerSecond)),
      `${s.p50} / ${s.p99} ms`,
      pct(s.serverCpu),
      `${s.cpuPerRequest.toFixed(1)} µs`,
      pct(s.loadCpu),
      pct(s.otherCpu),
      versus ? `**${pct(paired(c, versus, (r) => r.requestsPerSecond))}**` : "(baseline)",
      versus ? `**${ratio(paired(c, versus, cpuPerRequest))}**` : "(baseline)",
    ];
  });
  const failures = cases
    .filter((c) => summary(c).failures > 0)
    .map((c) => `${c.spec.name} \`${c.route}\`: ${summary(c).failures}`);
  const redone = cases.reduce((n, c) => n + c.redone, 0);
  return [
    table(
      [
        "route",
        "server",
        "req/s (median)",
        "range",
        "p50 / p99",
        "server CPU",
        "server CPU per request",
        "worker CPU",
        "autocannon CPU",
        "other CPU ¹",
        "req/s: ours / bare",
        "CPU per request: ours / bare",
      ],
      rows,
    ),
    "",
    failures.length
      ? `**Non-2xx answers, errors or timeouts:** ${failures.join("; ")}.`
      : "Every request answered 200 (no non-2xx, errors or timeouts).",
    "",
    "CPU columns are shares of one core (100% = one core busy). Server CPU per request = server " +
      "CPU time ÷ requests: it holds whether the server or autocannon was the limit. The two " +
      "ours / bare columns are medians of per-run ratios, each run against the bare run of the " +
      "same round.  ",
    `¹ CPU used by everything else on the machine during the run, plus hypervisor steal. Each ` +
      `run starts once the machine is quiet; runs where this exceeded ${pct(DISTURBED)} of a core ` +
      `were measured again (up to ${options.retries} times): ${redone} of ` +
      `${cases.length * options.runs} here.`,
  ].join("\n");
}

// --- storage -----------------------------------------------------------------------------------

interface StorageSample extends StorageRun {
  otherCpu: number;
}

interface EngineResult {
  engine: Engine;
  version: string;
  runs: StorageSample[];
  redone: number;
}

async function benchStorage(): Promise<EngineResult[]> {
  const tenants = await loadShippedTenants();
  const engines: Engine[] = process.env.DATABASE_URL ? ["sqlite", "postgres"] : ["sqlite"];
  const results: EngineResult[] = [];
  for (const engine of engines) {
    const version = await engineVersion(engine);
    const result: EngineResult = { engine, version, runs: [], redone: 0 };
    for (let run = 1; run <= options.runs; run++) {
      const label = `${engine} run ${run}/${options.runs}`;
      const { result: r, redone } = await undisturbed(
        label,
        async (): Promise<StorageSample> => {
          const stop = cpuMeter([], { postgres: engine === "postgres" });
          const timings = await storageRun(engine, tenants, options.subscribers);
          return { ...timings, otherCpu: stop().other };
        },
        (r) => r.otherCpu,
      );
      result.runs.push(r);
      result.redone += redone;
      progress(
        `${label}: migrate ${ms(r.migrateMs)}, ` +
          `insert ${si(options.subscribers / (r.insertMs / 1000))} rows/s, ` +
          `expand ${si(options.subscribers / (r.expandMs / 1000))} rows/s, ` +
          `re-run ${ms(r.rerunMs)}, other CPU ${pct(r.otherCpu)}`,
      );
    }
    results.push(result);
  }
  return results;
}

function storageSection(results: EngineResult[]): string {
  const n = options.subscribers;
  const rows: string[][] = [];
  for (const { engine, version, runs } of results) {
    const label = engine === "sqlite" ? `SQLite ${version}` : `PostgreSQL ${version}`;
    const step = (
      name: string,
      pick: (r: StorageRun) => number,
      perRow: boolean,
      baseline?: number,
      note = "",
    ) => {
      const times = runs.map(pick);
      const rowsPerSecond = perRow ? n / (median(times) / 1000) : Number.NaN;
      return [
        label,
        name,
        ms(median(times)),
        range(times, ms),
        perRow ? `**${si(rowsPerSecond)}**` : "–",
        baseline ? `${si(baseline)}${note}` : "–",
        baseline ? `**${ratio(rowsPerSecond / baseline)}**` : "–",
      ];
    };
    const base = BASELINE[engine];
    rows.push(
      step("migrate a fresh database", (r) => r.migrateMs, false),
      step(
        `insert ${int(n)} active subscribers (multi-row INSERTs of ${int(INSERT_BATCH)})`,
        (r) => r.insertMs,
        true,
        base.insert,
        " ²",
      ),
      step(
        `expand one broadcast: \`INSERT … SELECT\` of ${int(n)} deliveries`,
        (r) => r.expandMs,
        true,
        base.expand,
        " ³",
      ),
      step("same expansion again (0 rows added) ⁴", (r) => r.rerunMs, true),
    );
  }
  const other = results
    .map(
      (r) =>
        `${r.engine} ${pct(median(r.runs.map((s) => s.otherCpu)))} (${r.redone} run(s) measured again)`,
    )
    .join(", ");
  return [
    table(
      [
        "engine",
        "step",
        "time (median)",
        "range",
        "rows/s (median)",
        "baseline rows/s",
        "ours / baseline",
      ],
      rows,
    ),
    "",
    "² Baseline import: §2.3 prepared single-row INSERT loop in one transaction (SQLite), §2.4 " +
      "server-side `generate_series` (PostgreSQL); ours goes through Kysely, so the ratio is " +
      "indicative only.  ",
    "³ Baseline expansion: `INSERT … SELECT` of 1M rows into a table with " +
      "`UNIQUE(broadcast_id, subscriber_id)` and a partial wamid index (§2.3, §2.4).  ",
    "⁴ rows/s here is subscribers checked against the unique index per second.  ",
    `Other CPU during the storage runs (median; PostgreSQL's own processes excluded): ${other}.`,
    ...(process.env.DATABASE_URL ? [] : ["", "PostgreSQL skipped: DATABASE_URL is not set."]),
  ].join("\n");
}

// --- dispatch (a, b, e) --------------------------------------------------------------------------

/**
 * In flight for the unthrottled run: the baseline's D1 setting (docs/performance-baseline.md §2.2,
 * 50 in flight).
 */
const UNTHROTTLED_CONCURRENCY = 50;
/** The largest memory run sends for this long only: 1M at the cap would take 17 minutes. */
const LARGE_RUN_MS = 15_000;
const MB = 1024 * 1024;
/** Item 7: citizens writing "ATTIVA ISCRIZIONE" during the held-rate run. */
const CITIZEN_TRIES = 100;
/** Item 7: a citizen's reply within a second (p99), whatever is being broadcast. */
const CITIZEN_GOAL_MS = 1000;

interface UnthrottledResult {
  rows: number;
  rounds: UnthrottledRound[];
  redone: number;
}

interface DispatchResults {
  unthrottled: UnthrottledResult | undefined;
  /** (a): options.deliveries through the sandbox at the cap. */
  held: HeldRun | undefined;
  /** (e): 10,000 recipients, and options.recipients for LARGE_RUN_MS. */
  memory: HeldRun[];
  /** D3's baseline: a bare undici loop paced as the held run, through the same sandbox. */
  paced: TimedResult | undefined;
}

const compiledWorker = () => compiledEntry("dispatch-worker.ts");

/** The rate the dispatcher holds at the cap: the baseline of its CPU is paced at it. */
const HELD_RATE = CAP * RATE_HEADROOM;

function placement(scratch: string): Placement {
  return {
    taskset: pinned ? taskset : undefined,
    cpu: SERVER_CPU,
    otherCpu: LOAD_CPU,
    scratch,
    running,
  };
}

async function stopServer(server: RunningBenchServer): Promise<void> {
  running.splice(running.indexOf(server), 1);
  await server.stop();
}

async function benchDispatch(): Promise<DispatchResults> {
  const scratch = newScratch("dispatch");
  const place = placement(scratch);
  const tenantsDir = await tenantsWithRate(path.join(scratch, "tenants"), CAP);
  const sink = await startWebhookSink();
  sinks.push(sink);
  const profile = options.profile
    ? { nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${options.profile}`] }
    : {};
  if (options.profile) mkdirSync(options.profile, { recursive: true });
  progress("starting the sandbox and the fake Graph API");
  const sandbox = await startSandbox(
    place,
    tenantsDir,
    sink.url,
    await compiledEntry("sandbox.ts"),
    [...sandboxFlags, ...(profile.nodeArgs ?? [])],
  );
  const graphUrl = `${sandbox.baseUrl}/sandbox/graph`;

  // (b) Unthrottled: the whole dispatcher against a bare undici loop, same process, same server.
  const fake = await startBenchServer(
    { name: "fake Graph API", entry: "fake-graph.ts" },
    { taskset: place.taskset, cpu: LOAD_CPU, dataDir: path.join(scratch, "fake") },
  );
  running.push(fake);
  const rows = flags.quick ? 20_000 : 50_000;
  const unthrottledWorker = await startDispatchWorker(place, tenantsDir, graphUrl, {
    name: "dispatching process (unthrottled)",
    compiled: await compiledWorker(),
  });
  const warm = path.join(scratch, "warm");
  const data = path.join(scratch, "unthrottled");
  await callServer(unthrottledWorker, "seed", { dataDir: warm, subscribers: 5_000 });
  await callServer(unthrottledWorker, "seed", { dataDir: data, subscribers: rows });
  progress("unthrottled dispatch: warm-up");
  await unthrottledRound(unthrottledWorker, fake, warm, 5_000, UNTHROTTLED_CONCURRENCY);
  const unthrottled: UnthrottledResult = { rows, rounds: [], redone: 0 };
  for (let run = 1; run <= options.runs; run++) {
    const label = `unthrottled dispatch ${run}/${options.runs}`;
    const { result, redone } = await undisturbed(
      label,
      () => unthrottledRound(unthrottledWorker, fake, data, rows, UNTHROTTLED_CONCURRENCY),
      (r) => r.otherCpu,
    );
    unthrottled.rounds.push(result);
    unthrottled.redone += redone;
    progress(
      `${label}: raw ${si(perSecond(result.raw))} msg/s, ours ${si(perSecond(result.ours))} ` +
        `msg/s, CPU per message bare / ours ${pct(cpuPerMessageRatio(result))}, ` +
        `other CPU ${pct(result.otherCpu)}`,
    );
  }
  await stopServer(unthrottledWorker);
  await stopServer(fake);

  // (a) and (e): `banditore worker` through the sandbox at the cap, each run in a fresh process
  // (its peak memory is its own), on a database seeded by another process.
  const seeder = await startDispatchWorker(place, tenantsDir, graphUrl, {
    name: "seeder",
    compiled: await compiledWorker(),
  });
  const heldRunIn = async (
    name: string,
    recipients: number,
    options: { stopAfterMs?: number; citizens?: number } = {},
  ) => {
    const { stopAfterMs } = options;
    const dataDir = path.join(scratch, name);
    progress(
      `${name}: seeding ${int(recipients)} subscribers, then sending at ${CAP}/s with ` +
        `${LATENCY_MS} ms API latency` +
        (stopAfterMs ? ` for ${stopAfterMs / 1000} s` : ` (≈ ${Math.ceil(recipients / CAP)} s)`),
    );
    await callServer(seeder, "seed", { dataDir, subscribers: recipients });
    // Item 7: the citizens' webhooks need a web process; the worker alone takes none.
    const web = options.citizens
      ? await startWebProcess(place, tenantsDir, graphUrl, dataDir, await compiledEntry("ours.ts"))
      : undefined;
    sink.forwardInbound(web && `${web.baseUrl}/webhooks/whatsapp`);
    await waitForQuiet();
    const worker = await startDispatchWorker(place, tenantsDir, graphUrl, {
      nodeArgs: ["--expose-gc", ...workerFlags, ...(profile.nodeArgs ?? [])],
      compiled: await compiledWorker(),
    });
    try {
      const run = await heldRun(worker, sandbox, dataDir, recipients, {
        ...(stopAfterMs === undefined ? {} : { stopAfterMs }),
        ...(web && options.citizens ? { citizens: { web, tries: options.citizens } } : {}),
      });
      const replies = run.citizens;
      if (replies) {
        progress(
          `${name}: ${replies.tries} citizens during the broadcast, reply p99 ` +
            `${ms(percentile(replies.latencies, 99))}, slowest ` +
            `${ms(Math.max(...replies.latencies))}, unanswered ${replies.unanswered}`,
        );
      }
      progress(
        `${name}: ${int(run.accepted)} accepted at ${si(run.achievedPerSecond)}/s ` +
          `(${pct(run.achievedPerSecond / CAP)} of the cap), busiest second ${run.maxWindow}, ` +
          `130429 × ${run.throttled}, event-loop delay max: sandbox ` +
          `${ms(run.sandboxHealth.loop.maxMs)}, dispatcher ${ms(run.worker.loopDelay.maxMs)}, ` +
          `sandbox GC max ${ms(run.sandboxHealth.gc.maxMs)} (${run.sandboxHealth.gc.count} ` +
          `pauses, ${ms(run.sandboxHealth.gc.totalMs)} in all), sandbox RSS ` +
          `${Math.round(run.sandboxHealth.rss / MB)} MB (heap ` +
          `${Math.round(run.sandboxHealth.heapUsed / MB)} MB), ` +
          `dispatcher CPU ${pct(run.workerCpu)}, peak RSS ` +
          `${Math.round(run.worker.peakRss / MB)} MB, other CPU ${pct(run.otherCpu)}`,
      );
      return run;
    } finally {
      await stopServer(worker);
      sink.forwardInbound(undefined);
      if (web) await stopServer(web);
    }
  };
  const held = await heldRunIn("held-rate", options.deliveries, { citizens: CITIZEN_TRIES });
  // D3's baseline, in the seeder (the same compiled process, on the worker's CPU): what a bare
  // loop costs at the rate our dispatcher holds (the cap less its headroom).
  await waitForQuiet();
  const paced = await callServer<TimedResult>(seeder, "paced", {
    graphUrl,
    requests: flags.quick ? 5_000 : 20_000,
    ratePerSecond: HELD_RATE,
  });
  progress(
    `bare paced undici loop at ${HELD_RATE}/s through the sandbox: ` +
      `${pct(paced.cpuSeconds / (paced.ms / 1000))} of a core`,
  );
  const memory: HeldRun[] = [];
  if (options.deliveries !== 10_000) memory.push(await heldRunIn("memory-10k", 10_000));
  if (!flags.quick) {
    memory.push(await heldRunIn("memory-large", options.recipients, { stopAfterMs: LARGE_RUN_MS }));
  }
  await cleanUp();
  return { unthrottled, held, memory, paced };
}

function heldRow(label: string, run: HeldRun): string[] {
  const w = run.worker;
  return [
    label,
    `${si(run.accepted)} of ${si(w.deliveries)}`,
    `${w.sendingSeconds.toFixed(1)} s`,
    `**${si(run.achievedPerSecond)}/s (${((run.achievedPerSecond / CAP) * 100).toFixed(1)}%)**`,
    `${run.maxWindow}`,
    `${run.throttled}`,
    `${ms(run.sandboxHealth.loop.maxMs)} / ${ms(run.worker.loopDelay.maxMs)}`,
    `${run.otherErrors}`,
    `**${pct(run.workerCpu)}**`,
    pct(run.sandboxCpu),
    pct(run.otherCpu),
    `**${Math.round(w.peakRss / MB)} MB**`,
    w.heapAfterGc === null ? "–" : `${Math.round(w.heapAfterGc / MB)} MB`,
    `${ms(w.expandMs)} (${ms(w.expandStallMs)})`,
  ];
}

function dispatchSection(results: DispatchResults): string {
  const out: string[] = [];
  const { held, memory, unthrottled, paced } = results;
  if (held) {
    out.push(
      `#### (a) Held rate: through the sandbox at its cap of ${int(CAP)} msg/s, ${LATENCY_MS} ms ` +
        "simulated API latency" +
        (workerFlags.length ? `; the dispatching process with \`${workerFlags.join(" ")}\`` : "") +
        (sandboxFlags.length ? `; the sandbox with \`${sandboxFlags.join(" ")}\`` : ""),
      "",
      table(
        [
          "run",
          "accepted",
          "sending time",
          "achieved rate (of the cap)",
          "busiest 1-s window",
          "130429",
          "longest event-loop delay, sandbox / dispatcher",
          "other errors",
          "dispatcher CPU",
          "sandbox CPU",
          "other CPU",
          "dispatcher peak RSS",
          "JS heap after GC (end)",
          "expansion (longest event-loop stall)",
        ],
        [
          heldRow(`${int(held.subscribers)} recipients`, held),
          ...memory.map((m) =>
            heldRow(
              `${int(m.subscribers)} recipients` +
                (m.stopAfterMs ? ` (first ${m.stopAfterMs / 1000} s of sending)` : ""),
              m,
            ),
          ),
        ],
      ),
      "",
      "The dispatching process is `banditore worker` (startWorker: SQLite, the tenant file at " +
        `ratePerSecond ${CAP}, the Cloud API client over loopback HTTP), one fresh process per run. ` +
        "Rate, busiest window and errors come from the sandbox's send log (arrival times per " +
        "millisecond); the held-rate run's count includes the replies to the citizens of item 7. " +
        "Achieved rate = sends accepted from one second after the first on ÷ the time from then " +
        "to the last (the start-up ramp left out); the busiest window counts every request that " +
        "arrived, accepted or refused. The event-loop delays are each process's longest over the " +
        "run (perf_hooks, 10 ms resolution). CPU is the share of one core over " +
        "the sending (after the expansion); peak RSS is the kernel's high-water mark (VmHWM) over " +
        "the expansion and the sending; the heap after a forced GC at the end tells what stays.",
      "",
      ...(paced
        ? [
            `Baseline of the dispatcher's CPU, same run: a bare undici loop paced at ` +
              `${int(HELD_RATE)}/s (what is due every 4 ms) through the same sandbox, ` +
              `${int(paced.rows)} sends, no database: **${pct(paced.cpuSeconds / (paced.ms / 1000))} ` +
              `of a core**, ${(((paced.cpuSeconds * 1e6) / paced.rows) | 0).toString()} µs per send.`,
            "",
          ]
        : []),
      table(
        [
          "run",
          "sandbox GC pauses",
          "longest GC pause",
          "GC in all",
          "sandbox RSS (heap) at the end",
        ],
        [held, ...memory].map((run) => [
          `${int(run.subscribers)} recipients`,
          int(run.sandboxHealth.gc.count),
          ms(run.sandboxHealth.gc.maxMs),
          ms(run.sandboxHealth.gc.totalMs),
          `${Math.round(run.sandboxHealth.rss / MB)} MB (${Math.round(run.sandboxHealth.heapUsed / MB)} MB)`,
        ]),
      ),
      "",
      "The sandbox's GC pauses over each run (perf_hooks `gc` entries, each a pause of its main " +
        "thread) and its memory at the end: a stall of S ms bunches about S requests into the " +
        "next one-second window.",
      "",
    );
    const replies = held.citizens;
    if (replies) {
      out.push(
        `#### (a) 7 A citizen during the broadcast: ${replies.tries} × "ATTIVA ISCRIZIONE"`,
        "",
        table(
          ["tries", "median", "p99", "slowest", "unanswered"],
          [
            [
              int(replies.tries),
              ms(median(replies.latencies)),
              `**${ms(percentile(replies.latencies, 99))}**`,
              ms(Math.max(...replies.latencies)),
              int(replies.unanswered),
            ],
          ],
        ),
        "",
        "During the held-rate run, sandbox phones (each a new number) write to Concorezzo, one " +
          "every (sending time − 4 s) ÷ tries, from the broadcast's 2,000th send on. The sandbox " +
          "counts each toward the number's throughput and posts the signed webhook; the bench's " +
          "sink passes inbound messages on to a web process (`banditore serve`, DISPATCH=off, " +
          "the worker's SQLite file), which stores, handles and queues the reply; the worker " +
          "sends it through the same token bucket as the broadcast (replies first). Time: from " +
          "just before the phone's message to the reply's arrival at the sandbox (its " +
          "conversation's timestamp, same clock).",
        "",
      );
    }
  }
  if (unthrottled && unthrottled.rounds.length > 0) {
    const ratios = unthrottled.rounds.map(cpuPerMessageRatio);
    const perMessage = (r: { cpuSeconds: number; rows: number }) =>
      `${((r.cpuSeconds / r.rows) * 1e6).toFixed(1)} µs`;
    out.push(
      `#### (b) Unthrottled: the whole dispatcher against a bare undici loop, ` +
        `${UNTHROTTLED_CONCURRENCY} in flight, ${int(unthrottled.rows)} messages per run`,
      "",
      table(
        [
          "round",
          "bare `Pool.request` loop",
          "CPU per message",
          "NumberDispatcher (claim, send, record)",
          "CPU per message",
          "msg/s, ours / bare",
          "CPU per message, bare / ours",
          "other CPU",
        ],
        unthrottled.rounds.map((r, i) => [
          String(i + 1),
          `${si(perSecond(r.raw))} msg/s`,
          perMessage(r.raw),
          `${si(perSecond(r.ours))} msg/s`,
          perMessage(r.ours),
          pct(perSecond(r.ours) / perSecond(r.raw)),
          `**${pct(cpuPerMessageRatio(r))}**`,
          pct(r.otherCpu),
        ]),
      ),
      "",
      `Median CPU per message, bare / ours: **${pct(median(ratios))}** (the goal's figure: the ` +
        "msg/s ratio swings with the fake API's share of the other CPU, the CPU a message costs " +
        "does not). Both sides run in the same pinned " +
        "process against the same fake Graph API (`bench/servers/fake-graph.ts`, node:http " +
        "answering the success JSON, on the other CPU); the dispatcher runs with ratePerSecond " +
        "50,000 (no limit) on SQLite and is timed until no row is queued or in flight. " +
        `Runs measured again for disturbance: ${unthrottled.redone}.`,
      "",
    );
  }
  return out.join("\n");
}

/** (b)'s figure: the CPU one message costs the bare loop, over what it costs the dispatcher. */
function cpuPerMessageRatio(r: UnthrottledRound): number {
  return r.raw.cpuSeconds / r.raw.rows / (r.ours.cpuSeconds / r.ours.rows);
}

// --- webhook ingest (c) ----------------------------------------------------------------------------

interface WebhookCase {
  spec: ServerSpec;
  versus?: WebhookCase;
  results: WebhookLoad[];
  redone: number;
}

interface WebhookResults {
  cases: WebhookCase[];
  /** The real route at a fixed offered rate (the round with the median p99). */
  latency: WebhookLoad | undefined;
  /** The same with INBOUND_PROCESSOR=worker: serve only stores, a worker handles. */
  latencySplit: WebhookLoad | undefined;
  /** Bare Fastify + HMAC under the same steady load. */
  latencyBare: WebhookLoad | undefined;
  /** Every steady round, in the order run (ours and split interleaved). */
  rounds: { name: string; result: WebhookLoad; drainedMs?: number; pending?: number }[];
  bytes: number;
}

/** The split configuration's serve: it stores the webhook events and handles none. */
const SPLIT_NAME = "Banditore, `INBOUND_PROCESSOR=worker` (serve stores, a worker handles)";

const OFFERED_RATE = 3000;
/** Keep-alive connections of the steady load: enough for 3,000 req/s at tens of ms. */
const LATENCY_CONNECTIONS = 50;

async function benchWebhook(): Promise<WebhookResults> {
  const scratch = newScratch("webhook");
  // Nothing is sent: no row is queued. An address where nothing listens, to be sure.
  const cloud = cloudEnv("http://127.0.0.1:9/graph");
  const bare: ServerSpec = {
    name: "bare Fastify 5 + HMAC check",
    entry: "webhook-bare.ts",
    env: { WEBHOOK_APP_SECRET: APP_SECRET },
  };
  const ours: ServerSpec = {
    name: "Banditore, `LOG_LEVEL=info` (default)",
    entry: "ours.ts",
    nodeArgs: serverFlags,
    env: { ...cloud, LOG_LEVEL: "info" },
  };
  const oursQuiet: ServerSpec = {
    name: "Banditore, `LOG_LEVEL=warn`",
    entry: "ours.ts",
    nodeArgs: serverFlags,
    env: { ...cloud, LOG_LEVEL: "warn" },
  };
  const split: ServerSpec = {
    name: SPLIT_NAME,
    entry: "ours.ts",
    nodeArgs: serverFlags,
    // As README's deployment says: serve only stores and answers, the worker sends and handles.
    env: { ...cloud, LOG_LEVEL: "info", INBOUND_PROCESSOR: "worker", DISPATCH: "off" },
  };
  const servers = new Map<ServerSpec, RunningBenchServer>();
  for (const [i, spec] of [bare, ours, oursQuiet, split].entries()) {
    progress(`starting ${spec.name}`);
    const server = await startBenchServer(spec, {
      taskset: pinned ? taskset : undefined,
      cpu: SERVER_CPU,
      dataDir: path.join(scratch, `server-${i}`),
    });
    running.push(server);
    servers.set(spec, server);
  }
  // The split's worker, on the same SQLite file (or DATABASE_URL), on the load's CPU: the core
  // of the process that answers Meta does nothing else.
  progress("starting the split configuration's `banditore worker`");
  const splitWorker = await startBenchServer(
    {
      name: "banditore worker (INBOUND_PROCESSOR=worker)",
      entry: "ours-worker.ts",
      nodeArgs: serverFlags,
      env: { ...split.env, DISPATCH: "on" },
    },
    {
      taskset: pinned ? taskset : undefined,
      cpu: LOAD_CPU,
      dataDir: path.join(scratch, "server-3"),
    },
  );
  running.push(splitWorker);
  const besidesOf = (spec: ServerSpec) => (spec === split ? [splitWorker.pid] : []);
  const serverOf = (spec: ServerSpec) => {
    const server = servers.get(spec);
    if (!server) throw new Error(`no server for ${spec.name}`);
    return server;
  };
  const bodies = webhookBodies();
  // Each server must take a signed webhook (200, stored by ours) and refuse a forged one (401).
  for (const server of servers.values()) {
    const { body, signature } = bodies.next();
    const post = (sig: string) =>
      fetch(`${server.baseUrl}/webhooks/whatsapp`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-hub-signature-256": sig },
        body,
      });
    const good = await post(signature);
    const answer = await good.text();
    if (good.status !== 200) throw new Error(`${server.spec.name}: ${good.status} ${answer}`);
    if (server.spec.entry === "ours.ts" && !answer.includes('"stored":1')) {
      throw new Error(`${server.spec.name} did not store the webhook: ${answer}`);
    }
    const forged = await post(`sha256=${"0".repeat(64)}`);
    if (forged.status !== 401) throw new Error(`${server.spec.name}: forged → ${forged.status}`);
  }
  const bareCase: WebhookCase = { spec: bare, results: [], redone: 0 };
  const cases: WebhookCase[] = [
    bareCase,
    { spec: ours, versus: bareCase, results: [], redone: 0 },
    { spec: oursQuiet, versus: bareCase, results: [], redone: 0 },
    { spec: split, versus: bareCase, results: [], redone: 0 },
  ];
  const load = { connections: options.connections, seconds: options.seconds };
  for (const c of cases) {
    progress(`warm-up ${c.spec.name} POST /webhooks/whatsapp`);
    await webhookLoad(serverOf(c.spec), bodies, {
      ...load,
      seconds: options.warmupSeconds,
      besides: besidesOf(c.spec),
    });
  }
  for (let run = 1; run <= options.runs; run++) {
    for (const c of cases) {
      const label = `webhook run ${run}/${options.runs} ${c.spec.name}`;
      const { result, redone } = await undisturbed(
        label,
        () => webhookLoad(serverOf(c.spec), bodies, { ...load, besides: besidesOf(c.spec) }),
        (r) => r.otherCpu,
      );
      c.results.push(result);
      c.redone += redone;
      progress(
        `${label}: ${si(result.requestsPerSecond)} req/s, p50 ${result.p50} ms, p99 ` +
          `${result.p99} ms, server CPU ${pct(result.serverCpu)}, other CPU ` +
          `${pct(result.otherCpu)}` +
          (c.spec === split ? `, worker CPU ${pct(result.besidesCpu)}` : "") +
          (result.failures ? `, ${result.failures} FAILURES` : ""),
      );
    }
  }
  /** Waits until the split's worker has handled every stored event; how long it took. */
  const drained = async (): Promise<{ drainedMs: number; pending: number }> => {
    const started = performance.now();
    let pending = await callServer<number>(splitWorker, "pending");
    while (pending > 0 && performance.now() - started < 120_000) {
      await sleep(100);
      pending = await callServer<number>(splitWorker, "pending");
    }
    return { drainedMs: performance.now() - started, pending };
  };
  {
    const { drainedMs, pending } = await drained();
    progress(
      `split worker: ${pending === 0 ? "drained" : `${int(pending)} events NOT handled`} ` +
        `${ms(drainedMs)} after the throughput runs`,
    );
  }
  // Latency at a steady offered rate, ours and, for reference, bare under the same load.
  const steady = async (spec: ServerSpec) => {
    progress(`webhook latency: ${OFFERED_RATE} req/s offered steadily to ${spec.name}`);
    const { result } = await undisturbed(
      `webhook latency ${spec.name}`,
      () =>
        steadyWebhookLoad(serverOf(spec), bodies, {
          connections: LATENCY_CONNECTIONS,
          seconds: flags.quick ? 5 : 10,
          rate: OFFERED_RATE,
          warmupSeconds: 2,
          besides: besidesOf(spec),
        }),
      (r) => r.otherCpu,
    );
    progress(
      `webhook latency ${spec.name}: ${si(result.requestsPerSecond)} req/s, p50 ` +
        `${ms(result.p50)}, p99 ${ms(result.p99)}, server CPU ${pct(result.serverCpu)}, ` +
        (spec === split ? `worker CPU ${pct(result.besidesCpu)}, ` : "") +
        `other CPU ${pct(result.otherCpu)}`,
    );
    return result;
  };
  const latencyBare = await steady(bare);
  // Ours and the split in turns, `--runs` rounds each: a neighbour's burst falls on both.
  const rounds: WebhookResults["rounds"] = [];
  for (let run = 1; run <= options.runs; run++) {
    rounds.push({ name: ours.name, result: await steady(ours) });
    const result = await steady(split);
    rounds.push({ name: split.name, result, ...(await drained()) });
    const last = rounds[rounds.length - 1];
    if (last?.pending) progress(`split worker: ${int(last.pending)} events NOT handled`);
  }
  const medianByP99 = (name: string) => {
    const of = rounds.filter((r) => r.name === name).map((r) => r.result);
    return of.sort((a, b) => a.p99 - b.p99)[Math.floor((of.length - 1) / 2)];
  };
  await cleanUp();
  return {
    cases,
    latency: medianByP99(ours.name),
    latencySplit: medianByP99(split.name),
    latencyBare,
    rounds,
    bytes: bodies.bytes,
  };
}

function webhookSection(results: WebhookResults): string {
  const pick = (c: WebhookCase, f: (r: WebhookLoad) => number) => median(c.results.map(f));
  const rows = results.cases.map((c) => [
    c.spec.name,
    `**${si(pick(c, (r) => r.requestsPerSecond))}**`,
    range(c.results.map((r) => r.requestsPerSecond)),
    `${pick(c, (r) => r.p50)} / ${pick(c, (r) => r.p99)} ms`,
    pct(pick(c, (r) => r.serverCpu)),
    `${pick(c, webhookCpuPerRequest).toFixed(1)} µs`,
    c.spec.name === SPLIT_NAME ? pct(pick(c, (r) => r.besidesCpu)) : "–",
    pct(pick(c, (r) => r.loadCpu)),
    pct(pick(c, (r) => r.otherCpu)),
    c.versus ? `**${pct(paired(c, c.versus, (r) => r.requestsPerSecond))}**` : "(baseline)",
    c.versus ? `**${ratio(paired(c, c.versus, webhookCpuPerRequest))}**` : "(baseline)",
  ]);
  const failures = results.cases.reduce(
    (n, c) => n + c.results.reduce((m, r) => m + r.failures, 0),
    0,
  );
  const l = results.latency;
  return [
    `Signed status webhooks (${results.bytes} B, the sandbox's status envelope, a new wamid ` +
      `and recipient each), ${options.connections} connections, ${options.runs} × ${options.seconds} s per case.`,
    "",
    table(
      [
        "server",
        "req/s (median)",
        "range",
        "p50 / p99",
        "server CPU",
        "server CPU per request",
        "autocannon CPU",
        "other CPU",
        "req/s: ours / bare",
        "CPU per request: ours / bare",
      ],
      rows,
    ),
    "",
    failures
      ? `**Non-2xx answers, errors or timeouts: ${failures}.**`
      : "Every request answered 200 (no non-2xx, errors or timeouts).",
    "",
    ...(l
      ? [
          `Latency at ${int(OFFERED_RATE)} req/s offered steadily (a few requests every ` +
            `millisecond over ${LATENCY_CONNECTIONS} keep-alive connections, undici; latency from ` +
            `the moment each request was due), ${flags.quick ? 5 : 10} s after 2 s of the same load ` +
            `not measured:`,
          "",
          table(
            [
              "server",
              "achieved",
              "p50",
              "p99",
              "p99.9",
              "server CPU",
              "worker CPU",
              "other CPU",
              "failures",
              "events handled after",
            ],
            [
              ...(results.latencyBare
                ? [{ name: "bare Fastify 5 + HMAC check", result: results.latencyBare }]
                : []),
              ...results.rounds,
            ].map(({ name, result: r, ...drain }: WebhookResults["rounds"][number]) => [
              name,
              `${si(r.requestsPerSecond)} req/s`,
              ms(r.p50),
              `**${ms(r.p99)}**`,
              ms(r.p999),
              pct(r.serverCpu),
              name === SPLIT_NAME ? pct(r.besidesCpu) : "–",
              pct(r.otherCpu),
              String(r.failures),
              drain.drainedMs === undefined
                ? "–"
                : drain.pending
                  ? `**${int(drain.pending)} not handled**`
                  : ms(drain.drainedMs),
            ]),
          ),
          "",
        ]
      : []),
  ].join("\n");
}

// --- expansion (d, e) ----------------------------------------------------------------------------

async function benchExpansion(): Promise<ExpansionResult[]> {
  const scratch = newScratch("expansion");
  const place = placement(scratch);
  const tenantsDir = await tenantsWithRate(path.join(scratch, "tenants"), CAP);
  const engines: Engine[] = process.env.DATABASE_URL ? ["sqlite", "postgres"] : ["sqlite"];
  const results: ExpansionResult[] = [];
  for (const engine of engines) {
    const worker = await startDispatchWorker(place, tenantsDir, "http://127.0.0.1:9/graph", {
      name: `expansion (${engine})`,
      compiled: await compiledWorker(),
      env: engine === "postgres" ? { DATABASE_URL: process.env.DATABASE_URL ?? "" } : {},
    });
    await waitForQuiet();
    progress(`expansion on ${engine}: ${int(options.recipients)} subscribers`);
    const stop = cpuMeter([worker.pid], { postgres: engine === "postgres" });
    const result = await callServer<ExpansionResult>(worker, "expansion", {
      engine,
      subscribers: options.recipients,
      rounds: flags.quick ? 1 : 2,
    });
    result.otherCpu = stop().other;
    results.push(result);
    for (const r of result.rounds) {
      progress(
        `expansion on ${engine}: raw ${ms(r.rawMs)}, ours ${ms(r.oursMs)} ` +
          `(${ratio(r.oursMs / r.rawMs)}), longest stall ${ms(r.oursStallMs)}, peak RSS ` +
          `${Math.round(r.peakRss / MB)} MB`,
      );
    }
    await stopServer(worker);
  }
  await cleanUp();
  return results;
}

const engineName = (engine: Engine) => (engine === "sqlite" ? "SQLite" : "PostgreSQL");

function expansionSection(results: ExpansionResult[]): string {
  const n = options.recipients;
  const rows = results.map((r) => {
    const raw = median(r.rounds.map((x) => x.rawMs));
    const ours = median(r.rounds.map((x) => x.oursMs));
    const ratios = r.rounds.map((x) => x.oursMs / x.rawMs);
    return [
      engineName(r.engine),
      `${ms(raw)} (${si(n / (raw / 1000))} rows/s)`,
      `${ms(ours)} (${si(n / (ours / 1000))} rows/s)`,
      `**${ratio(median(ratios))}**`,
      range(ratios, ratio),
      ms(Math.max(...r.rounds.map((x) => x.oursStallMs))),
      `${Math.round(Math.max(...r.rounds.map((x) => x.peakRss)) / MB)} MB`,
      r.oursBytes !== null && r.rawBytes !== null
        ? `${Math.round(r.oursBytes / MB)} / ${Math.round(r.rawBytes / MB)} MB`
        : "–",
      pct(r.otherCpu ?? Number.NaN),
    ];
  });
  return [
    `${int(n)} active subscribers; each round a raw \`INSERT … SELECT\` of the same rows into a ` +
      "copy of the table with the same columns, defaults, primary key and unique key " +
      "(broadcast, subscriber) and nothing else, then the expansion as `startBroadcast` runs it (`resumeExpansion`: chunks of " +
      `${int(EXPANSION_CHUNK.sqlite)} subscriber ids on SQLite, one statement on PostgreSQL) ` +
      `for a new broadcast; ${flags.quick ? 1 : 2} round(s) per engine, medians.`,
    "",
    table(
      [
        "engine",
        "raw `INSERT … SELECT` (same keys only)",
        "our expansion",
        "ours ÷ raw (time)",
        "range",
        "longest event-loop stall (ours)",
        "peak RSS (ours)",
        "size: outbound_messages / keys-only copy (all rounds)",
        "other CPU",
      ],
      rows,
    ),
    "",
    "The stall is the longest the dispatching process's event loop was blocked during our " +
      "expansion (the largest gap between ticks of a 5 ms interval): better-sqlite3 runs each statement " +
      "synchronously; PostgreSQL's run on the server. Other CPU excludes PostgreSQL's own " +
      "processes.",
    ...(process.env.DATABASE_URL ? [] : ["", "PostgreSQL skipped: DATABASE_URL is not set."]),
    "",
  ].join("\n");
}

// --- flood (f) ---------------------------------------------------------------------------------

/** Flood requests in flight: enough to keep the server busy, as the 425 requests of issue #9 did. */
const FLOOD_CONNECTIONS = 2;
const FLOOD_GAP_MS = 500;
/** The flood of issue #9: 425 signed requests (here of 1,000 statuses each, the most allowed). */
const FLOOD_REQUESTS = 425;
const FLOOD_REPLY_TIMEOUT_MS = 60_000;
const replyTime = (value: number) =>
  Number.isFinite(value) ? ms(value) : `none in ${FLOOD_REPLY_TIMEOUT_MS / 1000} s`;
/** Issue #9 point 4: a reply to a citizen within 2 s, whatever is queued. */
const FLOOD_GOAL_MS = 2000;

async function benchFlood(): Promise<FloodResult[]> {
  const scratch = newScratch("flood");
  const graph = await startFakeGraph();
  const engines: Engine[] = process.env.DATABASE_URL ? ["sqlite", "postgres"] : ["sqlite"];
  const samples = flags.quick ? 5 : 10;
  const results: FloodResult[] = [];
  try {
    for (const engine of engines) {
      const dataDir = path.join(scratch, engine);
      mkdirSync(dataDir, { recursive: true });
      const pg = engine === "postgres" ? await createTestPostgresDatabase() : undefined;
      progress(`flood on ${engine}: starting the server`);
      const server = await startBenchServer(
        {
          name: `Banditore (${engine})`,
          entry: "ours.ts",
          env: {
            ...cloudEnv(graph.url),
            LOG_LEVEL: "warn",
            ...(pg ? { DATABASE_URL: pg.url } : {}),
          },
        },
        { taskset: pinned ? taskset : undefined, cpu: SERVER_CPU, dataDir },
      );
      running.push(server);
      try {
        await waitForQuiet();
        progress(
          `flood on ${engine}: ${samples} citizens idle, then ${int(options.floodBacklog)} statuses ` +
            `and ${samples} citizens under the flood`,
        );
        const result = await floodRun(server, graph, {
          engine,
          database: pg ? { url: pg.url, dataDir: "" } : { dataDir },
          backlog: options.floodBacklog,
          samples,
          gapMs: FLOOD_GAP_MS,
          floodConnections: FLOOD_CONNECTIONS,
          floodRequests: Math.max(FLOOD_REQUESTS, Math.ceil(options.floodBacklog / 1000)),
          replyTimeoutMs: FLOOD_REPLY_TIMEOUT_MS,
        });
        results.push(result);
        progress(
          `flood on ${engine}: idle reply ${replyTime(median(result.idle))}, under the flood ` +
            `${replyTime(median(result.flooded))} (slowest ${replyTime(Math.max(...result.flooded))}), ` +
            `backlog ${int(Math.min(...result.backlogAtReply))}–${int(Math.max(...result.backlogAtReply))}`,
        );
      } finally {
        await stopServer(server);
        await pg?.drop();
      }
    }
  } finally {
    await graph.close();
  }
  await cleanUp();
  return results;
}

function floodSection(results: FloodResult[]): string {
  const rows = results.map((r) => [
    engineName(r.engine),
    `${replyTime(median(r.idle))} / ${replyTime(Math.max(...r.idle))}`,
    `**${replyTime(median(r.flooded))} / ${replyTime(Math.max(...r.flooded))}**`,
    `${int(Math.min(...r.backlogAtReply))}–${int(Math.max(...r.backlogAtReply))}`,
    `${int(r.backlog)} in ${r.backlogSeconds.toFixed(1)} s`,
    int(r.floodTotal),
    `${si(r.floodEventsPerSecond)}/s`,
    `${si(r.handledPerSecond)}/s`,
    `${si(r.drainPerSecond)}/s`,
    pct(r.serverCpu),
    pct(r.otherCpu),
  ]);
  return [
    `A citizen writes "ATTIVA ISCRIZIONE" (a signed webhook, a new number each time) and the ` +
      "time is taken until the reply reaches the Graph API (the server in cloud mode, sending to " +
      "a fake Graph API in the bench process): first to the idle server, one citizen at a time; " +
      `then after ${int(results[0]?.backlog ?? options.floodBacklog)} statuses were stored by ` +
      `signed requests of 1,000 (the most one may carry) while more keep coming ` +
      `(${FLOOD_CONNECTIONS} requests in flight, as fast as the server takes them, up to ` +
      `${FLOOD_REQUESTS} requests in all, the flood of issue #9), one citizen every ` +
      `${FLOOD_GAP_MS} ms. Each status is about another person, so no per-sender limit ` +
      "applies: only the queue's priority keeps the citizens ahead. Latency is the median and " +
      `the slowest; a citizen not answered within ${FLOOD_REPLY_TIMEOUT_MS / 1000} s ends the run.`,
    "",
    table(
      [
        "engine",
        "reply, idle (median / slowest)",
        "reply under the flood (median / slowest)",
        "events waiting when each reply arrived",
        "backlog stored first",
        "flood in all",
        "flood stored meanwhile",
        "events handled meanwhile",
        "handled after the flood (3 s)",
        "server CPU",
        "other CPU",
      ],
      rows,
    ),
    "",
    ...(process.env.DATABASE_URL ? [] : ["PostgreSQL skipped: DATABASE_URL is not set.", ""]),
  ].join("\n");
}

// --- goals -------------------------------------------------------------------------------------

function goalRows(
  dispatch: DispatchResults | undefined,
  webhook: WebhookResults | undefined,
  expansion: ExpansionResult[],
  flood: FloodResult[],
): GoalRow[] {
  const rows: GoalRow[] = [];
  const held = dispatch?.held;
  const paced = dispatch?.paced;
  const mb = (bytes: number) => `${Math.round(bytes / MB)} MB`;
  const n = held ? int(held.subscribers) : "";
  rows.push(
    {
      id: "(a) D2",
      what: `held rate, ${n} deliveries at a cap of ${int(CAP)}/s, ${LATENCY_MS} ms latency`,
      measured: held
        ? `${((held.achievedPerSecond / CAP) * 100).toFixed(1)}% of the cap (${si(held.achievedPerSecond)}/s)`
        : "–",
      goal: "≥ 99% of the cap",
      pass: held ? held.achievedPerSecond >= 0.99 * CAP : undefined,
    },
    {
      id: "(a) D2",
      what: "busiest one-second window, every request that arrived (sandbox's send log)",
      measured: held ? `${held.maxWindow} requests` : "–",
      goal: `≤ ${int(CAP)}`,
      pass: held ? held.maxWindow <= CAP : undefined,
    },
    {
      id: "(a) D2",
      what: "throughput errors (130429) in the send log",
      measured: held ? String(held.throttled) : "–",
      goal: "0",
      // Every delivery accepted, and each citizen's reply (item 7) besides.
      pass: held
        ? held.throttled === 0 &&
          held.accepted ===
            held.subscribers + (held.citizens ? held.citizens.tries - held.citizens.unanswered : 0)
        : undefined,
    },
    {
      id: "(a) 7",
      what: `a citizen's reply to "ATTIVA ISCRIZIONE" during (a), ${CITIZEN_TRIES} tries`,
      measured: held?.citizens
        ? `p99 ${ms(percentile(held.citizens.latencies, 99))}, slowest ` +
          ms(Math.max(...held.citizens.latencies))
        : "–",
      goal: `≤ ${ms(CITIZEN_GOAL_MS)} p99`,
      pass: held?.citizens ? percentile(held.citizens.latencies, 99) <= CITIZEN_GOAL_MS : undefined,
    },
    {
      id: "(a) D3",
      what: "CPU of the dispatching process at the cap",
      measured: held
        ? `${pct(held.workerCpu)} of a core` +
          (paced
            ? ` (bare paced loop, same run: ${pct(paced.cpuSeconds / (paced.ms / 1000))})`
            : "")
        : "–",
      goal: "≤ 10% of a core",
      pass: held ? held.workerCpu <= 0.1 : undefined,
    },
  );
  const u = dispatch?.unthrottled;
  const uRatio = u?.rounds.length ? median(u.rounds.map(cpuPerMessageRatio)) : undefined;
  rows.push({
    id: "(b) D1",
    what:
      `unthrottled, CPU per message: bare undici loop ÷ the whole dispatcher, ` +
      `${UNTHROTTLED_CONCURRENCY} in flight`,
    measured: uRatio === undefined ? "–" : pct(uRatio),
    goal: "≥ 75%",
    pass: uRatio === undefined ? undefined : uRatio >= 0.75,
  });
  const ratioOf = (c: WebhookCase | undefined) =>
    c?.versus && c.results.length ? paired(c, c.versus, (r) => r.requestsPerSecond) : undefined;
  const wRatio = ratioOf(
    webhook?.cases.find((c) => c.spec.env?.LOG_LEVEL === "info" && c.spec.name !== SPLIT_NAME),
  );
  const splitRatio = ratioOf(webhook?.cases.find((c) => c.spec.name === SPLIT_NAME));
  const p99Row = (label: string, r: WebhookLoad | undefined) => ({
    id: "(c) W3",
    what: `webhook p99 at ${int(OFFERED_RATE)} req/s offered${label}`,
    measured: r ? ms(r.p99) : "–",
    goal: "≤ 10 ms",
    pass: r ? r.p99 <= 10 && r.failures === 0 : undefined,
  });
  const splitLabel = ", `INBOUND_PROCESSOR=worker`";
  rows.push(
    {
      id: "(c) W1",
      what: "webhook ingest (stored before the 200) ÷ bare Fastify + HMAC, req/s",
      measured: wRatio === undefined ? "–" : pct(wRatio),
      goal: "≥ 40%",
      pass: wRatio === undefined ? undefined : wRatio >= 0.4,
    },
    {
      id: "(c) W1",
      what: `the same${splitLabel}`,
      measured: splitRatio === undefined ? "–" : pct(splitRatio),
      goal: "≥ 40%",
      pass: splitRatio === undefined ? undefined : splitRatio >= 0.4,
    },
    p99Row("", webhook?.latency),
    p99Row(splitLabel, webhook?.latencySplit),
  );
  for (const engine of ["sqlite", "postgres"] as const) {
    const r = expansion.find((x) => x.engine === engine);
    const value = r ? median(r.rounds.map((x) => x.oursMs / x.rawMs)) : undefined;
    rows.push({
      id: "(d) E1",
      what: `expansion of ${int(options.recipients)} deliveries ÷ raw \`INSERT … SELECT\`, ${engineName(engine)}`,
      measured: value === undefined ? "–" : `${ratio(value)} the time`,
      goal: "≤ 1.5×",
      pass: value === undefined ? undefined : value <= 1.5,
    });
  }
  const rss: [string, number | undefined][] = [
    [`during (a), ${n} recipients`, held?.worker.peakRss],
    ...(dispatch?.memory ?? []).map((m): [string, number] => [
      `${int(m.subscribers)} recipients${m.stopAfterMs ? ` (expansion + ${m.stopAfterMs / 1000} s of sending)` : ""}`,
      m.worker.peakRss,
    ]),
    ...expansion.map((r): [string, number] => [
      `during (d), ${engineName(r.engine)}`,
      Math.max(...r.rounds.map((x) => x.peakRss)),
    ]),
  ];
  for (const [what, bytes] of rss) {
    rows.push({
      id: "(e)",
      what: `peak RSS of the dispatching process, ${what}`,
      measured: bytes === undefined ? "–" : mb(bytes),
      goal: "≤ 150 MB",
      pass: bytes === undefined ? undefined : bytes <= 150 * MB,
    });
  }
  for (const r of flood) {
    const slowest = Math.max(...r.flooded);
    rows.push({
      id: "(f) #9",
      what: `reply to ATTIVA ISCRIZIONE under a status flood, slowest of ${r.flooded.length}, ${engineName(r.engine)}`,
      measured: replyTime(slowest),
      goal: `≤ ${ms(FLOOD_GOAL_MS)}`,
      pass: slowest <= FLOOD_GOAL_MS,
    });
  }
  return rows;
}

function goalsSection(rows: GoalRow[]): string {
  return table(
    ["goal", "what", "measured", "target", "result"],
    rows.map((r) => [r.id, r.what, r.measured, r.goal, verdict(r.pass)]),
  );
}

/** How long a started server idles before its RSS is read. */
const STARTUP_IDLE_MS = 5_000;

// --- main --------------------------------------------------------------------------------------

const started = performance.now();
let httpCases: HttpCase[] = [];
let storageResults: EngineResult[] = [];
let dispatchResults: DispatchResults | undefined;
let webhookResults: WebhookResults | undefined;
let expansionResults: ExpansionResult[] = [];
let floodResults: FloodResult[] = [];
let startupRuns: StartupRun[] = [];
try {
  if (runs("http")) httpCases = await benchHttp();
  if (runs("storage")) storageResults = await benchStorage();
  if (runs("webhook")) webhookResults = await benchWebhook();
  if (runs("expansion")) expansionResults = await benchExpansion();
  if (runs("dispatch")) dispatchResults = await benchDispatch();
  if (runs("flood")) floodResults = await benchFlood();
  if (runs("startup")) {
    progress("startup: npm start and serve until /readyz, idle RSS");
    startupRuns = await benchStartup({ runs: options.runs, idleMs: STARTUP_IDLE_MS });
  }
} finally {
  await cleanUp();
}
const totalSeconds = (performance.now() - started) / 1000;

const out = [
  `## Results, ${facts.date}${flags.quick ? " (quick run)" : ""}`,
  "",
  table(
    ["machine", ""],
    [
      ["CPU", `${facts.cpuModel}, ${facts.logicalCpus} logical CPUs, ${facts.memoryGiB} GiB RAM`],
      ["OS", facts.kernel],
      ["Node.js", facts.node],
      ["fastify / autocannon", `${facts.fastify} / ${facts.autocannon}`],
      [
        "pinning",
        pinned
          ? `server under test and dispatching process on CPU ${SERVER_CPU}; autocannon, the ` +
            `DB client, the sandbox and the fake Graph API on CPU ${LOAD_CPU} (taskset); ` +
            "PostgreSQL not pinned"
          : "none (taskset missing or fewer than 2 CPUs): figures are less comparable",
      ],
      [
        "settings",
        `${options.connections} connections, no pipelining, ${options.runs} × ${options.seconds} s ` +
          `per HTTP and webhook case (interleaved, after ${options.warmupSeconds} s warm-up); ` +
          `${options.runs} storage run(s) per engine, each on a fresh database; ` +
          `${options.runs} unthrottled dispatch round(s); held rate ${int(options.deliveries)} ` +
          `deliveries; expansion ${int(options.recipients)} subscribers; medians`,
      ],
      [
        "background",
        `${pct(idleLoad)} of all CPUs busy in the second before the start; whole bench ` +
          `${Math.round(totalSeconds)} s, of which ` +
          `${Math.round((patienceGiven - Math.max(0, patienceLeft)) / 1000)} s waiting for quiet ` +
          `or redoing disturbed runs` +
          (impatient && options.retries > 0 ? " (the 2-minute allowance ran out)" : ""),
      ],
    ],
  ),
  "",
];
if (runs("dispatch") || runs("webhook") || runs("expansion") || runs("flood")) {
  out.push(
    "### Goals (issue #14; the flood case from issue #9 point 4)",
    "",
    goalsSection(goalRows(dispatchResults, webhookResults, expansionResults, floodResults)),
    "",
  );
}
if (runs("http")) {
  out.push("### HTTP overhead: the real app against bare Fastify", "", httpSection(httpCases), "");
}
if (runs("storage")) {
  out.push(
    "### Storage: migrations, subscriber import, broadcast expansion",
    "",
    storageSection(storageResults),
    "",
  );
}
if (runs("dispatch")) {
  out.push("### Dispatch: held rate, unthrottled throughput, memory", "");
  out.push(dispatchResults ? dispatchSection(dispatchResults) : "Not run.", "");
}
if (runs("webhook")) {
  out.push("### Webhook ingest: the real route against bare Fastify + HMAC", "");
  out.push(webhookResults ? webhookSection(webhookResults) : "Not run.", "");
}
if (runs("expansion")) {
  out.push("### Expansion of a broadcast: ours against a raw `INSERT … SELECT`", "");
  out.push(expansionSection(expansionResults), "");
}
if (runs("flood")) {
  out.push(
    "### A citizen's reply under a flood of status webhooks",
    "",
    floodSection(floodResults),
    "",
  );
}
if (runs("startup")) {
  out.push(
    "### Startup: `npm start` on an up-to-date build",
    "",
    startupSection(startupRuns, STARTUP_IDLE_MS),
    "",
  );
}
process.stdout.write(out.join("\n"));
