// The real server with one extra route that takes its time: lets a test send SIGTERM while a
// request is in progress and see it finish. Nothing else differs from `banditore serve`.
import { setTimeout as sleep } from "node:timers/promises";
import { parseEnv } from "../config/env.js";
import { createLogger } from "../platform/log.js";
import { startServer, stopOnSignal } from "../server.js";

const env = parseEnv(process.env);
const log = createLogger(env.LOG_LEVEL);
const server = await startServer(env, {
  log,
  configure: (app) => {
    app.get("/test/slow", async (request) => {
      request.log.info({ event: "test.slow_started" }, "Slow request started");
      await sleep(1500);
      return { finished: true };
    });
  },
});
process.exit(await stopOnSignal(server, log, env.SHUTDOWN_TIMEOUT_MS));
