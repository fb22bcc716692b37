import { z } from "zod";
import { TEMPLATE_KINDS, type TemplateKind } from "../../config/tenant-schema.js";
import { tenantFinder, type Tenant } from "../../config/tenants.js";
import { tenantParams } from "../../platform/http/params.js";
import { zodRoutes } from "../../platform/http/zod-routes.js";
import type { WhatsAppClients } from "../whatsapp/whatsapp.service.js";
import type { BroadcastsDeps } from "./broadcasts.service.js";
import { syncOrRefuse } from "./template-sync.js";
import { storedTemplatesOf, type StoredTemplate } from "./templates.repository.js";

/**
 * The comune's WhatsApp templates as last synced, and which of them the tenant file names for
 * each kind of broadcast (`broadcasts.templates`), with whether each can be used today.
 */

const templateOut = z.object({
  name: z.string(),
  language: z.string(),
  category: z.string(),
  status: z.string(),
  reason: z.string().nullable(),
  syncedAt: z.string(),
  /** The kinds of broadcast the comune sends through it. */
  kinds: z.array(z.enum(TEMPLATE_KINDS)),
  components: z.array(z.unknown()),
});

const kindOut = z.object({
  kind: z.enum(TEMPLATE_KINDS),
  name: z.string(),
  language: z.string(),
  /** APPROVED and the others as WhatsApp says; MISSING when WhatsApp does not list it. */
  status: z.string(),
  usable: z.boolean(),
});

const answerSchema = z.object({
  templates: z.array(templateOut),
  configured: z.array(kindOut),
  /** When WhatsApp last listed them; null before the first sync. */
  syncedAt: z.string().nullable(),
});

function answerOf(tenant: Tenant, stored: readonly StoredTemplate[]): z.infer<typeof answerSchema> {
  const configured = TEMPLATE_KINDS.flatMap((kind: TemplateKind) => {
    const ref = tenant.broadcasts.templates[kind];
    if (!ref) return [];
    const found = stored.find((t) => t.name === ref.name && t.language === ref.language);
    const status = found?.status ?? "MISSING";
    return [
      { kind, name: ref.name, language: ref.language, status, usable: status === "APPROVED" },
    ];
  });
  const synced = stored.reduce((at, t) => Math.max(at, t.syncedAt), 0);
  return {
    templates: stored.map((t) => ({
      name: t.name,
      language: t.language,
      category: t.category,
      status: t.status,
      reason: t.reason,
      syncedAt: new Date(t.syncedAt).toISOString(),
      kinds: configured
        .filter((c) => c.name === t.name && c.language === t.language)
        .map((c) => c.kind),
      components: t.components,
    })),
    configured,
    syncedAt: synced > 0 ? new Date(synced).toISOString() : null,
  };
}

/** What the template routes read: the stored templates, and WhatsApp to list them afresh. */
export type TemplateRoutesDeps = BroadcastsDeps & {
  tenants: readonly Tenant[];
  whatsapp: Pick<WhatsAppClients, "forTenant">;
};

export function templatesRoutes(deps: TemplateRoutesDeps) {
  const tenantOf = tenantFinder(deps.tenants);
  return zodRoutes((r) => {
    const list = async (request: { params: { tenant: string } }) => {
      const tenant = tenantOf(request.params.tenant);
      return answerOf(tenant, await storedTemplatesOf(deps.db, tenant.slug));
    };
    const sync = async (request: { params: { tenant: string } }) => {
      const tenant = tenantOf(request.params.tenant);
      await syncOrRefuse(deps, tenant, {
        it: "WhatsApp non ha elencato i modelli del Comune: riprova tra qualche minuto. Restano quelli dell'ultima verifica",
        en: "WhatsApp did not list the comune's templates: try again in a few minutes. The last ones listed stay",
      });
      return answerOf(tenant, await storedTemplatesOf(deps.db, tenant.slug));
    };

    // The same two answers for the office (the broadcasts' permissions) and, on the settings
    // page, for the technician, who looks after the templates but not the broadcasts.
    for (const [base, read, write] of [
      ["/api/tenants/:tenant/templates", "broadcasts.read", "broadcasts.write"],
      ["/api/tenants/:tenant/settings/templates", "settings.read", "settings.write"],
    ] as const) {
      r.get(
        base,
        {
          config: { permission: read },
          schema: {
            tags: ["broadcasts"],
            summary:
              "The comune's WhatsApp templates as last synced, and the one its file names for each kind of broadcast",
            params: tenantParams,
            response: { 200: answerSchema },
          },
        },
        list,
      );

      r.post(
        `${base}/sync`,
        {
          config: { permission: write },
          schema: {
            tags: ["broadcasts"],
            summary: "List the comune's templates on WhatsApp again now, and keep what it says",
            params: tenantParams,
            response: { 200: answerSchema },
          },
        },
        sync,
      );
    }
  });
}
