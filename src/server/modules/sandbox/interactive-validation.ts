import { metaErrors } from "./graph-errors.js";
import {
  Refusal,
  at,
  list,
  mediaSource,
  object,
  optionalString,
  requiredString,
  type Json,
} from "./json-reader.js";
import type { InteractiveHeader, ParsedInteractive } from "./parsed-send.js";

/**
 * Interactive messages: reply buttons, lists and CTA URL buttons, with the limits of
 * docs/whatsapp-cloud-api.md §1.5–1.7 and §1.11. Other interactive kinds (flows, products, location
 * requests) are refused: a person playing a citizen could not answer them on the simulated phone.
 */
export function parseInteractive(o: Json): ParsedInteractive {
  const kind = requiredString(o, "type", "interactive['type']");
  if (kind !== "button" && kind !== "list" && kind !== "cta_url") {
    throw new Refusal(
      metaErrors.invalidParameter(
        "Param interactive['type'] must be one of {BUTTON, LIST, CTA_URL} (other kinds are not emulated)",
      ),
    );
  }
  const body = requiredString(
    object(o.body, "interactive['body']"),
    "text",
    "interactive['body']['text']",
    {
      max: kind === "list" ? 4096 : 1024,
    },
  );
  const footer =
    o.footer === undefined
      ? undefined
      : requiredString(
          object(o.footer, "interactive['footer']"),
          "text",
          "interactive['footer']['text']",
          {
            max: 60,
          },
        );
  const action = object(o.action, "interactive['action']");
  const common = { body, ...(footer === undefined ? {} : { footer }) };

  if (kind === "list") {
    let header: string | undefined;
    if (o.header !== undefined) {
      const h = object(o.header, "interactive['header']");
      if (h.type !== "text") {
        throw new Refusal(
          metaErrors.invalidParameter(
            "Param interactive['header']['type'] must be 'text' for a list",
          ),
        );
      }
      header = requiredString(h, "text", "interactive['header']['text']", { max: 60 });
    }
    return {
      kind,
      ...common,
      ...(header === undefined ? {} : { header }),
      ...parseListAction(action),
    };
  }

  const header =
    o.header === undefined ? undefined : parseHeader(object(o.header, "interactive['header']"));
  const withHeader = { ...common, ...(header === undefined ? {} : { header }) };
  if (kind === "button") {
    const path = "interactive['action']['buttons']";
    const buttons = list(action, "buttons", path, { min: 1, max: 3 }).map((raw, i) => {
      const b = object(raw, `${path}[${i}]`);
      if (b.type !== "reply") {
        throw new Refusal(
          metaErrors.invalidParameter(`Param ${path}[${i}]['type'] must be 'reply'`),
        );
      }
      const reply = object(b.reply, `${path}[${i}]['reply']`);
      return {
        id: requiredString(reply, "id", `${path}[${i}]['reply']['id']`, { max: 256 }),
        title: requiredString(reply, "title", `${path}[${i}]['reply']['title']`, { max: 20 }),
      };
    });
    unique(
      buttons.map((b) => b.title),
      `${path} titles`,
    );
    unique(
      buttons.map((b) => b.id),
      `${path} ids`,
    );
    return { kind, ...withHeader, buttons };
  }

  if (action.name !== "cta_url") {
    throw new Refusal(
      metaErrors.invalidParameter("Param interactive['action']['name'] must be 'cta_url'"),
    );
  }
  const parameters = object(action.parameters, "interactive['action']['parameters']");
  const displayText = requiredString(
    parameters,
    "display_text",
    "interactive['action']['parameters']['display_text']",
    {
      max: 20,
    },
  );
  const url = requiredString(parameters, "url", "interactive['action']['parameters']['url']");
  if (!/^https?:\/\/\S+$/i.test(url)) {
    throw new Refusal(
      metaErrors.invalidParameter("Param interactive['action']['parameters']['url'] must be a URL"),
    );
  }
  return { kind, ...withHeader, displayText, url };
}

function parseHeader(h: Json): InteractiveHeader {
  const type = requiredString(h, "type", "interactive['header']['type']");
  if (type === "text")
    return { type, text: requiredString(h, "text", "interactive['header']['text']", { max: 60 }) };
  if (type === "image" || type === "video" || type === "document") {
    const path = at("interactive['header']", type);
    return { type, media: mediaSource(object(h[type], path), path) };
  }
  throw new Refusal(
    metaErrors.invalidParameter(
      "Param interactive['header']['type'] must be one of {TEXT, IMAGE, VIDEO, DOCUMENT}",
    ),
  );
}

function parseListAction(
  action: Json,
): Pick<Extract<ParsedInteractive, { kind: "list" }>, "button" | "sections"> {
  const button = requiredString(action, "button", "interactive['action']['button']", { max: 20 });
  const path = "interactive['action']['sections']";
  const rawSections = list(action, "sections", path, { min: 1, max: 10 });
  const sections = rawSections.map((raw, i) => {
    const s = object(raw, `${path}[${i}]`);
    const title = optionalString(s, "title", `${path}[${i}]['title']`, { max: 24 });
    // Meta requires section titles once there is more than one section.
    if (title === undefined && rawSections.length > 1) {
      throw new Refusal(metaErrors.invalidParameter(`Param ${path}[${i}]['title'] is required`));
    }
    const rows = list(s, "rows", `${path}[${i}]['rows']`, { min: 1, max: 10 }).map((rawRow, j) => {
      const rowPath = `${path}[${i}]['rows'][${j}]`;
      const r = object(rawRow, rowPath);
      const description = optionalString(r, "description", `${rowPath}['description']`, {
        max: 72,
      });
      return {
        id: requiredString(r, "id", `${rowPath}['id']`, { max: 200 }),
        title: requiredString(r, "title", `${rowPath}['title']`, { max: 24 }),
        ...(description === undefined ? {} : { description }),
      };
    });
    return { ...(title === undefined ? {} : { title }), rows };
  });
  const rows = sections.flatMap((s) => s.rows);
  if (rows.length > 10) {
    throw new Refusal(
      metaErrors.invalidParameter(`Param ${path} must have at most 10 rows in total`),
    );
  }
  unique(
    rows.map((r) => r.id),
    `${path} row ids`,
  );
  return { button, sections };
}

function unique(values: string[], what: string): void {
  if (new Set(values).size !== values.length) {
    throw new Refusal(metaErrors.invalidParameter(`Param ${what} must be unique`));
  }
}
