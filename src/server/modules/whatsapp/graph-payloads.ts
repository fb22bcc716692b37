import { Checks, LIMITS, invalidRequest } from "./payload-checks.js";
import type {
  MediaRef,
  OutboundMessage,
  Result,
  SendRequest,
  TemplateButtonParam,
  TemplateHeaderParam,
  TemplateTextParam,
} from "./types.js";

/**
 * Request bodies for the Cloud API (docs/whatsapp-cloud-api.md §1, §1b), built from our own types.
 * The limits of §1.11 are checked on the way (`payload-checks.ts`): a message Meta would refuse
 * never costs an HTTP call, and the refusal names our field rather than Meta's.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** `{ key: value }` when value is given, `{}` otherwise: keeps absent fields out of the JSON. */
function opt(key: string, value: JsonValue | undefined): JsonObject {
  return value === undefined ? {} : { [key]: value };
}

function mediaObject(media: MediaRef): JsonObject {
  return "id" in media ? { id: media.id } : { link: media.link };
}

/** The checks of what a send adds around its message: the recipient and the two extras. */
function envelopeChecks(request: SendRequest): Checks {
  const checks = new Checks();
  checks.text("to", request.to, 256);
  checks.text("callbackData", request.callbackData, LIMITS.callbackData, true);
  checks.text("replyTo", request.replyTo, Number.MAX_SAFE_INTEGER, true);
  return checks;
}

/** The Graph API's `type` of a message: buttons and lists are both "interactive". */
function wireType(message: OutboundMessage): string {
  return message.type === "buttons" || message.type === "list" ? "interactive" : message.type;
}

export function buildMessageBody(request: SendRequest): Result<JsonObject> {
  const checks = envelopeChecks(request);
  const content = messageContent(request.message, checks);
  if (checks.problems.length > 0) return { ok: false, error: invalidRequest(checks.problems) };
  const type = wireType(request.message);
  return {
    ok: true,
    value: {
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: request.to,
      type,
      [type]: content,
      ...opt(
        "context",
        request.replyTo === undefined ? undefined : { message_id: request.replyTo },
      ),
      ...opt("biz_opaque_callback_data", request.callbackData),
    },
  };
}

/**
 * The same body as `buildMessageBody`, as the JSON text to post, byte for byte what
 * `JSON.stringify` makes of it: the message part is built, checked and serialized once per
 * message object (a broadcast's message is one object for all its recipients), and only the
 * recipient, the callback data and the quoted message are added per send. A message must not be
 * changed after it was first sent (none is: they are built per broadcast or parsed per row).
 */
export function buildMessageJson(request: SendRequest): Result<string> {
  const checks = envelopeChecks(request);
  const part = messagePartJson(request.message);
  if (!part.ok) checks.problems.push(...part.problems);
  if (!part.ok || checks.problems.length > 0) {
    return { ok: false, error: invalidRequest(checks.problems) };
  }
  const { replyTo, callbackData } = request;
  return {
    ok: true,
    value:
      `{"messaging_product":"whatsapp","recipient_type":"individual","to":${JSON.stringify(request.to)},` +
      part.json +
      (replyTo === undefined ? "" : `,"context":{"message_id":${JSON.stringify(replyTo)}}`) +
      (callbackData === undefined
        ? ""
        : `,"biz_opaque_callback_data":${JSON.stringify(callbackData)}`) +
      "}",
  };
}

type MessagePart = { ok: true; json: string } | { ok: false; problems: string[] };

const messageParts = new WeakMap<OutboundMessage, MessagePart>();

/** `"type":…,"<type>":{…}` of a message, or its problems; computed once per message object. */
function messagePartJson(message: OutboundMessage): MessagePart {
  let part = messageParts.get(message);
  if (part) return part;
  const checks = new Checks();
  const content = messageContent(message, checks);
  const type = wireType(message);
  part =
    checks.problems.length > 0
      ? { ok: false, problems: checks.problems }
      : { ok: true, json: `"type":"${type}","${type}":${JSON.stringify(content)}` };
  messageParts.set(message, part);
  return part;
}

/** The per-type object (§1.2–§1.8), checking its limits on the way. */
function messageContent(message: OutboundMessage, checks: Checks): JsonObject {
  switch (message.type) {
    case "text":
      checks.text("message.body", message.body, LIMITS.textBody);
      return { ...opt("preview_url", message.previewUrl), body: message.body };
    case "image":
    case "video":
    case "document":
      checks.media("message.media", message.media);
      checks.text("message.caption", message.caption, LIMITS.caption, true);
      return {
        ...mediaObject(message.media),
        ...opt("caption", message.caption),
        ...opt("filename", message.type === "document" ? message.filename : undefined),
      };
    case "audio":
      checks.media("message.media", message.media);
      return mediaObject(message.media);
    case "location":
      checks.coordinates("message", message.latitude, message.longitude);
      return locationObject(message);
    case "buttons":
      return buttonsObject(message, checks);
    case "list":
      return listObject(message, checks);
    case "template":
      return templateObject(message, checks);
  }
}

/** Coordinates as strings, as in Meta's examples (§1.4). */
function locationObject(location: {
  latitude: number;
  longitude: number;
  name?: string;
  address?: string;
}): JsonObject {
  return {
    latitude: String(location.latitude),
    longitude: String(location.longitude),
    ...opt("name", location.name),
    ...opt("address", location.address),
  };
}

type ButtonsMessage = Extract<OutboundMessage, { type: "buttons" }>;
type ListMessage = Extract<OutboundMessage, { type: "list" }>;
type TemplateMessage = Extract<OutboundMessage, { type: "template" }>;

function interactiveFrame(
  message: ButtonsMessage | ListMessage,
  bodyMax: number,
  checks: Checks,
): JsonObject {
  checks.text("message.body", message.body, bodyMax);
  checks.text("message.header", message.header, LIMITS.headerText, true);
  checks.text("message.footer", message.footer, LIMITS.footer, true);
  return {
    ...opt(
      "header",
      message.header === undefined ? undefined : { type: "text", text: message.header },
    ),
    body: { text: message.body },
    ...opt("footer", message.footer === undefined ? undefined : { text: message.footer }),
  };
}

function buttonsObject(message: ButtonsMessage, checks: Checks): JsonObject {
  const { buttons } = message;
  checks.that(buttons.length >= 1, "message.buttons", "at least 1 button");
  checks.that(buttons.length <= LIMITS.buttons, "message.buttons", `at most ${LIMITS.buttons}`);
  buttons.forEach((b, i) => {
    checks.text(`message.buttons[${i}].id`, b.id, LIMITS.buttonId);
    checks.text(`message.buttons[${i}].title`, b.title, LIMITS.buttonTitle);
  });
  const titles = new Set(buttons.map((b) => b.title));
  checks.that(titles.size === buttons.length, "message.buttons", "titles must be unique");
  return {
    type: "button",
    ...interactiveFrame(message, LIMITS.buttonsBody, checks),
    action: {
      buttons: buttons.map((b) => ({ type: "reply", reply: { id: b.id, title: b.title } })),
    },
  };
}

function listObject(message: ListMessage, checks: Checks): JsonObject {
  const { sections } = message;
  checks.text("message.buttonLabel", message.buttonLabel, LIMITS.listButtonLabel);
  checks.that(sections.length >= 1, "message.sections", "at least 1 section");
  checks.that(sections.length <= LIMITS.sections, "message.sections", `at most ${LIMITS.sections}`);
  const rows = sections.reduce((sum, s) => sum + s.rows.length, 0);
  checks.that(rows >= 1, "message.sections", "at least 1 row");
  checks.that(rows <= LIMITS.rowsTotal, "message.sections", `at most ${LIMITS.rowsTotal} rows`);
  sections.forEach((section, i) => {
    const at = `message.sections[${i}]`;
    checks.text(`${at}.title`, section.title, LIMITS.sectionTitle, true);
    section.rows.forEach((row, j) => {
      checks.text(`${at}.rows[${j}].id`, row.id, LIMITS.rowId);
      checks.text(`${at}.rows[${j}].title`, row.title, LIMITS.rowTitle);
      checks.text(`${at}.rows[${j}].description`, row.description, LIMITS.rowDescription, true);
    });
  });
  return {
    type: "list",
    ...interactiveFrame(message, LIMITS.listBody, checks),
    action: {
      button: message.buttonLabel,
      sections: sections.map((s) => ({
        ...opt("title", s.title),
        rows: s.rows.map((r) => ({
          id: r.id,
          title: r.title,
          ...opt("description", r.description),
        })),
      })),
    },
  };
}

function templateObject(message: TemplateMessage, checks: Checks): JsonObject {
  const nameOk = /^[a-z0-9_]+$/.test(message.name) && message.name.length <= LIMITS.templateName;
  checks.that(nameOk, "message.name", "lowercase a-z, 0-9 and _, at most 512 characters");
  checks.text("message.language", message.language, 32);
  const components: JsonObject[] = [];
  if (message.header) {
    components.push({ type: "header", parameters: [headerParameter(message.header, checks)] });
  }
  if (message.body && message.body.length > 0) {
    components.push({ type: "body", parameters: bodyParameters(message.body, checks) });
  }
  (message.buttons ?? []).forEach((button, i) => {
    components.push(buttonComponent(button, `message.buttons[${i}]`, checks));
  });
  return {
    name: message.name,
    language: { code: message.language },
    ...opt("components", components.length > 0 ? components : undefined),
  };
}

function headerParameter(header: TemplateHeaderParam, checks: Checks): JsonObject {
  switch (header.type) {
    case "text":
      checks.parameter("message.header.text", header.text);
      return { type: "text", text: header.text };
    case "image":
    case "video":
      checks.media("message.header.media", header.media);
      return { type: header.type, [header.type]: mediaObject(header.media) };
    case "document":
      checks.media("message.header.media", header.media);
      return {
        type: "document",
        document: { ...mediaObject(header.media), ...opt("filename", header.filename) },
      };
    case "location":
      checks.coordinates("message.header", header.latitude, header.longitude);
      return { type: "location", location: locationObject(header) };
  }
}

function bodyParameters(params: TemplateTextParam[], checks: Checks): JsonObject[] {
  const named = params.filter((p) => p.name !== undefined).length;
  checks.that(named === 0 || named === params.length, "message.body", "mixes named and positional");
  return params.map((p, i) => {
    checks.parameter(`message.body[${i}].text`, p.text);
    if (p.name !== undefined) {
      checks.that(/^[a-z0-9_]+$/.test(p.name), `message.body[${i}].name`, "lowercase a-z, 0-9, _");
    }
    return { type: "text", ...opt("parameter_name", p.name), text: p.text };
  });
}

function buttonComponent(button: TemplateButtonParam, at: string, checks: Checks): JsonObject {
  const indexOk = Number.isInteger(button.index) && button.index >= 0 && button.index <= 9;
  checks.that(indexOk, `${at}.index`, "an integer from 0 to 9");
  let parameter: JsonObject;
  if (button.subType === "quick_reply") {
    checks.text(`${at}.payload`, button.payload, LIMITS.textBody);
    parameter = { type: "payload", payload: button.payload };
  } else {
    checks.text(`${at}.text`, button.text, LIMITS.textBody);
    parameter = { type: "text", text: button.text };
  }
  return {
    type: "button",
    sub_type: button.subType,
    index: String(button.index),
    parameters: [parameter],
  };
}

export function buildMarkAsReadBody(messageId: string): Result<JsonObject> {
  if (messageId.trim() === "") return { ok: false, error: invalidRequest(["messageId: empty"]) };
  return {
    ok: true,
    value: { messaging_product: "whatsapp", status: "read", message_id: messageId },
  };
}

/** The same body blocks (POST) and unblocks (DELETE) (§1b). */
export function buildBlockBody(users: string[]): Result<JsonObject> {
  const checks = new Checks();
  checks.that(users.length >= 1, "users", "at least 1 user");
  checks.that(users.length <= LIMITS.blockUsers, "users", `at most ${LIMITS.blockUsers} a request`);
  users.forEach((user, i) => checks.text(`users[${i}]`, user, 256));
  if (checks.problems.length > 0) return { ok: false, error: invalidRequest(checks.problems) };
  return {
    ok: true,
    value: { messaging_product: "whatsapp", block_users: users.map((user) => ({ user })) },
  };
}
