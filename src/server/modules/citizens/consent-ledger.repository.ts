import type { Kysely, Transaction } from "kysely";
import type { Tenant } from "../../config/tenants.js";
import type { DB } from "../../platform/db/schema.js";

type Db = Kysely<DB> | Transaction<DB>;

/**
 * What the consent ledger records. It outlives erasure: it proves when consent was given and
 * withdrawn (art. 7 GDPR), keyed by the keyed hash, never by the number.
 */
export type LedgerAction =
  "subscribe" | "unsubscribe" | "erase" | "marketing_stop" | "marketing_resume";

export async function appendConsentEvent(
  db: Db,
  input: {
    tenant: Tenant;
    subscriberKey: string;
    action: LedgerAction;
    inboundMessageId?: string | null;
    textReceived?: string | null;
    now: number;
  },
): Promise<void> {
  await db
    .insertInto("consent_events")
    .values({
      tenant_id: input.tenant.slug,
      subscriber_key: input.subscriberKey,
      action: input.action,
      // The versions in force when the citizen acted: what they accepted (or withdrew from).
      regulation_version: input.tenant.documents.regulation.version,
      privacy_version: input.tenant.documents.privacyNotice.version,
      inbound_message_id: input.inboundMessageId ?? null,
      text_received: input.textReceived ?? null,
      created_at: input.now,
    })
    .execute();
}

export function consentEventsOf(db: Db, tenantId: string, subscriberKey: string) {
  return db
    .selectFrom("consent_events")
    .select([
      "id",
      "action",
      "regulation_version",
      "privacy_version",
      "inbound_message_id",
      "text_received",
      "created_at",
    ])
    .where("tenant_id", "=", tenantId)
    .where("subscriber_key", "=", subscriberKey)
    .orderBy("id")
    .execute();
}

/** Ledger entries of one action between two instants (stop/resume counts for the statistics). */
export async function countConsentEvents(
  db: Db,
  tenantId: string,
  action: LedgerAction,
  fromMs: number,
  toMs: number,
): Promise<number> {
  const row = await db
    .selectFrom("consent_events")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("tenant_id", "=", tenantId)
    .where("action", "=", action)
    .where("created_at", ">=", fromMs)
    .where("created_at", "<", toMs)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
