/**
 * `banditore serve` and `banditore worker`: the long-running processes. Both start through
 * server.ts (which builds the services through wiring.ts) and stop on SIGTERM/SIGINT.
 */
import type { Env } from "../config/env.js";
import { createLogger } from "../platform/log.js";
import { startServer, startWorker, stopOnSignal } from "../server.js";
import type { Exit } from "./output.js";

export async function serve(env: Env): Promise<Exit> {
  const log = createLogger(env.LOG_LEVEL);
  const server = await startServer(env, { log });
  return stopOnSignal(server, log, env.SHUTDOWN_TIMEOUT_MS);
}

/** Sends only, no HTTP: scale-out on PostgreSQL next to web processes started with DISPATCH=off. */
export async function worker(env: Env): Promise<Exit> {
  const log = createLogger(env.LOG_LEVEL);
  return stopOnSignal(await startWorker(env, { log }), log, env.SHUTDOWN_TIMEOUT_MS);
}
