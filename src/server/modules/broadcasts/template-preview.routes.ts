import { z } from "zod";
import { TEMPLATE_KINDS } from "../../config/tenant-schema.js";
import { tenantFinder } from "../../config/tenants.js";
import { AppError } from "../../platform/errors.js";
import { localized } from "../../platform/http/locale.js";
import { tenantParams } from "../../platform/http/params.js";
import { zodRoutes } from "../../platform/http/zod-routes.js";
import { syncOrRefuse } from "./template-sync.js";
import { configuredTemplateOf, isNotice, templateKindsFor } from "./templates.js";
import { storedTemplatesOf } from "./templates.repository.js";
import type { TemplateRoutesDeps } from "./templates.routes.js";

const previewOut = z.object({
  /** The kind of broadcast the template is named for in the comune's file (text, image, alert…). */
  kind: z.enum(TEMPLATE_KINDS),
  name: z.string(),
  language: z.string(),
  /** MARKETING or UTILITY, as WhatsApp holds it: what Meta bills. */
  category: z.string(),
  /** Meta's review state: APPROVED, PAUSED, REJECTED… */
  status: z.string(),
  /** TEXT (with its text), or IMAGE, VIDEO, DOCUMENT: where the broadcast's file shows. */
  header: z.object({ format: z.string(), text: z.string().optional() }).nullable(),
  /** The body with its `{{1}}` where the broadcast's text goes. */
  body: z.string(),
  footer: z.string().nullable(),
  buttons: z.array(z.string()),
});

const previewQuery = z.object({
  /** The kind of file the broadcast carries, if any. */
  media: z.enum(["image", "video", "document"]).optional(),
  urgent: z
    .enum(["true", "false"])
    .optional()
    .transform((v) => v === "true"),
  /** The broadcast's topics, comma-separated; absent: everyone. */
  topics: z
    .string()
    .max(
      2000,
      localized({ it: "può avere al massimo 2.000 caratteri", en: "is over 2,000 characters" }),
    )
    .optional(),
});

interface Component {
  type?: string;
  format?: string;
  text?: string;
  buttons?: { text?: string }[];
}

/**
 * The template a broadcast of this shape goes out through, as the phone shows it (header, body,
 * footer, buttons), for the console's preview: chosen as approval chooses it (`templateKindsFor`:
 * the file's kind, a service notice's `alert…` template first), read from the templates last
 * synced from WhatsApp (listed afresh when none is stored yet).
 */
export function templatePreviewRoutes(deps: TemplateRoutesDeps) {
  const tenantOf = tenantFinder(deps.tenants);
  return zodRoutes((r) => {
    r.get(
      "/api/tenants/:tenant/broadcast-template",
      {
        config: { permission: "broadcasts.read" },
        schema: {
          tags: ["broadcasts"],
          summary:
            "The template a broadcast of this shape (file, urgent, topics) goes out through, as the phone shows it (for a preview)",
          params: tenantParams,
          querystring: previewQuery,
          response: { 200: previewOut },
        },
      },
      async (request) => {
        const tenant = tenantOf(request.params.tenant);
        const { media, urgent, topics } = request.query;
        const chosen = topics ? topics.split(",").filter(Boolean) : [];
        const notice = isNotice(tenant, {
          topics: chosen.length > 0 ? chosen : "all",
          urgent,
        });
        const kinds = templateKindsFor({ ...(media ? { media: { kind: media } } : {}), notice });
        const wanted = configuredTemplateOf(tenant, kinds);
        if (!wanted) {
          throw new AppError(
            404,
            "TEMPLATE_NOT_CONFIGURED",
            "Il Comune non ha un modello WhatsApp per questo tipo di comunicazione: non si potrà approvarla così",
            undefined,
            {
              en: "The comune has no WhatsApp template for this kind of broadcast: it cannot be approved like this",
            },
          );
        }
        let stored = await storedTemplatesOf(deps.db, tenant.slug);
        if (stored.length === 0) {
          // Never synced (WhatsApp did not answer at start): list them now, and keep them.
          await syncOrRefuse(deps, tenant, {
            it: "WhatsApp non ha risposto: riprova tra qualche minuto",
            en: "WhatsApp did not answer: try again in a few minutes",
          });
          stored = await storedTemplatesOf(deps.db, tenant.slug);
        }
        const found = stored.find((t) => t.name === wanted.name && t.language === wanted.language);
        if (!found) {
          throw new AppError(
            404,
            "TEMPLATE_NOT_FOUND",
            `Il modello WhatsApp «${wanted.name}» indicato dal Comune non esiste su WhatsApp: non si potrà approvare la comunicazione`,
            undefined,
            {
              en: `The WhatsApp template "${wanted.name}" the comune names does not exist on WhatsApp: the broadcast cannot be approved`,
            },
          );
        }
        const components = found.components as Component[];
        const of = (type: string) => components.find((c) => c.type === type);
        const header = of("HEADER");
        return {
          kind: wanted.kind,
          name: found.name,
          language: found.language,
          category: found.category,
          status: found.status,
          header: header
            ? {
                format: (header.format ?? "TEXT").toUpperCase(),
                ...(header.text !== undefined ? { text: header.text } : {}),
              }
            : null,
          body: of("BODY")?.text ?? "{{1}}",
          footer: of("FOOTER")?.text ?? null,
          buttons: (of("BUTTONS")?.buttons ?? []).map((b) => b.text ?? ""),
        };
      },
    );
  });
}
