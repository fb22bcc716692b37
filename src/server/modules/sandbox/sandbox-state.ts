import {
  DAY_MS,
  PairRateLimiter,
  SECOND_MS,
  SlidingWindow,
  UniqueRecipientWindow,
} from "./rate-limits.js";
import type { MediaKind } from "./parsed-send.js";
import { SendLog } from "./send-log.js";

/**
 * Everything the sandbox remembers, in memory only: a restart forgets phones, conversations,
 * 24-hour windows, blocks, counters and media (templates and settings go back to the seed).
 */

export type PhoneMessageStatus = "sent" | "delivered" | "read" | "failed";

/** One message in a simulated phone's conversation, as the phones API shows it. */
export interface PhoneMessage {
  /** The wamid. */
  id: string;
  direction: "from_phone" | "to_phone";
  /** The comune's display number. */
  number: string;
  tenant: string;
  /** Meta's message type: text, image, interactive, template, button, location… */
  type: string;
  text?: string;
  media?: { kind: MediaKind; url?: string; filename?: string; mimeType?: string };
  location?: { latitude: number; longitude: number; name?: string; address?: string };
  interactive?: {
    kind: "buttons" | "list";
    header?: string;
    footer?: string;
    buttonLabel?: string;
    options: { id: string; title: string; description?: string; section?: string }[];
  };
  template?: { name: string; language: string; category: string };
  status: PhoneMessageStatus;
  error?: { code: number; title: string };
  /** Epoch ms. */
  at: number;
}

export interface Pricing {
  billable: boolean;
  pricing_model: "PMP";
  type: "regular" | "free_customer_service";
  category: string;
}

/** What the sandbox keeps about a message beyond what the phone shows. */
export interface MessageRecord {
  message: PhoneMessage;
  waId: string;
  phoneNumberId: string;
  callbackData?: string;
  /** For the comune's messages: what the status webhooks report. */
  pricing?: Pricing;
}

export interface Phone {
  waId: string;
  /** The WhatsApp profile name; "" for a recipient the sandbox only knows from sends. */
  name: string;
  lastMessageAt: number | null;
  messages: PhoneMessage[];
  /** Per phone-number id: when this phone last wrote to it (opens the 24-hour window). */
  lastInboundAt: Map<string, number>;
}

export interface StoredMedia {
  id: string;
  phoneNumberId: string;
  bytes: Buffer;
  mimeType: string;
  sha256: string;
  filename?: string;
  uploadedAt: number;
}

/** Keeps memory bounded when benchmarks send hundreds of thousands of messages. */
export const MAX_MESSAGES_PER_PHONE = 200;
/**
 * Phones the sandbox knows only from sends (nobody named them, they never wrote) kept at most:
 * the latest ones sent to. A broadcast's hundred thousand recipients would otherwise each keep a
 * phone and a conversation for good; a person plays a handful of named phones, never forgotten.
 */
export const MAX_SEND_ONLY_PHONES = 10_000;
/**
 * Forgotten together, once that many more are known: a set's iteration walks the holes its
 * deletions left, so forgetting one phone per send would cost as much as the set is long.
 */
const FORGET_BATCH = 1000;
export const MEDIA_TTL_MS = 30 * DAY_MS;

const PRIORITY: Record<PhoneMessageStatus, number> = { sent: 1, delivered: 2, read: 3, failed: 4 };

export class SandboxState {
  readonly phones = new Map<string, Phone>();
  /** Every send request and its answer (the latest, bounded: send-log.ts). */
  readonly sendLog = new SendLog();
  readonly messages = new Map<string, MessageRecord>();
  /** The phones sent to that may be only recipients, least recently sent to first. */
  private readonly sendOnly = new Set<string>();
  /** Per phone-number id, the wa_ids it blocked, in the order they were blocked. */
  readonly blocks = new Map<string, Set<string>>();
  readonly media = new Map<string, StoredMedia>();
  /** Sends + inbound messages per phone-number id in the last second. */
  readonly throughput = new SlidingWindow(SECOND_MS);
  /** Per "phoneNumberId:waId". */
  readonly pairRate = new PairRateLimiter();
  /** Unique recipients outside their window, per WABA, in a rolling 24 h. */
  readonly messagingLimit = new UniqueRecipientWindow(DAY_MS);

  /** Finds a phone, or creates it (with `name`, else unnamed); renames it when `name` is given. */
  upsertPhone(waId: string, name?: string): { phone: Phone; created: boolean } {
    const existing = this.phones.get(waId);
    if (existing) {
      if (name !== undefined) existing.name = name;
      return { phone: existing, created: false };
    }
    const phone: Phone = {
      waId,
      name: name ?? "",
      lastMessageAt: null,
      messages: [],
      lastInboundAt: new Map(),
    };
    this.phones.set(waId, phone);
    return { phone, created: true };
  }

  addMessage(phone: Phone, record: MessageRecord): void {
    phone.messages.push(record.message);
    phone.lastMessageAt = record.message.at;
    this.messages.set(record.message.id, record);
    while (phone.messages.length > MAX_MESSAGES_PER_PHONE) {
      const dropped = phone.messages.shift();
      if (dropped) this.messages.delete(dropped.id);
    }
    if (record.message.direction === "to_phone" && isSendOnly(phone)) {
      this.sendOnly.delete(phone.waId);
      this.sendOnly.add(phone.waId);
      this.forgetSendOnlyPhones();
    }
  }

  /** Beyond MAX_SEND_ONLY_PHONES, forgets the least recently sent to, and their messages. */
  private forgetSendOnlyPhones(): void {
    if (this.sendOnly.size <= MAX_SEND_ONLY_PHONES + FORGET_BATCH) return;
    for (const waId of this.sendOnly) {
      if (this.sendOnly.size <= MAX_SEND_ONLY_PHONES) return;
      this.sendOnly.delete(waId);
      const phone = this.phones.get(waId);
      // A phone named or written from since is a person's: it stays.
      if (!phone || !isSendOnly(phone)) continue;
      this.phones.delete(waId);
      for (const message of phone.messages) this.messages.delete(message.id);
    }
  }

  /** Moves a message's status forward only (sent → delivered → read; failed is final). */
  advanceStatus(message: PhoneMessage, status: PhoneMessageStatus): boolean {
    if (message.status === "failed" || PRIORITY[status] <= PRIORITY[message.status]) return false;
    message.status = status;
    return true;
  }

  /** The customer-service window: open for 24 h after the phone last wrote to this number. */
  isWindowOpen(phoneNumberId: string, waId: string, now: number): boolean {
    const last = this.phones.get(waId)?.lastInboundAt.get(phoneNumberId);
    return last !== undefined && now - last < DAY_MS;
  }

  isBlocked(phoneNumberId: string, waId: string): boolean {
    return this.blocks.get(phoneNumberId)?.has(waId) ?? false;
  }

  blockedBy(phoneNumberId: string): Set<string> {
    let set = this.blocks.get(phoneNumberId);
    if (!set) {
      set = new Set();
      this.blocks.set(phoneNumberId, set);
    }
    return set;
  }

  findMedia(id: string, now: number): StoredMedia | undefined {
    const media = this.media.get(id);
    if (media && now - media.uploadedAt > MEDIA_TTL_MS) {
      this.media.delete(id);
      return undefined;
    }
    return media;
  }

  /** Forgets phones, conversations, windows, blocks, counters, media and the send log. */
  reset(): void {
    this.sendLog.clear();
    this.phones.clear();
    this.sendOnly.clear();
    this.messages.clear();
    this.blocks.clear();
    this.media.clear();
    this.throughput.clear();
    this.pairRate.clear();
    this.messagingLimit.clear();
  }
}

/** A recipient only: nobody named it and it never wrote. */
function isSendOnly(phone: Phone): boolean {
  return phone.name === "" && phone.lastInboundAt.size === 0;
}
