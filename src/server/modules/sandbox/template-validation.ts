import { metaErrors } from "./graph-errors.js";
import {
  Refusal,
  at,
  list,
  mediaSource,
  noUnknownKeys,
  object,
  optionalString,
  readLocation,
  requiredString,
  type Json,
} from "./json-reader.js";
import type { TemplateHeaderParam, TemplateSendParams } from "./parsed-send.js";

/**
 * The `template` object of a send (docs/whatsapp-cloud-api.md §1.8): name, language and the
 * components that carry parameters. Shape only; whether they match the approved template is
 * `templates.ts`'s job.
 */
export function parseTemplate(t: Json): TemplateSendParams {
  noUnknownKeys(t, ["name", "language", "components", "namespace"], "template");
  const name = requiredString(t, "name", "template['name']", { max: 512 });
  const language = object(t.language, "template['language']");
  const code = requiredString(language, "code", "template['language']['code']");
  const params: TemplateSendParams = {
    name,
    language: code,
    body: [],
    buttons: [],
    bodyGiven: false,
  };
  const components =
    t.components === undefined ? [] : list(t, "components", "template['components']");
  for (const [i, raw] of components.entries()) {
    const path = `template['components'][${i}]`;
    const c = object(raw, path);
    const type = requiredString(c, "type", at(path, "type")).toLowerCase();
    const parameters =
      c.parameters === undefined ? [] : list(c, "parameters", at(path, "parameters"));
    if (type === "header") {
      const first = parameters[0];
      if (parameters.length > 1) {
        throw new Refusal(metaErrors.parameterCount("header: a header takes at most 1 parameter"));
      }
      if (first !== undefined)
        params.header = parseHeaderParam(
          object(first, `${path}['parameters'][0]`),
          `${path}['parameters'][0]`,
        );
    } else if (type === "body") {
      params.bodyGiven = true;
      params.body = parameters.map((p, j) =>
        parseBodyParam(object(p, `${path}['parameters'][${j}]`), `${path}['parameters'][${j}]`),
      );
    } else if (type === "button") {
      params.buttons.push(parseButtonParam(c, parameters, path));
    } else {
      throw new Refusal(
        metaErrors.invalidParameter(
          `Param ${at(path, "type")} must be one of {HEADER, BODY, BUTTON}`,
        ),
      );
    }
  }
  return params;
}

function parseHeaderParam(p: Json, path: string): TemplateHeaderParam {
  const type = requiredString(p, "type", at(path, "type"));
  switch (type) {
    case "text":
      return { type, text: requiredString(p, "text", at(path, "text"), { max: 60 }) };
    case "image":
    case "video":
    case "document": {
      const media = object(p[type], at(path, type));
      const filename = optionalString(media, "filename", at(at(path, type), "filename"));
      return {
        type,
        media: mediaSource(media, at(path, type)),
        ...(filename === undefined ? {} : { filename }),
      };
    }
    case "location":
      return {
        type,
        ...readLocation(object(p.location, at(path, "location")), at(path, "location")),
      };
    default:
      throw new Refusal(
        metaErrors.invalidParameter(
          `Param ${at(path, "type")} must be one of {TEXT, IMAGE, VIDEO, DOCUMENT, LOCATION}`,
        ),
      );
  }
}

function parseBodyParam(p: Json, path: string): { text: string; name?: string } {
  const type = requiredString(p, "type", at(path, "type"));
  const name = optionalString(p, "parameter_name", at(path, "parameter_name"));
  let text: string;
  if (type === "text") text = requiredString(p, "text", at(path, "text"), { max: 32768 });
  else if (type === "currency" || type === "date_time") {
    // Meta localises these; the sandbox shows the fallback value the client must give anyway.
    text = requiredString(
      object(p[type], at(path, type)),
      "fallback_value",
      at(at(path, type), "fallback_value"),
    );
  } else {
    throw new Refusal(
      metaErrors.invalidParameter(
        `Param ${at(path, "type")} must be one of {TEXT, CURRENCY, DATE_TIME}`,
      ),
    );
  }
  return { text, ...(name === undefined ? {} : { name }) };
}

function parseButtonParam(
  c: Json,
  parameters: unknown[],
  path: string,
): TemplateSendParams["buttons"][number] {
  const subType = requiredString(c, "sub_type", at(path, "sub_type")).toLowerCase();
  const rawIndex = c.index;
  const index =
    typeof rawIndex === "string" && /^\d+$/.test(rawIndex) ? Number(rawIndex) : rawIndex;
  if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index > 9) {
    throw new Refusal(
      metaErrors.invalidParameter(`Param ${at(path, "index")} must be an integer between 0 and 9`),
    );
  }
  const first =
    parameters[0] === undefined ? undefined : object(parameters[0], `${path}['parameters'][0]`);
  if (subType === "quick_reply") {
    const payload = first
      ? requiredString(first, "payload", `${path}['parameters'][0]['payload']`, { max: 1000 })
      : undefined;
    return { subType, index, ...(payload === undefined ? {} : { payload }) };
  }
  if (subType === "url") {
    const text = first
      ? requiredString(first, "text", `${path}['parameters'][0]['text']`, { max: 2000 })
      : undefined;
    return { subType, index, ...(text === undefined ? {} : { text }) };
  }
  throw new Refusal(
    metaErrors.invalidParameter(`Param ${at(path, "sub_type")} must be one of {QUICK_REPLY, URL}`),
  );
}
