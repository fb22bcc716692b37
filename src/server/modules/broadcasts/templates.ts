import type { TemplateKind } from "../../config/tenant-schema.js";
import type { Tenant } from "../../config/tenants.js";
import { AppError } from "../../platform/errors.js";
import type { BroadcastContent } from "../dispatch/broadcast-content.js";
import type { MediaFileInfo } from "../media/media.service.js";
import type { Result, TemplateInfo } from "../whatsapp/types.js";
import { categoryOf, type TemplateCategory } from "./policy/index.js";
import { policySettingsOf } from "./settings.js";

/**
 * The template a broadcast goes out through. Outside a person's 24-hour window WhatsApp delivers
 * only a template Meta approved, so approval picks the comune's template of the broadcast's kind
 * (`templateKindOf`), looks it up on WhatsApp (the sandbox in sandbox mode) and refuses while it
 * is missing, paused, disabled or rejected, while its body does not take exactly the one
 * parameter the text fills, or while its header does not show the kind of file the broadcast
 * carries.
 */
export interface SendContent {
  content: string;
  category: TemplateCategory;
  template: { name: string; language: string; kind: TemplateKind };
}

export type ListTemplates = (tenantSlug: string) => Promise<Result<TemplateInfo[]>>;

/** What decides the template: the file in the header, and whether it is a service notice. */
export interface ContentShape {
  text: string;
  media?: Pick<MediaFileInfo, "id" | "kind" | "filename">;
  /** Urgent, or every topic a service topic: a UTILITY template when the comune has one. */
  notice: boolean;
}

function refusal(code: string, it: string, en: string): AppError {
  return new AppError(409, code, it, undefined, { en });
}

type Component = { type?: unknown; text?: unknown; format?: unknown };

function componentOf(template: TemplateInfo, type: string): Component | undefined {
  return template.components.find(
    (c): c is Component => typeof c === "object" && c !== null && (c as Component).type === type,
  );
}

/** The positional parameters ({{1}}, {{2}}, …) of a template's body. */
function bodyParameters(template: TemplateInfo): number {
  const text = componentOf(template, "BODY")?.text;
  const names = new Set((typeof text === "string" ? text : "").match(/\{\{\s*[^}]+\s*\}\}/g) ?? []);
  return names.size;
}

/** The header's format: IMAGE, VIDEO, DOCUMENT, TEXT (with or without a parameter), or none. */
function headerOf(template: TemplateInfo): { format: string; parameters: boolean } | undefined {
  const header = componentOf(template, "HEADER");
  if (!header) return undefined;
  const format = typeof header.format === "string" ? header.format.toUpperCase() : "TEXT";
  const text = typeof header.text === "string" ? header.text : "";
  return { format, parameters: /\{\{/.test(text) };
}

const KIND_OF_MEDIA = { image: "Image", video: "Video", document: "Document" } as const;

/**
 * The kinds to try, best first: a service notice looks for the comune's `alert…` template of its
 * file's kind, then for the plain one; anything else for the plain one only.
 */
export function templateKindsFor(shape: {
  media?: Pick<MediaFileInfo, "kind"> | undefined;
  notice: boolean;
}): TemplateKind[] {
  const plain: TemplateKind = shape.media ? shape.media.kind : "text";
  if (!shape.notice) return [plain];
  const alert: TemplateKind = shape.media ? `alert${KIND_OF_MEDIA[shape.media.kind]}` : "alert";
  return [alert, plain];
}

/**
 * Whether a broadcast is a service notice: urgent, or every topic a service topic (the category
 * the policy gives it before a template is chosen).
 */
export function isNotice(
  tenant: Tenant,
  broadcast: { topics: "all" | readonly string[]; urgent: boolean },
): boolean {
  const settings = policySettingsOf(tenant);
  return (
    categoryOf(broadcast.topics, {
      urgent: broadcast.urgent,
      ...(settings.topicCategories ? { topicCategories: settings.topicCategories } : {}),
    }).category === "utility"
  );
}

/** The first of the kinds the comune names a template for, with that template's name. */
export function configuredTemplateOf(
  tenant: Tenant,
  kinds: readonly TemplateKind[],
): { kind: TemplateKind; name: string; language: string } | undefined {
  for (const kind of kinds) {
    const ref = tenant.broadcasts.templates[kind];
    if (ref) return { kind, name: ref.name, language: ref.language };
  }
  return undefined;
}

const HEADER_WORDS = {
  image: { it: "un'immagine", en: "an image" },
  video: { it: "un video", en: "a video" },
  document: { it: "un documento", en: "a document" },
} as const;

/**
 * The content approval stores: the template with the text as its parameter (and the file in its
 * header), and for a comune that sends free-form messages inside the 24-hour window, the text
 * for those too.
 */
export async function sendContentOf(
  tenant: Tenant,
  shape: ContentShape,
  listTemplates: ListTemplates,
): Promise<SendContent> {
  const kinds = templateKindsFor(shape);
  const kind = kinds.find((k) => tenant.broadcasts.templates[k]);
  const wanted = kind && tenant.broadcasts.templates[kind];
  if (!kind || !wanted) {
    const key = kinds.at(-1) ?? "text";
    throw refusal(
      "TEMPLATE_NOT_CONFIGURED",
      `Il Comune non ha indicato il modello WhatsApp con cui inviare questo tipo di comunicazione (broadcasts.templates.${key} nel file del Comune)`,
      `The comune names no WhatsApp template to send this kind of broadcast with (broadcasts.templates.${key} in its file)`,
    );
  }
  const listed = await listTemplates(tenant.slug);
  if (!listed.ok) {
    throw new AppError(
      503,
      "WHATSAPP_UNAVAILABLE",
      "WhatsApp non ha risposto alla verifica del modello: riprova tra qualche minuto",
      undefined,
      { en: "WhatsApp did not answer the template check: try again in a few minutes" },
    );
  }
  const found = listed.value.find((t) => t.name === wanted.name && t.language === wanted.language);
  const label = `«${wanted.name}» (${wanted.language})`;
  if (!found) {
    throw refusal(
      "TEMPLATE_NOT_AVAILABLE",
      `Il modello ${label} non esiste su WhatsApp: crealo e fallo approvare da Meta, o correggi il nome nel file del Comune`,
      `The template ${label} does not exist on WhatsApp: create it and have Meta approve it, or fix its name in the comune's file`,
    );
  }
  if (found.status !== "APPROVED") {
    throw refusal(
      "TEMPLATE_NOT_AVAILABLE",
      `Il modello ${label} non è utilizzabile: WhatsApp lo dà come ${found.status}. Si può approvare quando Meta lo riattiva`,
      `The template ${label} cannot be used: WhatsApp reports it as ${found.status}. Approve once Meta reinstates it`,
    );
  }
  if (bodyParameters(found) !== 1) {
    throw refusal(
      "TEMPLATE_NOT_AVAILABLE",
      `Il modello ${label} deve avere un solo parametro nel testo ({{1}}), in cui va la comunicazione`,
      `The template ${label} must have exactly one body parameter ({{1}}), which the broadcast fills`,
    );
  }
  const header = headerOf(found);
  const media = shape.media;
  if (media && header?.format !== media.kind.toUpperCase()) {
    const what = HEADER_WORDS[media.kind];
    throw refusal(
      "TEMPLATE_NOT_AVAILABLE",
      `Il modello ${label} non mostra ${what.it} in testa: scegli nel file del Comune un modello con ${what.it} nell'intestazione, o togli il file dalla comunicazione`,
      `The template ${label} has no room for ${what.en} in its header: name a template with ${what.en} header in the comune's file, or remove the file from the broadcast`,
    );
  }
  if (!media && header && (header.format !== "TEXT" || header.parameters)) {
    throw refusal(
      "TEMPLATE_NOT_AVAILABLE",
      `Il modello ${label} chiede un file o un testo in testa che la comunicazione non ha: scegli un modello con il solo testo`,
      `The template ${label} needs a header file or text the broadcast does not have: name a text-only template`,
    );
  }
  const category = found.category.toLowerCase() === "utility" ? "utility" : "marketing";
  const content: BroadcastContent = {
    type: "template",
    name: found.name,
    language: found.language,
    body: [{ text: shape.text }],
    ...(media
      ? {
          headerMedia: {
            fileId: media.id,
            kind: media.kind,
            ...(media.kind === "document" && media.filename ? { filename: media.filename } : {}),
          },
        }
      : {}),
    ...(tenant.broadcasts.freeFormInWindow ? { freeForm: { text: shape.text } } : {}),
  };
  return {
    content: JSON.stringify(content),
    category,
    template: { name: found.name, language: found.language, kind },
  };
}
