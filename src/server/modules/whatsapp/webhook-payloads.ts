import { createHash } from "node:crypto";
import { z } from "zod";
import { ACCOUNT_SCHEMAS } from "./webhook-account.js";
import type { WebhookEvent } from "./webhook-events.js";
import {
  contactSchema,
  idLike,
  messageSchema,
  metaErrorSchema,
  toInboundMessage,
  toWhatsAppErrors,
  unixSecondsAsMs,
} from "./webhook-messages.js";
import { MAX_NESTING_DEPTH } from "./webhook-limits.js";

/**
 * Meta's webhook notification (docs/whatsapp-cloud-api.md §3.2), validated and taken apart into
 * WebhookEvents.
 *
 * Lenient where Meta varies between versions and features (unknown fields are dropped, unknown
 * message types and statuses are kept as values, `conversation` and `wa_id` may be missing);
 * strict where we could not act on what came: then the whole notification is refused with every
 * problem named by its JSON path, so that nothing is half stored.
 */

export type ParseResult = { ok: true; events: WebhookEvent[] } | { ok: false; problems: string[] };

const changeSchema = z.object({
  field: z.string().min(1),
  value: z.record(z.string(), z.unknown()),
});

const envelopeSchema = z.object({
  object: z.literal("whatsapp_business_account"),
  entry: z
    .array(
      z.object({
        /** The WhatsApp Business Account. */
        id: idLike,
        /** Present on account-level fields; part of their dedup key (see accountEvent). */
        time: z.union([z.number(), z.string()]).optional(),
        changes: z.array(changeSchema),
      }),
    )
    .min(1, "is empty"),
});

const metadataSchema = z.object({
  display_phone_number: z.string(),
  phone_number_id: idLike,
});

const statusSchema = z.object({
  id: z.string().min(1),
  /** Kept as sent: `played` is newer than most code, `deleted`/`warning` older (§3.4). */
  status: z.string().min(1),
  timestamp: unixSecondsAsMs,
  /** "" for statuses of messages sent to a BSUID; recipient_user_id then says who. */
  recipient_id: z.string().default(""),
  recipient_user_id: z.string().optional(),
  biz_opaque_callback_data: z.string().optional(),
  // Pricing and conversation are informational and are what Meta reshapes most (CBP → PMP,
  // `billable` deprecated, `conversation` dropped in v24.0): a value of an unexpected shape is
  // left out rather than holding up the status, whose delivery state is what we act on.
  pricing: z
    .object({
      billable: z.boolean().optional().catch(undefined),
      pricing_model: z.string().optional().catch(undefined),
      type: z.string().optional().catch(undefined),
      category: z.string().optional().catch(undefined),
    })
    .optional()
    .catch(undefined),
  conversation: z
    .object({
      id: z.string().optional(),
      expiration_timestamp: unixSecondsAsMs.optional(),
      origin: z.object({ type: z.string().optional() }).optional(),
    })
    .optional()
    .catch(undefined),
  errors: z.array(metaErrorSchema).optional(),
});

const messagesValueSchema = z
  .object({
    metadata: metadataSchema.optional(),
    contacts: z.array(contactSchema).default([]),
    messages: z.array(messageSchema).default([]),
    statuses: z.array(statusSchema).default([]),
    errors: z.array(metaErrorSchema).optional(),
  })
  .refine((v) => v.metadata || (v.messages.length === 0 && v.statuses.length === 0), {
    // Messages and statuses are routed to a comune by the phone number they came through.
    message: "is required with messages or statuses",
    path: ["metadata"],
  });

export function parseNotification(body: unknown): ParseResult {
  const envelope = envelopeSchema.safeParse(body, { reportInput: true });
  if (!envelope.success) return { ok: false, problems: describe(envelope.error, []) };

  const events: WebhookEvent[] = [];
  const problems: string[] = [];
  try {
    envelope.data.entry.forEach((entry, e) => {
      entry.changes.forEach((change, c) => {
        const at = ["entry", e, "changes", c, "value"];
        const where = { wabaId: entry.id, time: entry.time };
        const result =
          change.field === "messages"
            ? messagesEvents(change.value, where, at)
            : accountEvent(change.field, change.value, where, at);
        if (Array.isArray(result)) events.push(...result);
        else problems.push(...result.problems);
      });
    });
  } catch (error) {
    // The webhook route refuses such bodies before parsing; other callers get the same answer.
    if (error instanceof TooDeep) return { ok: false, problems: [`(top level): ${error.message}`] };
    throw error;
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    // Looked for first, without copying: almost no notification has any.
    events: events.map((e) => (holdsUnstorable(e, 0) ? (storable(e, 0) as WebhookEvent) : e)),
  };
}

interface Where {
  wabaId: string;
  time: number | string | undefined;
}

function messagesEvents(
  raw: Record<string, unknown>,
  where: Where,
  at: (string | number)[],
): WebhookEvent[] | { problems: string[] } {
  const parsed = messagesValueSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) return { problems: describe(parsed.error, at) };
  const value = parsed.data;
  const events: WebhookEvent[] = [];
  if (value.metadata) {
    const number = {
      wabaId: where.wabaId,
      phoneNumberId: value.metadata.phone_number_id,
      displayPhoneNumber: value.metadata.display_phone_number,
    };
    for (const m of value.messages) {
      events.push({
        kind: "message",
        dedupKey: `message:${m.id}`,
        ...number,
        message: toInboundMessage(m, value.contacts),
      });
    }
    for (const s of value.statuses) {
      events.push({
        kind: "status",
        dedupKey: `status:${s.id}:${s.status}`,
        ...number,
        status: {
          messageId: s.id,
          status: s.status,
          timestamp: s.timestamp,
          recipientId: s.recipient_id,
          recipientUserId: s.recipient_user_id,
          callbackData: s.biz_opaque_callback_data,
          pricing: s.pricing && {
            billable: s.pricing.billable,
            pricingModel: s.pricing.pricing_model,
            type: s.pricing.type,
            category: s.pricing.category,
          },
          conversation: s.conversation && {
            id: s.conversation.id,
            originType: s.conversation.origin?.type,
            expiresAt: s.conversation.expiration_timestamp,
          },
          errors: toWhatsAppErrors(s.errors),
        },
      });
    }
  }
  if (value.errors && value.errors.length > 0) {
    const phoneNumberId = value.metadata?.phone_number_id;
    events.push({
      kind: "error",
      // Hashes the errors as parsed: fields Meta adds on the way do not make a new error.
      dedupKey: `error:${digest({ ...where, phoneNumberId, errors: value.errors })}`,
      wabaId: where.wabaId,
      phoneNumberId,
      errors: toWhatsAppErrors(value.errors),
    });
  }
  return events;
}

function accountEvent(
  field: string,
  value: Record<string, unknown>,
  where: Where,
  at: (string | number)[],
): WebhookEvent[] | { problems: string[] } {
  const checked = ACCOUNT_SCHEMAS.get(field)?.safeParse(value, { reportInput: true });
  if (checked && !checked.success) return { problems: describe(checked.error, at) };
  const metadata = metadataSchema.safeParse(value["metadata"]);
  return [
    {
      kind: "account",
      // The WABA is hashed in because the dedup key is unique across comuni and a field like
      // business_capability_update names no account; entry.time because the same value can
      // legitimately come again later (a template approved, paused, approved again).
      dedupKey: `account:${field}:${digest({ ...where, value })}`,
      wabaId: where.wabaId,
      field,
      phoneNumberId: metadata.success ? metadata.data.phone_number_id : undefined,
      value,
    },
  ];
}

/** U+0000 and UTF-16 halves without their other half. */
// eslint-disable-next-line no-control-regex -- U+0000 is what this looks for
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, "g");

function holdsUnstorable(value: unknown, depth: number): boolean {
  if (typeof value === "string") return UNSTORABLE.test(value);
  if (value === null || typeof value !== "object" || depth > MAX_NESTING_DEPTH) return false;
  if (Array.isArray(value)) return value.some((v) => holdsUnstorable(v, depth + 1));
  for (const key in value) {
    if (UNSTORABLE.test(key)) return true;
    if (holdsUnstorable((value as Record<string, unknown>)[key], depth + 1)) return true;
  }
  return false;
}

/**
 * The event with every string (keys too) as a text column keeps it: U+0000 and lone UTF-16
 * halves, which JSON escapes can carry, become U+FFFD. PostgreSQL refuses U+0000 in text (in a
 * dedup key the insert failed, a 500; in a citizen's name their message failed its handler on
 * every attempt), and both engines store a lone half as U+FFFD, so a dedup key read back was not
 * ours. Meta's ids and citizens' words never need either. Copies only what changes.
 */
function storable(value: unknown, depth: number): unknown {
  if (typeof value === "string") {
    return UNSTORABLE.test(value) ? value.replace(UNSTORABLE_ALL, "\ufffd") : value;
  }
  // Events are bounded already (canonicalJson refused deeper account values).
  if (value === null || typeof value !== "object" || depth > MAX_NESTING_DEPTH) return value;
  const entries = Object.entries(value);
  const cleaned = entries.map(([k, v]) => [storable(k, depth), storable(v, depth + 1)] as const);
  if (cleaned.every(([k, v], i) => k === entries[i]?.[0] && v === entries[i]?.[1])) return value;
  // fromEntries defines properties: a key "__proto__" stays a key, as JSON.parse made it.
  return Array.isArray(value) ? cleaned.map(([, v]) => v) : Object.fromEntries(cleaned);
}

/** sha256 of a canonical JSON (keys sorted), so a redelivery hashes alike whatever its key order. */
function digest(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value, 0)).digest("hex");
}

class TooDeep extends Error {
  constructor() {
    super(`nested more than ${MAX_NESTING_DEPTH} levels`);
  }
}

/**
 * Recursive, so bounded: an account-level `value` is kept as Meta sent it, unknown fields and
 * all, and without the bound a deeply nested one overflowed the stack (a 500 for Meta to retry).
 */
function canonicalJson(value: unknown, depth: number): string {
  if (depth > MAX_NESTING_DEPTH) throw new TooDeep();
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v, depth + 1)).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const members = entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v, depth + 1)}`);
    return `{${members.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * "entry.0.changes.0.value.messages.0.id: expected string, got nothing". Values are never echoed:
 * they hold citizens' numbers and messages, and problems end up in logs.
 */
function describe(error: z.ZodError, prefix: (string | number)[]): string[] {
  return error.issues.map((issue) => {
    const path = [...prefix, ...issue.path].map(String).join(".") || "(top level)";
    if (issue.code === "invalid_type") {
      const expected = issue.expected === "record" ? "object" : issue.expected;
      return `${path}: expected ${expected}, got ${kindOf(issue.input)}`;
    }
    if (issue.code === "invalid_value") {
      return `${path}: expected ${issue.values.map((v) => JSON.stringify(v)).join(" or ")}`;
    }
    return `${path}: ${issue.message}`;
  });
}

function kindOf(input: unknown): string {
  if (input === undefined) return "nothing";
  if (input === null) return "null";
  if (Array.isArray(input)) return "array";
  return typeof input;
}
