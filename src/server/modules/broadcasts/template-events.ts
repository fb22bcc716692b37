import type { Tenant } from "../../config/tenants.js";
import { recordAudit } from "../audit/audit.service.js";
import { moveBroadcast } from "../dispatch/dispatch.service.js";
import { broadcastIdsUsingTemplate } from "./broadcasts.repository.js";
import type { BroadcastsDeps } from "./broadcasts.service.js";
import { updateStoredTemplate } from "./templates.repository.js";

/** Meta's `message_template_status_update` value, as the webhook parser validated it. */
export interface TemplateStatusUpdate {
  message_template_name: string;
  message_template_language: string;
  event: string;
  reason?: string | null;
}

/** The template events after which WhatsApp refuses the template. */
const UNUSABLE = new Set([
  "PAUSED",
  "DISABLED",
  "REJECTED",
  "FLAGGED",
  "PENDING_DELETION",
  "DELETED",
]);

/**
 * A template Meta paused, disabled or rejected stops, before any further send, every broadcast
 * of the comune that goes out through it and is approved, scheduled or sending: in needs
 * attention, with the reason staff read. They resume it once Meta approves the template again.
 * Returns how many broadcasts were stopped.
 */
export async function applyTemplateStatus(
  deps: BroadcastsDeps,
  tenant: Tenant,
  update: TemplateStatusUpdate,
): Promise<number> {
  const name = update.message_template_name;
  const language = update.message_template_language;
  // The stored copy follows, whatever the news (an APPROVED after a pause too).
  await updateStoredTemplate(deps.db, {
    tenantId: tenant.slug,
    name,
    language,
    changes: {
      status: update.event.toUpperCase(),
      reason: update.reason && update.reason !== "NONE" ? update.reason : null,
    },
  });
  if (!UNUSABLE.has(update.event.toUpperCase())) return 0;
  const ids = await broadcastIdsUsingTemplate(deps.db, {
    tenantId: tenant.slug,
    name,
    language,
    statuses: ["approved", "scheduled", "sending"],
  });
  const why = update.reason && update.reason !== "NONE" ? ` (${update.reason})` : "";
  const reason = `WhatsApp ha sospeso il modello «${name}» (${language}): ${update.event}${why}. Riprendi l'invio quando Meta lo approva di nuovo.`;
  let halted = 0;
  for (const id of ids) {
    const now = deps.clock.now();
    await deps.db.transaction().execute(async (trx) => {
      const moved = await moveBroadcast(trx, { broadcastId: id, move: "halt", now, reason });
      if (!moved.moved) return;
      halted += 1;
      await recordAudit(
        trx,
        {
          tenantId: tenant.slug,
          actor: { type: "system" },
          action: "broadcast.halted",
          target: { type: "broadcast", id: String(id) },
          summary: { template: name, language, event: update.event },
        },
        now,
      );
    });
  }
  return halted;
}

/** Meta's `template_category_update` value, as the webhook parser validated it. */
export interface TemplateCategoryUpdate {
  message_template_name: string;
  message_template_language: string;
  previous_category?: string;
  new_category: string;
}

/**
 * Meta moved a template to another category (it bills by category): the stored copy takes the
 * new one, so the next approval's estimate uses it, and the change is in the audit log for the
 * office to see. Broadcasts already approved keep the estimate their approver accepted.
 */
export async function applyTemplateCategory(
  deps: BroadcastsDeps,
  tenant: Tenant,
  update: TemplateCategoryUpdate,
): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    const stored = await updateStoredTemplate(trx, {
      tenantId: tenant.slug,
      name: update.message_template_name,
      language: update.message_template_language,
      changes: { category: update.new_category.toUpperCase() },
    });
    await recordAudit(
      trx,
      {
        tenantId: tenant.slug,
        actor: { type: "system" },
        action: "template.recategorised",
        target: {
          type: "template",
          id: `${update.message_template_name}/${update.message_template_language}`,
        },
        summary: {
          from: update.previous_category ?? null,
          to: update.new_category,
          stored,
        },
      },
      now,
    );
  });
}
