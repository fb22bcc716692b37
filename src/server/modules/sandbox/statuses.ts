import { metadataOf, type SandboxContext, type SandboxNumber } from "./context.js";
import { asyncError, type MetaError } from "./graph-errors.js";
import type { MessageRecord } from "./sandbox-state.js";
import { statusEnvelope, unixSeconds, type StatusItem } from "./webhook-envelopes.js";

/**
 * The status webhooks of the comune's messages (docs/whatsapp-cloud-api.md §3.4): `sent` then
 * `delivered` after small random delays, `failed` with the error, `read` when the phone reads.
 * Faults may post a status twice or `delivered` before `sent`, as Meta's retries and missing
 * ordering do.
 */

function delay(ctx: SandboxContext): number {
  const { min, max } = ctx.settings().statusDelayMs;
  return Math.round(min + ctx.random() * (max - min));
}

/** Posts one status for a record, moving the phone's copy of the message forward first. */
export function postStatus(
  ctx: SandboxContext,
  number: SandboxNumber,
  record: MessageRecord,
  status: StatusItem["status"],
  error?: MetaError,
): void {
  if (ctx.poster.isClosed) return;
  ctx.state.advanceStatus(record.message, status);
  if (error) record.message.error = { code: error.code, title: error.title };
  const item: StatusItem = {
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
  const envelope = statusEnvelope(metadataOf(number), item);
  const copies = ctx.random() < ctx.settings().faults.duplicateWebhookRate ? 2 : 1;
  for (let i = 0; i < copies; i += 1) ctx.poster.post(envelope, number.appSecret);
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
  ctx.poster.later(sentAt, () => postStatus(ctx, number, record, "sent"));
  ctx.poster.later(deliveredAt, () => postStatus(ctx, number, record, "delivered"));
}

/** An accepted message that will not arrive: one `failed` status carrying the error. */
export function scheduleFailure(
  ctx: SandboxContext,
  number: SandboxNumber,
  record: MessageRecord,
  error: MetaError,
): void {
  ctx.poster.later(delay(ctx), () => postStatus(ctx, number, record, "failed", error));
}
