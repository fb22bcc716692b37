/**
 * The order of a delivery's Meta status, encoded once: accepted → sent → delivered → read, or
 * failed. Webhooks arrive late, twice and out of order (a "read" can overtake its "delivered"),
 * so a status only ever moves forward and a stale one is ignored. The status webhook itself is
 * kept as an inbound event either way; only the delivery's column obeys this order.
 *
 * - A later status replaces an earlier one; the same or an earlier one changes nothing. Skipping
 *   is fine: "read" without "delivered" means it was delivered.
 * - failed replaces accepted or sent (Meta reports failures after "sent") and is final.
 * - failed after delivered or read is ignored: Meta should not send it, and a message the phone
 *   already has cannot be undelivered; a stray one must not turn a delivered row into a failure
 *   (nor trigger a second send).
 * - Anything else (played, deleted, whatever Meta adds) is ignored.
 *
 * For a conditional update, store `storedRank(status)` next to the status and write
 * `… SET status = :incoming, status_rank = :storedRank
 *    WHERE id = :id AND (status_rank IS NULL OR status_rank < :bound)`
 * with `bound = replacesRanksBelow(incoming)`: two concurrent webhooks cannot move it back,
 * and the outcome is the same as nextStatus's (the tests check every pair).
 */

export const STATUS_RANK = { accepted: 0, sent: 1, delivered: 2, read: 3 } as const;

/** Stored for failed: above every other rank, so nothing replaces it. */
export const FAILED_RANK = 4;

export type ProgressStatus = keyof typeof STATUS_RANK;
export type DeliveryStatus = ProgressStatus | "failed";

function isProgress(status: string): status is ProgressStatus {
  return Object.hasOwn(STATUS_RANK, status);
}

/** The rank to store with a status; null for anything that is not a delivery status. */
export function storedRank(status: string): number | null {
  if (status === "failed") return FAILED_RANK;
  return isProgress(status) ? STATUS_RANK[status] : null;
}

/**
 * The exclusive upper bound on the stored rank that `incoming` may replace; null if it never
 * replaces anything (an unknown status). failed replaces only accepted and sent.
 */
export function replacesRanksBelow(incoming: string): number | null {
  if (incoming === "failed") return STATUS_RANK.delivered;
  return isProgress(incoming) ? STATUS_RANK[incoming] : null;
}

/**
 * The status to store when `incoming` arrives for a delivery now at `current` (null: none yet),
 * or null to leave it. A `current` that is not a delivery status counts as none: it cannot have
 * come from this function.
 */
export function nextStatus(current: string | null, incoming: string): DeliveryStatus | null {
  const bound = replacesRanksBelow(incoming);
  if (bound === null) return null;
  const rank = current === null ? null : storedRank(current);
  if (rank !== null && rank >= bound) return null;
  return incoming === "failed" || isProgress(incoming) ? incoming : null;
}
