import type { z } from "zod";
import type { Tenant } from "../../config/tenants.js";
import type { Locale } from "../../platform/http/locale.js";
import { localDay, startOfLocalDay } from "../../platform/local-days.js";
import { replyStats, timeZoneOf } from "../citizens/admin/admin-stats.service.js";
import { messagingLimitPlan } from "../dispatch/dispatch.service.js";
import { listBroadcasts, type BroadcastsDeps } from "./broadcasts.service.js";
import { formatMoney } from "./policy/index.js";
import type { overviewOut } from "./overview.schemas.js";
import { broadcastReport, type BroadcastReport } from "./report.js";

/**
 * The figures of the console's dashboard that no other route gives in one answer: the latest
 * broadcasts with their delivered and read rates, the messages sent this month and what they
 * cost, and the messaging limit left today. Counts only: no phone number, no text.
 */

/** The broadcasts that have started sending (and so have deliveries to count). */
const STARTED = ["sending", "paused", "needs_attention", "sent", "cancelled"] as const;
const PAGE = 100;
/** How many of the latest broadcasts the dashboard lists. */
export const RECENT = 5;

export type Overview = z.infer<typeof overviewOut>;
export type RecentBroadcast = Overview["recentBroadcasts"][number];

const rate = (part: number, whole: number) =>
  whole === 0 ? null : Math.round((part / whole) * 1e4) / 1e4;

function recentOf(report: BroadcastReport): RecentBroadcast {
  const c = report.counts;
  return {
    ...report.broadcast,
    recipients: c.total,
    delivered: c.delivered,
    read: c.read,
    failed: c.failed,
    deliveredRate: rate(c.delivered, c.total - c.skipped - c.cancelled),
    readRate: report.readRate,
  };
}

export async function overviewOf(
  deps: BroadcastsDeps,
  tenant: Tenant,
  lang: Locale,
): Promise<Overview> {
  const now = deps.clock.now();
  const zone = timeZoneOf(tenant);
  const today = localDay(now, zone);
  const firstDay = `${today.slice(0, 8)}01`;
  const monthStart = startOfLocalDay(firstDay, zone);

  // Every broadcast that ever started, newest first by id; a comune sends a few a week, and
  // one scheduled long ago may start this month, so the pages are read to the end.
  const started = [];
  for (let before: number | undefined; ;) {
    const page = await listBroadcasts(deps, tenant, {
      statuses: STARTED,
      limit: PAGE,
      ...(before !== undefined ? { before } : {}),
    });
    started.push(...page.broadcasts.filter((b) => b.startedAt !== null));
    if (page.next === null) break;
    before = page.next;
  }
  started.sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0) || b.id - a.id);
  const wanted = started.filter((b, i) => i < RECENT || (b.startedAt ?? 0) >= monthStart);
  const reports = new Map<number, BroadcastReport>();
  for (const b of wanted) reports.set(b.id, await broadcastReport(deps, tenant, b.id, lang));

  let broadcastMessages = 0;
  let costMicros = 0;
  let broadcasts = 0;
  for (const b of started) {
    const report = reports.get(b.id);
    if (!report || (b.startedAt ?? 0) < monthStart) continue;
    broadcasts += 1;
    broadcastMessages += report.cost.accepted;
    costMicros += report.cost.totalMicros;
  }
  const replies = await replyStats(deps.db, tenant, firstDay, today);
  costMicros += Math.round(replies.cost * 1_000_000);
  const plan = await messagingLimitPlan(deps.db, { tenantId: tenant.slug, recipients: 0, now });
  const currency = tenant.pricing.currency;

  return {
    tenant: tenant.slug,
    timeZone: zone,
    generatedAt: new Date(now).toISOString(),
    recentBroadcasts: started
      .slice(0, RECENT)
      .map((b) => reports.get(b.id))
      .filter((r): r is BroadcastReport => r !== undefined)
      .map(recentOf),
    month: {
      from: firstDay,
      to: today,
      broadcasts,
      broadcastMessages,
      replies: replies.replies,
      messages: broadcastMessages + replies.replies,
      currency,
      costMicros,
      cost: {
        it: formatMoney(costMicros, currency, "it"),
        en: formatMoney(costMicros, currency, "en"),
      },
    },
    messagingLimit: {
      limit: plan.limit,
      spentToday: plan.spentToday,
      left: plan.limit === null ? null : Math.max(0, plan.limit - plan.spentToday),
    },
  };
}
