import {
  DAY_MS,
  PairRateLimiter,
  SECOND_MS,
  SlidingWindow,
  UniqueRecipientWindow,
} from "./rate-limits.js";
import type { MediaKind } from "./parsed-send.js";

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
export const MEDIA_TTL_MS = 30 * DAY_MS;

const PRIORITY: Record<PhoneMessageStatus, number> = { sent: 1, delivered: 2, read: 3, failed: 4 };

/** One send request as the sandbox answered it: what reliability tests and benchmarks count. */
export interface SendLogEntry {
  at: number;
  phoneNumberId: string;
  to: string;
  /** Set when accepted. */
  wamid?: string;
  /** Meta's error code when refused. */
  code?: number;
  callbackData?: string;
}

/** Enough for the benchmarks' 1,000,000 sends; older entries are dropped beyond it. */
const SEND_LOG_LIMIT = 2_000_000;

export class SandboxState {
  readonly phones = new Map<string, Phone>();
  /** Every send request and its answer, oldest first. */
  sendLog: SendLogEntry[] = [];
  readonly messages = new Map<string, MessageRecord>();
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

  logSend(entry: SendLogEntry): void {
    if (this.sendLog.length >= SEND_LOG_LIMIT)
      this.sendLog = this.sendLog.slice(SEND_LOG_LIMIT / 2);
    this.sendLog.push(entry);
  }

  /** Forgets phones, conversations, windows, blocks, counters, media and the send log. */
  reset(): void {
    this.sendLog = [];
    this.phones.clear();
    this.messages.clear();
    this.blocks.clear();
    this.media.clear();
    this.throughput.clear();
    this.pairRate.clear();
    this.messagingLimit.clear();
  }
}
