import { describe, expect, it } from "vitest";
import { checkBroadcast, type BroadcastDraft, type PolicySettings } from "./index.js";

const weekdays = ["09:00-13:00"];
const concorezzo: PolicySettings = {
  timeZone: "Europe/Rome",
  serviceHours: {
    weekly: { mon: weekdays, tue: weekdays, wed: weekdays, thu: weekdays, fri: weekdays },
    description: {
      it: "dal lunedì al venerdì, dalle 9 alle 13",
      en: "Monday to Friday, 9 am to 1 pm",
    },
  },
  electionPeriods: [{ name: "Elezioni comunali 2027", from: "2027-04-12", to: "2027-06-08" }],
  content: { people: ["Mauro Capitanio"], allowedDomains: ["comune.concorezzo.mb.it"] },
};

const draft: BroadcastDraft = {
  text: "Domani la strada sarà chiusa. Usate il parcheggio della scuola.",
  topics: ["trasporti-viabilita"],
  urgent: false,
  audience: { recipients: 1234 },
};

const friday14 = Date.parse("2026-11-20T14:00:00+01:00");

describe("checkBroadcast", () => {
  it("lets a plain Friday-afternoon notice be approved, to start on Monday at 9, and prices it", () => {
    const check = checkBroadcast(draft, concorezzo, friday14);
    expect(check.blocks).toEqual([]);
    expect(check.warnings).toEqual([]);
    expect(check.mayApprove).toBe(true);
    expect(check.advice.schedule).toMatchObject({
      decision: "wait",
      rule: "hours.outside",
      startAt: Date.parse("2026-11-23T09:00:00+01:00"),
    });
    expect(check.advice.schedule.todo.it).toMatch(/^Partirà lunedì 23\/11\/2026 alle 09:00\./);
    expect(check.advice.election.rule).toBe("election.outside");
    expect(check.advice.readability?.why.it).toContain("Indice Gulpease 97");
    expect(check.advice.category.category).toBe("utility");
    expect(check.estimate.total.it).toBe("$ 37,02");
  });

  it("sends an urgent one now, naming the rule", () => {
    const check = checkBroadcast({ ...draft, urgent: true }, concorezzo, friday14);
    expect(check.advice.schedule).toMatchObject({ decision: "now", rule: "hours.urgent" });
  });

  it("holds approval until each content warning is acknowledged by its id", () => {
    const text = "Votate il progetto del parco su https://example.com entro venerdì.";
    const check = checkBroadcast({ ...draft, text }, concorezzo, friday14);
    expect(check.warnings.map((w) => [w.id, w.acknowledged])).toEqual([
      ["content.propaganda:votate", false],
      ["content.link:example.com", false],
    ]);
    expect(check.warnings[0]).toMatchObject({
      rule: "content.propaganda",
      source: "Concorezzo art. 4",
    });
    expect(check.mayApprove).toBe(false);
    const one = checkBroadcast(
      { ...draft, text, acknowledged: ["content.propaganda:votate"] },
      concorezzo,
      friday14,
    );
    expect(one.mayApprove).toBe(false);
    const both = checkBroadcast(
      { ...draft, text, acknowledged: ["content.propaganda:votate", "content.link:example.com"] },
      concorezzo,
      friday14,
    );
    expect(both.mayApprove).toBe(true);
  });

  it("refuses in an election period without the declaration, and passes with it", () => {
    const inPeriod = Date.parse("2027-05-10T10:00:00+02:00");
    const refused = checkBroadcast(draft, concorezzo, inPeriod);
    expect(refused.blocks.map((b) => b.rule)).toEqual(["election.period"]);
    expect(refused.blocks[0]?.source).toBe("L. 28/2000 art. 9");
    expect(refused.mayApprove).toBe(false);
    const declared = checkBroadcast(
      {
        ...draft,
        declaration: {
          impersonal: true,
          indispensable: true,
          justification: "Chiusura urgente della strada per un guasto alla rete del gas.",
        },
      },
      concorezzo,
      inPeriod,
    );
    expect(declared.blocks).toEqual([]);
    expect(declared.advice.election.rule).toBe("election.declared");
  });

  it("judges the election period at the moment the broadcast will really start", () => {
    // Saturday 10 April, outside the period; the next window is Monday 12th, inside it.
    const saturday = Date.parse("2027-04-10T10:00:00+02:00");
    const check = checkBroadcast(
      { ...draft, text: "Il sindaco Mauro Capitanio informa." },
      concorezzo,
      saturday,
    );
    expect(check.advice.schedule.startAt).toBe(Date.parse("2027-04-12T09:00:00+02:00"));
    expect(check.blocks.map((b) => b.rule)).toEqual(["election.period"]);
    expect(check.warnings.map((w) => w.id)).toEqual(["election.person:mauro capitanio"]);
  });

  it("blocks a text over the template's limit and a media file over WhatsApp's", () => {
    const check = checkBroadcast(
      {
        ...draft,
        text: "a".repeat(1061),
        media: { kind: "image", mimeType: "image/png", sizeBytes: 6 * 1024 * 1024 },
      },
      concorezzo,
      friday14,
    );
    expect(check.blocks.map((b) => b.why.it)).toEqual([
      "Il testo supera di 37 caratteri il limite di 1.024 del modello.",
      "L'immagine pesa 6 MB: WhatsApp accetta al massimo 5 MB per un'immagine.",
    ]);
    expect(check.mayApprove).toBe(false);
  });

  it("shows the split when the comune sends free-form inside the window", () => {
    const check = checkBroadcast(
      { ...draft, topics: ["eventi-culturali"], audience: { recipients: 1234, inWindow: 200 } },
      { ...concorezzo, freeFormInWindow: true },
      friday14,
    );
    expect(check.estimate.lines.map((l) => [l.kind, l.recipients])).toEqual([
      ["template", 1034],
      ["free-form", 200],
    ]);
    expect(check.estimate.total.it).toBe("$ 88,20");
  });
});
