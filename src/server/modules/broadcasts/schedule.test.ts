import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, fakeClock, type TestApp } from "../../test/build-test-app.js";
import { testEngines } from "../../test/engines.js";
import { buildSubscriber, deliveryRecipients } from "../../test/factories.js";
import { editedTenants, type EditedTenants } from "../../test/in-process-server.js";
import { seedUser, type SeededUser } from "../../test/staff-kit.js";

/**
 * Concorezzo's rules through the API, with the clock injected: the office hours of its
 * regulation (art. 3: Monday to Friday, 9 to 13, Europe/Rome; outside them only "in casi di
 * necessità"), the Italian public holidays, and an election period (law 28/2000 art. 9) listed
 * in a copy of its tenant file. Each test approves over HTTP and reads what the API says.
 */

interface Schedule {
  rule: string;
  startAt: number;
  why: { it: string };
  todo: { it: string };
}
interface Answer {
  broadcast: {
    id: number;
    status: string;
    sendAt: string | null;
    startedAt: string | null;
    /** What the approver accepted, the schedule's reason at approval included. */
    approvalCheck: { advice: { schedule: Schedule } } | null;
  };
}
interface Refusal {
  error: { code: string; message: string; details?: { field: string; problem: string }[] };
}

/** Rome is UTC+1 in winter and UTC+2 from the last Sunday of March. */
const rome = (iso: string, offset: "+01:00" | "+02:00") => Date.parse(`${iso}${offset}`);

describe.each(testEngines())("Concorezzo's hours and election periods on %s", (engine) => {
  let t: TestApp;
  let clock: ReturnType<typeof fakeClock>;
  let office: SeededUser;
  let mayor: SeededUser;
  let tenants: EditedTenants;

  beforeAll(async () => {
    // The election period goes into a copy of the shipped files, under `broadcasts:`.
    tenants = await editedTenants({
      concorezzo: (yaml) => {
        const edited = yaml.replace(
          "broadcasts:\n  fourEyes: true\n",
          'broadcasts:\n  fourEyes: true\n  electionPeriods: [{ name: "Referendum 2027", from: "2027-04-12", to: "2027-05-24" }]\n',
        );
        expect(edited).not.toBe(yaml);
        return edited;
      },
    });
  });
  afterAll(() => tenants.remove());

  const start = async (at: number) => {
    clock = fakeClock(at);
    // The web process of a scale-out: it starts broadcasts, a worker (none here) sends them.
    t = await buildTestApp({
      engine,
      clock,
      env: { DISPATCH: "off", TENANTS_DIR: tenants.dir },
      wiredHandlers: true,
    });
    await t.services.dispatch.start();
    // Approval looks the comune's template up on WhatsApp: here, this app's own sandbox.
    await t.app.listen({ port: 0, host: "127.0.0.1" });
    const db = t.database.db;
    office = await seedUser(db, clock, {
      email: "ufficio@example.it",
      roles: { concorezzo: ["editor"] },
    });
    mayor = await seedUser(db, clock, {
      email: "sindaco@example.it",
      roles: { concorezzo: ["approver"] },
      totp: true,
    });
    await buildSubscriber(db, { tenant_id: "concorezzo", wa_id: "393331112222" });
  };
  afterEach(() => t?.close());

  const url = (p = "") => `/api/tenants/concorezzo/broadcasts${p}`;
  /** Sessions last an hour: each call logs in afresh at the clock's time. */
  const call = async (who: SeededUser, method: "GET" | "POST", p: string, payload?: object) =>
    t.app.inject({
      method,
      url: url(p),
      headers: await who.session(),
      ...(method === "POST" ? { payload: payload ?? {} } : {}),
    });
  const approvedAt = async (
    text: string,
    options: { urgent?: boolean; approval?: object } = {},
  ) => {
    const created = await call(office, "POST", "", {
      title: "Avviso",
      text,
      urgent: options.urgent ?? false,
    });
    expect(created.statusCode, created.body).toBe(201);
    const { id } = created.json<Answer>().broadcast;
    expect((await call(office, "POST", `/${id}/submit`)).statusCode).toBe(200);
    return { id, approval: await call(mayor, "POST", `/${id}/approve`, options.approval) };
  };
  const statusOf = async (id: number) =>
    (await call(mayor, "GET", `/${id}`)).json<Answer>().broadcast.status;

  it("approved on a Friday at 14:00, a normal broadcast waits for Monday at 9:00 and starts then", async () => {
    await start(rome("2026-11-27T14:00:00", "+01:00"));
    const { id, approval } = await approvedAt("Lunedì riapre lo sportello anagrafe.");
    expect(approval.statusCode, approval.body).toBe(200);
    const monday = rome("2026-11-30T09:00:00", "+01:00");
    const answer = approval.json<Answer>();
    expect(answer.broadcast).toMatchObject({
      status: "scheduled",
      sendAt: new Date(monday).toISOString(),
    });
    // The API says why it waits and until when.
    expect(answer.broadcast.approvalCheck?.advice.schedule).toMatchObject({
      rule: "hours.outside",
      startAt: monday,
      why: {
        it: expect.stringMatching(
          /^Venerdì 27\/11\/2026 alle 14:00 è fuori dall'orario del servizio/,
        ) as string,
      },
      todo: { it: expect.stringMatching(/^Partirà lunedì 30\/11\/2026 alle 09:00\./) as string },
    });

    // Nothing starts over the weekend, nor a second before the opening.
    clock.advance(monday - 1_000 - clock.now());
    expect(await t.services.dispatch.startDueBroadcasts()).toBe(0);
    expect(await statusOf(id)).toBe("scheduled");
    clock.advance(1_000);
    expect(await t.services.dispatch.startDueBroadcasts()).toBe(1);
    expect(await statusOf(id)).toBe("sending");
  });

  it("across Easter Monday (and the change to summer time) it waits until Tuesday at 9:00", async () => {
    // Good Friday 26 March 2027; Easter Monday 29 March is a public holiday; summer time from
    // Sunday 28 March, so Tuesday's 9:00 is 07:00 UTC.
    await start(rome("2027-03-26T14:00:00", "+01:00"));
    const { id, approval } = await approvedAt("Martedì riapre lo sportello anagrafe.");
    const tuesday = rome("2027-03-30T09:00:00", "+02:00");
    const answer = approval.json<Answer>();
    expect(answer.broadcast).toMatchObject({
      status: "scheduled",
      sendAt: "2027-03-30T07:00:00.000Z",
    });
    const schedule = answer.broadcast.approvalCheck?.advice.schedule;
    expect(schedule?.why.it).toContain("Giorni festivi saltati:");
    expect(schedule?.why.it).toContain("29/03/2027");
    expect(schedule?.todo.it).toMatch(/^Partirà martedì 30\/03\/2027 alle 09:00\./);
    clock.advance(rome("2027-03-29T09:30:00", "+02:00") - clock.now());
    expect(await t.services.dispatch.startDueBroadcasts()).toBe(0);
    clock.advance(tuesday - clock.now());
    expect(await t.services.dispatch.startDueBroadcasts()).toBe(1);
    expect(await statusOf(id)).toBe("sending");
  });

  it("an urgent one approved on the Friday at 14:00 goes at once", async () => {
    const friday = rome("2026-11-27T14:00:00", "+01:00");
    await start(friday);
    const { id, approval } = await approvedAt("Allerta rossa: chiusi i sottopassi.", {
      urgent: true,
    });
    expect(approval.statusCode, approval.body).toBe(200);
    expect(approval.json<Answer>().broadcast).toMatchObject({
      status: "sending",
      startedAt: new Date(friday).toISOString(),
    });
    expect(approval.json<Answer>().broadcast.approvalCheck?.advice.schedule.rule).toBe(
      "hours.urgent",
    );
    expect(await deliveryRecipients(t.database.db, id)).toEqual(["393331112222"]);
  });

  it("in an election period refuses it without the declaration, saying why; with it, it goes and the justification is audited", async () => {
    // Tuesday 20 April 2027, 10:00: the office is open, the referendum's period is under way.
    await start(rome("2027-04-20T10:00:00", "+02:00"));
    const text = "Il 26 aprile la raccolta dei rifiuti passa al martedì.";
    const { id, approval: refused } = await approvedAt(text);
    expect(refused.statusCode).toBe(409);
    const error = refused.json<Refusal>().error;
    expect(error.code).toBe("BROADCAST_NOT_APPROVABLE");
    expect(error.details).toEqual([
      {
        field: "check.blocks.election.period",
        problem:
          "Dal 12/04/2027 al 24/05/2027 è in corso il periodo elettorale «Referendum 2027»: la legge 28/2000 (art. 9) vieta alle amministrazioni pubbliche ogni attività di comunicazione, salvo quella impersonale e indispensabile per le loro funzioni.",
      },
    ]);
    expect(await statusOf(id)).toBe("submitted");

    const justification =
      "Cambia il giorno di raccolta dei rifiuti per tutta la città: i cittadini devono saperlo prima del 26 aprile.";
    const approved = await call(mayor, "POST", `/${id}/approve`, {
      declaration: { impersonal: true, indispensable: true, justification },
    });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json<Answer>().broadcast.status).toBe("sending");
    const audit = await t.database.db
      .selectFrom("audit_log")
      .select(["action", "actor_type", "summary"])
      .where("action", "=", "broadcast.approved")
      .where("target_id", "=", String(id))
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]?.actor_type).toBe("user");
    expect(JSON.parse(audit[0]?.summary ?? "{}")).toMatchObject({ declaration: justification });
  });
});
