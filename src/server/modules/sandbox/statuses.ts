import { metadataOf, type SandboxContext, type SandboxNumber } from "./context.js";
import { asyncError, type MetaError } from "./graph-errors.js";
import type { MessageRecord } from "./sandbox-state.js";
import {
  MAX_STATUSES_PER_WEBHOOK,
  statusEnvelopes,
  unixSeconds,
  type StatusItem,
} from "./webhook-envelopes.js";

/**
 * The status webhooks of the comune's messages (docs/whatsapp-cloud-api.md §3.4): `sent` then
 * `delivered` after small random delays, `failed` with the error, `read` when the phone reads.
 * Faults may post a webhook twice or `delivered` before `sent`, as Meta's retries and missing
 * ordering do.
 *
 * Like Meta, the sandbox batches: with `statusBatchMs` > 0 the statuses of one number that fall
 * due within the same window go together in one POST (at most 1,000, §3.2) when it closes. At
 * the cap of 1,000 messages a second one POST per status made 2,000 signed POSTs a second, whose
 * writes stalled the sandbox's event loop for tens of milliseconds (issue #14).
 */

/** A status waiting to be posted. */
export interface DueStatus {
  record: MessageRecord;
  status: StatusItem["status"];
  error?: MetaError;
}

/** A status's own delay, drawn uniformly from `statusDelayMs`; its window may add to it. */
function delay(ctx: SandboxContext): number {
  const { min, max } = ctx.settings().statusDelayMs;
  return Math.round(min + ctx.random() * (max - min));
}

/** Moves the phone's copy of the message forward, then describes the status as Meta would. */
function statusItem(ctx: SandboxContext, { record, status, error }: DueStatus): StatusItem {
  ctx.state.advanceStatus(record.message, status);
  if (error) record.message.error = { code: error.code, title: error.title };
  return {
    id: record.message.id,
    status,
    timestamp: unixSeconds(ctx.clock.now()),
    recipient_id: record.waId,
    ...(record.callbackData === undefined ? {} : { biz_opaque_callback_data: record.callbackData }),
    // Pricing rides on `sent` and `delivered`, never on `failed` (or here `read`).
    ...((status === "sent" || status === "delivered") && record.pricing
      ? { pricing: record.pricing }
      : {}),
    ...(error ? { errors: [asyncError(error)] } : {}),
  };
}

/**
 * Posts statuses of one number now, in the order given: up to 1,000 to a POST when
 * `statusBatchMs` > 0, one to a POST when it is 0. The duplicate fault is drawn per POST and
 * posts the whole POST again, byte for byte, as a Meta retry redelivers a notification with
 * everything in it (§3.6).
 */
export function postStatuses(
  ctx: SandboxContext,
  number: SandboxNumber,
  due: readonly DueStatus[],
): void {
  if (ctx.poster.isClosed || due.length === 0) return;
  const { statusBatchMs, faults } = ctx.settings();
  const items = due.map((d) => statusItem(ctx, d));
  const perPost = statusBatchMs > 0 ? MAX_STATUSES_PER_WEBHOOK : 1;
  for (const envelope of statusEnvelopes(metadataOf(number), items, perPost)) {
    const copies = ctx.random() < faults.duplicateWebhookRate ? 2 : 1;
    for (let copy = 0; copy < copies; copy += 1) ctx.poster.post(envelope, number.appSecret);
  }
}

/**
 * Posts a status after `delayMs`, or when the window of `statusBatchMs` that the delay ends in
 * closes, together with the number's other statuses due in that window: a status drawn to wait
 * d waits d to d + `statusBatchMs`, so delays stay within [min, max + statusBatchMs].
 */
function scheduleStatus(
  ctx: SandboxContext,
  number: SandboxNumber,
  delayMs: number,
  due: DueStatus,
): void {
  ctx.poster.laterInWindow(
    number.phoneNumberId,
    delayMs,
    ctx.settings().statusBatchMs,
    due,
    (batch) => postStatuses(ctx, number, batch),
  );
}

/** `sent`, then `delivered` (or the other way round under the reorder fault). */
export function scheduleDelivery(
  ctx: SandboxContext,
  number: SandboxNumber,
  record: MessageRecord,
): void {
  const first = delay(ctx);
  const second = first + delay(ctx);
  const [sentAt, deliveredAt] = ctx.settings().faults.reorderWebhooks
    ? [second, first]
    : [first, second];
  scheduleStatus(ctx, number, sentAt, { record, status: "sent" });
  scheduleStatus(ctx, number, deliveredAt, { record, status: "delivered" });
}

/** An accepted message that will not arrive: one `failed` status carrying the error. */
export function scheduleFailure(
  ctx: SandboxContext,
  number: SandboxNumber,
  record: MessageRecord,
  error: MetaError,
): void {
  scheduleStatus(ctx, number, delay(ctx), { record, status: "failed", error });
}
