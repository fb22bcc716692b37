import { describe, expect, it } from "vitest";
import {
  closedDay,
  isInServiceWindow,
  nextWindowStart,
  publicHoliday,
  serviceWindowGate,
  type ServiceCalendar,
} from "./service-window.js";

const weekdays = (range: string) => ({
  mon: [range],
  tue: [range],
  wed: [range],
  thu: [range],
  fri: [range],
});

/** Concorezzo art. 3: Monday to Friday, 9 to 13. */
const concorezzo: ServiceCalendar = {
  timeZone: "Europe/Rome",
  weekly: weekdays("09:00-13:00"),
  description: {
    it: "dal lunedì al venerdì, dalle 9 alle 13",
    en: "Monday to Friday, 9 am to 1 pm",
  },
};
const officeHours: ServiceCalendar = { timeZone: "Europe/Rome", weekly: weekdays("09:00-18:00") };

const rome = (local: string, offset: "+01:00" | "+02:00") => Date.parse(`${local}${offset}`);
const iso = (ms: number) => new Date(ms).toISOString();

describe("service window", () => {
  it("moves a Friday-evening broadcast across Easter Monday to Tuesday 09:00", () => {
    const at = rome("2027-03-26T18:30:00", "+01:00");
    expect(iso(nextWindowStart(at, officeHours))).toBe("2027-03-30T07:00:00.000Z");
  });

  it("moves a Friday 14:00 approval to Monday 09:00 when the window closes at 13:00", () => {
    const at = rome("2026-11-20T14:00:00", "+01:00");
    expect(iso(nextWindowStart(at, concorezzo))).toBe("2026-11-23T08:00:00.000Z");
  });

  it("keeps 09:00 local across the daylight-saving changes", () => {
    // Saturday 27 March 2027, clocks go forward on the Sunday: Monday 09:00 is 07:00 UTC.
    const spring = rome("2027-03-27T10:00:00", "+01:00");
    // Easter Monday (29th) is a holiday: Tuesday.
    expect(iso(nextWindowStart(spring, concorezzo))).toBe("2027-03-30T07:00:00.000Z");
    // Friday 30 October 2026 after hours, in winter time since the 25th: Monday 2 November
    // 09:00 CET is 08:00 UTC.
    const autumn = rome("2026-10-30T13:00:00", "+01:00");
    expect(iso(nextWindowStart(autumn, concorezzo))).toBe("2026-11-02T08:00:00.000Z");
    // 09:00 on the Monday right after the clocks went back (26 October 2026).
    const weekend = rome("2026-10-24T12:00:00", "+02:00");
    expect(iso(nextWindowStart(weekend, concorezzo))).toBe("2026-10-26T08:00:00.000Z");
  });

  it("is inside the hours at 09:00 and outside at 13:00 sharp", () => {
    expect(isInServiceWindow(rome("2026-11-23T09:00:00", "+01:00"), concorezzo)).toBe(true);
    expect(isInServiceWindow(rome("2026-11-23T12:59:59", "+01:00"), concorezzo)).toBe(true);
    expect(isInServiceWindow(rome("2026-11-23T13:00:00", "+01:00"), concorezzo)).toBe(false);
    expect(isInServiceWindow(rome("2026-11-23T08:59:00", "+01:00"), concorezzo)).toBe(false);
  });

  it("skips the Italian public holidays from date-holidays and the patron saint's day", () => {
    expect(publicHoliday("2027-03-29")).toEqual({ it: "Lunedì dell’Angelo", en: "Easter Monday" });
    expect(publicHoliday("2026-12-08")?.it).toBe("Immacolata Concezione");
    // Observances (Mother's Day) are not public holidays.
    expect(publicHoliday("2027-05-09")).toBeUndefined();
    // 4 October is a national holiday again from 2026.
    expect(publicHoliday("2027-10-04")?.it).toContain("San Francesco");
    const milan: ServiceCalendar = { ...concorezzo, patronDay: "12-07" };
    expect(closedDay("2026-12-07", milan)?.it).toBe("festa del santo patrono");
    // Monday 7 December (Sant'Ambrogio) and Tuesday 8 (Immacolata): Wednesday.
    const friday = rome("2026-12-04T15:00:00", "+01:00");
    expect(iso(nextWindowStart(friday, milan))).toBe("2026-12-09T08:00:00.000Z");
    expect(iso(nextWindowStart(friday, { ...milan, skipPublicHolidays: false }))).toBe(
      "2026-12-08T08:00:00.000Z",
    );
  });

  it("uses the next range of the same day when the hours have a lunch break", () => {
    const split: ServiceCalendar = {
      timeZone: "Europe/Rome",
      weekly: { mon: ["14:00-17:00", "09:00-12:00"] },
    };
    expect(iso(nextWindowStart(rome("2026-11-23T12:30:00", "+01:00"), split))).toBe(
      "2026-11-23T13:00:00.000Z",
    );
  });

  it("lets a comune without stated hours send when due", () => {
    const casale: ServiceCalendar = { timeZone: "Europe/Rome" };
    const easterMonday = rome("2027-03-29T22:00:00", "+02:00");
    expect(nextWindowStart(easterMonday, casale)).toBe(easterMonday);
    expect(serviceWindowGate(easterMonday, casale, { urgent: false }).decision).toBe("now");
  });

  it("says when a normal broadcast will start, and which holiday it skips", () => {
    const at = rome("2027-03-26T18:30:00", "+01:00");
    const gate = serviceWindowGate(at, officeHours, { urgent: false });
    expect(gate.decision).toBe("wait");
    expect(iso(gate.startAt)).toBe("2027-03-30T07:00:00.000Z");
    expect(gate.startAtLocal.it).toBe("martedì 30/03/2027 alle 09:00");
    expect(gate.why.it).toBe(
      "Venerdì 26/03/2027 alle 18:30 è fuori dall'orario del servizio: una comunicazione non urgente attende la prossima apertura. Giorni festivi saltati: 29/03/2027 (Lunedì dell’Angelo).",
    );
    expect(gate.todo.it).toBe(
      "Partirà martedì 30/03/2027 alle 09:00. Se è un'emergenza di protezione civile, segnala la comunicazione come urgente per inviarla subito.",
    );
    expect(gate.source).toBe("Concorezzo art. 3");
  });

  it("names the hours when the comune describes them", () => {
    const gate = serviceWindowGate(rome("2026-11-20T14:00:00", "+01:00"), concorezzo, {
      urgent: false,
    });
    expect(gate.why.it).toContain(
      "fuori dall'orario del servizio (dal lunedì al venerdì, dalle 9 alle 13)",
    );
    expect(gate.startAtLocal.it).toBe("lunedì 23/11/2026 alle 09:00");
  });

  it("lets an urgent broadcast go now, naming the rule", () => {
    const sunday = rome("2026-11-22T03:00:00", "+01:00");
    const gate = serviceWindowGate(sunday, concorezzo, { urgent: true });
    expect(gate).toMatchObject({ decision: "now", startAt: sunday, rule: "hours.urgent" });
    expect(gate.why.it).toContain("anche fuori dall'orario");
  });
});
