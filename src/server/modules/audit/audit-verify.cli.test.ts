import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../platform/db/connect.js";
import { createTestPostgresDatabase, testEngines } from "../../test/engines.js";
import { spawnTs } from "../../test/spawn.js";

/**
 * `banditore users add` then `banditore audit verify`, as an operator runs them; someone edits
 * one audit row in the database, and the check fails naming it.
 */
describe.each(testEngines())("banditore audit verify on %s", (engine) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it("passes on an intact log and names the edited row otherwise", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "banditore-audit-"));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const env: Record<string, string> = { DATA_DIR: dataDir, LOG_LEVEL: "silent" };
    if (engine === "postgres") {
      const pg = await createTestPostgresDatabase();
      cleanups.push(pg.drop);
      env.DATABASE_URL = pg.url;
    }
    const run = async (...args: string[]) => {
      const proc = spawnTs("src/server/cli.ts", args, env);
      return { code: await proc.exited, output: proc.output() };
    };

    for (const [email, role] of [
      ["sindaco@concorezzo.it", "owner"],
      ["redazione@concorezzo.it", "editor"],
      ["tecnico@concorezzo.it", "technician"],
    ] as const) {
      const added = await run(
        "users",
        "add",
        "--email",
        email,
        "--tenant",
        "concorezzo",
        "--role",
        role,
      );
      expect(added.code, added.output).toBe(0);
      expect(added.output).toContain(`User ${email} (id `);
      expect(added.output).toMatch(/\/console\/setup#token=[\w-]{40,}/);
    }
    const intact = await run("audit", "verify");
    expect(intact.code, intact.output).toBe(0);
    expect(intact.output).toContain("Audit chain intact: 3 entries");

    const database = openDatabase({ url: env.DATABASE_URL, dataDir, poolSize: 1 });
    const [, second] = await database.db
      .selectFrom("audit_log")
      .select("id")
      .orderBy("id")
      .execute();
    await database.db
      .updateTable("audit_log")
      .set({ summary: '{"roles":["owner"]}' })
      .where("id", "=", second?.id ?? 0)
      .execute();
    await database.close();

    const broken = await run("audit", "verify");
    expect(broken.code).toBe(1);
    expect(broken.output).toContain(`Audit chain BROKEN at entry ${second?.id}`);
  }, 60_000);
});
