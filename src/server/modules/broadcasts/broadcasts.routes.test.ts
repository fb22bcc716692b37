import { describe, expect, it } from "vitest";
import { fakeClock, useTestApp, type Refusal } from "../../test/build-test-app.js";
import { testEngines } from "../../test/engines.js";
import { useSessions } from "../../test/staff-kit.js";

/** Sunday 22 November 2026, 10:00 in Rome: Concorezzo's office is closed. */
const NOW = Date.UTC(2026, 10, 22, 9, 0, 0);
/** Monday 23 November, 09:00 in Rome: its next opening. */
const MONDAY_OPENING = Date.UTC(2026, 10, 23, 8, 0, 0);

interface Answer {
  broadcast: Record<string, unknown> & { id: number; status: string };
  check: {
    blocks: { rule: string }[];
    advice: { schedule: { rule: string; startAt: number; source: string } };
    audience: { recipients: number; inWindow: number };
    mayApprove: boolean;
  };
}

describe.each(testEngines())("broadcast drafts on %s", (engine) => {
  const t = useTestApp(() => ({ engine, clock: fakeClock(NOW) }), "each");
  const staff = useSessions(t, {
    editor: ["ufficio@example.it", { concorezzo: ["editor"], "casale-marittimo": ["editor"] }],
    approver: ["sindaco@example.it", { concorezzo: ["approver"] }],
    viewer: ["sola.lettura@example.it", { concorezzo: ["viewer"] }],
  });

  const post = (tenant: string, body: unknown, headers = staff.editor) =>
    t.app.inject({
      method: "POST",
      url: `/api/tenants/${tenant}/broadcasts`,
      headers,
      payload: body as object,
    });

  it("writes a draft and answers it with the comune's rules applied", async () => {
    const response = await post("concorezzo", {
      title: "Chiusura via Roma",
      text: "Da lunedì via Roma è chiusa per lavori fino a venerdì.",
    });
    expect(response.statusCode).toBe(201);
    const { broadcast, check } = response.json<Answer>();
    expect(broadcast).toMatchObject({
      title: "Chiusura via Roma",
      status: "draft",
      statusLabel: "bozza",
      topics: "all",
      urgent: false,
      public: false,
      sendAt: null,
    });
    expect(check.blocks).toEqual([]);
    // Written on a Sunday: it would start at Monday's opening (Concorezzo's regulation, art. 3).
    expect(check.advice.schedule).toMatchObject({
      rule: "hours.outside",
      startAt: MONDAY_OPENING,
      // The comune's own regulation is the rule's source, never another comune's.
      source: "Regolamento del servizio WhatsConcorezzo (orario del servizio)",
    });
    expect(check.audience).toEqual({ recipients: 0, inWindow: 0 });

    const read = await t.app.inject({
      method: "GET",
      url: `/api/tenants/concorezzo/broadcasts/${broadcast.id}`,
      headers: staff.approver,
    });
    expect(read.statusCode).toBe(200);
    expect(read.json<Answer>().broadcast).toEqual(broadcast);
  });

  it("an urgent draft would start at once, and one over WhatsApp's limit says which", async () => {
    const urgent = await post("concorezzo", {
      title: "Allerta meteo",
      text: "Allerta rossa per temporali: restate in casa.",
      urgent: true,
    });
    expect(urgent.json<Answer>().check.advice.schedule).toMatchObject({
      rule: "hours.urgent",
      startAt: NOW,
    });
    const long = await post("concorezzo", { title: "Lungo", text: "Parola ".repeat(200) });
    expect(long.statusCode).toBe(201);
    const { check } = long.json<Answer>();
    expect(check.blocks.map((b) => b.rule)).toContain("text.too-long");
    expect(check.mayApprove).toBe(false);
  });

  it("refuses bad fields, naming each in Italian, or in English when asked", async () => {
    const empty = await post("concorezzo", { title: " ", text: "" });
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({
      error: {
        code: "VALIDATION_FAILED",
        details: [
          { field: "body.title", problem: "non deve essere vuoto" },
          { field: "body.text", problem: "non deve essere vuoto" },
        ],
      },
    });
    const english = await post(
      "concorezzo",
      { title: "x", text: "y", sendAt: "domani" },
      {
        ...staff.editor,
        "accept-language": "en",
      },
    );
    expect(english.json<Refusal>().error.details).toEqual([
      {
        field: "body.sendAt",
        problem: expect.stringMatching(/^must be an ISO 8601 date/) as string,
      },
    ]);

    const past = await post("concorezzo", {
      title: "x",
      text: "y",
      sendAt: "2026-11-21T09:00:00Z",
    });
    expect(past.statusCode).toBe(400);
    expect(past.json<Refusal>().error.details).toEqual([
      { field: "body.sendAt", problem: expect.stringMatching(/^è già passata/) as string },
    ]);

    const noTopics = await post("concorezzo", { title: "x", text: "y", topics: ["news"] });
    expect(noTopics.json<Refusal>().error.details[0]).toMatchObject({
      field: "body.topics",
      problem: expect.stringContaining("questo comune non ha argomenti") as string,
    });
    const unknown = await post("casale-marittimo", {
      title: "x",
      text: "y",
      topics: ["news", "sagra"],
    });
    expect(unknown.json<Refusal>().error.details).toEqual([
      {
        field: "body.topics.1",
        problem: expect.stringMatching(/^argomento sconosciuto: sagra/) as string,
      },
    ]);
    const stored = await t.database.db.selectFrom("broadcasts").select("id").execute();
    expect(stored).toEqual([]);
  });

  it("counts the people a draft on some topics would reach: those who chose one of them or none", async () => {
    const db = t.database.db;
    const people = [
      { wa: "393330000001", topics: [] as string[], wrote: NOW - 3_600_000 },
      { wa: "393330000002", topics: ["news"], wrote: NOW - 3 * 86_400_000 },
      { wa: "393330000003", topics: ["manifestazioni-sportive"], wrote: NOW - 3_600_000 },
    ];
    for (const [i, p] of people.entries()) {
      await db
        .insertInto("subscribers")
        .values({
          tenant_id: "casale-marittimo",
          subscriber_key: `key-${i}`,
          wa_id: p.wa,
          status: "active",
          topics: JSON.stringify(p.topics),
          subscribed_at: NOW - 5 * 86_400_000,
          last_inbound_at: p.wrote,
          created_at: NOW - 5 * 86_400_000,
          updated_at: NOW,
        })
        .execute();
    }
    const news = await post("casale-marittimo", {
      title: "Notizie",
      text: "Novità.",
      topics: ["news"],
    });
    expect(news.json<Answer>().check.audience).toEqual({ recipients: 2, inWindow: 1 });
    const all = await post("casale-marittimo", { title: "A tutti", text: "Avviso." });
    expect(all.json<Answer>().check.audience).toEqual({ recipients: 3, inWindow: 2 });
  });

  it("changes only the fields given, lists newest first, and audits both", async () => {
    const first = (await post("concorezzo", { title: "Primo", text: "Uno." })).json<Answer>();
    const second = (await post("concorezzo", { title: "Secondo", text: "Due." })).json<Answer>();
    const edit = await t.app.inject({
      method: "PATCH",
      url: `/api/tenants/concorezzo/broadcasts/${first.broadcast.id}`,
      headers: staff.editor,
      payload: { text: "Uno, corretto.", public: true },
    });
    expect(edit.statusCode).toBe(200);
    expect(edit.json<Answer>().broadcast).toMatchObject({
      title: "Primo",
      text: "Uno, corretto.",
      public: true,
    });
    const list = await t.app.inject({
      method: "GET",
      url: "/api/tenants/concorezzo/broadcasts?status=draft",
      headers: staff.approver,
    });
    expect(list.statusCode, list.body).toBe(200);
    expect(
      list
        .json<{ broadcasts: { title: string }[] }>()
        .broadcasts.map((b: { title: string }) => b.title),
    ).toEqual(["Secondo", "Primo"]);
    const audit = await t.database.db
      .selectFrom("audit_log")
      .select(["action", "target_id", "actor_type"])
      .where("tenant_id", "=", "concorezzo")
      .where("action", "like", "broadcast.%")
      .orderBy("id")
      .execute();
    expect(audit).toEqual([
      { action: "broadcast.created", target_id: String(first.broadcast.id), actor_type: "user" },
      { action: "broadcast.created", target_id: String(second.broadcast.id), actor_type: "user" },
      { action: "broadcast.edited", target_id: String(first.broadcast.id), actor_type: "user" },
    ]);
  });

  it("answers 409 with the current status once a broadcast is past its draft, and 404 across comuni", async () => {
    const { broadcast } = (
      await post("concorezzo", { title: "Inviata", text: "Fatto." })
    ).json<Answer>();
    await t.database.db
      .updateTable("broadcasts")
      .set({ status: "sent" })
      .where("id", "=", broadcast.id)
      .execute();
    const late = await t.app.inject({
      method: "PATCH",
      url: `/api/tenants/concorezzo/broadcasts/${broadcast.id}`,
      headers: staff.editor,
      payload: { title: "Troppo tardi" },
    });
    expect(late.statusCode).toBe(409);
    expect(late.json()).toEqual({
      error: {
        code: "BROADCAST_NOT_EDITABLE",
        message: "La comunicazione non si può modificare: è inviata",
        currentStatus: "sent",
      },
    });
    const elsewhere = await t.app.inject({
      method: "GET",
      url: `/api/tenants/casale-marittimo/broadcasts/${broadcast.id}`,
      headers: staff.editor,
    });
    expect(elsewhere.statusCode).toBe(404);
    expect(elsewhere.json<Refusal>().error.message).toBe("Comunicazione non trovata");
    const byViewer = await post("concorezzo", { title: "x", text: "y" }, staff.viewer);
    expect(byViewer.statusCode).toBe(403);
  });
});
