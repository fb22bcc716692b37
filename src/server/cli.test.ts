import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrations } from "./platform/db/migrations/index.js";
import { spawnTs } from "./test/spawn.js";

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "banditore-cli-"));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function banditore(...args: string[]) {
  const proc = spawnTs("src/server/cli.ts", args, { DATA_DIR: dataDir });
  const code = await proc.exited;
  return { code, output: proc.output() };
}

describe("the banditore command", () => {
  it("tenants check: validates the files and prints what each comune is", async () => {
    const { code, output } = await banditore("tenants", "check");
    expect(code).toBe(0);
    expect(output).toContain("2 comuni in");
    expect(output).toContain("are valid (WhatsApp sandbox mode)");
    expect(output).toContain("concorezzo  Comune di Concorezzo — WhatsConcorezzo");
    expect(output).toContain(
      'subscribe "ATTIVA ISCRIZIONE" / unsubscribe "DISATTIVA ISCRIZIONE" (phrase)',
    );
    expect(output).toContain("hours: dal lunedì al venerdì, dalle 9 alle 13");
    expect(output).toContain(
      'subscribe "ATTIVA" / unsubscribe "DISATTIVA" (name-and-keyword), with confirmation',
    );
    expect(output).toContain("protezione-civile");
  });

  it("tenants check: fails with the problems of a bad directory", async () => {
    const proc = spawnTs("src/server/cli.ts", ["tenants", "check"], { TENANTS_DIR: dataDir });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toContain("No tenant files (*.yaml)");
  });

  it("migrate: creates the SQLite file, then finds nothing to do", async () => {
    const first = await banditore("migrate");
    expect(first.code).toBe(0);
    expect(first.output).toContain(
      `Applied ${Object.keys(migrations).length} migration(s) to sqlite at`,
    );
    expect(first.output).toContain("0001-initial");
    expect(existsSync(path.join(dataDir, "banditore.sqlite"))).toBe(true);
    const second = await banditore("migrate");
    expect(second.code).toBe(0);
    expect(second.output).toContain("Nothing to apply");
  });

  describe("users add", () => {
    const usersAdd = async (env: Record<string, string>, ...extra: string[]) => {
      const proc = spawnTs(
        "src/server/cli.ts",
        [
          "users",
          "add",
          "--email",
          "sindaco@concorezzo.it",
          "--tenant",
          "concorezzo",
          "--role",
          "owner",
          ...extra,
        ],
        { DATA_DIR: dataDir, ...env },
      );
      const code = await proc.exited;
      return { code, output: proc.output() };
    };

    it("prints the setup link at PUBLIC_URL", async () => {
      const { code, output } = await usersAdd({
        PUBLIC_URL: "https://banditore.comune.example.it/",
      });
      expect(code, output).toBe(0);
      expect(output).toMatch(
        /^https:\/\/banditore\.comune\.example\.it\/console\/setup#token=[\w-]{40,}$/m,
      );
      expect(output).not.toContain("PUBLIC_URL is not set");
      expect(output).not.toContain("assumed");
    });

    it("without PUBLIC_URL, uses the PORT really configured and says so", async () => {
      const { code, output } = await usersAdd({ PORT: "9123" });
      expect(code, output).toBe(0);
      expect(output).toMatch(/^http:\/\/localhost:9123\/console\/setup#token=[\w-]{40,}$/m);
      expect(output).toContain(
        "PUBLIC_URL is not set: the link assumes the server is reached at http://localhost:9123 (PORT=9123).",
      );
    });

    it("with neither PUBLIC_URL nor PORT, says the address is assumed and how to set it", async () => {
      const { code, output } = await usersAdd({});
      expect(code, output).toBe(0);
      expect(output).toMatch(/^http:\/\/localhost:8080\/console\/setup#token=[\w-]{40,}$/m);
      expect(output).toContain(
        "Address assumed: neither PUBLIC_URL nor PORT is set, so the link uses http://localhost:8080, the default.",
      );
      expect(output).toContain("Set PUBLIC_URL to the address staff reach the server at");
    });

    it("refuses a name with control characters", async () => {
      const { code, output } = await usersAdd({}, "--name", "Il Sindaco\u202e");
      expect(code).toBe(1);
      expect(output).toContain("--name: must not contain control characters");
    });
  });

  it("explains its usage and refuses an unknown command", async () => {
    const help = await banditore("--help");
    expect(help.code).toBe(0);
    expect(help.output).toContain("tenants check");
    const unknown = await banditore("launch");
    expect(unknown.code).toBe(2);
    expect(unknown.output).toContain('Unknown command "launch"');
  });

  it("reports a bad environment variable by name", async () => {
    const proc = spawnTs("src/server/cli.ts", ["migrate"], { DATABASE_URL: "mysql://x" });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toContain("DATABASE_URL: must be a postgres:// or postgresql:// URL");
  });

  it("sandbox: serves the Graph API alone, answering as Meta would", async () => {
    const proc = spawnTs(
      "src/server/cli.ts",
      ["sandbox", "--port", "0", "--webhook", "http://127.0.0.1:9/webhooks/whatsapp"],
      {
        HOST: "127.0.0.1",
      },
    );
    try {
      const [, url] = await proc.waitFor(
        /Sandbox serving the Graph API at (http:\/\/127\.0\.0\.1:\d+)\/sandbox\/graph/,
      );
      const res = await fetch(`${url}/sandbox/graph/v25.0/100000000000001/messages`, {
        method: "POST",
        headers: { authorization: "Bearer wrong", "content-type": "application/json" },
        body: JSON.stringify({
          messaging_product: "whatsapp",
          to: "393331234567",
          type: "text",
          text: { body: "x" },
        }),
      });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 190, type: "OAuthException" } });
    } finally {
      proc.child.kill("SIGTERM");
      await proc.exited;
    }
  });

  it("sandbox: refuses to start without a webhook URL", async () => {
    const { code, output } = await banditore("sandbox", "--port", "0");
    expect(code).toBe(1);
    expect(output).toContain("--webhook: the URL the sandbox posts webhooks to is required");
  });
});
