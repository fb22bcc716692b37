import type { Tenant } from "../../config/tenants.js";
import { AppError } from "../../platform/errors.js";
import type { Result, TemplateInfo } from "../whatsapp/types.js";
import type { TemplateCategory } from "./policy/index.js";

/**
 * The template a broadcast goes out through. Outside a person's 24-hour window WhatsApp delivers
 * only a template Meta approved, so approval looks the comune's template up on WhatsApp (the
 * sandbox in sandbox mode) and refuses while it is missing, paused, disabled or rejected, or
 * while its body does not take exactly the one parameter the text fills.
 */
export interface SendContent {
  content: string;
  category: TemplateCategory;
  template: { name: string; language: string };
}

export type ListTemplates = (tenantSlug: string) => Promise<Result<TemplateInfo[]>>;

function refusal(code: string, it: string, en: string): AppError {
  return new AppError(409, code, it, undefined, { en });
}

/** The positional parameters ({{1}}, {{2}}, …) of a template's body. */
function bodyParameters(template: TemplateInfo): number {
  const body = template.components.find(
    (c): c is { type: string; text?: string } =>
      typeof c === "object" && c !== null && (c as { type?: unknown }).type === "BODY",
  );
  const names = new Set((body?.text ?? "").match(/\{\{\s*[^}]+\s*\}\}/g) ?? []);
  return names.size;
}

export async function sendContentOf(
  tenant: Tenant,
  text: string,
  listTemplates: ListTemplates,
): Promise<SendContent> {
  const wanted = tenant.broadcasts.templates.text;
  if (!wanted) {
    throw refusal(
      "TEMPLATE_NOT_CONFIGURED",
      "Il Comune non ha indicato il modello WhatsApp con cui inviare le comunicazioni (broadcasts.templates.text nel file del Comune)",
      "The comune names no WhatsApp template to send broadcasts with (broadcasts.templates.text in its file)",
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
  const category = found.category.toLowerCase() === "utility" ? "utility" : "marketing";
  return {
    content: JSON.stringify({
      type: "template",
      name: found.name,
      language: found.language,
      body: [{ text }],
    }),
    category,
    template: { name: found.name, language: found.language },
  };
}
