import type { Tenant } from "../../../config/tenants.js";
import { AppError } from "../../../platform/errors.js";
import type { Actor } from "../../../platform/http/access.js";
import { maskDigits, maskPhone } from "../../../platform/log.js";
import { recordAudit } from "../../audit/audit.service.js";
import { skipQueuedMessagesTo } from "../../dispatch/dispatch.service.js";
import {
  clearBlock,
  setBlocked,
  setBlockedOnWhatsApp,
  type Subscriber,
} from "../citizens.repository.js";
import type { CitizensAdminDeps } from "./admin.service.js";
import {
  auditTarget,
  maskedOf,
  presentSubscriber,
  type SubscriberView,
} from "./subscriber-view.js";

/**
 * Staff block and unblock a person (README.md, admin API): here at once, and on WhatsApp through
 * Meta's Block Users API where Meta allows it.
 */

/**
 * Meta lets a business block only people who wrote in the last 24 hours (docs/whatsapp-cloud-api.md
 * §1b).
 */
export const BLOCK_WINDOW_MS = 24 * 60 * 60 * 1000;

export type BlockOnWhatsApp = "applied" | "pending" | "not-possible";

/** The person of this comune (or 404), read before and after the change. */
type FindSubscriber = (id: number) => Promise<Subscriber>;

/**
 * Blocks a person here at once (no replies, no broadcasts, queued messages skipped) and on
 * WhatsApp when Meta allows it: within 24 hours of their last message. Otherwise the block
 * stays pending there and the conversation code applies it the next time they write.
 */
export async function blockSubscriber(
  deps: CitizensAdminDeps,
  tenant: Tenant,
  input: { id: number; reason: string; actor: Actor },
  find: FindSubscriber,
): Promise<{ subscriber: SubscriberView; whatsapp: BlockOnWhatsApp; message: string }> {
  const { db, clock } = deps;
  const now = clock.now();
  const before = await find(input.id);
  const withinWindow =
    before.lastInboundAt !== null && Number(before.lastInboundAt) > now - BLOCK_WINDOW_MS;
  await db.transaction().execute(async (trx) => {
    await setBlocked(trx, { tenantId: tenant.slug, id: input.id, now });
    const skipped = await skipQueuedMessagesTo(trx, {
      tenantId: tenant.slug,
      subscriberId: input.id,
      now,
    });
    await recordAudit(
      trx,
      {
        tenantId: tenant.slug,
        actor: input.actor,
        action: "subscriber.block",
        target: auditTarget(before),
        summary: {
          number: maskedOf(before),
          // Staff text: a number written into it is masked like any other.
          reason: maskDigits(input.reason),
          alreadyBlocked: before.blockedAt !== null,
          skippedMessages: skipped,
          lastMessageWithin24h: withinWindow,
        },
      },
      now,
    );
  });

  let whatsapp: BlockOnWhatsApp;
  let failure: string | undefined;
  if (before.waBlockedAt !== null) {
    whatsapp = "applied";
  } else if (before.waId === null) {
    // Meta's Block API takes a number or wa_id; a person known only by a user id cannot be
    // blocked there (they are still blocked here: nothing is sent, their messages are dropped).
    whatsapp = "not-possible";
  } else if (!withinWindow) {
    whatsapp = "pending";
  } else {
    failure = await blockOnWhatsApp(deps, tenant, before.waId);
    if (failure === undefined) {
      await db.transaction().execute(async (trx) => {
        const applied = await setBlockedOnWhatsApp(trx, {
          tenantId: tenant.slug,
          id: input.id,
          now: clock.now(),
        });
        if (!applied) return;
        await recordAudit(
          trx,
          {
            tenantId: tenant.slug,
            actor: input.actor,
            action: "subscriber.block_applied",
            target: auditTarget(before),
            summary: { number: maskedOf(before), on: "whatsapp" },
          },
          clock.now(),
        );
      });
      whatsapp = "applied";
    } else {
      whatsapp = "pending";
    }
  }
  const after = await find(input.id);
  return {
    subscriber: presentSubscriber(after, false),
    whatsapp,
    message: blockMessage(whatsapp, withinWindow, failure),
  };
}

/** Undefined when WhatsApp blocked the number; otherwise why not (logged, masked). */
async function blockOnWhatsApp(
  deps: CitizensAdminDeps,
  tenant: Tenant,
  waId: string,
): Promise<string | undefined> {
  const result = await deps.whatsapp.forTenant(tenant.slug).blockUsers([waId]);
  const reason = !result.ok
    ? `${result.error.code} ${result.error.title}`
    : result.value.succeeded.length > 0
      ? undefined
      : (result.value.failed[0]?.error.details ??
        result.value.failed[0]?.error.title ??
        "no answer");
  if (reason !== undefined) {
    deps.log.warn(
      { event: "citizens.block_failed", tenant: tenant.slug, number: maskPhone(waId), reason },
      "WhatsApp did not block the number: the block stays pending",
    );
  }
  return reason;
}

/**
 * Lifts a block. When it reached WhatsApp, Meta is asked first (unblocking has no time limit):
 * if that fails nothing changes here, so the staff can simply try again.
 */
export async function unblockSubscriber(
  deps: CitizensAdminDeps,
  tenant: Tenant,
  input: { id: number; actor: Actor },
  find: FindSubscriber,
): Promise<{ subscriber: SubscriberView; message: string }> {
  const { db, clock } = deps;
  const before = await find(input.id);
  if (before.blockedAt === null) {
    return {
      subscriber: presentSubscriber(before, false),
      message: "Il numero non era bloccato.",
    };
  }
  const onWhatsApp = before.waBlockedAt !== null && before.waId !== null;
  if (onWhatsApp) {
    const result = await deps.whatsapp.forTenant(tenant.slug).unblockUsers([before.waId ?? ""]);
    if (!result.ok || result.value.succeeded.length === 0) {
      throw new AppError(
        502,
        "WHATSAPP_UNBLOCK_FAILED",
        "WhatsApp non ha sbloccato il numero: il blocco resta attivo, riprovare più tardi",
      );
    }
  }
  const now = clock.now();
  await db.transaction().execute(async (trx) => {
    await clearBlock(trx, { tenantId: tenant.slug, id: input.id, now });
    await recordAudit(
      trx,
      {
        tenantId: tenant.slug,
        actor: input.actor,
        action: "subscriber.unblock",
        target: auditTarget(before),
        summary: { number: maskedOf(before), unblockedOnWhatsApp: onWhatsApp },
      },
      now,
    );
  });
  const after = await find(input.id);
  return {
    subscriber: presentSubscriber(after, false),
    message: onWhatsApp
      ? "Numero sbloccato, anche su WhatsApp."
      : "Numero sbloccato (il blocco non era ancora arrivato su WhatsApp).",
  };
}

function blockMessage(
  whatsapp: BlockOnWhatsApp,
  withinWindow: boolean,
  failure: string | undefined,
): string {
  switch (whatsapp) {
    case "applied":
      return "Numero bloccato, anche su WhatsApp: non potrà più scrivere al Comune.";
    case "not-possible":
      return "Numero bloccato nel servizio. WhatsApp non permette di bloccarlo (la persona non ha un numero visibile): i suoi messaggi saranno ignorati.";
    case "pending":
      return withinWindow && failure !== undefined
        ? "Numero bloccato nel servizio. WhatsApp non ha accettato il blocco ora: sarà applicato la prossima volta che la persona scrive."
        : "Numero bloccato nel servizio. Su WhatsApp il blocco è in attesa (sono passate più di 24 ore dal suo ultimo messaggio): sarà applicato la prossima volta che la persona scrive.";
  }
}
