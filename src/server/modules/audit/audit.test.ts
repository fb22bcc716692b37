import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildTestApp, fakeClock, type TestApp } from "../../test/build-test-app.js";
import { testEngines } from "../../test/engines.js";
import { seedUser } from "../../test/staff-kit.js";
import { recordAudit, verifyAuditChain } from "./audit.service.js";

describe.each(testEngines())("the audit log on %s", (engine) => {
  let t: TestApp;
  const clock = fakeClock();
  beforeEach(async () => {
    t = await buildTestApp({ engine, clock });
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

  it("verifies an intact chain, and names the first entry that was edited or follows a deletion", async () => {
    await seed(6);
    const intact = await verifyAuditChain(t.database.db, 2);
    expect(intact).toMatchObject({ checked: 6 });
    expect(intact.broken).toBeUndefined();

    const ids = (
      await t.database.db.selectFrom("audit_log").select("id").orderBy("id").execute()
    ).map((r) => Number(r.id));
    await t.database.db
      .updateTable("audit_log")
      .set({ summary: '{"n":4,"text":"rewritten"}' })
      .where("id", "=", ids[3] ?? 0)
      .execute();
    const edited = await verifyAuditChain(t.database.db, 2);
    expect(edited.broken).toMatchObject({ id: ids[3] });
    expect(edited.broken?.reason).toContain("content does not match");

    await t.database.db
      .deleteFrom("audit_log")
      .where("id", ">=", ids[3] ?? 0)
      .where("id", "<=", ids[3] ?? 0)
      .execute();
    const cut = await verifyAuditChain(t.database.db);
    expect(cut.broken).toMatchObject({ id: ids[4] });
    expect(cut.broken?.reason).toContain("prev_hash");
  });

  it("lists a comune's entries newest first with paging, and exports them as CSV (audited)", async () => {
    await seed(7);
    const owner = await seedUser(t.database.db, clock, {
      email: "sindaco@concorezzo.it",
      roles: { concorezzo: ["owner"] },
      totp: true,
    });
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
      "id,created_at,actor_type,actor_id,action,target_type,target_id,summary,prev_hash,hash",
    );
    // The four concorezzo entries and the export itself, recorded before it was read.
    expect(lines).toHaveLength(1 + 5);
    expect(lines.at(-1)).toContain("audit.exported");
    expect(csv.body).toContain('"{""n"":3,""text"":""=HYPERLINK(\\""x\\""), \\""quoted\\""""}"');
    expect(csv.body).not.toContain("casale-marittimo");
  });
});
