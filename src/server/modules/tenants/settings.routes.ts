import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Kysely } from "kysely";
import { z } from "zod";
import type { Tenant } from "../../config/tenants.js";
import type { Clock } from "../../platform/clock.js";
import type { DB } from "../../platform/db/schema.js";
import { notFound } from "../../platform/errors.js";
import { tenantParams } from "../../platform/http/params.js";
import { changeTwoFactorSetting, twoFactorSettings } from "./tenants.service.js";
import { actorOf } from "../../platform/http/access.js";

const settings = z.object({
  tenant: z.string(),
  name: z.string(),
  serviceName: z.string(),
  displayNumber: z.string(),
  phoneNumberId: z.string(),
  ratePerSecond: z.number(),
  messagingLimitTier: z.string().nullable(),
  defaultLocale: z.string(),
  /** "required": owners, approvers and technicians must log in with TOTP (the default). */
  twoFactor: z.enum(["required", "off"]),
});

/**
 * A comune's settings as staff see them: the tenant file's technical facts (it stays the source
 * of truth for them) and the settings changed at run time, today the two-factor requirement.
 */
export function settingsRoutes(deps: { db: Kysely<DB>; tenants: readonly Tenant[]; clock: Clock }) {
  const bySlug = new Map(deps.tenants.map((t) => [t.slug, t]));
  const present = async (slug: string) => {
    const t = bySlug.get(slug);
    if (!t) throw notFound("Comune non trovato", "Comune not found");
    const twoFactor = (await twoFactorSettings(deps.db, [slug])).get(slug) ?? "required";
    return {
      tenant: t.slug,
      name: t.name,
      serviceName: t.serviceName,
      displayNumber: t.whatsapp.displayNumber,
      phoneNumberId: t.whatsapp.phoneNumberId,
      ratePerSecond: t.whatsapp.ratePerSecond,
      messagingLimitTier: t.whatsapp.messagingLimitTier ?? null,
      defaultLocale: t.defaultLocale,
      twoFactor,
    };
  };
  return (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      "/api/tenants/:tenant/settings",
      {
        config: { permission: "settings.read" },
        schema: {
          tags: ["settings"],
          summary: "The comune's settings",
          params: tenantParams,
          response: { 200: settings },
        },
      },
      async (request) => present(request.params.tenant),
    );

    // Who must use a second factor is a decision about the staff's accounts, so it is the
    // owner's (users.manage), not the technician's (settings.write).
    r.put(
      "/api/tenants/:tenant/settings/two-factor",
      {
        config: { permission: "users.manage" },
        schema: {
          tags: ["settings"],
          summary: "Require TOTP for owners, approvers and technicians (the default), or not",
          params: tenantParams,
          body: z.object({ required: z.boolean() }),
          response: { 200: settings },
        },
      },
      async (request) => {
        await changeTwoFactorSetting(
          deps.db,
          {
            tenantId: request.params.tenant,
            required: request.body.required,
            actor: actorOf(request),
          },
          deps.clock,
        );
        return present(request.params.tenant);
      },
    );
  };
}
