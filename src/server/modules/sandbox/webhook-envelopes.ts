import { signWebhookBody } from "../whatsapp/webhook-signature.js";
import type { MetaAsyncError } from "./graph-errors.js";
import type { Pricing } from "./sandbox-state.js";

/**
 * Meta's webhook notifications (docs/whatsapp-cloud-api.md §3.2–3.5), built as plain objects. Pure:
 * the poster serialises, signs and sends them.
 */

export interface NumberMetadata {
  wabaId: string;
  displayNumber: string;
  phoneNumberId: string;
}

export interface StatusItem {
  id: string;
  status: "sent" | "delivered" | "read" | "failed";
  /** Unix seconds, as a string. */
  timestamp: string;
  recipient_id: string;
  biz_opaque_callback_data?: string;
  pricing?: Pricing;
  errors?: MetaAsyncError[];
}

/** An inbound message item; `type` decides which other key it carries. */
export type InboundItem = {
  from: string;
  id: string;
  timestamp: string;
  type: string;
  context?: { from: string; id: string };
} & Record<string, unknown>;

export interface WebhookEnvelope {
  object: "whatsapp_business_account";
  entry: {
    id: string;
    time?: number;
    changes: { field: string; value: Record<string, unknown> }[];
  }[];
}

export function unixSeconds(ms: number): string {
  return String(Math.floor(ms / 1000));
}

function messagesChange(number: NumberMetadata, value: Record<string, unknown>): WebhookEnvelope {
  return {
    object: "whatsapp_business_account",
    entry: [
      {
        id: number.wabaId,
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: {
                display_phone_number: number.displayNumber,
                phone_number_id: number.phoneNumberId,
              },
              ...value,
            },
          },
        ],
      },
    ],
  };
}

/**
 * Meta batches at most 1,000 updates in one notification (docs/whatsapp-cloud-api.md §3.2): the
 * most statuses the sandbox puts in one POST.
 */
export const MAX_STATUSES_PER_WEBHOOK = 1000;

/** Statuses of one number's messages, in the order given, under that number's metadata. */
export function statusEnvelope(
  number: NumberMetadata,
  statuses: readonly StatusItem[],
): WebhookEnvelope {
  return messagesChange(number, { statuses });
}

/** The statuses in order, `perEnvelope` to an envelope (Meta's most by default). */
export function statusEnvelopes(
  number: NumberMetadata,
  statuses: readonly StatusItem[],
  perEnvelope = MAX_STATUSES_PER_WEBHOOK,
): WebhookEnvelope[] {
  const envelopes: WebhookEnvelope[] = [];
  for (let i = 0; i < statuses.length; i += perEnvelope) {
    envelopes.push(statusEnvelope(number, statuses.slice(i, i + perEnvelope)));
  }
  return envelopes;
}

export function inboundEnvelope(
  number: NumberMetadata,
  contact: { name: string; waId: string },
  message: InboundItem,
): WebhookEnvelope {
  return messagesChange(number, {
    contacts: [{ profile: { name: contact.name }, wa_id: contact.waId }],
    messages: [message],
  });
}

/** Account-level fields (template status, category…): entry id is the WABA, `time` in seconds. */
export function accountEnvelope(
  wabaId: string,
  field: string,
  value: Record<string, unknown>,
  now: number,
): WebhookEnvelope {
  return {
    object: "whatsapp_business_account",
    entry: [{ id: wabaId, time: Math.floor(now / 1000), changes: [{ field, value }] }],
  };
}

/** `X-Hub-Signature-256`: the same signing the service's webhook endpoint checks. */
export const signatureOf = signWebhookBody;
