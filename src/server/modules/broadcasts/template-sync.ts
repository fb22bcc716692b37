import type { Tenant } from "../../config/tenants.js";
import type { Clock } from "../../platform/clock.js";
import type { Db } from "../../platform/db/schema.js";
import { AppError } from "../../platform/errors.js";
import type { Logger } from "../../platform/log.js";
import type { Result, TemplateInfo } from "../whatsapp/types.js";
import type { WhatsAppClients } from "../whatsapp/whatsapp.service.js";
import { replaceTemplatesOf } from "./templates.repository.js";

/**
 * The comune's templates, synced from WhatsApp (the sandbox in sandbox mode): at start, on demand
 * (`POST …/templates/sync`) and at each approval; the template webhooks keep them current in
 * between (template-events.ts). A failed listing changes nothing stored.
 */
export async function syncTemplatesOf(
  deps: { db: Db; clock: Clock },
  tenant: Tenant,
  list: () => Promise<Result<TemplateInfo[]>>,
): Promise<Result<TemplateInfo[]>> {
  const listed = await list();
  if (listed.ok) {
    await replaceTemplatesOf(deps.db, {
      tenantId: tenant.slug,
      templates: listed.value,
      now: deps.clock.now(),
    });
  }
  return listed;
}

/** `syncTemplatesOf`, listing the templates through the comune's WhatsApp client. */
export function syncFromWhatsApp(
  deps: { db: Db; clock: Clock; whatsapp: Pick<WhatsAppClients, "forTenant"> },
  tenant: Tenant,
): Promise<Result<TemplateInfo[]>> {
  return syncTemplatesOf(deps, tenant, () => deps.whatsapp.forTenant(tenant.slug).listTemplates());
}

/** `syncFromWhatsApp` for a request: a 503 WHATSAPP_UNAVAILABLE saying `refusal` when it fails. */
export async function syncOrRefuse(
  deps: Parameters<typeof syncFromWhatsApp>[0],
  tenant: Tenant,
  refusal: { it: string; en: string },
): Promise<void> {
  const synced = await syncFromWhatsApp(deps, tenant);
  if (!synced.ok) {
    throw new AppError(503, "WHATSAPP_UNAVAILABLE", refusal.it, undefined, { en: refusal.en });
  }
}

/** At start: every comune's templates, one after the other; a failure is logged, never thrown. */
export async function syncEveryComune(
  deps: { db: Db; clock: Clock; log: Logger },
  tenants: readonly Tenant[],
  listOf: (slug: string) => () => Promise<Result<TemplateInfo[]>>,
): Promise<void> {
  for (const tenant of tenants) {
    try {
      const synced = await syncTemplatesOf(deps, tenant, listOf(tenant.slug));
      if (synced.ok) {
        deps.log.info(
          { event: "templates.synced", tenant: tenant.slug, templates: synced.value.length },
          "WhatsApp templates synced",
        );
      } else {
        deps.log.warn(
          { event: "templates.sync_failed", tenant: tenant.slug, code: synced.error.code },
          "WhatsApp did not list the comune's templates; the stored ones stay",
        );
      }
    } catch (error) {
      deps.log.error(
        { err: error, event: "templates.sync_failed", tenant: tenant.slug },
        "Syncing the comune's templates failed",
      );
    }
  }
}
