import type { Tenant } from "../../config/tenants.js";
import type { Db } from "../../platform/db/schema.js";

/**
 * What the consent ledger records. It outlives erasure: it proves when consent was given and
 * withdrawn (art. 7 GDPR), keyed by the keyed hash, never by the number. An entry holds only what
 * that proof needs without the person: when, which action, the keyword that asked for it (as the
 * comune's file writes it, never the text as typed, which may carry a name), the versions of the
 * regulation and privacy notice in force, and the pseudonym of the message (subscriber-key.ts:
 * a wamid encodes the number).
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

/** The person's entries, oldest first. */
export function consentEventsOf(db: Db, tenantId: string, subscriberKey: string) {
  return db
    .selectFrom("consent_events")
    .select([
      "id",
      "action",
      "regulation_version as regulationVersion",
      "privacy_version as privacyVersion",
      "inbound_message_id as inboundMessageId",
      "text_received as textReceived",
      "created_at as createdAt",
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

/**
 * Erasure keeps an entry but rewrites what in it could identify the person (entries written
 * before the ledger kept only the keyword and the message id's pseudonym).
 */
export async function rewriteConsentEvent(
  db: Db,
  id: number,
  set: { textReceived: string | null; inboundMessageId: string | null },
): Promise<void> {
  await db
    .updateTable("consent_events")
    .set({ text_received: set.textReceived, inbound_message_id: set.inboundMessageId })
    .where("id", "=", id)
    .execute();
}
