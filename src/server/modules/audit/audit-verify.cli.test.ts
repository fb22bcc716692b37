import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../platform/db/connect.js";
import { appendBySql } from "../../test/audit-attacker.js";
import { createTestPostgresDatabase, testEngines } from "../../test/engines.js";
import { spawnTs } from "../../test/spawn.js";

/**
 * `banditore users add`, `audit anchor` and `audit verify`, as an operator runs them, while
 * someone with access to the database (but not AUDIT_KEY_SECRET) edits an entry, appends a forged
 * one and cuts the tail; then the check is run with the wrong key.
 */
describe.each(testEngines())("banditore audit verify on %s", (engine) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it("passes on an intact log, names an edited or forged entry, and a cut tail against the anchor", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "banditore-audit-"));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const anchorFile = path.join(dataDir, "elsewhere", "anchors.jsonl");
    const env: Record<string, string> = {
      DATA_DIR: dataDir,
      LOG_LEVEL: "silent",
      AUDIT_KEY_SECRET: "the-servers-audit-key-secret",
    };
    if (engine === "postgres") {
      const pg = await createTestPostgresDatabase();
      cleanups.push(pg.drop);
      env.DATABASE_URL = pg.url;
    }
    const run = async (args: string[], extra: Record<string, string> = {}) => {
      const proc = spawnTs("src/server/cli.ts", args, { ...env, ...extra });
      return { code: await proc.exited, output: proc.output() };
    };
    const withDatabase = async <T>(
      fn: (db: ReturnType<typeof openDatabase>["db"]) => Promise<T>,
    ): Promise<T> => {
      const database = openDatabase({ url: env.DATABASE_URL, dataDir, poolSize: 1 });
      try {
        return await fn(database.db);
      } finally {
        await database.close();
      }
    };

    for (const [email, role] of [
      ["sindaco@concorezzo.it", "owner"],
      ["redazione@concorezzo.it", "editor"],
      ["tecnico@concorezzo.it", "technician"],
    ] as const) {
      const added = await run([
        "users",
        "add",
        "--email",
        email,
        "--tenant",
        "concorezzo",
        "--role",
        role,
      ]);
      expect(added.code, added.output).toBe(0);
      expect(added.output).toContain(`User ${email} (id `);
    }
    const intact = await run(["audit", "verify"]);
    expect(intact.code, intact.output).toBe(0);
    expect(intact.output).toContain("Audit chain intact: 3 entries");
    expect(intact.output).toContain("banditore audit anchor --out FILE");

    // A folder that does not exist: said so, nothing half-written.
    const nowhere = await run(["audit", "anchor", "--out", anchorFile]);
    expect(nowhere.code).toBe(1);
    expect(nowhere.output).toContain(`Banditore cannot start. --out: cannot write ${anchorFile}`);
    await mkdir(path.dirname(anchorFile));
    const anchor = await run(["audit", "anchor", "--out", anchorFile]);
    expect(anchor.code, anchor.output).toBe(0);
    expect(anchor.output).toMatch(/^\{"event":"audit.anchor","at":"[^"]+","entries":3,/m);
    expect(await readFile(anchorFile, "utf8")).toMatch(/"entries":3,"lastId":\d+,"lastHash"/);

    // An entry edited in the middle, then put back.
    const rows = await withDatabase((db) =>
      db.selectFrom("audit_log").select(["id", "summary"]).orderBy("id").execute(),
    );
    const second = rows[1];
    const setSummary = (summary: string | null) =>
      withDatabase((db) =>
        db
          .updateTable("audit_log")
          .set({ summary })
          .where("id", "=", second?.id ?? 0)
          .execute(),
      );
    await setSummary('{"roles":["owner"]}');
    const edited = await run(["audit", "verify"]);
    expect(edited.code).toBe(1);
    expect(edited.output).toContain(`Audit chain BROKEN at entry ${second?.id} (position 2 of 3)`);
    expect(edited.output).toContain("its content does not match its keyed hash");
    await setSummary(second?.summary ?? null);

    // The forgery: a row appended with SQL, hashed by the public scheme.
    const forged = await withDatabase((db) => appendBySql(db, Date.now()));
    const caught = await run(["audit", "verify"]);
    expect(caught.code).toBe(1);
    expect(caught.output).toContain(`Audit chain BROKEN at entry ${forged} (position 4 of 4)`);
    expect(caught.output).toContain("written by someone without the key (forged)");
    expect(caught.output).toContain("3 entries before it hold.");

    // The forged row and the newest real one removed: a shorter chain that holds, but not
    // against the anchor.
    await withDatabase((db) =>
      db
        .deleteFrom("audit_log")
        .where("id", ">=", rows[2]?.id ?? 0)
        .execute(),
    );
    const shorter = await run(["audit", "verify"]);
    expect(shorter.code, shorter.output).toBe(0);
    expect(shorter.output).toContain("Audit chain intact: 2 entries");
    const cut = await run(["audit", "verify", "--anchor", anchorFile]);
    expect(cut.code).toBe(1);
    expect(cut.output).toContain("Audit chain CUT: the anchor of");
    expect(cut.output).toContain("counts 3 entries");
    expect(cut.output).toContain("the log has 2: entries were removed from the end");
    const refused = await run(["audit", "anchor", "--out", anchorFile]);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain("Audit chain CUT");

    const wrongKey = await run(["audit", "verify"], {
      AUDIT_KEY_SECRET: "not-the-servers-audit-key",
    });
    expect(wrongKey.code).toBe(3);
    expect(wrongKey.output).toContain(
      "Audit chain NOT CHECKED: AUDIT_KEY_SECRET is not the key that sealed the log.",
    );
    expect(wrongKey.output).toContain("Entry ");
    expect(wrongKey.output).not.toContain("BROKEN");
  }, 90_000);
});
