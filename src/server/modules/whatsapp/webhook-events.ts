import type { WhatsAppError } from "./types.js";

/**
 * A webhook notification, taken apart into one event per thing that happened. Each event has a
 * `dedupKey`: a redelivery of the same message or status produces the same key, so storing
 * events under a unique key makes redeliveries no-ops.
 */

export interface InboundMessage {
  /** Meta's wamid of the citizen's message. */
  id: string;
  /** The sender's wa_id (phone number); "" for username users who hide it. */
  from: string;
  /** Business-scoped user id (from_user_id / user_id), when Meta sends one. */
  fromUserId?: string;
  /** contacts[].profile.name of the sender, when present. */
  profileName?: string;
  /** Unix time in milliseconds. */
  timestamp: number;
  /**
   * Meta's message type. Known: text, interactive, button, image, video, document, audio,
   * sticker, location, reaction, contacts, system, order, request_welcome; anything else is kept
   * as `unsupported` with `originalType`.
   */
  type: string;
  originalType?: string;
  text?: string;
  /** A tapped reply button or list row. */
  interactive?: {
    kind: "button_reply" | "list_reply" | "other";
    id?: string;
    title?: string;
    description?: string;
  };
  /** A tapped template quick-reply button. */
  button?: { payload?: string; text?: string };
  media?: {
    id?: string;
    mimeType?: string;
    sha256?: string;
    url?: string;
    caption?: string;
    filename?: string;
    voice?: boolean;
    animated?: boolean;
  };
  location?: { latitude: number; longitude: number; name?: string; address?: string; url?: string };
  reaction?: { messageId: string; emoji?: string };
  /** user_changed_number and similar. */
  system?: { type?: string; body?: string; newWaId?: string };
  context?: { from?: string; id?: string; forwarded?: boolean; frequentlyForwarded?: boolean };
  errors?: WhatsAppError[];
}

export interface StatusUpdate {
  /** The wamid of our message. */
  messageId: string;
  /** sent, delivered, read, failed, played… (unknown values are kept as they come). */
  status: string;
  timestamp: number;
  recipientId: string;
  recipientUserId?: string;
  /** Our biz_opaque_callback_data, echoed. */
  callbackData?: string;
  pricing?: { billable?: boolean; pricingModel?: string; type?: string; category?: string };
  conversation?: { id?: string; originType?: string; expiresAt?: number };
  errors: WhatsAppError[];
}

interface EventBase {
  /** Stable per message / status+state / account change. */
  dedupKey: string;
  /** entry[].id: the WhatsApp Business Account. */
  wabaId: string;
}

export type WebhookEvent =
  | (EventBase & {
      kind: "message";
      phoneNumberId: string;
      displayPhoneNumber: string;
      message: InboundMessage;
    })
  | (EventBase & {
      kind: "status";
      phoneNumberId: string;
      displayPhoneNumber: string;
      status: StatusUpdate;
    })
  /** value.errors: failures Meta reports outside any message or status. */
  | (EventBase & { kind: "error"; phoneNumberId?: string; errors: WhatsAppError[] })
  /**
   * Account-level fields: user_preferences, message_template_status_update,
   * template_category_update, message_template_quality_update, business_capability_update,
   * phone_number_quality_update, account_alerts, account_update; `value` is Meta's object as sent
   * (validated for the fields we act on).
   */
  | (EventBase & {
      kind: "account";
      field: string;
      phoneNumberId?: string;
      value: Record<string, unknown>;
    });

export type WebhookEventKind = WebhookEvent["kind"];
