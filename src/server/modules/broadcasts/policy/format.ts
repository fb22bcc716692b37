import { localTime } from "../../../platform/local-days.js";
import type { Lang, Localized } from "./types.js";

/**
 * Numbers, amounts and moments as staff read them. Not Intl's number format: Italian CLDR does
 * not group four-digit numbers ("1024"), and the messages say "1.024" as Italian writing does.
 */

const SEPARATORS: Readonly<Record<Lang, { thousands: string; decimal: string }>> = {
  it: { thousands: ".", decimal: "," },
  en: { thousands: ",", decimal: "." },
};

/** A non-negative integer with thousands grouped: 1.024 / 1,024. */
export function formatCount(n: number, lang: Lang): string {
  const digits = String(Math.trunc(Math.abs(n)));
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, SEPARATORS[lang].thousands);
  return n < 0 ? `-${grouped}` : grouped;
}

/** An integer part and a string of decimals (already rounded) in the language's separators. */
export function formatFixed(whole: number, decimals: string, lang: Lang): string {
  const head = formatCount(whole, lang);
  return decimals === "" ? head : `${head}${SEPARATORS[lang].decimal}${decimals}`;
}

/** `value` with one decimal at most: 6,2 / 6.2 (for sizes in MB). */
export function formatOneDecimal(value: number, lang: Lang): string {
  const tenths = Math.round(value * 10);
  const whole = Math.floor(tenths / 10);
  const rest = tenths % 10;
  return formatFixed(whole, rest === 0 ? "" : String(rest), lang);
}

/** The same count in both languages, for messages built from a template per language. */
export function countIn(n: number): Localized {
  return { it: formatCount(n, "it"), en: formatCount(n, "en") };
}

const WEEKDAYS: Readonly<Record<Lang, readonly string[]>> = {
  it: ["domenica", "lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato"],
  en: ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
};

/** The day of the week of a calendar day YYYY-MM-DD (0 = Sunday), independent of any zone. */
export function weekdayOf(day: string): number {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}

/** "martedì 30/03/2027 alle 09:00" / "Tuesday 2027-03-30 at 09:00", in the comune's zone. */
export function formatMoment(ms: number, timeZone: string): Localized {
  const wall = localTime(ms, timeZone);
  const day = wall.slice(0, 10);
  const time = wall.slice(11, 16);
  const weekday = weekdayOf(day);
  const [y, m, d] = day.split("-");
  return {
    it: `${WEEKDAYS.it[weekday]} ${d}/${m}/${y} alle ${time}`,
    en: `${WEEKDAYS.en[weekday]} ${day} at ${time}`,
  };
}

/** "26/03/2027" / "2027-03-26" for a calendar day. */
export function formatDay(day: string): Localized {
  const [y, m, d] = day.split("-");
  return { it: `${d}/${m}/${y}`, en: day };
}
