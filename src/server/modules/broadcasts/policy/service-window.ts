import { createRequire } from "node:module";
import type HolidaysType from "date-holidays";
import { localDay, localTime, nextDay, startOfLocalDay } from "../../../platform/local-days.js";
import { formatDay, formatMoment, weekdayOf } from "./format.js";
import type { Localized, PolicyNote } from "./types.js";

/**
 * The service hours as a gate for broadcasts (Concorezzo art. 3, DESIGN.md R8): a normal
 * broadcast starts inside the comune's weekly hours, in its time zone, and not on an Italian
 * public holiday nor on the patron saint's day; an urgent one starts at once ("in casi di
 * necessità … anche fuori dall'orario").
 *
 * Instants are epoch milliseconds; every comparison is between instants, and a wall-clock time
 * becomes an instant through the zone's offset at that moment, so 09:00 is 09:00 also on the
 * days the clocks change.
 */

export type Weekday = "mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun";

const WEEKDAYS: readonly Weekday[] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

export interface ServiceCalendar {
  timeZone: string;
  /**
   * Ranges per day as the tenant file writes them ("09:00-13:00"). Absent: the comune states no
   * hours, and broadcasts start when due, holidays included (there is no office time to keep).
   */
  weekly?: Partial<Record<Weekday, readonly string[]>>;
  /** How the hours read, for the messages ("dal lunedì al venerdì, dalle 9 alle 13"). */
  description?: Localized;
  /** The patron saint's day, MM-DD ("06-29"): closed like a public holiday. */
  patronDay?: string;
  /** Italian public holidays are closed days unless this is false. */
  skipPublicHolidays?: boolean;
  /** The comune's own regulation, named as the source of the hours rule (else Concorezzo's article). */
  regulation?: string;
}

/** Italian public holidays of a year by local day, from date-holidays (type "public" only). */
const holidayYears = new Map<number, Map<string, Localized>>();

function publicHolidaysOf(year: number): Map<string, Localized> {
  let days = holidayYears.get(year);
  if (!days) {
    // Required on the first holiday asked, not imported at start: date-holidays carries every
    // country's calendar and its astronomy (~25 MB in each process, the worker included).
    const Holidays = createRequire(import.meta.url)("date-holidays") as typeof HolidaysType;
    const calendar = new Holidays("IT");
    const names = (lang: string) =>
      new Map(
        calendar
          .getHolidays(year, lang)
          .filter((h) => h.type === "public")
          .map((h) => [h.date.slice(0, 10), h.name]),
      );
    const en = names("en");
    days = new Map([...names("it")].map(([day, it]) => [day, { it, en: en.get(day) ?? it }]));
    holidayYears.set(year, days);
  }
  return days;
}

/** The Italian public holiday on a local day YYYY-MM-DD, by name. */
export function publicHoliday(day: string): Localized | undefined {
  return publicHolidaysOf(Number(day.slice(0, 4))).get(day);
}

/** Why a day is closed though the weekly hours may open it: a holiday or the patron's day. */
export function closedDay(day: string, calendar: ServiceCalendar): Localized | undefined {
  if (calendar.skipPublicHolidays !== false) {
    const holiday = publicHoliday(day);
    if (holiday) return holiday;
  }
  if (calendar.patronDay === day.slice(5)) {
    return { it: "festa del santo patrono", en: "the patron saint's day" };
  }
  return undefined;
}

function zoneOffset(ms: number, timeZone: string): number {
  return Date.parse(`${localTime(ms, timeZone).replace(" ", "T")}Z`) - ms;
}

/** The instant of a wall-clock time ("09:00", "24:00") on a local day. */
function localInstant(day: string, time: string, timeZone: string): number {
  const [h, m] = time.split(":").map(Number) as [number, number];
  const midnight = startOfLocalDay(day, timeZone);
  const naive = midnight + (h * 60 + m) * 60_000;
  // A clock change between midnight and the time shifts the wall clock by the difference.
  return naive - (zoneOffset(naive, timeZone) - zoneOffset(midnight, timeZone));
}

/** The day's open ranges as instants, in order; none on a closed day. */
function openRanges(day: string, calendar: ServiceCalendar): { start: number; end: number }[] {
  if (closedDay(day, calendar)) return [];
  const ranges = calendar.weekly?.[WEEKDAYS[weekdayOf(day)] ?? "sun"] ?? [];
  return [...ranges].sort().map((range) => {
    const [from = "00:00", to = "24:00"] = range.split("-");
    return {
      start: localInstant(day, from, calendar.timeZone),
      end: localInstant(day, to, calendar.timeZone),
    };
  });
}

/** A year and a few days: longer than any run of closed days a real calendar has. */
const SEARCH_DAYS = 400;

/**
 * When a broadcast due at `at` may start: `at` itself inside the hours (or when the comune states
 * none), otherwise the start of the next open range. Throws when the weekly hours open no day.
 */
export function nextWindowStart(at: number, calendar: ServiceCalendar): number {
  if (!calendar.weekly) return at;
  let day = localDay(at, calendar.timeZone);
  for (let i = 0; i < SEARCH_DAYS; i++, day = nextDay(day)) {
    const range = openRanges(day, calendar).find((r) => at < r.end);
    if (range) return Math.max(at, range.start);
  }
  throw new RangeError("The service hours open no day: check serviceHours.weekly");
}

export function isInServiceWindow(at: number, calendar: ServiceCalendar): boolean {
  return nextWindowStart(at, calendar) === at;
}

/** The days the weekly hours would open but a holiday closes, from `from`'s day to `to`'s. */
function closedDaysBetween(from: number, to: number, calendar: ServiceCalendar): string[] {
  const last = localDay(to, calendar.timeZone);
  const found: string[] = [];
  for (let day = localDay(from, calendar.timeZone); day <= last; day = nextDay(day)) {
    const opens = (calendar.weekly?.[WEEKDAYS[weekdayOf(day)] ?? "sun"] ?? []).length > 0;
    if (opens && closedDay(day, calendar)) found.push(day);
  }
  return found;
}

/** The gate's answer: go now, or wait until `startAt`, with the rule that decided. */
export interface ScheduleDecision extends PolicyNote {
  decision: "now" | "wait";
  startAt: number;
  startAtLocal: Localized;
}

/** The hours rule's source in the model regulation; a comune's own regulation replaces it. */
const MODEL_SOURCE = "Concorezzo art. 3";

export function serviceWindowGate(
  at: number,
  calendar: ServiceCalendar,
  options: { urgent: boolean },
): ScheduleDecision {
  const local = formatMoment(at, calendar.timeZone);
  const SOURCE =
    calendar.regulation === undefined
      ? MODEL_SOURCE
      : `${calendar.regulation} (orario del servizio)`;
  if (options.urgent) {
    return {
      id: "hours.urgent",
      rule: "hours.urgent",
      source: SOURCE,
      decision: "now",
      startAt: at,
      startAtLocal: local,
      why: {
        it: "Comunicazione urgente: parte subito, anche fuori dall'orario del servizio (il regolamento ammette l'invio «in casi di necessità … anche fuori dall'orario»).",
        en: 'Urgent broadcast: it starts at once, also outside the service hours (the regulation allows sending "when needed … also outside the hours").',
      },
      todo: { it: "Nessuna azione: l'invio inizia subito.", en: "Nothing: sending starts now." },
    };
  }
  const startAt = nextWindowStart(at, calendar);
  if (startAt === at) {
    return {
      id: "hours.inside",
      rule: "hours.inside",
      source: SOURCE,
      decision: "now",
      startAt,
      startAtLocal: local,
      why: calendar.weekly
        ? {
            it: `${capitalise(local.it)} è dentro l'orario del servizio.`,
            en: `${local.en} is inside the service hours.`,
          }
        : {
            it: "Il comune non ha un orario del servizio: la comunicazione parte all'ora prevista.",
            en: "The comune states no service hours: the broadcast starts when due.",
          },
      todo: { it: "Nessuna azione.", en: "Nothing." },
    };
  }
  const start = formatMoment(startAt, calendar.timeZone);
  const hours = calendar.description
    ? { it: ` (${calendar.description.it})`, en: ` (${calendar.description.en})` }
    : { it: "", en: "" };
  const closed = closedDaysBetween(at, startAt, calendar).map((day) => ({
    it: `${formatDay(day).it} (${closedDay(day, calendar)?.it ?? ""})`,
    en: `${formatDay(day).en} (${closedDay(day, calendar)?.en ?? ""})`,
  }));
  const skipped = closed.length
    ? {
        it: ` Giorni festivi saltati: ${closed.map((c) => c.it).join(", ")}.`,
        en: ` Holidays skipped: ${closed.map((c) => c.en).join(", ")}.`,
      }
    : { it: "", en: "" };
  return {
    id: "hours.outside",
    rule: "hours.outside",
    source: SOURCE,
    decision: "wait",
    startAt,
    startAtLocal: start,
    why: {
      it: `${capitalise(local.it)} è fuori dall'orario del servizio${hours.it}: una comunicazione non urgente attende la prossima apertura.${skipped.it}`,
      en: `${local.en} is outside the service hours${hours.en}: a broadcast that is not urgent waits for the next opening.${skipped.en}`,
    },
    todo: {
      it: `Partirà ${start.it}. Se è un'emergenza di protezione civile, segnala la comunicazione come urgente per inviarla subito.`,
      en: `It will start on ${start.en}. If it is a civil-protection emergency, mark the broadcast urgent to send it now.`,
    },
  };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
