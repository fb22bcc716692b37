import type { Tenant } from "../../config/tenants.js";
import type { Db } from "../../platform/db/schema.js";
import type { Actor } from "../../platform/http/access.js";
import { recordAudit } from "../audit/audit.service.js";
import { skipQueuedMessagesTo } from "../dispatch/dispatch.service.js";
import { findSubscriber, updateSubscriberStatus } from "./citizens.repository.js";
import {
  appendConsentEvent,
  consentEventsOf,
  rewriteConsentEvent,
} from "./consent-ledger.repository.js";
import { readCitizenMessage } from "./grammar.js";
import { identifierOf } from "./identity.js";
import { deleteModerationMessagesOf } from "./moderation.repository.js";
import {
  pseudonymiseStatusesAgain,
  pseudonymiseTraces,
  type Pseudonymised,
} from "./pseudonymise.js";
import { isPseudonym, messagePseudonym, subscriberKey } from "./subscriber-key.js";

/**
 * A citizen's erasure (R12, GDPR art. 17), asked by the citizen over WhatsApp ("CANCELLA DATI",
 * unsubscribing) or by the admin API; README.md, "Erasure".
 */
export interface EraseInput {
  tenant: Tenant;
  subscriberId: number;
  /** Who asked: { type: "citizen" } over WhatsApp, or the staff member / admin token. */
  actor: Actor;
  /** "unsubscribe": the citizen left (keyword, STOP); "erase": a request to erase their data. */
  ledgerAction: "unsubscribe" | "erase";
  /** The wamid of the citizen's request; the ledger keeps its pseudonym. */
  inboundMessageId?: string;
  /** What the citizen wrote; the ledger keeps only the keyword in it (`ledgerTextOf`). */
  textReceived?: string;
  now: number;
  /** SUBSCRIBER_KEY_SECRET, for rows that predate the keyed hash and for the pseudonyms. */
  keySecret: string;
}

/**
 * Unsubscribes and erases, in one transaction (the caller's, when `db` is one). What is left of
 * the person identifies nobody without SUBSCRIBER_KEY_SECRET (see README.md, "Erasure"):
 * - the status moves by "erase" (subscriber-status.ts): unsubscribed, unsubscribed_at now;
 * - erased: first and last name, profile name, topics, locale, the marketing-stop state, the
 *   pending confirmation, the review flag, and the messages kept in the moderation inbox;
 * - the number (wa_id, user_id) is erased too, unless the person is blocked: a block must stay
 *   enforceable (and liftable) on WhatsApp, which needs the number. What remains is the keyed
 *   hash, the dates and the auto-reply/flood counters;
 * - every message still queued for them (replies, deliveries of broadcasts under way) becomes
 *   "skipped" and is never sent;
 * - the messages sent to them keep their row (counts, costs) with the recipient, the message id
 *   and the stored status webhooks pseudonymised and the text dropped (`pseudonymiseTraces`); a
 *   message on the wire keeps the number until its outcome is written;
 * - their consent-ledger entries keep when, which action, the keyword and the versions; a text
 *   or message id written there before the ledger kept only those is rewritten;
 * - a consent-ledger entry (ledgerAction) and an audit entry (subscriber.unsubscribe /
 *   subscriber.erase, no number in it). Callers need not audit again.
 * Returns the pseudonym that stands for the person in `outbound_messages.recipient`: a reply
 * queued after this (the confirmation) is marked with `pseudonymiseAfterOutcome` by the caller.
 * Given a transaction, the caller passes `renamed` to `pseudonymiseStatusesAgain` once it has
 * committed; given the database, this does it.
 */
export async function eraseCitizen(db: Db, input: EraseInput): Promise<Pseudonymised> {
  if (!db.isTransaction) {
    const done = await db.transaction().execute((trx) => eraseCitizen(trx, input));
    await pseudonymiseStatusesAgain(db, done.renamed);
    return done;
  }
  const trx = db;
  const { tenant, subscriberId, now } = input;
  const row = await findSubscriber(trx, tenant.slug, subscriberId);
  if (!row) throw new Error(`No subscriber ${subscriberId} in ${tenant.slug}`);
  const key = row.subscriberKey ?? keyOf(input.keySecret, tenant.slug, row);
  const blocked = row.blockedAt !== null;
  // Someone who never subscribed (or only asked to) stays a bookkeeping row ("contact").
  await updateSubscriberStatus(trx, {
    move: "erase",
    id: subscriberId,
    tenantId: tenant.slug,
    now,
    changes: {
      subscriberKey: key,
      unsubscribedAt: row.status === "active" ? now : row.unsubscribedAt,
      firstName: null,
      lastName: null,
      profileName: null,
      topics: [],
      locale: null,
      marketingStoppedAt: null,
      pendingSince: null,
      pendingMessageId: null,
      pendingText: null,
      flaggedAt: null,
      flagReason: null,
      ...(blocked ? {} : { waId: null, userId: null }),
    },
  });
  await deleteModerationMessagesOf(trx, tenant.slug, key);
  const skipped = await skipQueuedMessagesTo(trx, { tenantId: tenant.slug, subscriberId, now });
  const traces = await pseudonymiseTraces(trx, {
    tenantId: tenant.slug,
    subscriberId,
    key,
    keySecret: input.keySecret,
    now,
  });
  await minimiseLedgerOf(trx, tenant, key, input.keySecret);
  await appendConsentEvent(trx, {
    tenant,
    subscriberKey: key,
    action: input.ledgerAction,
    inboundMessageId: input.inboundMessageId
      ? messagePseudonym(input.keySecret, tenant.slug, input.inboundMessageId)
      : null,
    textReceived: ledgerTextOf(tenant, input.textReceived),
    now,
  });
  await recordAudit(
    trx,
    {
      tenantId: tenant.slug,
      actor: input.actor,
      action: input.ledgerAction === "erase" ? "subscriber.erase" : "subscriber.unsubscribe",
      target: { type: "subscriber", id: String(subscriberId) },
      summary: { skippedMessages: skipped, numberKeptForBlock: blocked },
    },
    now,
  );
  return traces;
}

/**
 * What the ledger keeps of what a citizen wrote: the configured keyword it asked with (never the
 * name around it) and the confirmation's button ("[Confermo]"), one per line; null when neither
 * is in it. Idempotent, so an entry already in this form stays as it is.
 */
export function ledgerTextOf(tenant: Tenant, text: string | null | undefined): string | null {
  if (!text) return null;
  const buttons = new Set(
    [tenant.texts.it.confirmButton, tenant.texts.en?.confirmButton]
      .filter((t): t is string => Boolean(t))
      .map((t) => `[${t}]`),
  );
  const lines = text.split("\n").map((l) => l.trim());
  const tags = lines.filter((l) => buttons.has(l));
  const said = lines.filter((l) => !buttons.has(l)).join("\n");
  const { keyword } = readCitizenMessage(said, tenant.keywords);
  const kept = [...(keyword ? [keyword] : []), ...tags];
  return kept.length > 0 ? kept.join("\n") : null;
}

/** Rewrites the person's older ledger entries to what the ledger keeps today. */
async function minimiseLedgerOf(
  trx: Db,
  tenant: Tenant,
  key: string,
  keySecret: string,
): Promise<void> {
  for (const e of await consentEventsOf(trx, tenant.slug, key)) {
    if (e.action !== "subscribe" && e.action !== "unsubscribe" && e.action !== "erase") continue;
    const textReceived = ledgerTextOf(tenant, e.textReceived);
    const inboundMessageId =
      e.inboundMessageId && !isPseudonym(e.inboundMessageId)
        ? messagePseudonym(keySecret, tenant.slug, e.inboundMessageId)
        : e.inboundMessageId;
    if (textReceived === e.textReceived && inboundMessageId === e.inboundMessageId) continue;
    await rewriteConsentEvent(trx, e.id, { textReceived, inboundMessageId });
  }
}

function keyOf(
  secret: string,
  tenantId: string,
  row: { waId: string | null; userId: string | null },
): string {
  const identifier = identifierOf(row.waId, row.userId);
  if (!identifier) throw new Error("A subscriber row with neither number nor user id nor key");
  return subscriberKey(secret, tenantId, identifier);
}
