import type { Kysely, Transaction } from "kysely";
import type { DB } from "../../platform/db/schema.js";
import { inboundEventsWithKeys, rekeyInboundEvent } from "./inbound-events.repository.js";
import type { WebhookEvent } from "./webhook-events.js";

/**
 * What the inbound events table keeps of an event (inbound-events.service.ts stores it), and how
 * a kept status is rewritten when its message id gives way to a pseudonym (the citizens' erasure).
 */

/**
 * What is stored of an event. A status keeps no recipient: nothing that handles it needs one (it
 * is matched to its row by message id and callback data), and a stored status would otherwise
 * keep the number of a citizen long after they erased their data.
 */
export function storedFormOf(event: WebhookEvent): WebhookEvent {
  if (event.kind !== "status") return event;
  const { recipientUserId: _userId, ...status } = event.status;
  return { ...event, status: { ...status, recipientId: "" } };
}

/**
 * Status values Meta sends (docs/whatsapp-cloud-api.md §3.4, with the older deleted/warning): the
 * stored keys.
 */
const STATUS_VALUES = ["sent", "delivered", "read", "failed", "played", "deleted", "warning"];

/**
 * A sent message's id is being replaced by its pseudonym (`messageKey`): its stored status events
 * are rewritten to carry the pseudonym instead of the wamid, in their key and their payload, and
 * no recipient. Returns how many were rewritten. Exact keys, one per status value, so the unique
 * index finds them on both engines whatever the collation.
 */
export async function pseudonymiseStatusEvents(
  db: Kysely<DB> | Transaction<DB>,
  input: { tenantId: string; wamid: string; messageKey: string },
): Promise<number> {
  const rows = await inboundEventsWithKeys(
    db,
    input.tenantId,
    STATUS_VALUES.map((s) => `status:${input.wamid}:${s}`),
  );
  for (const row of rows) {
    const status = row.dedup_key.slice(`status:${input.wamid}:`.length);
    const dedupKey = `status:${input.messageKey}:${status}`;
    await rekeyInboundEvent(db, {
      id: row.id,
      tenantId: input.tenantId,
      dedupKey,
      payload: pseudonymisedStatusPayload(row.payload, dedupKey, input.messageKey),
    });
  }
  return rows.length;
}

/** A stored status event's payload with the message id replaced and no recipient. */
export function pseudonymisedStatusPayload(
  payload: string,
  dedupKey: string,
  messageKey: string,
): string {
  let event: WebhookEvent;
  try {
    event = JSON.parse(payload) as WebhookEvent;
  } catch {
    return "{}";
  }
  if (event.kind !== "status") return "{}";
  const stored = storedFormOf(event);
  if (stored.kind !== "status") return "{}";
  return JSON.stringify({
    ...stored,
    dedupKey,
    status: { ...stored.status, messageId: messageKey },
  });
}
