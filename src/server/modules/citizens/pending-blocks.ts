import type { Tenant } from "../../config/tenants.js";
import { setBlockedOnWhatsApp } from "./citizens.repository.js";
import type { CitizensOptions } from "./options.js";

/**
 * Pending blocks: Meta lets a business block only people who wrote in the last 24 hours, so a
 * block staff decided outside that window (admin/blocks.ts) is applied by the conversation when
 * the person next writes.
 */

/** Applies a block staff decided while the person was outside the 24-hour window. */
export async function applyPendingBlock(
  options: Pick<CitizensOptions, "db" | "clients" | "clock" | "log">,
  tenant: Tenant,
  input: { subscriberId: number; user: string },
): Promise<void> {
  const { db, clock, log } = options;
  const result = await options.clients.forTenant(tenant.slug).blockUsers([input.user]);
  if (result.ok && result.value.failed.length === 0) {
    await setBlockedOnWhatsApp(db, {
      tenantId: tenant.slug,
      id: input.subscriberId,
      now: clock.now(),
    });
    log.info(
      {
        event: "citizens.blocked_on_whatsapp",
        tenant: tenant.slug,
        subscriberId: input.subscriberId,
      },
      "Pending block applied on WhatsApp",
    );
    return;
  }
  const error = result.ok ? result.value.failed[0]?.error : result.error;
  log.warn(
    {
      event: "citizens.block_failed",
      tenant: tenant.slug,
      subscriberId: input.subscriberId,
      code: error?.code,
    },
    "Could not block on WhatsApp; tried again when they next write",
  );
}
