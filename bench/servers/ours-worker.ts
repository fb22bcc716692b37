// The webhook bench's split configuration: `banditore worker` (startWorker) with
// INBOUND_PROCESSOR=worker, on the database of an `ours.ts` started with the same setting, so
// it handles the webhook events that server only stores. Started by bench/run.ts in its own
// process; `pending` answers how many stored events are not handled yet (the drain check).
import { parseEnv } from "../../src/server/config/env.js";
import { openDatabase } from "../../src/server/platform/db/connect.js";
import { createLogger } from "../../src/server/platform/log.js";
import { startWorker } from "../../src/server/server.js";
import { serveOperations } from "../lib/ipc-server.js";

const env = parseEnv(process.env);
const worker = await startWorker(env, { log: createLogger(env.LOG_LEVEL) });
// The bench's own connection for counting, apart from the worker's.
const database = openDatabase({ url: env.DATABASE_URL, dataDir: env.dataDir });
serveOperations(
  {
    pending: async () => {
      const row = await database.db
        .selectFrom("inbound_events")
        .select(({ fn }) => fn.countAll<number>().as("n"))
        .where("processed_at", "is", null)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  },
  async () => {
    await worker.close();
    await database.close();
  },
);
