import { describe, expect, it } from "vitest";
import {
  electionGate,
  electionPeriodAt,
  type ElectionDeclaration,
  type ElectionPeriod,
} from "./election-periods.js";

const periods: ElectionPeriod[] = [
  { name: "Elezioni comunali 2027", from: "2027-04-12", to: "2027-06-08" },
  { name: "Referendum 2026", from: "2026-02-01", to: "2026-03-23" },
];
const timeZone = "Europe/Rome";
const inside = Date.parse("2027-05-10T10:00:00+02:00");
const declared = (declaration: ElectionDeclaration) =>
  electionGate(inside, periods, { timeZone, urgent: false, declaration });
const justification =
  "Chiusura di via Dante per la rottura della condotta idrica: i residenti devono saperlo oggi.";

describe("election periods", () => {
  it("finds the period by the local day, both ends included", () => {
    // 11 April 23:30 in Rome is still the day before the period.
    expect(electionPeriodAt(Date.parse("2027-04-11T23:30:00+02:00"), periods, timeZone)).toBe(
      undefined,
    );
    // 00:30 on the 12th in Rome is 22:30 UTC on the 11th: inside.
    expect(electionPeriodAt(Date.parse("2027-04-11T22:30:00Z"), periods, timeZone)?.name).toBe(
      "Elezioni comunali 2027",
    );
    expect(electionPeriodAt(Date.parse("2027-06-08T23:59:00+02:00"), periods, timeZone)).toBe(
      periods[0],
    );
    expect(electionPeriodAt(Date.parse("2027-06-09T00:00:00+02:00"), periods, timeZone)).toBe(
      undefined,
    );
  });

  it("passes outside every period", () => {
    const gate = electionGate(Date.parse("2027-07-01T10:00:00+02:00"), periods, {
      timeZone,
      urgent: false,
    });
    expect(gate.outcome).toBe("pass");
    expect(gate.rule).toBe("election.outside");
  });

  it("refuses a broadcast inside a period without the declaration, saying the rule and what to do", () => {
    const gate = electionGate(inside, periods, { timeZone, urgent: false });
    expect(gate.outcome).toBe("refused");
    expect(gate.rule).toBe("election.period");
    expect(gate.source).toBe("L. 28/2000 art. 9");
    expect(gate.why.it).toBe(
      "Dal 12/04/2027 al 08/06/2027 è in corso il periodo elettorale «Elezioni comunali 2027»: la legge 28/2000 (art. 9) vieta alle amministrazioni pubbliche ogni attività di comunicazione, salvo quella impersonale e indispensabile per le loro funzioni.",
    );
    expect(gate.todo.it).toContain("dichiaralo all'approvazione e scrivi la motivazione");
    expect(gate.todo.it).toContain("programma l'invio dal 09/06/2027");
  });

  it("lets an urgent civil-protection message through, naming why", () => {
    const gate = electionGate(inside, periods, { timeZone, urgent: true });
    expect(gate.outcome).toBe("pass");
    expect(gate.rule).toBe("election.urgent");
    expect(gate.why.it).toContain("è urgente (protezione civile)");
  });

  it("passes with a declaration of impersonal and indispensable with a justification", () => {
    const gate = declared({ impersonal: true, indispensable: true, justification });
    expect(gate.outcome).toBe("pass");
    expect(gate.rule).toBe("election.declared");
    expect(gate.why.it).toContain("la motivazione resta nel registro delle attività");
  });

  it("refuses a declaration that leaves out a condition or whose justification is too short", () => {
    const partial = declared({ impersonal: true, indispensable: false, justification });
    expect(partial).toMatchObject({ outcome: "refused", rule: "election.declaration" });
    expect(partial.why.it).toContain("non afferma che la comunicazione è indispensabile");
    const short = declared({
      impersonal: true,
      indispensable: true,
      justification: "  Urgente.  ",
    });
    expect(short).toMatchObject({ outcome: "refused", rule: "election.justification" });
    expect(short.why.it).toContain("è troppo breve (8 caratteri; ne servono almeno 40)");
  });
});
