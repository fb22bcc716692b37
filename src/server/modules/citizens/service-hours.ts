import type { Tenant } from "../../config/tenants.js";

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

/**
 * Whether `now` falls inside the comune's service hours (R8), in its time zone. A comune without
 * stated hours is always "inside": there is nothing to add to the auto-reply.
 */
export function withinServiceHours(tenant: Tenant, now: number): boolean {
  const hours = tenant.serviceHours;
  if (!hours) return true;
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: hours.timeZone,
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(new Date(now));
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  const weekday = part("weekday").toLowerCase().slice(0, 3);
  const day = DAYS.find((d) => d === weekday);
  if (!day) return true;
  const time = `${part("hour").padStart(2, "0")}:${part("minute").padStart(2, "0")}`;
  return (hours.weekly[day] ?? []).some((range) => {
    const [from = "", to = ""] = range.split("-");
    return time >= from && time < to;
  });
}
