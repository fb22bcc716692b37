import type { Tenant } from "../../config/tenants.js";
import { markInboundEventHandledAs } from "../whatsapp/inbound-events.service.js";
import type { WebhookEvent } from "../whatsapp/webhook-events.js";
import { changeSubscriber, findSubscriberByKey } from "./citizens.repository.js";
import { appendConsentEvent } from "./consent-ledger.repository.js";
import { identifierOf } from "./identity.js";
import type { CitizensOptions } from "./options.js";
import { storedEventKey, subscriberKey } from "./subscriber-key.js";

type AccountEvent = Extract<WebhookEvent, { kind: "account" }>;

/**
 * Meta's stop button: the `user_preferences` account field (wiring.ts routes it here), stop /
 * resume for marketing. With `event` (the stored webhook event it came in), that event is then
 * kept without the numbers in it, under a keyed dedup key.
 */
export async function handleUserPreferences(
  options: Pick<CitizensOptions, "db" | "clock" | "log" | "keySecret">,
  tenant: Tenant,
  value: Record<string, unknown>,
  event?: AccountEvent,
): Promise<void> {
  const { db, clock, log } = options;
  const preferences = Array.isArray(value.user_preferences) ? value.user_preferences : [];
  for (const raw of preferences as Record<string, unknown>[]) {
    const category = typeof raw.category === "string" ? raw.category : "";
    if (!/marketing/i.test(category)) continue;
    const stop = raw.value === "stop";
    if (!stop && raw.value !== "resume") continue;
    const identifier = identifierOf(
      typeof raw.wa_id === "string" ? raw.wa_id : null,
      typeof raw.user_id === "string" ? raw.user_id : null,
    );
    if (!identifier) continue;
    const key = subscriberKey(options.keySecret, tenant.slug, identifier);
    // Meta writes unix seconds, as a number or a numeric string.
    const seconds = Number(raw.timestamp);
    const at = Number.isSafeInteger(seconds) && seconds > 0 ? seconds * 1000 : clock.now();
    const changed = await db.transaction().execute(async (trx) => {
      const row = await findSubscriberByKey(trx, tenant.slug, key);
      // Someone we keep nothing about gets no broadcasts anyway.
      if (!row) return false;
      if (stop === (row.marketingStoppedAt !== null)) return false;
      await changeSubscriber(trx, row.id, {
        marketingStoppedAt: stop ? at : null,
        updatedAt: clock.now(),
      });
      await appendConsentEvent(trx, {
        tenant,
        subscriberKey: key,
        action: stop ? "marketing_stop" : "marketing_resume",
        textReceived: `user_preferences: ${category} ${stop ? "stop" : "resume"}`,
        now: clock.now(),
      });
      return true;
    });
    if (changed) {
      log.info(
        {
          event: stop ? "citizens.marketing_stopped" : "citizens.marketing_resumed",
          tenant: tenant.slug,
        },
        stop
          ? "A citizen stopped marketing messages in WhatsApp"
          : "A citizen resumed marketing messages",
      );
    }
  }
  if (event) {
    // Acting twice changes nothing (the state is compared first), so the mark may follow.
    const storedKey = storedEventKey(options.keySecret, tenant.slug, event.dedupKey);
    await db.transaction().execute((trx) =>
      markInboundEventHandledAs(trx, {
        tenantId: tenant.slug,
        dedupKey: event.dedupKey,
        storedKey,
        payload: JSON.stringify(redactedAccount(event, storedKey)),
        now: clock.now(),
      }),
    );
  }
}

/** A handled user_preferences event without the people in it (their wa_id, user id). */
function redactedAccount(event: AccountEvent, storedKey: string): WebhookEvent {
  const preferences = Array.isArray(event.value.user_preferences)
    ? (event.value.user_preferences as unknown[]).map((p) => {
        if (typeof p !== "object" || p === null) return {};
        const { wa_id: _waId, user_id: _userId, ...rest } = p as Record<string, unknown>;
        return rest;
      })
    : [];
  return {
    ...event,
    dedupKey: storedKey,
    value: { ...event.value, user_preferences: preferences },
  };
}
