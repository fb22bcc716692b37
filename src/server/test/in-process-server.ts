import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterEach, beforeEach } from "vitest";
import { parseEnv, type Env } from "../config/env.js";
import { createLogger } from "../platform/log.js";
import { startServer, type RunningServer } from "../server.js";
import type { Engine } from "../platform/db/dialect.js";
import { SHIPPED_TENANTS_DIR } from "./build-test-app.js";
import { createTestPostgresDatabase } from "./engines.js";

export interface InProcessServer {
  server: RunningServer;
  /** e.g. http://127.0.0.1:41234 */
  baseUrl: string;
  /** Everything logged so far (JSON lines). */
  log(): string;
  /** The tenant files it runs on (the shipped ones, or the test's edited copies). */
  tenantsDir: string;
  /** The environment it was started with (a test starts a worker on the same database). */
  env: Env;
  close(): Promise<void>;
}

export interface InProcessOptions {
  /** More variables (PUBLIC_URL, ADMIN_TOKEN, …) from the test. */
  env?: Record<string, string>;
  /** "postgres": a fresh database of its own on DATABASE_URL's server, dropped at close. */
  engine?: Engine;
  /**
   * Changes to the demo comuni's files, by slug: each gets the shipped file's text and answers
   * the text to run on (a copy in a temporary directory, removed at close).
   */
  tenants?: Record<string, (yaml: string) => string>;
}

/** A temporary copy of the tenant files, and how to remove it. */
export interface EditedTenants {
  dir: string;
  remove: () => Promise<void>;
}

/** A copy of the shipped tenant files with `edits` applied, and how to remove it. */
export async function editedTenants(
  edits: Record<string, (yaml: string) => string>,
): Promise<EditedTenants> {
  const dir = await mkdtemp(path.join(tmpdir(), "banditore-tenants-"));
  for (const file of await readdir(SHIPPED_TENANTS_DIR)) {
    if (!file.endsWith(".yaml")) continue;
    const edit = edits[file.replace(/\.yaml$/, "")];
    const from = path.join(SHIPPED_TENANTS_DIR, file);
    if (edit) await writeFile(path.join(dir, file), edit(await readFile(from, "utf8")));
    else await copyFile(from, path.join(dir, file));
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * A fresh copy of the shipped tenant files before each test, which the test may edit, removed
 * after it. Read `dir` inside the test: it changes before each.
 */
export function useTenantsCopy(): EditedTenants {
  const copy = {} as EditedTenants;
  beforeEach(async () => {
    Object.assign(copy, await editedTenants({}));
  });
  afterEach(async () => {
    await copy.remove();
  });
  return copy;
}

/**
 * The real server as `npm start` runs it (sandbox mode, the demo comuni, SQLite in a fresh
 * directory unless `env` names a database), listening on a free loopback port, with its log captured for assertions.
 */
export async function startInProcessServer(
  options: InProcessOptions = {},
): Promise<InProcessServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "banditore-server-"));
  const tenants = options.tenants ? await editedTenants(options.tenants) : undefined;
  const pg = options.engine === "postgres" ? await createTestPostgresDatabase() : undefined;
  const tenantsDir = tenants?.dir ?? SHIPPED_TENANTS_DIR;
  const env = parseEnv({
    TENANTS_DIR: tenantsDir,
    DATA_DIR: dataDir,
    PORT: "0",
    HOST: "127.0.0.1",
    ...(pg ? { DATABASE_URL: pg.url } : {}),
    ...options.env,
  });
  let text = "";
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  let server: RunningServer;
  try {
    server = await startServer(env, { log: createLogger("info", sink) });
  } catch (error) {
    await pg?.drop();
    await tenants?.remove();
    throw error;
  }
  const address = server.app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    server,
    baseUrl: `http://127.0.0.1:${port}`,
    log: () => text,
    tenantsDir,
    env,
    close: async () => {
      await server.close();
      await pg?.drop();
      await tenants?.remove();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
