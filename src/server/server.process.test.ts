import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestPostgresDatabase, testEngines } from "./test/engines.js";
import { useTenantsCopy } from "./test/in-process-server.js";
import { spawnTs, startServerProcess, type Spawned } from "./test/spawn.js";

// These tests start the real server as a separate process, the way `npm start` does.

const DEMO_NUMBERS = ["393665784663", "393760088777"];
let dataDir: string;
let running: Spawned | undefined;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "banditore-data-"));
});
afterEach(async () => {
  if (running && running.child.exitCode === null) {
    running.child.kill("SIGKILL");
    await running.exited;
  }
  running = undefined;
  await rm(dataDir, { recursive: true, force: true });
});

describe.each(testEngines())("banditore serve on %s", (engine) => {
  it("starts, loads the demo comuni, answers health checks and stops cleanly on SIGTERM", async () => {
    const pg = engine === "postgres" ? await createTestPostgresDatabase() : undefined;
    try {
      const server = await startServerProcess({
        DATA_DIR: dataDir,
        ...(pg ? { DATABASE_URL: pg.url } : {}),
      });
      running = server;

      const health = await fetch(`${server.baseUrl}/healthz`);
      expect(health.status).toBe(200);
      const ready = await fetch(`${server.baseUrl}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: "ready", database: { engine } });

      const log = server.output();
      expect(log).toMatch(
        /"event":"tenant\.loaded","tenant":"concorezzo".*"number":"3936•••••663"/,
      );
      expect(log).toMatch(
        /"event":"tenant\.loaded","tenant":"casale-marittimo".*"number":"3937•••••777"/,
      );
      expect(log).toContain("serving 2 comuni in sandbox mode");
      expect(existsSync(path.join(dataDir, "banditore.sqlite"))).toBe(engine === "sqlite");

      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
      const all = server.output();
      expect(all).toContain('"event":"server.stopped"');
      for (const number of DEMO_NUMBERS) expect(all).not.toContain(number);
    } finally {
      await pg?.drop();
    }
  });
});

describe("banditore serve", () => {
  it("lets a request in progress finish on SIGTERM, refuses new ones, and exits 0", async () => {
    const server = await startServerProcess(
      { DATA_DIR: dataDir },
      "src/server/test/serve-with-slow-route.ts",
    );
    running = server;
    const slow = fetch(`${server.baseUrl}/test/slow`);
    await server.waitFor(/"event":"test\.slow_started"/);
    server.child.kill("SIGTERM");
    await server.waitFor(/"event":"server\.stopping"/);

    await expect(fetch(`${server.baseUrl}/healthz`)).rejects.toThrow();
    const res = await slow;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ finished: true });
    expect(await server.exited, server.output()).toBe(0);
  });

  it("writes no full phone number to the log, even for paths that carry one", async () => {
    const server = await startServerProcess({ DATA_DIR: dataDir });
    running = server;
    await fetch(`${server.baseUrl}/sandbox/api/phones/393331234567/messages`);
    server.child.kill("SIGTERM");
    await server.exited;
    expect(server.output()).toContain("3933•••••567");
    expect(server.output()).not.toContain("393331234567");
  });

  describe("with a broken tenant file", () => {
    const tenants = useTenantsCopy();

    async function breakFile(change: (t: string) => string) {
      const file = path.join(tenants.dir, "concorezzo.yaml");
      await writeFile(file, change(await readFile(file, "utf8")));
    }

    /** The service on the broken files: it should exit without starting. */
    const serve = () =>
      spawnTs("src/server/cli.ts", ["serve"], {
        DATA_DIR: dataDir,
        TENANTS_DIR: tenants.dir,
        PORT: "0",
      });

    it("does not start, and says which file, field and problem", async () => {
      await breakFile((t) => t.replace("form: phrase", "form: frase"));
      const proc = serve();
      expect(await proc.exited).toBe(1);
      expect(proc.output()).toMatch(
        /Banditore cannot start\. Invalid tenant configuration:\n {2}- .*concorezzo\.yaml: keywords\.form: Invalid option: expected one of "phrase"\|"name-and-keyword"/,
      );
      expect(existsSync(path.join(dataDir, "banditore.sqlite"))).toBe(false);
    });

    it("refuses a secret written into the file", async () => {
      await breakFile((t) =>
        t.replace("  secretsFromEnv:", "  accessToken: EAAB1234567890abcdef\n  secretsFromEnv:"),
      );
      const proc = serve();
      expect(await proc.exited).toBe(1);
      expect(proc.output()).toContain(
        "concorezzo.yaml: whatsapp.accessToken: a secret must not be written in a tenant file",
      );
      expect(proc.output()).not.toContain("EAAB1234567890abcdef");
    });
  });

  it("outside sandbox mode, does not start while a secret is unset", async () => {
    const proc = spawnTs("src/server/cli.ts", ["serve"], {
      DATA_DIR: dataDir,
      PORT: "0",
      CONCOREZZO_WA_ACCESS_TOKEN: "a-real-token",
    });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toContain("Missing secrets:");
    expect(proc.output()).toContain("the environment variable CONCOREZZO_WA_APP_SECRET is not set");
  });
});
