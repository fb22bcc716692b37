import type { Insertable, Selectable } from "kysely";
import { beforeEach, describe, expect, it } from "vitest";
import type { AuditLogTable, SubscribersTable } from "../../../platform/db/schema.js";
import { buildTestApp, fakeClock, useTestApp } from "../../../test/build-test-app.js";
import { testEngines } from "../../../test/engines.js";
import { buildOutboundMessage, buildSubscriber } from "../../../test/factories.js";
import { SANDBOX_SUBSCRIBER_KEY_SECRET } from "../key-secret.js";
import { reportCsv } from "./admin-reports.routes.js";
import { normaliseNumber } from "../../../platform/phone-number.js";
import { subscriberKey } from "../subscriber-key.js";

const TOKEN = "admin-token-for-the-tests-0123456789";
const auth = { authorization: `Bearer ${TOKEN}` };
const HOUR = 3_600_000;
const ALICE = "393331234567"; // concorezzo, active
const BRUNO = "393471112223"; // casale, active
const CARLA = "393209998887"; // concorezzo, wrote without subscribing, flagged by the flood rule

const keyOf = (tenant: string, waId: string) =>
  subscriberKey(SANDBOX_SUBSCRIBER_KEY_SECRET, tenant, waId);

describe.each(testEngines())("citizens admin API on %s", (engine) => {
  const clock = fakeClock();
  const ids = { alice: 0, bruno: 0, carla: 0 };

  const insertSubscriber = async (
    tenant: string,
    waId: string | null,
    extra: Partial<Insertable<SubscribersTable>> = {},
  ) => {
    const now = clock.now();
    const { id } = await buildSubscriber(t.database.db, {
      tenant_id: tenant,
      wa_id: waId,
      status: "active",
      first_name: "Alice",
      last_name: "Rossi",
      locale: "it",
      subscribed_at: now - 48 * HOUR,
      last_inbound_at: now - HOUR,
      subscriber_key: waId ? keyOf(tenant, waId) : null,
      topics: "[]",
      created_at: now - 48 * HOUR,
      updated_at: now - 48 * HOUR,
      ...extra,
    });
    return Number(id);
  };

  // The audit log is append-only: each test reads the entries written since it began, leaving
  // out the access layer's own record of each use of the admin token (tested with the staff).
  let auditBaseline = 0;
  const audits = () =>
    t.database.db
      .selectFrom("audit_log")
      .selectAll()
      .where("id", ">", auditBaseline)
      .where("action", "!=", "admin_token.used")
      .orderBy("id")
      .execute() as Promise<Selectable<AuditLogTable>[]>;

  const t = useTestApp({ engine, clock, env: { ADMIN_TOKEN: TOKEN } });
  /** A request to the admin API with the admin token. */
  const asAdmin = (method: string, url: string, payload?: unknown) =>
    t.app.inject({ method: method as "GET", url, headers: auth, ...(payload ? { payload } : {}) });
  /** A message the comune's moderation inbox keeps, received at `at`. */
  const keepMessage = (
    at: number,
    row: {
      subscriber_id: number | null;
      subscriber_key: string;
      inbound_message_id: string;
      text: string;
      flagged_at: number | null;
    },
  ) =>
    t.database.db
      .insertInto("moderation_messages")
      .values({
        tenant_id: "concorezzo",
        type: "text",
        media_id: null,
        received_at: at,
        purge_after: at + 30 * 24 * HOUR,
        ...row,
      })
      .execute();
  const subscriberRow = (id: number) =>
    t.database.db
      .selectFrom("subscribers")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
  beforeEach(async () => {
    const db = t.database.db;
    const last = await db
      .selectFrom("audit_log")
      .select("id")
      .orderBy("id", "desc")
      .executeTakeFirst();
    auditBaseline = Number(last?.id ?? 0);
    await db.deleteFrom("moderation_messages").execute();
    await db.deleteFrom("consent_events").execute();
    await db.deleteFrom("outbound_messages").execute();
    await db.deleteFrom("subscribers").execute();
    ids.alice = await insertSubscriber("concorezzo", ALICE, { topics: '["news"]' });
    ids.bruno = await insertSubscriber("casale-marittimo", BRUNO, {
      first_name: "Bruno",
      topics: '["eventi-culturali"]',
    });
    ids.carla = await insertSubscriber("concorezzo", CARLA, {
      status: "contact",
      first_name: null,
      last_name: null,
      subscribed_at: null,
      flagged_at: clock.now() - 2 * HOUR,
      flag_reason: "flood",
    });
  });

  it("refuses every route without the admin token or with a wrong one (401)", async () => {
    const routes: [string, string][] = [
      ["POST", "/api/tenants/concorezzo/subscribers/lookup"],
      ["GET", `/api/tenants/concorezzo/subscribers/${ids.alice}`],
      ["GET", `/api/tenants/concorezzo/subscribers/${ids.alice}/export`],
      ["DELETE", `/api/tenants/concorezzo/subscribers/${ids.alice}`],
      ["POST", `/api/tenants/concorezzo/subscribers/${ids.alice}/block`],
      ["DELETE", `/api/tenants/concorezzo/subscribers/${ids.alice}/block`],
      ["GET", "/api/tenants/concorezzo/moderation/flagged"],
      ["GET", "/api/tenants/concorezzo/moderation/report"],
      ["GET", "/api/tenants/concorezzo/stats/subscribers"],
      ["GET", "/api/tenants/concorezzo/stats/subscriptions?from=2026-11-01&to=2026-11-22"],
      ["GET", "/api/tenants/concorezzo/stats/replies?from=2026-11-01&to=2026-11-22"],
    ];
    const bodies: Record<string, unknown> = {
      "/api/tenants/concorezzo/subscribers/lookup": { number: ALICE },
      [`/api/tenants/concorezzo/subscribers/${ids.alice}/block`]: { reason: "spam ripetuto" },
    };
    for (const [method, url] of routes) {
      const body = method === "POST" ? bodies[url] : undefined;
      for (const headers of [{}, { authorization: "Bearer wrong-token-wrong-token-wrong" }]) {
        const res = await t.app.inject({
          method: method as "GET",
          url,
          headers,
          ...(body ? { payload: body } : {}),
        });
        expect(res.statusCode, `${method} ${url}`).toBe(401);
        expect(res.json()).toMatchObject({ error: { code: "UNAUTHENTICATED" } });
      }
    }
    expect(await audits()).toHaveLength(0);
  });

  it("finds a subscriber by full number through the keyed hash, masked, and audits it", async () => {
    const res = await asAdmin("POST", "/api/tenants/concorezzo/subscribers/lookup", {
      number: "+39 333 123 4567",
    });
    expect(res.statusCode).toBe(200);
    const body = res.json<Record<string, unknown>>();
    expect(body).toMatchObject({ id: ids.alice, status: "active", number: "3933•••••567" });
    expect(body).not.toHaveProperty("personal");
    expect(res.body).not.toContain(ALICE);
    expect(res.body).not.toContain("Alice");

    const [entry] = await audits();
    expect(entry).toMatchObject({
      tenant_id: "concorezzo",
      actor_type: "admin-token",
      action: "subscriber.lookup",
      target_id: String(ids.alice),
    });
    expect(entry?.summary).not.toContain(ALICE);
  });

  it("matches on the keyed hash only: never on the stored number (no scan)", async () => {
    const db = t.database.db;
    // The row's wa_id no longer says the number; only its key does: still found.
    await db.updateTable("subscribers").set({ wa_id: null }).where("id", "=", ids.alice).execute();
    const byKey = await asAdmin("POST", "/api/tenants/concorezzo/subscribers/lookup", {
      number: `00${ALICE}`,
    });
    expect(byKey.statusCode).toBe(200);
    expect(byKey.json()).toMatchObject({ id: ids.alice, number: null });
    // A row holding the number with another key is not found by it.
    await db
      .updateTable("subscribers")
      .set({ wa_id: ALICE, subscriber_key: "not-the-key" })
      .where("id", "=", ids.alice)
      .execute();
    const byNumber = await asAdmin("POST", "/api/tenants/concorezzo/subscribers/lookup", {
      number: ALICE,
    });
    expect(byNumber.statusCode).toBe(404);
    const entries = await audits();
    expect(entries.map((e) => e.action)).toEqual(["subscriber.lookup", "subscriber.lookup"]);
    expect(JSON.parse(entries[1]?.summary ?? "{}")).toMatchObject({ found: false });
  });

  it("reveals the full number and personal data only with ?reveal=true", async () => {
    const res = await asAdmin("POST", "/api/tenants/concorezzo/subscribers/lookup?reveal=true", {
      number: ALICE,
    });
    expect(res.json()).toMatchObject({
      number: ALICE,
      revealed: true,
      personal: { firstName: "Alice", lastName: "Rossi", topics: ["news"] },
    });
    const view = await asAdmin(
      "GET",
      `/api/tenants/concorezzo/subscribers/${ids.alice}?reveal=true`,
    );
    expect(view.json()).toMatchObject({ number: ALICE, revealed: true });
    const masked = await asAdmin("GET", `/api/tenants/concorezzo/subscribers/${ids.alice}`);
    expect(masked.json()).toMatchObject({ number: "3933•••••567", revealed: false });
    expect(masked.body).not.toContain(ALICE);
    // The masked view is not a reveal: two audit rows (lookup, reveal), not three.
    expect((await audits()).map((e) => e.action)).toEqual([
      "subscriber.lookup",
      "subscriber.reveal",
    ]);
  });

  it("names the field at fault, in Italian", async () => {
    const bad = await asAdmin("POST", "/api/tenants/concorezzo/subscribers/lookup", {
      number: "333 123",
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({
      error: {
        code: "VALIDATION_FAILED",
        details: [{ field: "body.number", problem: expect.stringContaining("prefisso") as string }],
      },
    });
    const cases: [string, string, string, unknown?][] = [
      ["GET", "/api/tenants/concorezzo/subscribers/abc", "params.id"],
      ["GET", `/api/tenants/concorezzo/subscribers/${ids.alice}?reveal=yes`, "querystring.reveal"],
      ["POST", `/api/tenants/concorezzo/subscribers/${ids.alice}/block`, "body.reason", {}],
      ["GET", "/api/tenants/concorezzo/moderation/flagged?limit=0", "querystring.limit"],
      ["GET", "/api/tenants/concorezzo/moderation/report?format=pdf", "querystring.format"],
      [
        "GET",
        "/api/tenants/concorezzo/moderation/report?subscriberId=x",
        "querystring.subscriberId",
      ],
      [
        "GET",
        "/api/tenants/concorezzo/stats/subscriptions?from=2026-02-30&to=2026-03-01",
        "querystring.from",
      ],
      [
        "GET",
        "/api/tenants/concorezzo/stats/subscriptions?from=2026-03-02&to=2026-03-01",
        "querystring.to",
      ],
      ["GET", "/api/tenants/concorezzo/stats/replies?from=2026-03-01", "querystring.to"],
    ];
    for (const [method, url, field, payload] of cases) {
      const res = await asAdmin(method, url, payload);
      expect(res.statusCode, url).toBe(400);
      const details = res.json<{ error: { details: { field: string }[] } }>().error.details;
      expect(
        details.map((d) => d.field),
        url,
      ).toContain(field);
    }
  });

  it("keeps comuni apart: another comune's subscriber, or an unknown comune, is 404", async () => {
    for (const [method, url, payload] of [
      ["GET", `/api/tenants/concorezzo/subscribers/${ids.bruno}`],
      ["GET", `/api/tenants/concorezzo/subscribers/${ids.bruno}/export`],
      ["DELETE", `/api/tenants/concorezzo/subscribers/${ids.bruno}`],
      ["POST", `/api/tenants/concorezzo/subscribers/${ids.bruno}/block`, { reason: "prova" }],
      ["DELETE", `/api/tenants/concorezzo/subscribers/${ids.bruno}/block`],
      ["GET", `/api/tenants/casale-marittimo/subscribers/${ids.alice}`],
      ["GET", `/api/tenants/concorezzo/moderation/report?subscriberId=${ids.bruno}`],
      ["GET", `/api/tenants/milano/subscribers/${ids.alice}`],
      ["GET", "/api/tenants/milano/stats/subscribers"],
    ] as [string, string, unknown?][]) {
      const res = await asAdmin(method, url, payload);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    // Bruno's number, looked up in Concorezzo, is not found (the key includes the comune).
    const lookup = await asAdmin("POST", "/api/tenants/concorezzo/subscribers/lookup", {
      number: BRUNO,
    });
    expect(lookup.statusCode).toBe(404);
    const bruno = await subscriberRow(ids.bruno);
    expect(bruno).toMatchObject({ status: "active", blocked_at: null, first_name: "Bruno" });
  });

  it("exports a subscriber's data as a JSON download, audited", async () => {
    const res = await asAdmin("GET", `/api/tenants/concorezzo/subscribers/${ids.alice}/export`);
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-disposition"]).toMatch(/^attachment; filename=".*\.json"$/);
    const doc = res.json<{ iscrizione: { numero: string; nome: string } }>();
    expect(doc.iscrizione).toMatchObject({ numero: ALICE, nome: "Alice" });
    const [entry] = await audits();
    expect(entry).toMatchObject({ action: "subscriber.export", target_id: String(ids.alice) });
    expect(entry?.summary).not.toContain(ALICE);
  });

  it("erases: personal data and kept messages go, the ledger entry stays, audited", async () => {
    const db = t.database.db;
    await keepMessage(clock.now() - HOUR, {
      subscriber_id: ids.alice,
      subscriber_key: keyOf("concorezzo", ALICE),
      inbound_message_id: "wamid.kept-1",
      text: "un messaggio",
      flagged_at: null,
    });
    const res = await asAdmin("DELETE", `/api/tenants/concorezzo/subscribers/${ids.alice}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ erased: true });
    const row = await subscriberRow(ids.alice);
    expect(row).toMatchObject({
      status: "unsubscribed",
      wa_id: null,
      first_name: null,
      last_name: null,
      topics: "[]",
      subscriber_key: keyOf("concorezzo", ALICE),
    });
    expect(await db.selectFrom("moderation_messages").selectAll().execute()).toHaveLength(0);
    const ledger = await db.selectFrom("consent_events").selectAll().execute();
    expect(ledger).toEqual([
      expect.objectContaining({
        tenant_id: "concorezzo",
        subscriber_key: keyOf("concorezzo", ALICE),
        action: "erase",
      }),
    ]);
    expect(JSON.stringify(ledger)).not.toContain(ALICE);
    expect((await audits()).map((e) => e.action)).toEqual(["subscriber.erase"]);
    // A lookup by the erased number finds nothing personal: the row keeps only the key.
    const view = await asAdmin(
      "GET",
      `/api/tenants/concorezzo/subscribers/${ids.alice}?reveal=true`,
    );
    expect(view.json()).toMatchObject({ number: null, personal: { firstName: null } });
  });

  it("blocks outside the 24-hour window as pending, and unblocks without calling WhatsApp", async () => {
    await t.database.db
      .updateTable("subscribers")
      .set({ last_inbound_at: clock.now() - 25 * HOUR })
      .where("id", "=", ids.alice)
      .execute();
    const res = await asAdmin("POST", `/api/tenants/concorezzo/subscribers/${ids.alice}/block`, {
      reason: "insulti al personale",
    });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ whatsapp: string; message: string; subscriber: unknown }>();
    expect(body.whatsapp).toBe("pending");
    expect(body.message).toContain("in attesa");
    expect(body.subscriber).toMatchObject({ block: { state: "pending" } });
    const unblock = await asAdmin(
      "DELETE",
      `/api/tenants/concorezzo/subscribers/${ids.alice}/block`,
    );
    expect(unblock.statusCode).toBe(200);
    expect(unblock.json()).toMatchObject({ subscriber: { block: { state: "none" } } });
    const entries = await audits();
    expect(entries.map((e) => e.action)).toEqual(["subscriber.block", "subscriber.unblock"]);
    expect(JSON.parse(entries[0]?.summary ?? "{}")).toMatchObject({
      reason: "insulti al personale",
      lastMessageWithin24h: false,
    });
  });

  it("blocks a person who never subscribed, found in the flagged list", async () => {
    const flagged = await asAdmin("GET", "/api/tenants/concorezzo/moderation/flagged");
    expect(flagged.statusCode).toBe(200);
    const list = flagged.json<{ flagged: { subscriber: { id: number; number: string } }[] }>();
    expect(list.flagged.map((f) => f.subscriber.id)).toEqual([ids.carla]);
    expect(list.flagged[0]).toMatchObject({
      subscriber: { status: "contact", number: "3932•••••887", flag: { reason: "flood" } },
    });
    expect(flagged.body).not.toContain(CARLA);
    const res = await asAdmin("POST", `/api/tenants/concorezzo/subscribers/${ids.carla}/block`, {
      reason: "messaggi ripetuti",
    });
    expect(res.statusCode).toBe(200);
    // This app does not listen, so its sandbox cannot be reached: inside the window the block
    // is pending, said so.
    expect(res.json()).toMatchObject({ whatsapp: "pending" });
  });

  it("reports the kept messages for the authorities as CSV (default) or JSON, audited", async () => {
    const keep = (id: string, key: string, text: string, flagged: boolean, at: number) =>
      keepMessage(at, {
        subscriber_id: null,
        subscriber_key: key,
        inbound_message_id: id,
        text,
        flagged_at: flagged ? at : null,
      });
    const now = clock.now();
    await keep(
      "wamid.c1",
      keyOf("concorezzo", CARLA),
      '=HYPERLINK("x"), "ciao"',
      false,
      now - 3 * HOUR,
    );
    await keep("wamid.a1", keyOf("concorezzo", ALICE), "minaccia", true, now - 2 * HOUR);
    await keep("wamid.a2", keyOf("concorezzo", ALICE), "buongiorno", false, now - HOUR);

    const csv = await asAdmin("GET", "/api/tenants/concorezzo/moderation/report");
    expect(csv.statusCode).toBe(200);
    expect(csv.headers["content-type"]).toContain("text/csv");
    expect(csv.headers["content-disposition"]).toMatch(/attachment; filename=".*\.csv"/);
    const lines = csv.body.trim().split("\r\n");
    expect(lines[0]).toContain("ricevuto_il_utc");
    // Carla is flagged (all her messages), Alice's flagged message only.
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain(`"'=HYPERLINK(""x""), ""ciao"""`);
    expect(lines[1]).toContain("3932•••••887");
    expect(lines[1]).toContain("2026-11-22 07:00:00"); // 06:00 UTC is 07:00 in Rome
    expect(lines[2]).toContain("minaccia");
    expect(csv.body).not.toContain(CARLA);

    const json = await asAdmin(
      "GET",
      `/api/tenants/concorezzo/moderation/report?subscriberId=${ids.alice}&format=json&reveal=true`,
    );
    expect(json.statusCode).toBe(200);
    const report = json.json<{ messages: { text: string; number: string; type: string }[] }>();
    expect(report.messages.map((m) => m.text)).toEqual(["minaccia", "buongiorno"]);
    expect(report.messages[0]).toMatchObject({ number: ALICE, type: "text" });
    const entries = await audits();
    expect(entries.map((e) => e.action)).toEqual(["moderation.report", "moderation.report"]);
    expect(JSON.parse(entries[1]?.summary ?? "{}")).toMatchObject({
      scope: "subscriber",
      messages: 2,
      format: "json",
      revealed: true,
    });
    expect(entries.map((e) => e.summary).join()).not.toContain("minaccia");
  });

  it("counts subscribers by state and topic", async () => {
    await insertSubscriber("concorezzo", "393401000001", { status: "pending" });
    await insertSubscriber("concorezzo", "393401000002", { status: "unsubscribed" });
    await insertSubscriber("concorezzo", "393401000003", { blocked_at: clock.now() });
    await insertSubscriber("concorezzo", "393401000004", { marketing_stopped_at: clock.now() });
    await insertSubscriber("casale-marittimo", "393401000005", {
      topics: '["news","eventi-culturali"]',
    });
    const res = await asAdmin("GET", "/api/tenants/concorezzo/stats/subscribers");
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      subscribers: {
        active: 2,
        pendingConfirmation: 1,
        unsubscribed: 1,
        contacts: 1,
        blocked: 1,
        blockPendingOnWhatsApp: 1,
        marketingStopped: 1,
        flagged: 1,
      },
    });
    const casale = await asAdmin("GET", "/api/tenants/casale-marittimo/stats/subscribers");
    const topics = casale.json<{
      topics: { allTopics: number; byTopic: { id: string; chosen: number; receiving: number }[] };
    }>().topics;
    expect(topics.allTopics).toBe(0);
    expect(topics.byTopic.find((x) => x.id === "eventi-culturali")).toMatchObject({
      chosen: 2,
      receiving: 2,
    });
    expect(topics.byTopic.find((x) => x.id === "news")).toMatchObject({ chosen: 1, receiving: 1 });
  });

  it("counts subscriptions per day in the comune's time zone, from the ledger", async () => {
    const db = t.database.db;
    const entry = (action: string, at: number) =>
      db
        .insertInto("consent_events")
        .values({
          tenant_id: "concorezzo",
          subscriber_key: "k",
          action,
          regulation_version: null,
          privacy_version: null,
          inbound_message_id: null,
          text_received: null,
          created_at: at,
        })
        .execute();
    await entry("subscribe", Date.UTC(2026, 10, 19, 23, 30)); // 20 Nov, 00:30 in Rome
    await entry("subscribe", Date.UTC(2026, 10, 20, 23, 30)); // 21 Nov, 00:30 in Rome
    await entry("subscribe", Date.UTC(2026, 10, 21, 23, 30)); // 22 Nov in Rome: outside
    await entry("unsubscribe", Date.UTC(2026, 10, 21, 9, 0));
    await entry("erase", Date.UTC(2026, 10, 21, 10, 0));
    await entry("subscribe", Date.UTC(2026, 10, 23, 9, 0)); // after the period
    const res = await asAdmin(
      "GET",
      "/api/tenants/concorezzo/stats/subscriptions?from=2026-11-20&to=2026-11-21",
    );
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      timeZone: "Europe/Rome",
      days: [
        { date: "2026-11-20", subscriptions: 1, unsubscriptions: 0 },
        { date: "2026-11-21", subscriptions: 1, unsubscriptions: 1, erasures: 1 },
      ],
      totals: { subscriptions: 2, unsubscriptions: 1, erasures: 1 },
    });
  });

  it("counts and prices the automatic replies", async () => {
    const db = t.database.db;
    const sender = await db
      .selectFrom("sender_numbers")
      .select("id")
      .where("tenant_id", "=", "concorezzo")
      .executeTakeFirstOrThrow();
    for (const [i, at] of [
      Date.UTC(2026, 10, 21, 10),
      Date.UTC(2026, 10, 21, 11),
      Date.UTC(2026, 9, 1),
    ].entries()) {
      await buildOutboundMessage(db, {
        tenant_id: "concorezzo",
        sender_number_id: sender.id,
        kind: "reply",
        subscriber_id: ids.alice,
        recipient: ALICE,
        payload: "{}",
        state: "accepted",
        status: "delivered",
        next_attempt_at: at,
        wa_message_id: `wamid.r${i}`,
        accepted_at: at,
        created_at: at,
        updated_at: at,
      });
    }
    const res = await asAdmin(
      "GET",
      "/api/tenants/concorezzo/stats/replies?from=2026-11-01&to=2026-11-30",
    );
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      replies: 2,
      currency: "EUR",
      cost: expect.any(Number) as number,
    });
  });
});

describe("the citizens admin API in the OpenAPI document", () => {
  it("lists every route with its tag and summary", async () => {
    const t = await buildTestApp();
    try {
      const res = await t.app.inject({ url: "/api/openapi.json" });
      const paths = res.json<{
        paths: Record<string, Record<string, { tags?: string[]; summary?: string }>>;
      }>().paths;
      // Each tag's operations, under /api/tenants/{tenant}.
      const expected: Record<string, string[]> = {
        citizens: [
          "post /subscribers/lookup",
          "get /subscribers/{id}",
          "delete /subscribers/{id}",
          "get /subscribers/{id}/export",
          "post /subscribers/{id}/block",
          "delete /subscribers/{id}/block",
        ],
        moderation: ["get /moderation/flagged", "get /moderation/report"],
        statistics: ["get /stats/subscribers", "get /stats/subscriptions", "get /stats/replies"],
      };
      for (const [tag, operations] of Object.entries(expected)) {
        for (const operation of operations) {
          const [method = "", tail = ""] = operation.split(" ");
          const path = `/api/tenants/{tenant}${tail}`;
          const op = paths[path]?.[method];
          expect(op?.tags, `${method} ${path}`).toEqual([tag]);
          expect(op?.summary, `${method} ${path}`).toBeTruthy();
        }
      }
    } finally {
      await t.close();
    }
  });
});

describe("normaliseNumber and the CSV", () => {
  it("accepts the ways people write a full number, and nothing shorter", () => {
    expect(normaliseNumber("+39 366 578 4663")).toBe("393665784663");
    expect(normaliseNumber("0039 (366) 578-4663")).toBe("393665784663");
    expect(normaliseNumber("393665784663")).toBe("393665784663");
    expect(normaliseNumber("366 578")).toBeUndefined();
    expect(normaliseNumber("+39 abc")).toBeUndefined();
    expect(normaliseNumber("39+3665784663")).toBeUndefined();
  });

  it("quotes and defuses cells", () => {
    const csv = reportCsv(
      {
        tenant: "x",
        comune: "X",
        generatedAt: "2026-01-01T00:00:00.000Z",
        numbersRevealed: false,
        messages: [
          {
            receivedAt: "2026-07-01T10:00:00.000Z",
            subscriberId: 1,
            number: null,
            type: "text",
            text: "a,b\nc",
            mediaId: null,
            messageId: "m",
            flagged: true,
            flagReason: null,
          },
        ],
      },
      "Europe/Rome",
    );
    expect(csv.split("\r\n")[1]).toBe(
      '2026-07-01T10:00:00.000Z,2026-07-01 12:00:00,1,,text,"a,b\nc",,m,sì,',
    );
  });
});
