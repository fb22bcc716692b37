/**
 * Calendar days in a comune's time zone, for statistics "per day". Pure; no library: the
 * platform's Intl knows the zones.
 */

const DAY_MS = 86_400_000;

/** "2026-11-22" → its parts; the caller has validated the shape. */
function parseDay(day: string): { y: number; m: number; d: number } {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return { y, m, d };
}

/** True for a real calendar date written YYYY-MM-DD (rejects 2026-02-30). */
export function isCalendarDay(day: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return false;
  const { y, m, d } = parseDay(day);
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

function wallClock(ms: number, timeZone: string) {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  return {
    day: `${parts.year}-${parts.month}-${parts.day}`,
    asUtc: Date.UTC(
      Number(parts.year),
      Number(parts.month) - 1,
      Number(parts.day),
      Number(parts.hour),
      Number(parts.minute),
      Number(parts.second),
    ),
  };
}

/** The local calendar day (YYYY-MM-DD) of an instant. */
export function localDay(ms: number, timeZone: string): string {
  return wallClock(ms, timeZone).day;
}

/** The instant a local calendar day starts (midnight; DST changes in Italy happen at 2-3 h). */
export function startOfLocalDay(day: string, timeZone: string): number {
  const { y, m, d } = parseDay(day);
  const guess = Date.UTC(y, m - 1, d);
  // The zone's offset at the guess, then again at the corrected instant (DST days).
  const offset1 = wallClock(guess, timeZone).asUtc - guess;
  const first = guess - offset1;
  const offset2 = wallClock(first, timeZone).asUtc - first;
  return guess - offset2;
}

/** Every day from `from` to `to`, both included. */
export function daysBetween(from: string, to: string): string[] {
  const start = Date.UTC(parseDay(from).y, parseDay(from).m - 1, parseDay(from).d);
  const end = Date.UTC(parseDay(to).y, parseDay(to).m - 1, parseDay(to).d);
  const days: string[] = [];
  for (let t = start; t <= end; t += DAY_MS) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

/** The day after, YYYY-MM-DD. */
export function nextDay(day: string): string {
  const { y, m, d } = parseDay(day);
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

/** "2026-11-22 10:05:03": the wall-clock time of an instant in the zone (for people). */
export function localTime(ms: number, timeZone: string): string {
  const wall = new Date(wallClock(ms, timeZone).asUtc).toISOString();
  return `${wall.slice(0, 10)} ${wall.slice(11, 19)}`;
}
