import type { Kysely } from "kysely";
import type { Tenant } from "../../config/tenants.js";
import type { DB } from "../../platform/db/schema.js";
import type { WebhookEvent } from "../whatsapp/webhook-events.js";
import { setSubscriberKey, subscribersWithoutKey } from "./citizens.repository.js";
import { handleMessage } from "./conversation/message.js";
import { identifierOf } from "./identity.js";
import type { CitizensOptions } from "./options.js";
import { handleUserPreferences } from "./preferences.js";
import { Retention } from "./retention.js";
import { subscriberKey } from "./subscriber-key.js";

/**
 * The citizens on WhatsApp (issue #5), as the rest of the server sees them: the conversation
 * (conversation/: subscribing with the optional "Confermo" step, unsubscribing, the commands,
 * the auto-reply, blocking and the flood rule), Meta's marketing stop button (preferences.ts) and
 * the retention purge and scrub (retention.ts). See README.md in this folder.
 */

type MessageEvent = Extract<WebhookEvent, { kind: "message" }>;
type StatusEvent = Extract<WebhookEvent, { kind: "status" }>;
type AccountEvent = Extract<WebhookEvent, { kind: "account" }>;

export class Citizens {
  private readonly retention: Retention;

  constructor(private readonly options: CitizensOptions) {
    this.retention = new Retention(options);
  }

  /** The inbound-event handler for citizens' messages (conversation/message.ts). */
  handleMessage(event: MessageEvent, tenant: Tenant): Promise<void> {
    return handleMessage(this.options, event, tenant, () => this.retention.expectOutcomes());
  }

  /** Meta's stop button: the `user_preferences` account field (preferences.ts). */
  handleUserPreferences(
    tenant: Tenant,
    value: Record<string, unknown>,
    event?: AccountEvent,
  ): Promise<void> {
    return handleUserPreferences(this.options, tenant, value, event);
  }

  /** After a status webhook was applied (wiring.ts; retention.ts). */
  afterStatus(tenant: Tenant, event: StatusEvent, applied: string): Promise<void> {
    return this.retention.afterStatus(tenant, event, applied);
  }

  /** The erased people's messages that now have their outcome get their pseudonym. */
  scrubErasedRecipients(): Promise<number> {
    return this.retention.scrubErasedRecipients();
  }

  /** The retention job, once (retention.ts). */
  purge() {
    return this.retention.purge();
  }

  /** Runs the purge now and then every `intervalMs` (default hourly), and the scrub. */
  startPurgeJob(intervalMs?: number): void {
    this.retention.startPurgeJob(intervalMs);
  }

  stop(): Promise<void> {
    return this.retention.stop();
  }
}

/**
 * Start-up: gives every row written without a keyed hash (before migration 0005, or by code that
 * does not know the secret) its key. Rows with neither number nor user id cannot get one.
 */
export async function backfillSubscriberKeys(db: Kysely<DB>, secret: string): Promise<number> {
  let done = 0;
  for (;;) {
    const rows = await subscribersWithoutKey(db, 500);
    if (rows.length === 0) return done;
    await db.transaction().execute(async (trx) => {
      for (const r of rows) {
        const identifier = identifierOf(r.waId, r.userId) ?? "";
        await setSubscriberKey(trx, r.id, subscriberKey(secret, r.tenantId, identifier));
      }
    });
    done += rows.length;
  }
}
