import { z } from "zod";
import { classifyError } from "./send-errors.js";
import type { WhatsAppError } from "./types.js";
import type { InboundMessage } from "./webhook-events.js";

/**
 * The pieces of a `messages` webhook that describe one citizen's message, and the parts shared
 * with statuses (timestamps, errors). Objects are zod's default (unknown keys stripped): Meta adds
 * fields between versions, and we read only the ones named here.
 */

/** Unix seconds, which Meta writes as a string in messages and as a number elsewhere; → ms. */
export const unixSecondsAsMs = z
  .union([z.string(), z.number()], { error: "expected unix seconds" })
  .transform((value, ctx) => {
    const seconds = typeof value === "number" ? value : /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(seconds) || seconds < 0) {
      ctx.addIssue({ code: "custom", message: "expected unix seconds" });
      return z.NEVER;
    }
    return seconds * 1000;
  });

/** Ids Meta documents as strings but sometimes writes as numbers (template ids, test payloads). */
export const idLike = z
  .union([z.string().min(1), z.number()], { error: "expected an id (string or number)" })
  .transform(String);

/** Latitude and longitude are numbers; a numeric string costs nothing to accept. */
const coordinate = z
  .union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/)], { error: "expected a number" })
  .transform(Number);

/**
 * Errors as they appear in statuses[], messages[] and value.errors (docs/whatsapp-cloud-api.md
 * §4.1).
 */
export const metaErrorSchema = z.object({
  code: z.number().int(),
  title: z.string().optional(),
  message: z.string().optional(),
  error_data: z.object({ details: z.string().optional() }).optional(),
});
export type MetaError = z.infer<typeof metaErrorSchema>;

/** Asynchronous errors are classified exactly as synchronous ones, by the same table. */
export function toWhatsAppErrors(errors: MetaError[] | undefined): WhatsAppError[] {
  return (errors ?? []).map((e) =>
    classifyError({
      code: e.code,
      title: e.title,
      message: e.message,
      details: e.error_data?.details,
    }),
  );
}

export const contactSchema = z.object({
  profile: z.object({ name: z.string().optional() }).optional(),
  wa_id: z.string().optional(),
  user_id: z.string().optional(),
});
export type MetaContact = z.infer<typeof contactSchema>;

const mediaSchema = z.object({
  id: z.string().optional(),
  mime_type: z.string().optional(),
  sha256: z.string().optional(),
  url: z.string().optional(),
  caption: z.string().optional(),
  filename: z.string().optional(),
  voice: z.boolean().optional(),
  animated: z.boolean().optional(),
});

const replySchema = z.object({
  id: z.string().optional(),
  title: z.string().optional(),
  description: z.string().optional(),
});

export const messageSchema = z
  .object({
    id: z.string().min(1),
    /** "" (or absent) for username users who hide their number; from_user_id then says who. */
    from: z.string().default(""),
    from_user_id: z.string().optional(),
    timestamp: unixSecondsAsMs,
    type: z.string().min(1),
    context: z
      .object({
        from: z.string().optional(),
        id: z.string().optional(),
        forwarded: z.boolean().optional(),
        frequently_forwarded: z.boolean().optional(),
      })
      .optional(),
    text: z.object({ body: z.string() }).optional(),
    interactive: z
      .object({
        type: z.string().optional(),
        button_reply: replySchema.optional(),
        list_reply: replySchema.optional(),
      })
      .optional(),
    button: z.object({ payload: z.string().optional(), text: z.string().optional() }).optional(),
    image: mediaSchema.optional(),
    video: mediaSchema.optional(),
    document: mediaSchema.optional(),
    audio: mediaSchema.optional(),
    sticker: mediaSchema.optional(),
    location: z
      .object({
        latitude: coordinate,
        longitude: coordinate,
        name: z.string().optional(),
        address: z.string().optional(),
        url: z.string().optional(),
      })
      .optional(),
    reaction: z.object({ message_id: z.string().min(1), emoji: z.string().optional() }).optional(),
    system: z
      .object({
        type: z.string().optional(),
        body: z.string().optional(),
        wa_id: z.string().optional(),
        /** The older spelling of wa_id in user_changed_number. */
        new_wa_id: z.string().optional(),
      })
      .optional(),
    unsupported: z.object({ type: z.string().optional() }).optional(),
    errors: z.array(metaErrorSchema).optional(),
  })
  .refine((m) => m.from !== "" || Boolean(m.from_user_id), {
    // Without either we could not tell whose message it is, let alone answer it.
    message: "is empty and there is no from_user_id",
    path: ["from"],
  });
export type MetaMessage = z.infer<typeof messageSchema>;

/** Types InboundMessage describes; anything else (and Meta's own `unsupported`) is unsupported. */
const KNOWN_TYPES = new Set([
  "text",
  "interactive",
  "button",
  "image",
  "video",
  "document",
  "audio",
  "sticker",
  "location",
  "reaction",
  "contacts",
  "system",
  "order",
  "request_welcome",
]);

export function toInboundMessage(m: MetaMessage, contacts: MetaContact[]): InboundMessage {
  // Match the contact by wa_id, or by BSUID when the number is hidden; never guess by position.
  const contact = contacts.find(
    (c) =>
      (m.from !== "" && c.wa_id === m.from) ||
      (m.from_user_id !== undefined && c.user_id === m.from_user_id),
  );
  const known = KNOWN_TYPES.has(m.type);
  const message: InboundMessage = {
    id: m.id,
    from: m.from,
    fromUserId: m.from_user_id,
    profileName: contact?.profile?.name,
    timestamp: m.timestamp,
    type: known ? m.type : "unsupported",
    // Meta's `unsupported` names what the citizen actually sent (poll, edit…) in unsupported.type.
    originalType: known
      ? undefined
      : m.type === "unsupported"
        ? (m.unsupported?.type ?? "unsupported")
        : m.type,
    context: m.context && {
      from: m.context.from,
      id: m.context.id,
      forwarded: m.context.forwarded,
      frequentlyForwarded: m.context.frequently_forwarded,
    },
  };
  if (m.errors) message.errors = toWhatsAppErrors(m.errors);
  switch (m.type) {
    case "text":
      message.text = m.text?.body;
      break;
    case "interactive":
      message.interactive = toInteractive(m.interactive);
      break;
    case "button":
      message.button = m.button && { payload: m.button.payload, text: m.button.text };
      break;
    case "image":
    case "video":
    case "document":
    case "audio":
    case "sticker":
      // Each media type's object is under its own name, in the same shape.
      message.media = toMedia(m[m.type]);
      break;
    case "location":
      message.location = m.location && { ...m.location };
      break;
    case "reaction":
      message.reaction = m.reaction && {
        messageId: m.reaction.message_id,
        emoji: m.reaction.emoji,
      };
      break;
    case "system":
      message.system = m.system && {
        type: m.system.type,
        body: m.system.body,
        newWaId: m.system.wa_id ?? m.system.new_wa_id,
      };
      break;
  }
  return message;
}

function toInteractive(i: MetaMessage["interactive"]): InboundMessage["interactive"] {
  if (!i) return undefined;
  if (i.type === "button_reply" || i.type === "list_reply") {
    const reply = i.type === "button_reply" ? i.button_reply : i.list_reply;
    return { kind: i.type, id: reply?.id, title: reply?.title, description: reply?.description };
  }
  // nfm_reply (Flows) and whatever Meta adds next: the type is known, the content is not ours.
  return { kind: "other" };
}

function toMedia(m: z.infer<typeof mediaSchema> | undefined): InboundMessage["media"] {
  return (
    m && {
      id: m.id,
      mimeType: m.mime_type,
      sha256: m.sha256,
      url: m.url,
      caption: m.caption,
      filename: m.filename,
      voice: m.voice,
      animated: m.animated,
    }
  );
}
