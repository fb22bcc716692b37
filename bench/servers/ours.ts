// The real Banditore server, as `banditore serve` starts it (config → SQLite file → migrations →
// comuni → app → listen), for the HTTP bench. Started by bench/run.ts in its own process with an
// IPC channel: it reports its port there and stops when the channel closes.
import { parseEnv } from "../../src/server/config/env.js";
import { createLogger } from "../../src/server/platform/log.js";
import { startServer } from "../../src/server/server.js";
import { announcePort, listeningPort } from "../lib/ipc-server.js";

const env = parseEnv(process.env);
const server = await startServer(env, { log: createLogger(env.LOG_LEVEL) });
announcePort(listeningPort(server.app.server.address()), () => server.close());
