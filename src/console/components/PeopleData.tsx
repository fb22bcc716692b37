import { useQuery, type QueryClient } from "@tanstack/react-query";
import { api, call } from "../api/client";
import type { paths } from "../api/schema";
import type { TrendDay } from "./PeopleTrendChart";

/**
 * The people pages' server data through TanStack Query, and the one place that says which
 * queries a change to a person makes stale.
 */

export type SubscriberStats =
  paths["/api/tenants/{tenant}/stats/subscribers"]["get"]["responses"]["200"]["content"]["application/json"];
export type SubscriberView =
  paths["/api/tenants/{tenant}/subscribers/{id}"]["get"]["responses"]["200"]["content"]["application/json"];
export type Overview =
  paths["/api/tenants/{tenant}/overview"]["get"]["responses"]["200"]["content"]["application/json"];

/** The comuni are Italian: their calendar days are Rome's (the server counts in the same zone). */
const ZONE = "Europe/Rome";
export const TREND_DAYS = 30;

export function localToday(now = new Date()): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: ZONE,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(now);
}

export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export const peopleKeys = {
  stats: (tenant: string) => ["stats", tenant] as const,
  overview: (tenant: string) => ["overview", tenant] as const,
  list: (tenant: string) => ["subscribers", tenant] as const,
  person: (tenant: string, id: number) => ["subscriber", tenant, id] as const,
};

/**
 * After a block, an unblock or an erasure: the counts, the trend, the dashboard, the list and
 * the person change; the audit log has a new entry.
 */
export async function invalidatePeople(
  queryClient: QueryClient,
  tenant: string,
  id: number,
): Promise<void> {
  await Promise.all([
    queryClient.invalidateQueries({ queryKey: peopleKeys.stats(tenant) }),
    queryClient.invalidateQueries({ queryKey: peopleKeys.overview(tenant) }),
    queryClient.invalidateQueries({ queryKey: peopleKeys.list(tenant) }),
    queryClient.invalidateQueries({ queryKey: peopleKeys.person(tenant, id) }),
    queryClient.invalidateQueries({ queryKey: ["audit", tenant] }),
  ]);
}

export function useSubscriberStats(tenant: string) {
  return useQuery({
    queryKey: [...peopleKeys.stats(tenant), "subscribers"],
    queryFn: () =>
      call(api.GET("/api/tenants/{tenant}/stats/subscribers", { params: { path: { tenant } } })),
  });
}

export function useOverview(tenant: string) {
  return useQuery({
    queryKey: peopleKeys.overview(tenant),
    queryFn: () =>
      call(api.GET("/api/tenants/{tenant}/overview", { params: { path: { tenant } } })),
  });
}

/**
 * The last 30 days of the consent ledger, and the active count at the end of each: today's is
 * the count now, each earlier day's the next one's less its subscriptions plus its departures
 * (an estimate: an erasure of someone already gone counts as a departure too).
 */
export function useTrend(tenant: string, activeNow: number | undefined) {
  const to = localToday();
  const from = addDays(to, -(TREND_DAYS - 1));
  const ledger = useQuery({
    queryKey: [...peopleKeys.stats(tenant), "subscriptions", from, to],
    queryFn: () =>
      call(
        api.GET("/api/tenants/{tenant}/stats/subscriptions", {
          params: { path: { tenant }, query: { from, to } },
        }),
      ),
  });
  let days: TrendDay[] | undefined;
  if (ledger.data && activeNow !== undefined) {
    const list = ledger.data.days;
    days = new Array<TrendDay>(list.length);
    let active = activeNow;
    for (let i = list.length - 1; i >= 0; i -= 1) {
      const d = list[i];
      if (!d) continue;
      const left = d.unsubscriptions + d.erasures;
      days[i] = { date: d.date, active, joined: d.subscriptions, left };
      active = Math.max(0, active - d.subscriptions + left);
    }
  }
  return { ...ledger, days };
}
