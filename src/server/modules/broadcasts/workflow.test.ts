import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildTestApp, fakeClock, type TestApp } from "../../test/build-test-app.js";
import { testEngines } from "../../test/engines.js";
import { until } from "../../test/dispatch-harness.js";
import { buildSubscriber, deliveryRecipients, subscriberValues } from "../../test/factories.js";
import { seedApiKey, seedSession, seedUser } from "../../test/staff-kit.js";

/** Monday 23 November 2026, 10:00 in Rome: Concorezzo's office is open. */
const NOW = Date.UTC(2026, 10, 23, 9, 0, 0);

interface Answer {
  broadcast: {
    id: number;
    status: string;
    statusLabel: string;
    approvedBy: number | null;
    attentionReason: string | null;
  };
  check: { warnings: { id: string }[] };
}
interface Refusal {
  error: {
    code: string;
    message: string;
    details?: { field: string; problem: string }[];
    currentStatus?: string;
  };
}

describe.each(testEngines())("the approval workflow on %s", (engine) => {
  let t: TestApp;
  let clock: ReturnType<typeof fakeClock>;
  let editor: Record<string, string>;
  let approver: Record<string, string>;
  let approverId: number;
  /** One person who both writes and approves (a small office). */
  let both: Record<string, string>;

  beforeEach(async () => {
    clock = fakeClock(NOW);
    // The web process of a scale-out: it starts broadcasts, a worker (none here) sends them.
    t = await buildTestApp({ engine, clock, env: { DISPATCH: "off" }, wiredHandlers: true });
    await t.services.dispatch.start();
    // Approval looks the comune's template up on WhatsApp: here, this app's own sandbox.
    await t.app.listen({ port: 0, host: "127.0.0.1" });
    const db = t.database.db;
    editor = await seedSession(db, clock, "ufficio@example.it", { concorezzo: ["editor"] });
    const a = await seedUser(db, clock, {
      email: "sindaco@example.it",
      roles: { concorezzo: ["approver"] },
      totp: true,
    });
    approverId = a.id;
    approver = await a.session();
    both = await seedSession(db, clock, "tuttofare@example.it", {
      concorezzo: ["editor", "approver"],
    });
  });
  afterEach(() => t.close());

  const url = (path = "") => `/api/tenants/concorezzo/broadcasts${path}`;
  const call = (
    method: "POST" | "PATCH",
    path: string,
    headers: Record<string, string>,
    payload: object = {},
  ) => t.app.inject({ method, url: url(path), headers, payload });
  const draft = async (text = "Da lunedì la biblioteca apre anche il sabato.", headers = editor) =>
    (await call("POST", "", headers, { title: "Biblioteca", text })).json<Answer>().broadcast.id;
  /** A draft its author (the office unless told) has submitted for approval: its id. */
  const submittedDraft = async (headers = editor) => {
    const id = await draft(undefined, headers);
    await call("POST", `/${id}/submit`, headers);
    return id;
  };
  const actions = async () =>
    (
      await t.database.db
        .selectFrom("audit_log")
        .select("action")
        .where("action", "like", "broadcast.%")
        .orderBy("id")
        .execute()
    ).map((r) => r.action);

  it("goes from draft to submitted to approved and on its way, each step audited, by two people", async () => {
    const id = await draft();
    const submitted = await call("POST", `/${id}/submit`, editor);
    expect(submitted.statusCode).toBe(200);
    expect(submitted.json<Answer>().broadcast).toMatchObject({
      status: "submitted",
      statusLabel: "in attesa di approvazione",
    });
    // The office writes; it does not approve.
    expect((await call("POST", `/${id}/approve`, editor)).statusCode).toBe(403);
    // No body at all: nothing to acknowledge.
    const approved = await t.app.inject({
      method: "POST",
      url: url(`/${id}/approve`),
      headers: approver,
    });
    expect(approved.statusCode, approved.body).toBe(200);
    // Inside the office's hours and due now: it starts at once.
    expect(approved.json<Answer>().broadcast).toMatchObject({
      status: "sending",
      statusLabel: "in invio",
      approvedBy: approverId,
    });
    expect(await actions()).toEqual([
      "broadcast.created",
      "broadcast.submitted",
      "broadcast.approved",
    ]);
  });

  it("never lets the author approve their own broadcast (four eyes)", async () => {
    const id = await submittedDraft(both);
    const own = await call("POST", `/${id}/approve`, both);
    expect(own.statusCode).toBe(403);
    expect(own.json<Refusal>().error).toMatchObject({
      code: "FOUR_EYES",
      message: "Chi ha scritto la comunicazione non può anche approvarla: serve un'altra persona",
    });
    expect((await call("POST", `/${id}/approve`, approver)).statusCode).toBe(200);
  });

  it("two approvers at once: one approves, the other gets a 409 with the state it is in now", async () => {
    const id = await submittedDraft();
    const answers = await Promise.all([
      call("POST", `/${id}/approve`, approver),
      call("POST", `/${id}/approve`, both),
    ]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409]);
    const refused = answers.find((a) => a.statusCode === 409);
    const error = refused?.json<Refusal>().error;
    expect(error?.code).toBe("BROADCAST_STATE_CHANGED");
    expect(error?.message).toMatch(/^Non si può approvare la comunicazione: è /);
    expect(["approved", "scheduled", "sending"]).toContain(error?.currentStatus);
    expect((await actions()).filter((a) => a === "broadcast.approved")).toHaveLength(1);
  });

  it("asks the approver to acknowledge each warning by its id", async () => {
    const id = await draft("Domenica votate per il nuovo parco giochi!");
    const { check } = (await call("POST", `/${id}/submit`, editor)).json<Answer>();
    expect(check.warnings.length).toBeGreaterThan(0);
    const ids = check.warnings.map((w) => w.id);
    const blind = await call("POST", `/${id}/approve`, approver);
    expect(blind.statusCode).toBe(409);
    expect(blind.json<Refusal>().error.code).toBe("BROADCAST_NOT_APPROVABLE");
    expect(blind.json<Refusal>().error.details?.map((d) => d.field)).toEqual(
      ids.map((w) => `check.warnings.${w}`),
    );
    const read = await call("POST", `/${id}/approve`, approver, { acknowledged: ids });
    expect(read.statusCode).toBe(200);
  });

  it("refuses to submit what breaks a rule, naming the rule", async () => {
    const id = await draft("Parola ".repeat(200));
    const blocked = await call("POST", `/${id}/submit`, editor);
    expect(blocked.statusCode).toBe(409);
    expect(blocked.json<Refusal>().error).toMatchObject({
      code: "BROADCAST_BLOCKED",
      details: [{ field: "check.blocks.text.too-long:template-parameter" }],
    });
  });

  it("a rejection says why; an edit makes it a draft again and an edit after approval clears it", async () => {
    const id = await submittedDraft();
    const rejected = await call("POST", `/${id}/reject`, approver, {
      reason: "Manca l'orario del sabato.",
    });
    expect(rejected.json<Answer>().broadcast).toMatchObject({
      status: "rejected",
      attentionReason: "Manca l'orario del sabato.",
    });
    const fixed = await call("PATCH", `/${id}`, editor, {
      text: "Il sabato la biblioteca apre dalle 9 alle 12.",
    });
    expect(fixed.json<Answer>().broadcast).toMatchObject({
      status: "draft",
      attentionReason: null,
    });
    await call("POST", `/${id}/submit`, editor);
    await call("POST", `/${id}/approve`, approver);
    const late = await call("PATCH", `/${id}`, editor, { title: "Biblioteca: orari" });
    // Sending already: too late to change.
    expect(late.statusCode).toBe(409);
    expect(late.json<Refusal>().error).toMatchObject({
      code: "BROADCAST_NOT_EDITABLE",
      currentStatus: "sending",
    });
  });

  it("the office cancels its drafts, only an approver what was approved; cancel after cancel is a 409", async () => {
    const mine = await draft();
    expect((await call("POST", `/${mine}/cancel`, editor)).json<Answer>().broadcast.status).toBe(
      "cancelled",
    );
    const id = await submittedDraft();
    await call("POST", `/${id}/approve`, approver);
    const byOffice = await call("POST", `/${id}/cancel`, editor);
    expect(byOffice.statusCode).toBe(403);
    expect(byOffice.json<Refusal>().error.code).toBe("CANCEL_NEEDS_APPROVER");
    expect((await call("POST", `/${id}/cancel`, approver)).statusCode).toBe(200);
    const again = await call("POST", `/${id}/cancel`, approver);
    expect(again.statusCode).toBe(409);
    expect(again.json<Refusal>().error).toMatchObject({
      message: "Non si può annullare la comunicazione: è annullata",
      currentStatus: "cancelled",
    });
  });

  it("approved on a Sunday, it waits for Monday's opening, then starts to those of its topics", async () => {
    const sunday = Date.UTC(2026, 10, 22, 9, 0, 0);
    clock.advance(sunday - NOW);
    const id = await submittedDraft();
    const approved = (await call("POST", `/${id}/approve`, approver)).json<
      Answer & { broadcast: { sendAt: string } }
    >();
    expect(approved.broadcast).toMatchObject({
      status: "scheduled",
      statusLabel: "programmata",
      sendAt: "2026-11-23T08:00:00.000Z",
    });
    expect(await t.services.dispatch.startDueBroadcasts()).toBe(0);
    clock.advance(NOW - sunday);
    expect(await t.services.dispatch.startDueBroadcasts()).toBe(1);
    const read = await t.app.inject({ method: "GET", url: url(`/${id}`), headers: approver });
    expect(read.json<Answer>().broadcast.status).toBe("sending");
  });

  it("an approved broadcast on some topics reaches those who chose one of them or none", async () => {
    const db = t.database.db;
    const casale = { "casale-marittimo": ["editor" as const] };
    const office = await seedSession(db, clock, "casale@example.it", casale);
    const mayor = await seedSession(db, clock, "sindaco.casale@example.it", {
      "casale-marittimo": ["approver"],
    });
    const chose = [[], ["news"], ["manifestazioni-sportive"], ["news", "protezione-civile"]];
    for (const [i, topics] of chose.entries()) {
      await buildSubscriber(db, {
        tenant_id: "casale-marittimo",
        wa_id: `39333000000${i}`,
        topics: JSON.stringify(topics),
      });
    }
    const at = (path: string) => `/api/tenants/casale-marittimo/broadcasts${path}`;
    const created = await t.app.inject({
      method: "POST",
      url: at(""),
      headers: office,
      payload: { title: "Notizie", text: "Riapre la biblioteca.", topics: ["news"] },
    });
    const { id } = created.json<Answer>().broadcast;
    await t.app.inject({ method: "POST", url: at(`/${id}/submit`), headers: office, payload: {} });
    const approved = await t.app.inject({
      method: "POST",
      url: at(`/${id}/approve`),
      headers: mayor,
      payload: {},
    });
    expect(approved.json<Answer>().broadcast.status).toBe("sending");
    expect(await deliveryRecipients(db, id)).toEqual([
      "393330000000",
      "393330000001",
      "393330000003",
    ]);
  });

  it("goes out through the comune's approved template, and is refused while WhatsApp has it paused", async () => {
    const id = await submittedDraft();
    const pause = await t.app.inject({
      method: "POST",
      url: "/sandbox/api/templates/200000000000001/notizia_comune/it/status",
      payload: { status: "PAUSED", reason: "qualità bassa" },
    });
    expect(pause.statusCode).toBe(200);
    const paused = await call("POST", `/${id}/approve`, approver);
    expect(paused.statusCode).toBe(409);
    expect(paused.json<Refusal>().error).toMatchObject({
      code: "TEMPLATE_NOT_AVAILABLE",
      message:
        "Il modello «notizia_comune» (it) non è utilizzabile: WhatsApp lo dà come PAUSED. Si può approvare quando Meta lo riattiva",
    });
    await t.app.inject({
      method: "POST",
      url: "/sandbox/api/templates/200000000000001/notizia_comune/it/status",
      payload: { status: "APPROVED" },
    });
    expect((await call("POST", `/${id}/approve`, approver)).statusCode).toBe(200);
    const row = await t.database.db
      .selectFrom("broadcasts")
      .select(["content", "category"])
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(row.category).toBe("marketing");
    expect(JSON.parse(row.content)).toEqual({
      type: "template",
      name: "notizia_comune",
      language: "it",
      body: [{ text: "Da lunedì la biblioteca apre anche il sabato." }],
    });
  });

  it("keeps with the broadcast what the approver accepted: 1,234 recipients at the comune's price", async () => {
    const db = t.database.db;
    const people = Array.from({ length: 1234 }, (_, i) =>
      subscriberValues({
        tenant_id: "concorezzo",
        wa_id: `3934${String(i).padStart(8, "0")}`,
        subscriber_key: `key-${i}`,
        last_inbound_at: NOW - 3 * 86_400_000,
      }),
    );
    await db.insertInto("subscribers").values(people).execute();
    const id = await submittedDraft();
    await call("POST", `/${id}/approve`, approver);
    const read = await t.app.inject({ method: "GET", url: url(`/${id}`), headers: approver });
    const stored = read.json<{
      broadcast: {
        approvalCheck: {
          estimate: { recipients: number; category: string; currency: string; totalMicros: number };
        };
      };
    }>().broadcast.approvalCheck;
    // notizia_comune is a marketing template: 1,234 × € 0.0658 (Concorezzo's file).
    expect(stored.estimate).toMatchObject({
      recipients: 1234,
      category: "marketing",
      currency: "EUR",
      totalMicros: 1234 * 65_800,
    });
  });

  it("a civil-protection system's key posts an urgent alert that goes at once, audited as the key", async () => {
    const system = await seedApiKey(t.database.db, clock, "concorezzo", [
      "broadcasts.write",
      "broadcasts.urgent",
    ]);
    const alert = await call("POST", "", system.headers, {
      title: "Allerta meteo",
      text: "Allerta rossa per temporali fino alle 18: evitate i sottopassi.",
      urgent: true,
    });
    expect(alert.statusCode, alert.body).toBe(201);
    expect(alert.json<Answer>().broadcast.status).toBe("sending");
    const audit = await t.database.db
      .selectFrom("audit_log")
      .select(["action", "actor_type"])
      .where("action", "like", "broadcast.%")
      .orderBy("id")
      .execute();
    expect(audit).toEqual([
      { action: "broadcast.created", actor_type: "api-key" },
      { action: "broadcast.submitted", actor_type: "api-key" },
      { action: "broadcast.approved", actor_type: "api-key" },
    ]);
    // A key that only writes leaves a draft, like the office.
    const writer = await seedApiKey(t.database.db, clock, "concorezzo", ["broadcasts.write"]);
    const draftOnly = await call("POST", "", writer.headers, {
      title: "Allerta",
      text: "Allerta gialla.",
      urgent: true,
    });
    expect(draftOnly.json<Answer>().broadcast.status).toBe("draft");
  });

  it("a template Meta pauses stops the scheduled broadcasts that need it, before any send; resumed, it goes", async () => {
    clock.advance(Date.UTC(2026, 10, 22, 9, 0, 0) - NOW);
    await buildSubscriber(t.database.db, { tenant_id: "concorezzo", wa_id: "393331112222" });
    const id = await submittedDraft();
    expect((await call("POST", `/${id}/approve`, approver)).json<Answer>().broadcast.status).toBe(
      "scheduled",
    );
    // The sandbox pauses it and tells this server with Meta's webhook.
    await t.app.inject({
      method: "POST",
      url: "/sandbox/api/templates/200000000000001/notizia_comune/it/status",
      payload: { status: "PAUSED", reason: "qualità bassa" },
    });
    await until("the template's webhook handled", async () => {
      await t.inboundProcessor.drain();
      const read = await t.app.inject({ method: "GET", url: url(`/${id}`), headers: approver });
      const b = read.json<Answer>().broadcast;
      return b.status === "needs_attention" ? b : undefined;
    });
    const stopped = (
      await t.app.inject({ method: "GET", url: url(`/${id}`), headers: approver })
    ).json<Answer>();
    expect(stopped.broadcast.attentionReason).toMatch(
      /^WhatsApp ha sospeso il modello «notizia_comune» \(it\)/,
    );
    expect(await deliveryRecipients(t.database.db, id)).toEqual([]);
    // Resumed once Meta reinstates it: never started, it starts now, to its audience.
    const resumed = await call("POST", `/${id}/resume`, approver);
    expect(resumed.json<Answer>().broadcast.status).toBe("sending");
    expect(await deliveryRecipients(t.database.db, id)).toEqual(["393331112222"]);
  });

  it("an urgent broadcast is approved only with the civil-protection permission", async () => {
    const id = (
      await call("POST", "", editor, {
        title: "Allerta",
        text: "Allerta rossa: restate in casa.",
        urgent: true,
      })
    ).json<Answer>().broadcast.id;
    await call("POST", `/${id}/submit`, editor);
    const key = await seedApiKey(t.database.db, fakeClock(NOW), "concorezzo", [
      "broadcasts.approve",
    ]);
    const byKey = await call("POST", `/${id}/approve`, key.headers);
    expect(byKey.statusCode).toBe(403);
    expect(byKey.json<Refusal>().error.code).toBe("URGENT_NEEDS_PERMISSION");
    expect((await call("POST", `/${id}/approve`, approver)).statusCode).toBe(200);
  });
});
