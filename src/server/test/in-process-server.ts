import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { parseEnv } from "../config/env.js";
import { createLogger } from "../platform/log.js";
import { startServer, type RunningServer } from "../server.js";
import { SHIPPED_TENANTS_DIR } from "./build-test-app.js";

export interface InProcessServer {
  server: RunningServer;
  /** e.g. http://127.0.0.1:41234 */
  baseUrl: string;
  /** Everything logged so far (JSON lines). */
  log(): string;
  close(): Promise<void>;
}

/**
 * The real server as `npm start` runs it (sandbox mode, the demo comuni, SQLite in a fresh
 * directory unless `env` names a database), listening on a free loopback port, with its log captured for assertions.
 */
export async function startInProcessServer(
  options: { env?: Record<string, string> } = {},
): Promise<InProcessServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "banditore-server-"));
  const env = parseEnv({
    TENANTS_DIR: SHIPPED_TENANTS_DIR,
    DATA_DIR: dataDir,
    PORT: "0",
    HOST: "127.0.0.1",
    // More variables (DATABASE_URL for PostgreSQL, …) from the test.
    ...options.env,
  });
  let text = "";
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  const server = await startServer(env, { log: createLogger("info", sink) });
  const address = server.app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    server,
    baseUrl: `http://127.0.0.1:${port}`,
    log: () => text,
    close: async () => {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
