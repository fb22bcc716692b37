// The webhook bench (c): signed status webhooks into the real POST /webhooks/whatsapp, against a
// bare Fastify route with the same HMAC check. See BENCHMARKS.md.
import { performance } from "node:perf_hooks";
import autocannon from "autocannon";
import { Pool } from "undici";
import { statusEnvelope } from "../src/server/modules/sandbox/webhook-envelopes.js";
import { signWebhookBody } from "../src/server/modules/whatsapp/webhook-signature.js";
import type { RunningBenchServer } from "./http.js";
import { cpuMeter } from "./lib/machine.js";

export const WEBHOOK_PATH = "/webhooks/whatsapp";
/** The sandbox's app secret for Concorezzo (dispatch-harness SANDBOX_ENV). */
export const APP_SECRET = "sandbox-app-secret";

/** The server in cloud mode (signed webhooks, the Cloud API client) sending to `graphUrl`. */
export function cloudEnv(graphUrl: string): Record<string, string> {
  return {
    WHATSAPP_MODE: "cloud",
    // Required in cloud mode: the keyed hash of citizens' numbers.
    SUBSCRIBER_KEY_SECRET: "bench-subscriber-key-secret",
    AUDIT_KEY_SECRET: "bench-audit-key-secret",
    WHATSAPP_GRAPH_URL: graphUrl,
    CONCOREZZO_WA_ACCESS_TOKEN: "sandbox-access-token",
    CONCOREZZO_WA_APP_SECRET: APP_SECRET,
    CONCOREZZO_WA_VERIFY_TOKEN: "sandbox-verify-token",
    CASALE_MARITTIMO_WA_ACCESS_TOKEN: "sandbox-access-token",
    CASALE_MARITTIMO_WA_APP_SECRET: APP_SECRET,
    CASALE_MARITTIMO_WA_VERIFY_TOKEN: "sandbox-verify-token",
  };
}

/**
 * Distinct, correctly signed bodies in the sandbox's status envelope (one `delivered` status
 * with pricing, as the sandbox posts them), each naming a new wamid and a new recipient: every
 * request stores a new event, none is turned away as a redelivery or by a per-recipient limit. The counter runs across runs and servers.
 */
export function webhookBodies(): { next(): { body: string; signature: string }; bytes: number } {
  const WAMID = "@@WAMID@@";
  const CALLBACK = "@@CALLBACK@@";
  const RECIPIENT = "@@RECIPIENT@@";
  const template = JSON.stringify(
    statusEnvelope(
      {
        wabaId: "200000000000001",
        displayNumber: "393665784663",
        phoneNumberId: "100000000000001",
      },
      [
        {
          id: WAMID,
          status: "delivered",
          timestamp: String(Math.floor(Date.UTC(2026, 10, 22, 9) / 1000)),
          recipient_id: RECIPIENT,
          biz_opaque_callback_data: CALLBACK,
          pricing: {
            billable: true,
            pricing_model: "PMP",
            type: "regular",
            category: "marketing",
          },
        },
      ],
    ),
  );
  // The envelope names them in this order: wamid, recipient, callback data.
  const [head = "", rest = ""] = template.split(WAMID);
  const [middle = "", afterRecipient = ""] = rest.split(RECIPIENT);
  const [beforeCallback = "", tail = ""] = afterRecipient.split(CALLBACK);
  let n = 0;
  const next = () => {
    n += 1;
    // A wamid the length of Meta's (base64 of a ~45-byte id).
    const wamid = `wamid.HBgLMzkzMzMxMjM0NTY3FQIAERgS${String(n).padStart(12, "0")}QkVOQ0gA`;
    // Each about another person, as a broadcast's statuses are: with one recipient for all,
    // every request after the 300th of a minute was dropped by the per-recipient limit
    // (MAX_STATUSES_PER_RECIPIENT) with a warning, and the bench measured that instead of ingest.
    const recipient = String(393_000_000_000 + n);
    const body = `${head}${wamid}${middle}${recipient}${beforeCallback}om:${n}${tail}`;
    return { body, signature: signWebhookBody(body, APP_SECRET) };
  };
  return { next, bytes: Buffer.byteLength(next().body) };
}

export interface WebhookLoad {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  p999: number;
  serverCpu: number;
  /** The processes named in `besides` (the split configuration's worker), share of a core. */
  besidesCpu: number;
  loadCpu: number;
  otherCpu: number;
  /** Non-2xx answers, errors and timeouts. */
  failures: number;
  requests: number;
}

/**
 * CPU of the server, of the processes beside it (`besides`: not counted as the machine's other
 * load) and of the rest, from now until the returned function is called.
 */
function webhookCpuMeter(server: RunningBenchServer, besides: readonly number[]) {
  const all = cpuMeter([server.pid, ...besides]);
  const own = cpuMeter([server.pid]);
  return () => {
    const a = all();
    const o = own();
    return { ...a, watched: o.watched, besides: Math.max(0, a.watched - o.watched) };
  };
}

/** One autocannon run of signed webhooks; `rate` caps the offered req/s (all connections). */
export async function webhookLoad(
  server: RunningBenchServer,
  bodies: ReturnType<typeof webhookBodies>,
  options: { connections: number; seconds: number; rate?: number; besides?: readonly number[] },
): Promise<WebhookLoad> {
  const stop = webhookCpuMeter(server, options.besides ?? []);
  const result = await autocannon({
    url: `${server.baseUrl}${WEBHOOK_PATH}`,
    connections: options.connections,
    duration: options.seconds,
    pipelining: 1,
    ...(options.rate ? { overallRate: options.rate } : {}),
    requests: [
      {
        method: "POST",
        setupRequest: (request) => {
          const { body, signature } = bodies.next();
          return {
            ...request,
            method: "POST",
            path: WEBHOOK_PATH,
            headers: { "content-type": "application/json", "x-hub-signature-256": signature },
            body,
          };
        },
      },
    ],
  });
  const cpu = stop();
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    p999: result.latency.p99_9,
    serverCpu: cpu.watched,
    besidesCpu: cpu.besides,
    loadCpu: cpu.self,
    otherCpu: cpu.other,
    failures: result.non2xx + result.errors + result.timeouts,
    requests: result.requests.total,
  };
}

/** Server CPU time per request, µs. */
export const webhookCpuPerRequest = (r: WebhookLoad): number =>
  (r.serverCpu / r.requestsPerSecond) * 1e6;

/**
 * A steady offered load for the latency goal: `rate` requests per second spread evenly over
 * time (a few every millisecond), each on its own request over a pool of keep-alive
 * connections, latency measured from the moment the request was due. autocannon's
 * `overallRate` does not do this: each connection sends its quota for the second as fast as it
 * can and then waits for the next second, so the server sees the whole second's requests as one
 * burst at the start of it, and the latency measured is that of draining a burst.
 */
export async function steadyWebhookLoad(
  server: RunningBenchServer,
  bodies: ReturnType<typeof webhookBodies>,
  options: {
    connections: number;
    seconds: number;
    rate: number;
    warmupSeconds: number;
    besides?: readonly number[];
  },
): Promise<WebhookLoad> {
  const pool = new Pool(server.baseUrl, { connections: options.connections, pipelining: 1 });
  const latencies: number[] = [];
  let failures = 0;
  const inFlight = new Set<Promise<void>>();
  const send = (due: number) => {
    const { body, signature } = bodies.next();
    const request = pool
      .request({
        method: "POST",
        path: WEBHOOK_PATH,
        headers: { "content-type": "application/json", "x-hub-signature-256": signature },
        body,
      })
      .then(async (response) => {
        await response.body.dump();
        if (due < measuredFrom) return;
        if (response.statusCode !== 200) failures += 1;
        else latencies.push(performance.now() - due);
      })
      .catch(() => {
        if (due >= measuredFrom) failures += 1;
      })
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  };
  // The first requests open the pool's connections and meet a server not yet optimised: a
  // warm-up at the same rate, not measured, comes first.
  let stop = (): ReturnType<ReturnType<typeof webhookCpuMeter>> => {
    throw new Error("the measured stretch never began");
  };
  const start = performance.now();
  const measuredFrom = start + options.warmupSeconds * 1000;
  const total = Math.round(options.rate * (options.warmupSeconds + options.seconds));
  const warmupTotal = Math.round(options.rate * options.warmupSeconds);
  let issued = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - start) / 1000) * options.rate));
      for (; issued < due; issued++) {
        if (issued === warmupTotal) stop = webhookCpuMeter(server, options.besides ?? []);
        send(start + (issued / options.rate) * 1000);
      }
      if (issued >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  await Promise.all(inFlight);
  const cpu = stop();
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    requestsPerSecond: latencies.length / cpu.seconds,
    p50: at(0.5),
    p99: at(0.99),
    p999: at(0.999),
    serverCpu: cpu.watched,
    besidesCpu: cpu.besides,
    loadCpu: cpu.self,
    otherCpu: cpu.other,
    failures,
    requests: latencies.length + failures,
  };
}
