import type { Kysely } from "kysely";
import type { DB } from "../../platform/db/schema.js";
import { tierRecipientsSince } from "./outbound.repository.js";
import { messagingLimitOf, senderNumbersOf } from "./sender-numbers.repository.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * What Meta's messaging limit lets a broadcast do (docs/whatsapp-cloud-api.md §5): the unique
 * people a comune's numbers may reach with templates outside their 24-hour window in a rolling
 * day. Shown at approval: how many the budget left today covers, and by when the rest will have
 * gone (the dispatcher spends the budget as it frees up, a day's worth at a time).
 */
export interface TierPlan {
  /** People a rolling day allows; null when the tier is unlimited or unknown. */
  limit: number | null;
  /** Reached in the last 24 hours. */
  spentToday: number;
  /** Of the broadcast's recipients outside their window: sent now, and left for later days. */
  now: number;
  later: number;
  /** When the last of them should be on their way; null when all go now. */
  lastBy: number | null;
}

export async function tierPlanOf(
  db: Kysely<DB>,
  input: { tenantId: string; recipients: number; now: number },
): Promise<TierPlan> {
  const numbers = await senderNumbersOf(db, [input.tenantId]);
  const ids = numbers.map((n) => n.id);
  const limits = await Promise.all(ids.map((id) => messagingLimitOf(db, id)));
  const known = limits.filter((l): l is number => l !== null);
  const limit = known.length === 0 ? null : Math.min(...known);
  const spentToday = await tierRecipientsSince(db, ids, input.now - DAY_MS);
  if (limit === null) return { limit, spentToday, now: input.recipients, later: 0, lastBy: null };
  const coversNow = Math.min(input.recipients, Math.max(0, limit - spentToday));
  const later = input.recipients - coversNow;
  return {
    limit,
    spentToday,
    now: coversNow,
    later,
    lastBy: later === 0 ? null : input.now + Math.ceil(later / limit) * DAY_MS,
  };
}
