import type { Kysely } from "kysely";
import type { Clock } from "../../platform/clock.js";
import type { DB } from "../../platform/db/schema.js";
import type { StatusUpdate } from "../whatsapp/webhook-events.js";
import { updateBroadcastStatus } from "./broadcast-delivery.repository.js";
import { decideFailure } from "./failure-decision.js";
import {
  applyStatusToRow,
  failFromStatus,
  requeueFromStatus,
  statusTarget,
  type StatusTarget,
} from "./outbound-results.repository.js";
import { nextStatus } from "./status-order.js";

/** `om:<row id>`: what every send carries in biz_opaque_callback_data. */
export function callbackDataFor(rowId: number): string {
  return `om:${rowId}`;
}

/** The row id a send's callback data names, if it is one of ours. */
export function rowIdFrom(callbackData: string | undefined): number | undefined {
  const match = callbackData ? /^om:(\d+)$/.exec(callbackData) : null;
  return match?.[1] ? Number(match[1]) : undefined;
}

export type StatusApplied = "updated" | "ignored" | "unknown" | "requeued" | "failed";

/**
 * What a status says the message costs, as stored (pricing_type, pricing_category). Meta's
 * `type` (regular = charged, free_customer_service, free_entry_point) and `category` decide;
 * `billable` is deprecated and read only when a status has no `type`: then regular (true) or
 * free (false). Undefined when the status carries none (a failure, or a status sent without it).
 */
export function storedPricing(
  pricing: StatusUpdate["pricing"],
): { type: string; category: string | null } | undefined {
  if (!pricing) return undefined;
  const type =
    pricing.type ??
    (pricing.billable === undefined ? undefined : pricing.billable ? "regular" : "free");
  if (type === undefined) return undefined;
  // Meta's values are a few words; the webhook is outside input, so a longer one is cut.
  return { type: type.slice(0, 40), category: pricing.category?.slice(0, 40) ?? null };
}

/**
 * Applies one status webhook to its outbound row. Statuses only move forward (sent → delivered
 * → read; failed is final); a late or repeated one changes nothing. A status naming a row whose
 * send answer was lost (crash, timeout) also records the message id and marks it accepted: that
 * is how a restart knows not to send it again. A failure Meta reports only here is classified
 * like a synchronous one: retried, or final with its code. The pricing a status carries is kept
 * on the row (the statistics charge what Meta says it charges).
 */
export async function applyStatusUpdate(
  db: Kysely<DB>,
  tenantId: string,
  status: StatusUpdate,
  clock: Clock,
): Promise<StatusApplied> {
  // The write is guarded by the status read here; when something moved the row in between (the
  // send's answer recorded, another status of the same message), read it again and decide anew.
  for (let attempt = 1; attempt <= MAX_STALE_READS; attempt += 1) {
    const applied = await applyToCurrentRow(db, tenantId, status, clock.now());
    if (applied !== "stale") return applied;
  }
  throw new Error(`the row of a status kept changing under it (${MAX_STALE_READS} reads)`);
}

/** Reads before a status gives up on a row that keeps moving (the event is then retried). */
const MAX_STALE_READS = 5;

async function applyToCurrentRow(
  db: Kysely<DB>,
  tenantId: string,
  status: StatusUpdate,
  now: number,
): Promise<StatusApplied | "stale"> {
  let row = await statusTarget(db, tenantId, { waMessageId: status.messageId });
  if (!row) {
    const id = rowIdFrom(status.callbackData);
    if (id !== undefined) row = await statusTarget(db, tenantId, { id });
  }
  if (!row) return "unknown";
  // A status for an earlier attempt of a row that has since been sent again: not ours to apply.
  if (row.waMessageId && row.waMessageId !== status.messageId) return "ignored";

  // A failure after delivered or read is stale news (nextStatus refuses it): never resend then.
  if (status.status === "failed" && nextStatus(row.status, "failed") !== null) {
    return applyFailure(db, row, status, now);
  }

  const next = nextStatus(row.status === "accepted" ? "accepted" : row.status, status.status);
  const reconciles = row.state === "in_flight" || row.state === "queued";
  // Pricing rides on `sent` and on one of `delivered`/`read`, in any order: keep it even from a
  // status that is otherwise late news.
  const pricing = storedPricing(status.pricing);
  const repriced =
    pricing !== undefined &&
    (pricing.type !== row.pricingType || pricing.category !== row.pricingCategory);
  if (!next && !reconciles && !repriced) return "ignored";
  const wrote = await applyStatusToRow(db, {
    id: row.id,
    seenStatus: row.status,
    ...(next ? { status: next } : {}),
    ...(repriced ? { pricing } : {}),
    ...(reconciles ? { acceptedAs: status.messageId } : {}),
    now,
  });
  if (!wrote) return "stale";
  return next || reconciles ? "updated" : "ignored";
}

/**
 * A failure Meta reports only in a status webhook, decided like one in the send's answer
 * (`decideFailure`): failed with its code, or queued again (cancelled instead, if its broadcast
 * was: the dispatcher's requeue rule). A configuration error also stops the row's broadcast, by
 * the guarded move `halt`, in the same transaction; only the status that requeued the row does,
 * so a repeated webhook does not stop a broadcast resumed since.
 */
async function applyFailure(
  db: Kysely<DB>,
  row: StatusTarget,
  status: StatusUpdate,
  now: number,
): Promise<StatusApplied> {
  const error = status.errors[0];
  const decision = decideFailure({
    error,
    attempts: row.attempts,
    // After an accepted send error_code is empty: a failure reported here starts a run.
    codeAttempts: error && row.errorCode === error.code ? row.errorRepeats + 1 : 1,
    firstAttemptAt: row.createdAt,
    now,
    kind: row.broadcastId === null ? "reply" : "broadcast",
  });
  if (decision.action === "give_up") {
    await failFromStatus(db, {
      id: row.id,
      waMessageId: status.messageId,
      code: error?.code ?? null,
      reason: decision.reason,
      now,
    });
    return "failed";
  }
  await db.transaction().execute(async (trx) => {
    const requeued = await requeueFromStatus(trx, {
      id: row.id,
      at: decision.at,
      code: error?.code,
      reason: decision.reason,
      now,
    });
    if (decision.action === "halt" && row.broadcastId !== null && requeued) {
      await updateBroadcastStatus(trx, {
        broadcastId: row.broadcastId,
        move: "halt",
        now,
        reason: decision.attention,
      });
    }
  });
  return "requeued";
}
