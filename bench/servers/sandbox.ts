// The standalone sandbox (Meta's side) for the dispatch bench, as `banditore sandbox` starts it,
// in its own process so that it counts requests as they arrive, not as a shared event loop
// gets to them; compiled like the dispatching process (bench/lib/build.ts).
// SANDBOX_WEBHOOK_URL: where status webhooks go; SANDBOX_SETTINGS: JSON settings.
import { parseEnv } from "../../src/server/config/env.js";
import { loadTenants } from "../../src/server/config/tenants.js";
import {
  sandboxNumbersFromTenants,
  startStandaloneSandbox,
  type SandboxSettingsUpdate,
} from "../../src/server/modules/sandbox/sandbox.js";
import { createLogger } from "../../src/server/platform/log.js";
import {
  gcPauseMeter,
  loopDelayMeter,
  serveOperations,
  type GcPauses,
  type LoopDelay,
} from "../lib/ipc-server.js";

/** What the bench reads of the sandbox's health around a run. */
export interface SandboxHealth {
  loop: LoopDelay;
  gc: GcPauses;
  /** Bytes, at the end of the stretch. */
  rss: number;
  heapUsed: number;
}

const env = parseEnv(process.env);
const { tenants } = await loadTenants(env);
const sandbox = await startStandaloneSandbox({
  port: 0,
  webhookUrl: process.env.SANDBOX_WEBHOOK_URL ?? "http://127.0.0.1:9/webhooks/whatsapp",
  numbers: sandboxNumbersFromTenants(tenants),
  log: createLogger(env.LOG_LEVEL),
  settings: JSON.parse(process.env.SANDBOX_SETTINGS ?? "{}") as SandboxSettingsUpdate,
});
process.send?.({ port: Number(new URL(sandbox.url).port) });
// The bench asks for the event-loop delay and the GC pauses around each held-rate run: a stall
// here bunches the requests that arrive during it, which the next one-second window then counts
// together.
const loop = loopDelayMeter();
const gc = gcPauseMeter();
serveOperations(
  {
    health: () => {
      const { rss, heapUsed } = process.memoryUsage();
      const health: SandboxHealth = { loop: loop.take(), gc: gc.take(), rss, heapUsed };
      return Promise.resolve(health);
    },
  },
  () => sandbox.close(),
);
