// The flood bench (f, issue #9 point 4): how long a citizen waits for the answer to
// "ATTIVA ISCRIZIONE" while signed status webhooks flood the server, against the same wait on
// an idle server. See BENCHMARKS.md.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { Pool } from "undici";
import { inboundEnvelope } from "../src/server/modules/sandbox/webhook-envelopes.js";
import { countUnprocessedInboundEvents } from "../src/server/modules/whatsapp/inbound-events.repository.js";
import { signWebhookBody } from "../src/server/modules/whatsapp/webhook-signature.js";
import { openDatabase } from "../src/server/platform/db/connect.js";
import type { Engine } from "../src/server/platform/db/dialect.js";
import type { RunningBenchServer } from "./http.js";
import { acceptedSend, recipientOf } from "./lib/graph-answers.js";
import { cpuMeter } from "./lib/machine.js";
import { APP_SECRET, WEBHOOK_PATH } from "./webhook.js";

const NUMBER = {
  wabaId: "200000000000001",
  displayNumber: "393665784663",
  phoneNumberId: "100000000000001",
};
/** How long the backlog's handling is watched after the flood. */
const DRAIN_MS = 3000;
/** Statuses per flood request: the most one notification may carry (webhook-limits.ts). */
export const STATUSES_PER_REQUEST = 1000;

export interface FakeGraph {
  url: string;
  /** Resolves with performance.now() when a message to `to` arrives (or has arrived). */
  arrival(to: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * Meta's send endpoint, as small as it gets (the dispatch bench's fake-graph, in this process):
 * answers the success JSON and notes when each recipient's first message arrived.
 */
export async function startFakeGraph(): Promise<FakeGraph> {
  const arrived = new Map<string, number>();
  const waiting = new Map<string, (at: number) => void>();
  let served = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const at = performance.now();
      const to = recipientOf(Buffer.concat(chunks));
      if (to === undefined) {
        response.writeHead(400).end();
        return;
      }
      if (!arrived.has(to)) {
        arrived.set(to, at);
        waiting.get(to)?.(at);
      }
      served += 1;
      const body = acceptedSend(to, `wamid.flood${served}`);
      response.writeHead(200, { "content-type": "application/json" }).end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graph`,
    arrival: (to) => {
      const at = arrived.get(to);
      if (at !== undefined) return Promise.resolve(at);
      return new Promise((resolve) => waiting.set(to, resolve));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Citizens' numbers are new in every run: the fake Graph API notes each one's first reply. */
let citizens = 0;

/** Signed notifications of STATUSES_PER_REQUEST `delivered` statuses, each about a new person. */
function floodBodies(): () => { body: string; signature: string } {
  let n = 0;
  const timestamp = String(Math.floor(Date.now() / 1000));
  return () => {
    const statuses: string[] = [];
    for (let i = 0; i < STATUSES_PER_REQUEST; i++, n++) {
      const recipient = `3937${String(n % 10_000_000).padStart(7, "0")}`;
      statuses.push(
        `{"id":"wamid.FLOOD${String(n).padStart(12, "0")}","status":"delivered",` +
          `"timestamp":"${timestamp}","recipient_id":"${recipient}",` +
          `"pricing":{"billable":true,"pricing_model":"PMP","type":"regular","category":"utility"}}`,
      );
    }
    const body =
      `{"object":"whatsapp_business_account","entry":[{"id":"${NUMBER.wabaId}","changes":[{` +
      `"field":"messages","value":{"messaging_product":"whatsapp","metadata":{` +
      `"display_phone_number":"${NUMBER.displayNumber}","phone_number_id":"${NUMBER.phoneNumberId}"},` +
      `"statuses":[${statuses.join(",")}]}}]}]}`;
    return { body, signature: signWebhookBody(body, APP_SECRET) };
  };
}

function citizenBody(waId: string, wamid: string): { body: string; signature: string } {
  const body = JSON.stringify(
    inboundEnvelope(
      NUMBER,
      { name: "Cittadina", waId },
      {
        from: waId,
        id: wamid,
        timestamp: String(Math.floor(Date.now() / 1000)),
        type: "text",
        text: { body: "ATTIVA ISCRIZIONE" },
      },
    ),
  );
  return { body, signature: signWebhookBody(body, APP_SECRET) };
}

async function post(pool: Pool, signed: { body: string; signature: string }): Promise<void> {
  const response = await pool.request({
    method: "POST",
    path: WEBHOOK_PATH,
    headers: { "content-type": "application/json", "x-hub-signature-256": signed.signature },
    body: signed.body,
  });
  const text = await response.body.text();
  if (response.statusCode !== 200) {
    throw new Error(`webhook answered ${response.statusCode}: ${text.slice(0, 200)}`);
  }
}

export interface FloodResult {
  engine: Engine;
  /** Reply latencies (ms, webhook sent → reply at the Graph API) with nothing queued. */
  idle: number[];
  /** The same, each sent while the flood went on and the backlog waited. */
  flooded: number[];
  /** Inbound events not yet handled when each flooded reply arrived. */
  backlogAtReply: number[];
  /** Status events stored before the first flooded citizen wrote, and how long that took. */
  backlog: number;
  /** Status events the flood stored in all (its requests × 1,000). */
  floodTotal: number;
  backlogSeconds: number;
  /** Status events the flood stored per second while the citizens wrote. */
  floodEventsPerSecond: number;
  /** Events handled per second by the server meanwhile. */
  handledPerSecond: number;
  /** Events handled per second once the flood stopped (over DRAIN_MS). */
  drainPerSecond: number;
  serverCpu: number;
  otherCpu: number;
}

/**
 * One flood run against a started server (cloud mode, its Graph API at `graph`, its database
 * reachable through `database`): `samples` citizens write to the idle server, one at a time;
 * then `backlog` statuses are stored by signed requests of 1,000, and while more keep coming
 * (`floodConnections` requests in flight, as fast as the server takes them, up to
 * `floodRequests` in all) `samples` other citizens write, one every `gapMs`.
 */
export async function floodRun(
  server: RunningBenchServer,
  graph: FakeGraph,
  options: {
    engine: Engine;
    database: Parameters<typeof openDatabase>[0];
    backlog: number;
    samples: number;
    gapMs: number;
    floodConnections: number;
    /** Flood requests in all, backlog included: the flood of issue #9 was 425. */
    floodRequests: number;
    /** A citizen not answered by then is recorded as never answered, and the run ends. */
    replyTimeoutMs: number;
  },
): Promise<FloodResult> {
  const pool = new Pool(server.baseUrl, { connections: options.floodConnections + 2 });
  const database = openDatabase(options.database);
  const write = async (): Promise<number> => {
    citizens += 1;
    const waId = `39338${String(citizens).padStart(7, "0")}`;
    const started = performance.now();
    await post(pool, citizenBody(waId, `wamid.CITIZEN${citizens}`));
    const arrived = await Promise.race([
      graph.arrival(waId),
      new Promise<undefined>((resolve) => {
        setTimeout(() => resolve(undefined), options.replyTimeoutMs).unref();
      }),
    ]);
    return arrived === undefined ? Number.POSITIVE_INFINITY : arrived - started;
  };
  try {
    const idle: number[] = [];
    for (let i = 0; i < options.samples; i++) idle.push(await write());

    const next = floodBodies();
    const backlogStarted = performance.now();
    const requests = Math.ceil(options.backlog / STATUSES_PER_REQUEST);
    let sent = 0;
    await Promise.all(
      Array.from({ length: options.floodConnections }, async () => {
        while (sent < requests) {
          sent += 1;
          await post(pool, next());
        }
      }),
    );
    const backlogSeconds = (performance.now() - backlogStarted) / 1000;

    let flooding = true;
    let floodRequests = 0;
    const flood = Promise.all(
      Array.from({ length: options.floodConnections }, async () => {
        while (flooding && sent < options.floodRequests) {
          sent += 1;
          await post(pool, next());
          floodRequests += 1;
        }
      }),
    );
    const stop = cpuMeter([server.pid], { postgres: options.engine === "postgres" });
    const pendingBefore = await countUnprocessedInboundEvents(database.db);
    const requestsBefore = floodRequests;
    const flooded: number[] = [];
    const backlogAtReply: number[] = [];
    for (let i = 0; i < options.samples; i++) {
      const latency = await write();
      flooded.push(latency);
      backlogAtReply.push(await countUnprocessedInboundEvents(database.db));
      if (!Number.isFinite(latency)) break;
      await new Promise((resolve) => setTimeout(resolve, options.gapMs));
    }
    const stored = (floodRequests - requestsBefore) * STATUSES_PER_REQUEST;
    const pendingAfter = await countUnprocessedInboundEvents(database.db);
    const cpu = stop();
    flooding = false;
    await flood;
    // The processor alone on what is left: its throughput, without the flood taking the CPU.
    const drainFrom = await countUnprocessedInboundEvents(database.db);
    const drainStarted = performance.now();
    await new Promise((resolve) => setTimeout(resolve, DRAIN_MS));
    const drained = drainFrom - (await countUnprocessedInboundEvents(database.db));
    return {
      engine: options.engine,
      idle,
      flooded,
      backlogAtReply,
      backlog: requests * STATUSES_PER_REQUEST,
      floodTotal: sent * STATUSES_PER_REQUEST,
      backlogSeconds,
      floodEventsPerSecond: stored / cpu.seconds,
      handledPerSecond: (pendingBefore + stored - pendingAfter) / cpu.seconds,
      drainPerSecond: drained / ((performance.now() - drainStarted) / 1000),
      serverCpu: cpu.watched,
      otherCpu: cpu.other,
    };
  } finally {
    await pool.close();
    await database.close();
  }
}
