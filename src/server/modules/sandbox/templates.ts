import { metaErrors, type MetaError } from "./graph-errors.js";
import type { TemplateHeaderParam, TemplateSendParams } from "./parsed-send.js";

/**
 * Message templates as Meta stores them (docs/whatsapp-cloud-api.md §6.2 shapes), the registry the
 * sandbox keeps per WABA, the checks a template send goes through and the text a phone shows. Pure.
 */

export type TemplateCategory = "MARKETING" | "UTILITY" | "AUTHENTICATION";
export const TEMPLATE_STATUSES = ["APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED"] as const;
export type TemplateStatus = (typeof TEMPLATE_STATUSES)[number];

export type TemplateButton =
  | { type: "QUICK_REPLY"; text: string }
  | { type: "URL"; text: string; url: string; example?: string[] }
  | { type: "PHONE_NUMBER"; text: string; phone_number: string };

export type TemplateComponent =
  | { type: "HEADER"; format: "TEXT"; text: string; example?: { header_text: string[] } }
  | {
      type: "HEADER";
      format: "IMAGE" | "VIDEO" | "DOCUMENT";
      example?: { header_handle: string[] };
    }
  | { type: "BODY"; text: string; example?: { body_text: string[][] } }
  | { type: "FOOTER"; text: string }
  | { type: "BUTTONS"; buttons: TemplateButton[] };

export interface Template {
  id: string;
  wabaId: string;
  name: string;
  language: string;
  category: TemplateCategory;
  status: TemplateStatus;
  parameter_format: "POSITIONAL" | "NAMED";
  components: TemplateComponent[];
  /** Why it was rejected or paused, as the status webhook carries it. */
  reason?: string;
}

/** Templates by WABA, in creation order (Meta lists them that way too). */
export class TemplateRegistry {
  private templates: Template[] = [];

  constructor(private readonly seed: () => Template[]) {
    this.reset();
  }

  reset(): void {
    this.templates = this.seed().map((t) => structuredClone(t));
  }

  list(wabaId?: string): Template[] {
    return wabaId === undefined
      ? [...this.templates]
      : this.templates.filter((t) => t.wabaId === wabaId);
  }

  find(wabaId: string, name: string, language: string): Template | undefined {
    return this.templates.find(
      (t) => t.wabaId === wabaId && t.name === name && t.language === language,
    );
  }
}

/** Distinct variable names in a text, in order of appearance: {{1}}, {{zona}}. */
export function variablesOf(text: string): string[] {
  const names = [...text.matchAll(/\{\{\s*([a-z0-9_]+)\s*\}\}/g)].map((m) => m[1] ?? "");
  return [...new Set(names)];
}

function component<T extends TemplateComponent["type"]>(
  template: Template,
  type: T,
): Extract<TemplateComponent, { type: T }> | undefined {
  return template.components.find(
    (c): c is Extract<TemplateComponent, { type: T }> => c.type === type,
  );
}

function buttonsOf(template: Template): TemplateButton[] {
  return component(template, "BUTTONS")?.buttons ?? [];
}

/** Meta rejects parameter values with a newline, a tab or more than 4 consecutive spaces. */
function hasForbiddenWhitespace(text: string): boolean {
  return /[\n\t]| {5,}/.test(text);
}

/**
 * Checks a template send against the approved template, in Meta's order: status, then
 * parameters. Returns the error to answer, or null.
 */
export function checkTemplateSend(
  template: Template | undefined,
  params: TemplateSendParams,
): MetaError | null {
  if (!template || template.status === "PENDING" || template.status === "REJECTED") {
    return metaErrors.templateNotFound(params.name, params.language);
  }
  if (template.status === "PAUSED") return metaErrors.templatePaused(template.name);
  if (template.status === "DISABLED") return metaErrors.templateDisabled(template.name);

  const header = component(template, "HEADER");
  if (header?.format === "TEXT") {
    const expected = variablesOf(header.text).length;
    const given = params.header?.type === "text" ? 1 : 0;
    if (params.header && params.header.type !== "text") {
      return metaErrors.parameterFormat("header: expected a text parameter");
    }
    if (given !== expected) {
      return metaErrors.parameterCount(
        `header: number of localizable_params (${given}) does not match the expected number of params (${expected})`,
      );
    }
  } else if (header) {
    const kind = header.format.toLowerCase();
    if (!params.header) {
      return metaErrors.parameterCount(`header: expected a ${kind} parameter`);
    }
    if (params.header.type !== kind) {
      return metaErrors.parameterFormat(
        `header: expected a ${kind} parameter, got ${params.header.type}`,
      );
    }
  } else if (params.header) {
    return metaErrors.parameterCount("header: the template has no header");
  }

  const body = component(template, "BODY");
  const expectedBody = body ? variablesOf(body.text).length : 0;
  if (params.body.length !== expectedBody) {
    return metaErrors.parameterCount(
      `body: number of localizable_params (${params.body.length}) does not match the expected number of params (${expectedBody})`,
    );
  }
  if (template.parameter_format === "NAMED" && body) {
    const names = new Set(variablesOf(body.text));
    const unknown = params.body.find((p) => p.name === undefined || !names.has(p.name));
    if (unknown)
      return metaErrors.parameterFormat(`body: unknown parameter_name ${unknown.name ?? "(none)"}`);
  }

  const buttons = buttonsOf(template);
  for (const given of params.buttons) {
    const button = buttons[given.index];
    const expectedType = given.subType === "url" ? "URL" : "QUICK_REPLY";
    if (button?.type !== expectedType) {
      return metaErrors.parameterCount(
        `buttons: no ${given.subType} button at index ${given.index}`,
      );
    }
  }
  for (const [index, button] of buttons.entries()) {
    if (button.type !== "URL" || variablesOf(button.url).length === 0) continue;
    const given = params.buttons.find((b) => b.subType === "url" && b.index === index);
    if (given?.text === undefined) {
      return metaErrors.parameterCount(
        `buttons: the url button at index ${index} needs 1 parameter`,
      );
    }
  }

  const texts = [
    ...(params.header?.type === "text" ? [params.header.text] : []),
    ...params.body.map((p) => p.text),
  ];
  if (texts.some(hasForbiddenWhitespace)) return metaErrors.parameterContent();
  return null;
}

export interface RenderedTemplate {
  /** Header text, body and footer, as a phone shows them. */
  text: string;
  headerText?: string;
  headerMedia?: Extract<TemplateHeaderParam, { media: unknown }>;
  footer?: string;
  quickReplies: { index: number; title: string; payload: string }[];
  urlButtons: { title: string; url: string }[];
}

function fill(text: string, values: Map<string, string>): string {
  return text.replace(
    /\{\{\s*([a-z0-9_]+)\s*\}\}/g,
    (whole, name: string) => values.get(name) ?? whole,
  );
}

/** The message a phone receives: variables filled, buttons resolved. Call after the checks. */
export function renderTemplate(template: Template, params: TemplateSendParams): RenderedTemplate {
  const header = component(template, "HEADER");
  const body = component(template, "BODY");
  const footer = component(template, "FOOTER");
  const bodyValues = new Map(
    params.body.map((p, i) => [
      template.parameter_format === "NAMED" ? (p.name ?? "") : String(i + 1),
      p.text,
    ]),
  );
  const headerText =
    header?.format === "TEXT"
      ? fill(
          header.text,
          new Map(params.header?.type === "text" ? [["1", params.header.text]] : []),
        )
      : undefined;
  const bodyText = body ? fill(body.text, bodyValues) : "";
  const quickReplies: RenderedTemplate["quickReplies"] = [];
  const urlButtons: RenderedTemplate["urlButtons"] = [];
  for (const [index, button] of buttonsOf(template).entries()) {
    const given = params.buttons.find((b) => b.index === index);
    if (button.type === "QUICK_REPLY") {
      // Meta echoes the payload set at send time, else the label (docs/whatsapp-cloud-api.md §3.3).
      quickReplies.push({ index, title: button.text, payload: given?.payload ?? button.text });
    } else if (button.type === "URL") {
      urlButtons.push({
        title: button.text,
        url: fill(button.url, new Map([["1", given?.text ?? ""]])),
      });
    }
  }
  const headerMedia = params.header && "media" in params.header ? params.header : undefined;
  return {
    text: [headerText, bodyText, footer?.text]
      .filter((part) => part !== undefined && part !== "")
      .join("\n\n"),
    ...(headerText === undefined ? {} : { headerText }),
    ...(headerMedia ? { headerMedia } : {}),
    ...(footer ? { footer: footer.text } : {}),
    quickReplies,
    urlButtons,
  };
}
