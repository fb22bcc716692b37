import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { tenantFinder, type Tenant } from "../../config/tenants.js";
import { AppError } from "../../platform/errors.js";
import { tenantParams } from "../../platform/http/params.js";
import type { WhatsAppClients } from "../whatsapp/whatsapp.service.js";

const previewOut = z.object({
  name: z.string(),
  language: z.string(),
  /** Meta's review state: APPROVED, PAUSED, REJECTED… */
  status: z.string(),
  header: z.object({ format: z.string(), text: z.string().optional() }).nullable(),
  /** The body with its `{{1}}` where the broadcast's text goes. */
  body: z.string(),
  footer: z.string().nullable(),
  buttons: z.array(z.string()),
});

interface Component {
  type?: string;
  format?: string;
  text?: string;
  buttons?: { text?: string }[];
}

/**
 * The comune's broadcast template as the phone shows it (header, body, footer, buttons), for the
 * console's preview: read from WhatsApp (the sandbox in sandbox mode) each time, so the preview
 * is the template Meta holds, not a copy.
 */
export function templatePreviewRoutes(deps: {
  tenants: readonly Tenant[];
  whatsapp: Pick<WhatsAppClients, "forTenant">;
}) {
  const tenantOf = tenantFinder(deps.tenants);
  return (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      "/api/tenants/:tenant/broadcast-template",
      {
        config: { permission: "broadcasts.read" },
        schema: {
          tags: ["broadcasts"],
          summary: "The comune's broadcast template, as the phone shows it (for a preview)",
          params: tenantParams,
          response: { 200: previewOut },
        },
      },
      async (request) => {
        const tenant = tenantOf(request.params.tenant);
        const wanted = tenant.broadcasts.templates.text;
        const missing = () =>
          new AppError(
            404,
            "TEMPLATE_NOT_FOUND",
            "Il modello WhatsApp delle comunicazioni non è configurato o non esiste su WhatsApp",
            undefined,
            {
              en: "The broadcasts' WhatsApp template is not configured or does not exist on WhatsApp",
            },
          );
        if (!wanted) throw missing();
        const listed = await deps.whatsapp.forTenant(tenant.slug).listTemplates();
        if (!listed.ok) {
          throw new AppError(
            503,
            "WHATSAPP_UNAVAILABLE",
            "WhatsApp non ha risposto: riprova tra qualche minuto",
            undefined,
            { en: "WhatsApp did not answer: try again in a few minutes" },
          );
        }
        const found = listed.value.find(
          (t) => t.name === wanted.name && t.language === wanted.language,
        );
        if (!found) throw missing();
        const components = found.components as Component[];
        const of = (type: string) => components.find((c) => c.type === type);
        const header = of("HEADER");
        return {
          name: found.name,
          language: found.language,
          status: found.status,
          header: header
            ? {
                format: header.format ?? "TEXT",
                ...(header.text !== undefined ? { text: header.text } : {}),
              }
            : null,
          body: of("BODY")?.text ?? "{{1}}",
          footer: of("FOOTER")?.text ?? null,
          buttons: (of("BUTTONS")?.buttons ?? []).map((b) => b.text ?? ""),
        };
      },
    );
  };
}
