import { isWaId, stripNumberPunctuation } from "../../platform/phone-number.js";
import { metaErrors, type MetaError } from "./graph-errors.js";
import { parseInteractive } from "./interactive-validation.js";
import { parseTemplate } from "./template-validation.js";
import { MEDIA_KINDS, type MediaKind, type ParsedMessage, type ParsedSend } from "./parsed-send.js";
import {
  Refusal,
  list,
  mediaSource,
  noUnknownKeys,
  object,
  readLocation,
  optionalString,
  requiredString,
  type Json,
} from "./json-reader.js";

/**
 * The shape checks Meta makes on `POST /{phone-number-id}/messages` before anything else
 * (docs/whatsapp-cloud-api.md §1): a refusal is code 100 with `error_data.details` naming the field
 * in Meta's style ("Param text['body'] is required"), or 131051 for a type it does not know. Pure:
 * media ids, templates and limits are checked later, against the sandbox's state.
 */

export const SUPPORTED_TYPES = [
  "text",
  ...MEDIA_KINDS,
  "location",
  "interactive",
  "template",
  "reaction",
  "contacts",
] as const;

const CAPTIONED: readonly MediaKind[] = ["image", "video", "document"];

export type ValidationResult = { ok: true; send: ParsedSend } | { ok: false; error: MetaError };

export function validateSendBody(body: unknown): ValidationResult {
  try {
    return { ok: true, send: parseSend(body) };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, error: error.error };
    throw error;
  }
}

function parseSend(body: unknown): ParsedSend {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new Refusal(metaErrors.invalidParameter("The request body must be a JSON object."));
  }
  const o = body as Json;
  if (o.messaging_product !== "whatsapp") {
    throw new Refusal(
      metaErrors.invalidParameter(
        o.messaging_product === undefined
          ? "The parameter messaging_product is required."
          : "Param messaging_product must be 'whatsapp'",
      ),
    );
  }
  if (o.status !== undefined) {
    if (o.status !== "read") {
      throw new Refusal(metaErrors.invalidParameter("Param status must be 'read'"));
    }
    return { kind: "read", messageId: requiredString(o, "message_id", "message_id") };
  }
  if (o.recipient_type !== undefined && o.recipient_type !== "individual") {
    throw new Refusal(
      metaErrors.invalidParameter(
        "Param recipient_type must be 'individual' (the sandbox does not emulate groups)",
      ),
    );
  }
  const input = requiredString(o, "to", "to");
  // Meta tolerates '+', spaces, hyphens and parentheses (docs/whatsapp-cloud-api.md §9).
  const waId = stripNumberPunctuation(input);
  if (!isWaId(waId)) {
    throw new Refusal(metaErrors.invalidParameter("Param to must be a valid phone number"));
  }
  // Meta's default type is text.
  const type = o.type === undefined ? "text" : o.type;
  if (typeof type !== "string") {
    throw new Refusal(metaErrors.invalidParameter("Param type must be a string"));
  }
  if (!(SUPPORTED_TYPES as readonly string[]).includes(type)) {
    throw new Refusal(metaErrors.unsupportedType(type));
  }
  const callbackData = optionalString(o, "biz_opaque_callback_data", "biz_opaque_callback_data", {
    max: 512,
  });
  let replyTo: string | undefined;
  if (o.context !== undefined) {
    replyTo = requiredString(object(o.context, "context"), "message_id", "context['message_id']");
  }
  const message = parseMessage(type as (typeof SUPPORTED_TYPES)[number], o);
  return {
    kind: "message",
    input,
    waId,
    ...(callbackData === undefined ? {} : { callbackData }),
    ...(replyTo === undefined ? {} : { replyTo }),
    message,
  };
}

function parseMessage(type: (typeof SUPPORTED_TYPES)[number], o: Json): ParsedMessage {
  if (o[type] === undefined) {
    throw new Refusal(metaErrors.invalidParameter(`Param ${type} is required`));
  }
  switch (type) {
    case "text": {
      const text = object(o.text, "text");
      noUnknownKeys(text, ["body", "preview_url"], "text");
      const body = requiredString(text, "body", "text['body']", { max: 4096 });
      if (text.preview_url !== undefined && typeof text.preview_url !== "boolean") {
        throw new Refusal(
          metaErrors.invalidParameter("Param text['preview_url'] must be a boolean"),
        );
      }
      return { type, body, previewUrl: text.preview_url === true };
    }
    case "image":
    case "video":
    case "document":
    case "audio":
    case "sticker": {
      const media = object(o[type], type);
      const allowed = [
        "id",
        "link",
        ...(CAPTIONED.includes(type) ? ["caption"] : []),
        ...(type === "document" ? ["filename"] : []),
      ];
      noUnknownKeys(media, allowed, type);
      const caption = optionalString(media, "caption", `${type}['caption']`, { max: 1024 });
      const filename = optionalString(media, "filename", `${type}['filename']`, { max: 240 });
      return {
        type,
        media: mediaSource(media, type),
        ...(caption === undefined ? {} : { caption }),
        ...(filename === undefined ? {} : { filename }),
      };
    }
    case "location": {
      const location = object(o.location, "location");
      noUnknownKeys(location, ["latitude", "longitude", "name", "address"], "location");
      return { type, ...readLocation(location, "location") };
    }
    case "interactive":
      return { type, interactive: parseInteractive(object(o.interactive, "interactive")) };
    case "template":
      return { type, template: parseTemplate(object(o.template, "template")) };
    case "reaction": {
      const reaction = object(o.reaction, "reaction");
      noUnknownKeys(reaction, ["message_id", "emoji"], "reaction");
      const messageId = requiredString(reaction, "message_id", "reaction['message_id']");
      // An empty emoji removes a reaction.
      const emoji = optionalString(reaction, "emoji", "reaction['emoji']", { allowEmpty: true });
      return { type, messageId, emoji: emoji ?? "" };
    }
    case "contacts": {
      const contacts = list(o, "contacts", "contacts", { min: 1, max: 257 });
      const names = contacts.map((c, i) => {
        const path = `contacts[${i}]`;
        const name = object(object(c, path).name, `${path}['name']`);
        return requiredString(name, "formatted_name", `${path}['name']['formatted_name']`);
      });
      return { type, names };
    }
  }
}
