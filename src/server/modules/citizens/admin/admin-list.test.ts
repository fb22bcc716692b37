import type { Insertable } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SubscribersTable } from "../../../platform/db/schema.js";
import { buildTestApp, fakeClock, type TestApp } from "../../../test/build-test-app.js";
import { testEngines } from "../../../test/engines.js";
import { buildSubscriber } from "../../../test/factories.js";
import { seedSession } from "../../../test/staff-kit.js";
import type { SubscriberView } from "./subscriber-view.js";

/**
 * The staff's list of a comune's people over HTTP: newest first, paged by id, filtered by state
 * (as the statistics count them: a blocked person only under "blocked") and by topic (who
 * receives it: chose it, or chose nothing), numbers masked and never a name; erased people and
 * other comuni's are not in it; only a role that may reveal numbers reads it.
 */
const NOW = Date.UTC(2026, 10, 22, 9, 0, 0);
const TENANT = "casale-marittimo";

describe.each(testEngines())("the list of subscribers on %s", (engine) => {
  let t: TestApp;
  let owner: Record<string, string>;
  let editor: Record<string, string>;
  const ids: Record<string, number> = {};

  const person = async (
    name: string,
    waId: string | null,
    extra: Partial<Insertable<SubscribersTable>> = {},
  ) => {
    const row = await buildSubscriber(t.database.db, {
      tenant_id: TENANT,
      wa_id: waId,
      first_name: name,
      last_name: "Bianchi",
      created_at: NOW - 1000 + Object.keys(ids).length,
      ...extra,
    });
    ids[name] = row.id;
  };

  const list = async (query = "", headers = owner) => {
    const res = await t.app.inject({
      method: "GET",
      url: `/api/tenants/${TENANT}/subscribers${query}`,
      headers,
    });
    return {
      res,
      rows: res.statusCode === 200 ? res.json<{ subscribers: SubscriberView[] }>().subscribers : [],
    };
  };
  const names = (rows: SubscriberView[]) =>
    rows.map((r) => Object.entries(ids).find(([, id]) => id === r.id)?.[0]);

  beforeAll(async () => {
    t = await buildTestApp({ engine, clock: fakeClock(NOW) });
    const db = t.database.db;
    const seed = async (email: string, role: "owner" | "editor") =>
      seedSession(db, fakeClock(NOW), email, { [TENANT]: [role] }, { totp: true });
    owner = await seed("sindaco@casale.example.it", "owner");
    editor = await seed("ufficio@casale.example.it", "editor");
    await person("Anna", "393471110001", { topics: "[]" });
    await person("Bruno", "393471110002", { topics: '["eventi-culturali"]' });
    await person("Carla", "393471110003", { topics: '["news"]', blocked_at: NOW - 1000 });
    await person("Dario", "393471110004", { status: "pending", subscribed_at: null });
    await person("Elena", "393471110005", { status: "unsubscribed", unsubscribed_at: NOW - 500 });
    // Erased: nothing left that names a person.
    await person("Franca", null, { status: "unsubscribed", first_name: null, last_name: null });
    // Another comune's.
    await buildSubscriber(db, {
      tenant_id: "concorezzo",
      wa_id: "393471110009",
      first_name: "Gino",
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it("lists the comune's people newest first, numbers masked and no names", async () => {
    const { res, rows } = await list();
    expect(res.statusCode, res.body).toBe(200);
    expect(names(rows)).toEqual(["Elena", "Dario", "Carla", "Bruno", "Anna"]);
    expect(rows[4]).toMatchObject({ status: "active", number: "3934•••••001", revealed: false });
    for (const row of rows) expect(row).not.toHaveProperty("personal");
    expect(res.body).not.toMatch(/Anna|Bianchi|Gino|393471110001/);
  });

  it("filters by state as the statistics count it, and by who receives a topic", async () => {
    expect(names((await list("?status=active")).rows)).toEqual(["Bruno", "Anna"]);
    expect(names((await list("?status=blocked")).rows)).toEqual(["Carla"]);
    expect(names((await list("?status=pending")).rows)).toEqual(["Dario"]);
    // Anna chose nothing, so she receives every topic.
    expect(names((await list("?status=active&topic=eventi-culturali")).rows)).toEqual([
      "Bruno",
      "Anna",
    ]);
    expect(names((await list("?status=active&topic=news")).rows)).toEqual(["Anna"]);
  });

  it("pages by the last id shown", async () => {
    const first = (await list("?limit=2")).rows;
    expect(names(first)).toEqual(["Elena", "Dario"]);
    const next = (await list(`?limit=2&before=${first[1]?.id}`)).rows;
    expect(names(next)).toEqual(["Carla", "Bruno"]);
    const last = (await list(`?limit=2&before=${next[1]?.id}`)).rows;
    expect(names(last)).toEqual(["Anna"]);
  });

  it("refuses a topic or a state the comune does not have, naming the field", async () => {
    const topic = (await list("?topic=sagre")).res;
    expect(topic.statusCode).toBe(400);
    const refusal = topic.json<{
      error: { code: string; details: { field: string; problem: string }[] };
    }>().error;
    expect(refusal.code).toBe("VALIDATION_FAILED");
    expect(refusal.details).toHaveLength(1);
    expect(refusal.details[0]?.field).toBe("querystring.topic");
    expect(refusal.details[0]?.problem).toContain("argomento sconosciuto: sagre");
    const status = (await list("?status=gone")).res;
    expect(status.statusCode).toBe(400);
    expect(JSON.stringify(status.json())).toContain("querystring.status");
  });

  it("is only for a role that may reveal numbers", async () => {
    const { res } = await list("", editor);
    expect(res.statusCode).toBe(403);
  });
});
