import type { Kysely } from "kysely";
import type { Tenant } from "../../../config/tenants.js";
import type { DB } from "../../../platform/db/schema.js";
import {
  BUCKET_MS,
  countActiveByTopicList,
  countLedgerByBucket,
  countSubscriberStates,
  type StateCounts,
} from "./admin-stats.repository.js";
import { replyCharges } from "../../dispatch/dispatch.service.js";
import { daysBetween, localDay, nextDay, startOfLocalDay } from "../../../platform/local-days.js";

/**
 * The comune's statistics: counts only, no person. Days are the comune's calendar days in its
 * time zone (the service-hours zone, Europe/Rome by default), as the staff read them.
 */
export function timeZoneOf(tenant: Tenant): string {
  return tenant.serviceHours?.timeZone ?? "Europe/Rome";
}

export async function subscriberStats(db: Kysely<DB>, tenant: Tenant) {
  const [states, lists] = await Promise.all([
    countSubscriberStates(db, tenant.slug),
    countActiveByTopicList(db, tenant.slug),
  ]);
  const chosen = new Map<string, number>();
  let allTopics = 0;
  for (const { topics: ids, count } of lists) {
    // No choice made means every topic (the default of "ARGOMENTI").
    if (ids.length === 0) allTopics += count;
    for (const id of new Set(ids)) chosen.set(id, (chosen.get(id) ?? 0) + count);
  }
  return {
    tenant: tenant.slug,
    subscribers: states satisfies StateCounts,
    topics: {
      /** Active subscribers who chose no topic, so receive every topic. */
      allTopics,
      byTopic: tenant.topics.map((t) => ({
        id: t.id,
        label: t.label.it,
        chosen: chosen.get(t.id) ?? 0,
        receiving: (chosen.get(t.id) ?? 0) + allTopics,
      })),
    },
  };
}

/** The instants [from, to) covering the local days `from`..`to`, both included. */
export function dayRange(tenant: Tenant, from: string, to: string) {
  const zone = timeZoneOf(tenant);
  return { zone, fromMs: startOfLocalDay(from, zone), toMs: startOfLocalDay(nextDay(to), zone) };
}

/** Consent-ledger entries per local day: subscriptions, unsubscriptions, erasures, stop/resume. */
export async function subscriptionsPerDay(
  db: Kysely<DB>,
  tenant: Tenant,
  from: string,
  to: string,
) {
  const { zone, fromMs, toMs } = dayRange(tenant, from, to);
  const buckets = await countLedgerByBucket(db, tenant.slug, fromMs, toMs);
  const empty = () => ({
    subscriptions: 0,
    unsubscriptions: 0,
    erasures: 0,
    marketingStops: 0,
    marketingResumes: 0,
  });
  const days = new Map(daysBetween(from, to).map((d) => [d, empty()]));
  const field = {
    subscribe: "subscriptions",
    unsubscribe: "unsubscriptions",
    erase: "erasures",
    marketing_stop: "marketingStops",
    marketing_resume: "marketingResumes",
  } as const;
  for (const { bucket, action, count } of buckets) {
    const day = days.get(localDay(bucket * BUCKET_MS, zone));
    const name = field[action as keyof typeof field] as keyof ReturnType<typeof empty> | undefined;
    if (day && name) day[name] += count;
  }
  const list = [...days].map(([date, counts]) => ({ date, ...counts }));
  const totals = empty();
  for (const d of list)
    for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += d[k];
  return { tenant: tenant.slug, timeZone: zone, from, to, days: list, totals };
}

/**
 * Automatic replies that left in the period, counted and priced as Meta's status webhooks priced
 * them: `charged` (Meta said `regular`) at the comune's rate for their category, `free` (Meta
 * said free) at nothing, and `unpriced` (no status with pricing yet) at the price list's service
 * rate, `pricePerReply` (free-form replies are charged since 2026-10-01).
 */
export async function replyStats(db: Kysely<DB>, tenant: Tenant, from: string, to: string) {
  const { zone, fromMs, toMs } = dayRange(tenant, from, to);
  const charges = await replyCharges(db, tenant.slug, fromMs, toMs, tenant.pricing);
  return {
    tenant: tenant.slug,
    timeZone: zone,
    from,
    to,
    replies: charges.messages,
    charged: charges.charged,
    free: charges.free,
    unpriced: charges.unpriced,
    cost: charges.cost,
    currency: charges.currency,
    pricePerReply: tenant.pricing.service,
  };
}
