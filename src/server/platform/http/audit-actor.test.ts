import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { actorOf } from "./access.js";
import { registerErrorHandling } from "./error-handler.js";

const SRC = new URL("../../../", import.meta.url).pathname;

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async (e): Promise<string[]> => {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) return e.name === "test" ? [] : sourceFiles(full);
      return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [full] : [];
    }),
  );
  return nested.flat();
}

describe("the audit actor", () => {
  it("is the authenticated caller", () => {
    const actor = { type: "user" as const, id: "7" };
    expect(actorOf({ actor })).toBe(actor);
  });

  it("fails loudly when a route writes an audit entry without an authenticated caller", async () => {
    expect(() => actorOf({ url: "/api/x" })).toThrow(/No authenticated actor.*\/api\/x/);
    // Through a route: a 500 (the programming error is logged), never an entry by "system".
    const app = Fastify({ logger: false });
    registerErrorHandling(app);
    const written: unknown[] = [];
    app.post("/api/public-thing", (request) => {
      written.push(actorOf(request));
      return { ok: true };
    });
    const answer = await app.inject({ method: "POST", url: "/api/public-thing" });
    expect(answer.statusCode).toBe(500);
    expect(answer.json()).toEqual({
      error: { code: "INTERNAL_ERROR", message: "Errore interno del servizio" },
    });
    expect(written).toEqual([]);
    await app.close();
  });

  it("is never defaulted to the system in a request handler", async () => {
    const offenders: string[] = [];
    for (const file of await sourceFiles(SRC)) {
      const text = await readFile(file, "utf8");
      if (/request\.actor\s*\?\?/.test(text)) offenders.push(path.relative(SRC, file));
    }
    expect(offenders).toEqual([]);
  });
});
