import { z } from "zod";
import type { Tenant } from "../../config/tenants.js";
import { notFound } from "../../platform/errors.js";
import { requestLocale } from "../../platform/http/locale.js";
import { slugSchema } from "../../platform/http/params.js";
import { zodRoutes } from "../../platform/http/zod-routes.js";
import { publicTenantInfo } from "./tenants.service.js";

const documentInfo = z.object({
  title: z.string(),
  version: z.string(),
  date: z.string(),
  url: z.string().nullable(),
});

const tenantInfo = z.object({
  slug: z.string(),
  name: z.string(),
  serviceName: z.string(),
  displayNumber: z.string(),
  subscribeKeywords: z.array(z.string()),
  unsubscribeKeywords: z.array(z.string()),
  keywordForm: z.enum(["phrase", "name-and-keyword"]),
  minimumAge: z.number(),
  serviceHours: z.string().nullable(),
  topics: z.array(z.object({ id: z.string(), label: z.string() })),
  contacts: z.object({
    email: z.string(),
    website: z.string(),
    phone: z.string().optional(),
    pec: z.string().optional(),
  }),
  documents: z.object({ regulation: documentInfo, privacyNotice: documentInfo }),
});

/** Public facts about the comuni served here (number, keywords, documents): no login needed. */
export function tenantsRoutes(deps: { tenants: readonly Tenant[] }) {
  const bySlug = new Map(deps.tenants.map((t) => [t.slug, t]));
  return zodRoutes((r) => {
    r.get(
      "/api/tenants",
      {
        config: { permission: "public" },
        schema: {
          tags: ["tenants"],
          summary: "The comuni served by this deployment",
          response: { 200: z.object({ tenants: z.array(tenantInfo) }) },
        },
      },
      (request) => {
        const locale = requestLocale(request.headers["accept-language"]);
        return { tenants: deps.tenants.map((t) => publicTenantInfo(t, locale)) };
      },
    );
    r.get(
      "/api/tenants/:slug",
      {
        config: { permission: "public" },
        schema: {
          tags: ["tenants"],
          summary: "One comune's public channel facts",
          params: z.object({ slug: slugSchema }),
          response: { 200: tenantInfo },
        },
      },
      (request) => {
        const tenant = bySlug.get(request.params.slug);
        if (!tenant) throw notFound("Comune non trovato", "Comune not found");
        return publicTenantInfo(tenant, requestLocale(request.headers["accept-language"]));
      },
    );
  });
}
