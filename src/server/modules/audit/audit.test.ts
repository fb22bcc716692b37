import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import type { Updateable } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseEnv } from "../../config/env.js";
import type { AuditLogTable } from "../../platform/db/schema.js";
import { ConfigError } from "../../platform/errors.js";
import { createLogger } from "../../platform/log.js";
import { appendBySql, rewriteWithPublicScheme } from "../../test/audit-attacker.js";
import { buildTestApp, fakeClock, type TestApp } from "../../test/build-test-app.js";
import { testEngines } from "../../test/engines.js";
import { seedUser } from "../../test/staff-kit.js";
import { auditKey, SANDBOX_AUDIT_KEY_SECRET } from "./audit-key.js";
import {
  anchorOf,
  formatAnchor,
  parseAnchors,
  recordAudit,
  resolveAuditKeySecret,
  sealAuditChain,
  startAuditAnchorJob,
  takeAnchor,
  useAuditKey,
  verifyAuditChain,
} from "./audit.service.js";

/** The server's key in these tests: a real one, not the sandbox's public development key. */
const SERVER_KEY = "the-servers-audit-key-secret";

describe.each(testEngines())("the audit log on %s", (engine) => {
  let t: TestApp;
  const clock = fakeClock();
  beforeEach(async () => {
    t = await buildTestApp({ engine, clock });
    useAuditKey(SERVER_KEY);
  });
  afterEach(async () => {
    await t.close();
  });

  const seed = async (n: number) => {
    for (let i = 1; i <= n; i++) {
      await recordAudit(
        t.database.db,
        {
          tenantId: i % 2 ? "concorezzo" : "casale-marittimo",
          actor: { type: "user", id: "1" },
          action: "test.entry",
          target: { type: "thing", id: String(i) },
          summary: { n: i, text: i === 3 ? '=HYPERLINK("x"), "quoted"' : "plain" },
        },
        clock.now() + i,
      );
    }
  };
  /** Concorezzo's owner, with two-factor on as the role requires. */
  const seedOwner = () =>
    seedUser(t.database.db, clock, {
      email: "sindaco@concorezzo.it",
      roles: { concorezzo: ["owner"] },
      totp: true,
    });
  /** Someone with access to the database changes the entry `id` behind the service's back. */
  const tamper = (id: number | undefined, changes: Updateable<AuditLogTable>) =>
    t.database.db
      .updateTable("audit_log")
      .set(changes)
      .where("id", "=", id ?? 0)
      .execute();
  const ids = async () =>
    (await t.database.db.selectFrom("audit_log").select("id").orderBy("id").execute()).map((r) =>
      Number(r.id),
    );

  it("verifies an intact chain, and names the first entry that was edited or follows a deletion", async () => {
    await seed(6);
    const intact = await verifyAuditChain(t.database.db, { pageSize: 2 });
    expect(intact).toMatchObject({ entries: 6, chainLength: 6, weak: 0 });
    expect(intact.broken).toBeUndefined();

    const all = await ids();
    await tamper(all[3], { summary: '{"n":4,"text":"rewritten"}' });
    const edited = await verifyAuditChain(t.database.db, { pageSize: 2 });
    expect(edited.broken).toMatchObject({ id: all[3], position: 4, code: "content" });
    expect(edited.broken?.reason).toContain("content does not match its keyed hash");
    expect(edited.entries).toBe(3);

    await t.database.db
      .deleteFrom("audit_log")
      .where("id", "=", all[3] ?? 0)
      .execute();
    const cut = await verifyAuditChain(t.database.db);
    expect(cut.broken).toMatchObject({ id: all[4], position: 4, code: "link" });
    expect(cut.broken?.reason).toContain("prev_hash");
  });

  it("reports an entry appended with SQL under the public scheme as forged, with its position", async () => {
    await seed(6);
    // The forgery: the row verified as a seventh entry before the chain was keyed.
    const forged = await appendBySql(t.database.db, clock.now() + 10);
    const check = await verifyAuditChain(t.database.db);
    expect(check.broken).toMatchObject({ id: forged, position: 7, code: "downgrade" });
    expect(check.broken?.reason).toContain("it claims the public SHA-256 scheme");
    expect(check.broken?.reason).toContain("forged");
    expect(check.entries).toBe(6);

    // The same, claiming the keyed scheme and copying the key id: its hash is not the HMAC.
    await t.database.db.deleteFrom("audit_log").where("id", "=", forged).execute();
    const keyId = auditKey(SERVER_KEY).id;
    const again = await appendBySql(t.database.db, clock.now() + 11, {
      hash_scheme: 2,
      key_id: keyId,
    });
    const second = await verifyAuditChain(t.database.db);
    expect(second.broken).toMatchObject({ id: again, position: 7, code: "content" });
    expect(second.broken?.reason).toContain("written by someone without the key");
  });

  it("detects a cut tail and a chain rewritten whole against an anchor taken before", async () => {
    await seed(5);
    const anchor = anchorOf(await verifyAuditChain(t.database.db), clock.now());
    expect(anchor).toMatchObject({ event: "audit.anchor", entries: 5 });
    await seed(2);
    const later = await verifyAuditChain(t.database.db, { anchors: [anchor] });
    expect(later.anchors.map((a) => a.state)).toEqual(["holds"]);

    // The limit: entries appended after the newest anchor can be cut unseen.
    const all = await ids();
    await t.database.db
      .deleteFrom("audit_log")
      .where("id", ">", all[4] ?? 0)
      .execute();
    const sinceAnchor = await verifyAuditChain(t.database.db, { anchors: [anchor] });
    expect(sinceAnchor.anchors.map((a) => a.state)).toEqual(["holds"]);

    // Cutting into the anchored part: the chain left holds alone, not against the anchor.
    await t.database.db
      .deleteFrom("audit_log")
      .where("id", ">=", all[3] ?? 0)
      .execute();
    const cut = await verifyAuditChain(t.database.db, { anchors: [anchor] });
    expect(cut.broken).toBeUndefined();
    expect(cut).toMatchObject({ entries: 3, chainLength: 3 });
    expect(cut.anchors.map((a) => a.state)).toEqual(["cut"]);
  });

  it("detects a chain rewritten whole under the public scheme, which holds by itself", async () => {
    await seed(4);
    const anchor = anchorOf(await verifyAuditChain(t.database.db), clock.now());
    const all = await ids();
    await rewriteWithPublicScheme(t.database.db, { id: all[1] ?? 0, summary: '{"n":0}' });
    const alone = await verifyAuditChain(t.database.db);
    expect(alone.broken).toBeUndefined();
    expect(alone).toMatchObject({ entries: 4, weak: 4 });
    const anchored = await verifyAuditChain(t.database.db, { anchors: [anchor] });
    expect(anchored.anchors).toMatchObject([{ state: "rewritten", found: { id: all[3] } }]);
  });

  it("names a wrong key as such, and a change of key in the middle as a break", async () => {
    await seed(3);
    const wrong = await verifyAuditChain(t.database.db, {
      key: auditKey("somebody-elses-audit-key"),
    });
    expect(wrong.broken).toMatchObject({
      position: 1,
      code: "wrong_key",
      sealedWith: auditKey(SERVER_KEY).id,
    });
    expect(wrong.broken?.reason).toContain("AUDIT_KEY_SECRET is not the key that sealed the log");

    useAuditKey("a-new-audit-key-secret");
    await seed(1);
    const changed = await verifyAuditChain(t.database.db, { key: auditKey(SERVER_KEY) });
    expect(changed.broken).toMatchObject({ position: 4, code: "foreign_key" });
    expect(changed.broken?.reason).toContain("or AUDIT_KEY_SECRET was changed here");
  });

  it("keeps entries written before the key: checked by the public scheme, sealed at start, never after", async () => {
    // Entries as they were before migration 0010: hashed by the public scheme.
    useAuditKey(SANDBOX_AUDIT_KEY_SECRET);
    await seed(3);
    await rewriteWithPublicScheme(t.database.db);
    useAuditKey(SERVER_KEY);
    const before = await verifyAuditChain(t.database.db);
    expect(before).toMatchObject({ entries: 3, weak: 3 });
    expect(before.broken).toBeUndefined();

    const sealed = await sealAuditChain(t.database.db, clock.now() + 20);
    expect(sealed).toMatchObject({ state: "sealed", before: "public scheme" });
    expect(await sealAuditChain(t.database.db, clock.now() + 21)).toEqual({ state: "keyed" });
    const after = await verifyAuditChain(t.database.db);
    expect(after).toMatchObject({ entries: 4, weak: 3 });
    const seal = await t.database.db
      .selectFrom("audit_log")
      .select(["action", "hash_scheme"])
      .where("id", "=", sealed.state === "sealed" ? sealed.entryId : 0)
      .executeTakeFirstOrThrow();
    expect(seal).toEqual({ action: "audit.keyed", hash_scheme: 2 });

    // The old entries rewritten with public hashes that hold among themselves: the keyed seal
    // after them covers the old last hash.
    const all = await ids();
    await rewriteWithPublicScheme(t.database.db, { id: all[0] ?? 0, summary: '{"n":0}' }, all[2]);
    const edited = await verifyAuditChain(t.database.db);
    expect(edited.broken).toMatchObject({ id: all[3], position: 4, code: "link" });
    // Nor can the seal be made to follow them: its prev_hash is under the key.
    const rewritten = await t.database.db
      .selectFrom("audit_log")
      .select("hash")
      .where("id", "=", all[2] ?? 0)
      .executeTakeFirstOrThrow();
    await tamper(all[3], { prev_hash: rewritten.hash });
    const relinked = await verifyAuditChain(t.database.db);
    expect(relinked.broken).toMatchObject({ id: all[3], position: 4, code: "content" });
  });

  it("seals a chain begun with the sandbox's development key, and leaves one of another key alone", async () => {
    useAuditKey(SANDBOX_AUDIT_KEY_SECRET);
    await seed(2);
    useAuditKey(SERVER_KEY);
    expect(await sealAuditChain(t.database.db, clock.now())).toMatchObject({
      state: "sealed",
      before: "development key",
    });
    const forged = await appendBySql(t.database.db, clock.now() + 1, {
      hash_scheme: 2,
      key_id: auditKey(SANDBOX_AUDIT_KEY_SECRET).id,
    });
    expect((await verifyAuditChain(t.database.db)).broken).toMatchObject({
      id: forged,
      code: "downgrade",
    });
    await t.database.db.deleteFrom("audit_log").where("id", "=", forged).execute();

    useAuditKey("a-new-audit-key-secret");
    const end = await sealAuditChain(t.database.db, clock.now());
    expect(end).toMatchObject({ state: "other key", keyId: auditKey(SERVER_KEY).id });
    expect(await t.database.db.selectFrom("audit_log").select("id").execute()).toHaveLength(3);
  });

  it("appends anchors to a file only while the chain holds against those already in it", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "banditore-anchor-"));
    try {
      const file = path.join(dir, "anchors.jsonl");
      await seed(3);
      const first = await takeAnchor(t.database.db, clock.now(), file);
      expect(first.anchor).toMatchObject({ entries: 3 });
      await seed(2);
      const second = await takeAnchor(t.database.db, clock.now(), file);
      expect(second.anchor).toMatchObject({ entries: 5 });
      const lines = (await readFile(file, "utf8")).trim().split("\n");
      expect(lines.map((l) => (JSON.parse(l) as { entries: number }).entries)).toEqual([3, 5]);

      const all = await ids();
      await t.database.db
        .deleteFrom("audit_log")
        .where("id", ">=", all[3] ?? 0)
        .execute();
      const third = await takeAnchor(t.database.db, clock.now(), file);
      expect(third.anchor).toBeUndefined();
      expect(third.check.anchors.map((a) => a.state)).toEqual(["holds", "cut"]);
      expect((await readFile(file, "utf8")).trim().split("\n")).toHaveLength(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("logs the anchor from the server's job, and the forged entry's position when there is one", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger("info", sink);
    await seed(2);
    const job = startAuditAnchorJob({ db: t.database.db, clock, log });
    await job.idle();
    await job.stop();
    const anchors = parseAnchors(lines.join(""), "the log");
    expect(anchors).toMatchObject([{ entries: 2, keyId: auditKey(SERVER_KEY).id }]);
    const check = await verifyAuditChain(t.database.db, { anchors });
    expect(check.anchors.map((a) => a.state)).toEqual(["holds"]);

    // Stopped before its first run is done (a shutdown): it stops quietly.
    const logged = lines.length;
    const stopped = startAuditAnchorJob({ db: t.database.db, clock, log });
    await stopped.stop();
    expect(lines).toHaveLength(logged);

    const forged = await appendBySql(t.database.db, clock.now() + 5);
    const again = startAuditAnchorJob({ db: t.database.db, clock, log });
    await again.idle();
    await again.stop();
    const broken = JSON.parse(lines.at(-1) ?? "{}") as Record<string, unknown>;
    expect(broken).toMatchObject({
      level: 50,
      event: "audit.chain_broken",
      id: forged,
      position: 3,
      code: "downgrade",
    });
  });

  it("lists a comune's entries newest first with paging, and exports them as CSV (audited)", async () => {
    await seed(7);
    const owner = await seedOwner();
    const headers = await owner.session();
    const page1 = await t.app.inject({
      method: "GET",
      url: "/api/tenants/concorezzo/audit?limit=3",
      headers,
    });
    const body1 = page1.json<{ entries: { target: { id: string } }[]; nextBefore: number }>();
    expect(body1.entries.map((e) => e.target.id)).toEqual(["7", "5", "3"]);
    const page2 = await t.app.inject({
      method: "GET",
      url: `/api/tenants/concorezzo/audit?limit=3&before=${body1.nextBefore}`,
      headers,
    });
    expect(page2.json()).toMatchObject({ entries: [{ target: { id: "1" } }], nextBefore: null });

    const csv = await t.app.inject({
      method: "GET",
      url: "/api/tenants/concorezzo/audit.csv",
      headers,
    });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers["content-type"]).toBe("text/csv; charset=utf-8");
    const lines = csv.body.trim().split("\r\n");
    expect(lines[0]).toBe(
      "id,created_at,actor_type,actor_id,action,target_type,target_id,summary,prev_hash,hash,hash_scheme,key_id",
    );
    // The four concorezzo entries and the export itself, recorded before it was read.
    expect(lines).toHaveLength(1 + 5);
    expect(lines.at(-1)).toContain("audit.exported");
    expect(lines.at(-1)).toMatch(new RegExp(`,2,${auditKey(SERVER_KEY).id}$`));
    expect(csv.body).toContain('"{""n"":3,""text"":""=HYPERLINK(\\""x\\""), \\""quoted\\""""}"');
    expect(csv.body).not.toContain("casale-marittimo");
  });

  it("filters a comune's listing by action, kind, who and period, and refuses a bad filter", async () => {
    const at = clock.now();
    const entries: [string, { type: "user" | "system" | "api-key"; id?: string }, number][] = [
      ["user.disabled", { type: "user", id: "7" }, at + 1_000],
      ["user.enabled", { type: "user", id: "7" }, at + 2_000],
      ["apikey.created", { type: "user", id: "8" }, at + 3_000],
      ["admin_token.used", { type: "system" }, at + 4_000],
      // "_" is not a wildcard: this is not of the kind admin_token.
      ["adminxtoken.used", { type: "api-key", id: "3" }, at + 5_000],
    ];
    for (const [action, actor, when] of entries) {
      await recordAudit(t.database.db, { tenantId: "concorezzo", actor, action }, when);
    }
    // Another comune's entry of the same kind never shows.
    await recordAudit(
      t.database.db,
      { tenantId: "casale-marittimo", actor: { type: "user", id: "7" }, action: "user.disabled" },
      at + 1_500,
    );
    const owner = await seedOwner();
    const headers = await owner.session();
    const actions = async (query: string) => {
      const answer = await t.app.inject({
        method: "GET",
        url: `/api/tenants/concorezzo/audit?${query}`,
        headers,
      });
      expect(answer.statusCode, answer.body).toBe(200);
      return answer.json<{ entries: { action: string }[] }>().entries.map((e) => e.action);
    };
    expect(await actions("action=user.enabled")).toEqual(["user.enabled"]);
    expect(await actions("kind=user")).toEqual(["user.enabled", "user.disabled"]);
    expect(await actions("kind=admin_token")).toEqual(["admin_token.used"]);
    expect(await actions("actorType=user&actorId=7")).toEqual(["user.enabled", "user.disabled"]);
    expect(await actions("actorType=api-key")).toEqual(["adminxtoken.used"]);
    expect(await actions(`from=${at + 2_000}&to=${at + 4_000}`)).toEqual([
      "apikey.created",
      "user.enabled",
    ]);
    expect(await actions(`kind=user&from=${at + 1_500}`)).toEqual(["user.enabled"]);
    // Paging keeps the filter.
    const first = await t.app.inject({
      method: "GET",
      url: "/api/tenants/concorezzo/audit?kind=user&limit=1",
      headers,
    });
    const { nextBefore } = first.json<{ nextBefore: number }>();
    expect(await actions(`kind=user&limit=1&before=${nextBefore}`)).toEqual(["user.disabled"]);

    for (const [query, field] of [
      ["kind=user%25", "querystring.kind"],
      ["action=user", "querystring.action"],
      ["actorType=robot", "querystring.actorType"],
      [`from=${at + 2_000}&to=${at + 1_000}`, "querystring.to"],
    ] as const) {
      const refused = await t.app.inject({
        method: "GET",
        url: `/api/tenants/concorezzo/audit?${query}`,
        headers: { ...headers, "accept-language": "it" },
      });
      expect(refused.statusCode, query).toBe(400);
      expect(refused.json<{ error: { details: { field: string }[] } }>().error.details).toEqual([
        expect.objectContaining({ field }),
      ]);
    }
  });

  it("tells a comune's owner whether the chain holds, and where it breaks, over HTTP", async () => {
    await seed(4);
    const owner = await seedOwner();
    const editor = await seedUser(t.database.db, clock, {
      email: "redazione@concorezzo.it",
      roles: { concorezzo: ["editor"] },
    });
    const verify = async (headers: Record<string, string>, tenant = "concorezzo") =>
      t.app.inject({ method: "GET", url: `/api/tenants/${tenant}/audit/verify`, headers });
    const headers = await owner.session();
    expect((await verify(await editor.session())).statusCode).toBe(403);

    const total = await t.database.db.selectFrom("audit_log").select("id").execute();
    const intact = await verify(headers);
    expect(intact.statusCode, intact.body).toBe(200);
    // The same walk as `audit verify`: every entry of the deployment, two of them concorezzo's.
    const check = await verifyAuditChain(t.database.db);
    expect(intact.json()).toMatchObject({
      ok: true,
      entries: check.entries,
      chainLength: total.length,
      entriesOfComune: 2,
      broken: null,
    });

    // An entry of concorezzo changed: named with its time and action.
    const all = await ids();
    await tamper(all[2], { summary: '{"n":3,"text":"rewritten"}' });
    const broken = (await verify(headers)).json<unknown>();
    expect(broken).toMatchObject({
      ok: false,
      entries: 2,
      entriesOfComune: 1,
      broken: {
        id: all[2],
        position: 3,
        code: "content",
        ofThisComune: true,
        at: clock.now() + 3,
        action: "test.entry",
      },
    });
    // Casale sees the same break, by its place only: the entry is not Casale's.
    const casaleOwner = await seedUser(t.database.db, clock, {
      email: "sindaco@casale.it",
      roles: { "casale-marittimo": ["owner"] },
      totp: true,
    });
    const casale = (await verify(await casaleOwner.session(), "casale-marittimo")).json<unknown>();
    expect(casale).toMatchObject({
      ok: false,
      broken: { id: all[2], position: 3, ofThisComune: false, at: null, action: null },
    });
  });
});

describe("the audit key and anchors", () => {
  it("requires AUDIT_KEY_SECRET outside sandbox mode, and has a development value in it", () => {
    expect(() => resolveAuditKeySecret(parseEnv({}), "cloud")).toThrow(ConfigError);
    expect(() => resolveAuditKeySecret(parseEnv({}), "cloud")).toThrow(/Missing secrets/);
    try {
      resolveAuditKeySecret(parseEnv({}), "cloud");
    } catch (error) {
      expect((error as ConfigError).problems[0]).toMatch(
        /^AUDIT_KEY_SECRET: is not set \(required outside sandbox mode\)/,
      );
    }
    expect(resolveAuditKeySecret(parseEnv({}), "sandbox")).toBe(SANDBOX_AUDIT_KEY_SECRET);
    const env = parseEnv({ AUDIT_KEY_SECRET: "a-long-enough-audit-key" });
    expect(resolveAuditKeySecret(env, "cloud")).toBe("a-long-enough-audit-key");
  });

  it("gives each key a public id that is not the key", () => {
    const key = auditKey("a-long-enough-audit-key");
    expect(key.id).toMatch(/^[0-9a-f]{16}$/);
    expect(auditKey("another-long-audit-key").id).not.toBe(key.id);
    expect(key.id).not.toContain("audit");
  });

  it("reads anchors from anchor lines and log lines, and refuses a file with a bad one or none", () => {
    const anchor = {
      event: "audit.anchor" as const,
      at: "2026-11-22T09:00:00.000Z",
      entries: 3,
      lastId: 3,
      lastHash: "a".repeat(64),
      keyId: "0123456789abcdef",
    };
    const logLine = JSON.stringify({ level: 30, time: 1, ...anchor, entries: 4, msg: "x" });
    const text = ["something else", formatAnchor(anchor), logLine, ""].join("\n");
    expect(parseAnchors(text, "a.jsonl").map((a) => a.entries)).toEqual([3, 4]);
    expect(() => parseAnchors('{"event":"audit.anchor","entries":"x"}', "bad.jsonl")).toThrow(
      /^bad\.jsonl:1: not a readable audit anchor/,
    );
    expect(() => parseAnchors("hello\n", "empty.txt")).toThrow("empty.txt: no audit anchor in it");
  });
});
