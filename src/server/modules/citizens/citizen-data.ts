import type { Kysely, Transaction } from "kysely";
import type { Tenant } from "../../config/tenants.js";
import type { DB } from "../../platform/db/schema.js";
import type { Actor } from "../../platform/http/access.js";
import { recordAudit } from "../audit/audit.service.js";
import {
  messageCountsFor,
  replyCounts as outboundReplyCounts,
  skipQueuedMessagesTo,
} from "../dispatch/dispatch.service.js";
import {
  appendConsentEvent,
  consentEventsOf,
  countConsentEvents,
} from "./consent-ledger.repository.js";
import { identifierOf } from "./identity.js";
import { deleteModerationMessagesOf, moderationMessagesOf } from "./moderation.repository.js";
import { subscriberKey } from "./subscriber-key.js";

/**
 * A citizen's data (R12): the export (access, portability) and the erasure, used both by the
 * citizen over WhatsApp ("DATI", "CANCELLA DATI", unsubscribing) and by the admin API.
 *
 * The export is the document a citizen receives as a JSON file: its keys are Italian, so the
 * person can read it; instants are ISO 8601 strings (UTC).
 */
export interface CitizenDataDocument {
  /** Which service and controller the document comes from. */
  servizio: {
    comune: string;
    nomeServizio: string;
    titolareDelTrattamento: string;
    generatoIl: string;
  };
  iscrizione: {
    /** The phone number (wa_id), full; null once erased or when WhatsApp gives only a user id. */
    numero: string | null;
    /** Meta's business-scoped user id, when known. */
    idUtenteWhatsApp: string | null;
    /** attiva | in attesa di conferma | cancellata | mai iscritto */
    stato: string;
    nome: string | null;
    cognome: string | null;
    nomeProfiloWhatsApp: string | null;
    argomenti: { id: string; nome: string }[];
    iscrittoIl: string | null;
    cancellatoIl: string | null;
    bloccatoIl: string | null;
    bloccatoSuWhatsAppIl: string | null;
    comunicazioniPromozionaliSospeseIl: string | null;
    segnalatoIl: string | null;
    motivoSegnalazione: string | null;
    ultimoMessaggioRicevutoIl: string | null;
    ultimaRispostaAutomaticaIl: string | null;
    registratoIl: string;
  };
  /** The consent ledger entries for this person (keyed hash, not the number). */
  registroDeiConsensi: {
    azione: string;
    versioneRegolamento: string | null;
    versioneInformativaPrivacy: string | null;
    idMessaggio: string | null;
    testoRicevuto: string | null;
    il: string;
  }[];
  /** Messages kept in the moderation inbox (only if the comune keeps them), with their purge date. */
  messaggiConservati: {
    tipo: string;
    testo: string | null;
    idMedia: string | null;
    ricevutoIl: string;
    daEliminareIl: string;
  }[];
  /** Messages sent to this person: counts only (their content is the comune's broadcasts). */
  messaggiInviati: {
    risposte: number;
    comunicazioni: number;
    perStato: Record<string, number>;
  };
}

const STATUS_LABELS: Record<string, string> = {
  active: "attiva",
  pending: "in attesa di conferma",
  unsubscribed: "cancellata",
  contact: "mai iscritto",
};

const iso = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString();

export function parseTopics(json: string | null | undefined): string[] {
  try {
    const value: unknown = JSON.parse(json ?? "[]");
    return Array.isArray(value) ? value.filter((t): t is string => typeof t === "string") : [];
  } catch {
    return [];
  }
}

/** Everything stored about one person in one comune. Throws if the subscriber does not exist. */
export async function exportCitizenData(
  db: Kysely<DB>,
  tenant: Tenant,
  subscriberId: number,
): Promise<CitizenDataDocument> {
  const row = await db
    .selectFrom("subscribers")
    .selectAll()
    .where("tenant_id", "=", tenant.slug)
    .where("id", "=", subscriberId)
    .executeTakeFirst();
  if (!row) throw new Error(`No subscriber ${subscriberId} in ${tenant.slug}`);
  const key = row.subscriber_key;
  const [ledger, kept, counts] = await Promise.all([
    key ? consentEventsOf(db, tenant.slug, key) : Promise.resolve([]),
    key ? moderationMessagesOf(db, tenant.slug, key) : Promise.resolve([]),
    messageCountsFor(db, tenant.slug, subscriberId),
  ]);
  const perStato: Record<string, number> = {};
  let risposte = 0;
  let comunicazioni = 0;
  for (const c of counts) {
    if (c.kind === "reply") risposte += c.count;
    else comunicazioni += c.count;
    const label = c.status ?? c.state;
    perStato[label] = (perStato[label] ?? 0) + c.count;
  }
  return {
    servizio: {
      comune: tenant.name,
      nomeServizio: tenant.serviceName,
      titolareDelTrattamento: tenant.dataController.name,
      generatoIl: new Date().toISOString(),
    },
    iscrizione: {
      numero: row.wa_id,
      idUtenteWhatsApp: row.user_id,
      stato: STATUS_LABELS[row.status] ?? row.status,
      nome: row.first_name,
      cognome: row.last_name,
      nomeProfiloWhatsApp: row.profile_name,
      argomenti: parseTopics(row.topics).map((id) => ({
        id,
        nome: tenant.topics.find((t) => t.id === id)?.label.it ?? id,
      })),
      iscrittoIl: iso(row.subscribed_at),
      cancellatoIl: iso(row.unsubscribed_at),
      bloccatoIl: iso(row.blocked_at),
      bloccatoSuWhatsAppIl: iso(row.wa_blocked_at),
      comunicazioniPromozionaliSospeseIl: iso(row.marketing_stopped_at),
      segnalatoIl: iso(row.flagged_at),
      motivoSegnalazione: row.flag_reason,
      ultimoMessaggioRicevutoIl: iso(row.last_inbound_at),
      ultimaRispostaAutomaticaIl: iso(row.auto_replied_at),
      registratoIl: iso(row.created_at) ?? "",
    },
    registroDeiConsensi: ledger.map((e) => ({
      azione: e.action,
      versioneRegolamento: e.regulation_version,
      versioneInformativaPrivacy: e.privacy_version,
      idMessaggio: e.inbound_message_id,
      testoRicevuto: e.text_received,
      il: iso(e.created_at) ?? "",
    })),
    messaggiConservati: kept.map((m) => ({
      tipo: m.type,
      testo: m.text,
      idMedia: m.media_id,
      ricevutoIl: iso(m.received_at) ?? "",
      daEliminareIl: iso(m.purge_after) ?? "",
    })),
    messaggiInviati: { risposte, comunicazioni, perStato },
  };
}

export interface EraseInput {
  tenant: Tenant;
  subscriberId: number;
  /** Who asked: { type: "citizen" } over WhatsApp, or the staff member / admin token. */
  actor: Actor;
  /** "unsubscribe": the citizen left (keyword, STOP); "erase": a request to erase their data. */
  ledgerAction: "unsubscribe" | "erase";
  inboundMessageId?: string;
  textReceived?: string;
  now: number;
  /** SUBSCRIBER_KEY_SECRET, for rows that predate the keyed hash. */
  keySecret: string;
}

/**
 * Unsubscribes and erases, in one transaction (the caller's, when `db` is one):
 * - status "unsubscribed", unsubscribed_at now;
 * - erased: first and last name, profile name, topics, locale, the marketing-stop state, the
 *   pending confirmation, the review flag, and the messages kept in the moderation inbox;
 * - the number (wa_id, user_id) is erased too, unless the person is blocked: a block must stay
 *   enforceable (and liftable) on WhatsApp, which needs the number. What remains is the keyed
 *   hash, the dates and the auto-reply/flood counters, which identify nobody without the secret;
 * - every message still queued for them (replies, deliveries of broadcasts under way) becomes
 *   "skipped" and is never sent;
 * - a consent-ledger entry (ledgerAction) and an audit entry (subscriber.unsubscribe /
 *   subscriber.erase, no number in it). Callers need not audit again.
 */
export async function eraseCitizen(
  db: Kysely<DB> | Transaction<DB>,
  input: EraseInput,
): Promise<void> {
  if (!db.isTransaction) {
    await db.transaction().execute((trx) => eraseCitizen(trx, input));
    return;
  }
  const trx = db;
  const { tenant, subscriberId, now } = input;
  const row = await trx
    .selectFrom("subscribers")
    .select(["id", "wa_id", "user_id", "subscriber_key", "blocked_at", "status", "unsubscribed_at"])
    .where("tenant_id", "=", tenant.slug)
    .where("id", "=", subscriberId)
    .executeTakeFirst();
  if (!row) throw new Error(`No subscriber ${subscriberId} in ${tenant.slug}`);
  const key = row.subscriber_key ?? keyOf(input.keySecret, tenant.slug, row);
  const blocked = row.blocked_at !== null;
  const everSubscribed = row.status === "active" || row.unsubscribed_at !== null;
  await trx
    .updateTable("subscribers")
    .set({
      subscriber_key: key,
      // Someone who never subscribed (or only asked to) stays a bookkeeping row ("contact").
      status: everSubscribed ? "unsubscribed" : "contact",
      unsubscribed_at: row.status === "active" ? now : row.unsubscribed_at,
      first_name: null,
      last_name: null,
      profile_name: null,
      topics: "[]",
      locale: null,
      marketing_stopped_at: null,
      pending_since: null,
      pending_message_id: null,
      pending_text: null,
      flagged_at: null,
      flag_reason: null,
      ...(blocked ? {} : { wa_id: null, user_id: null }),
      updated_at: now,
    })
    .where("id", "=", subscriberId)
    .execute();
  await deleteModerationMessagesOf(trx, tenant.slug, key);
  const skipped = await skipQueuedMessagesTo(trx, { tenantId: tenant.slug, subscriberId, now });
  await appendConsentEvent(trx, {
    tenant,
    subscriberKey: key,
    action: input.ledgerAction,
    inboundMessageId: input.inboundMessageId ?? null,
    textReceived: input.textReceived ?? null,
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
}

function keyOf(
  secret: string,
  tenantId: string,
  row: { wa_id: string | null; user_id: string | null },
): string {
  const identifier = identifierOf(row.wa_id, row.user_id);
  if (!identifier) throw new Error("A subscriber row with neither number nor user id nor key");
  return subscriberKey(secret, tenantId, identifier);
}

const DEFAULT_PRICING = { currency: "EUR", utility: 0.0248 };

/**
 * Automatic replies accepted by WhatsApp between `fromMs` (inclusive) and `toMs` (exclusive),
 * priced at the comune's utility rate (pass `tenant.pricing`; without it Meta's Italian rate in
 * EUR). For the statistics.
 */
export function replyCounts(
  db: Kysely<DB>,
  tenantId: string,
  fromMs: number,
  toMs: number,
  pricing: { utility: number; currency: string } = DEFAULT_PRICING,
): Promise<{ count: number; cost: number; currency: string }> {
  return outboundReplyCounts(db, tenantId, fromMs, toMs, pricing);
}

/**
 * Meta's stop button, for the statistics: people currently excluded from marketing broadcasts,
 * and the stop / resume ledger entries between two instants.
 */
export async function marketingStopCounts(
  db: Kysely<DB>,
  tenantId: string,
  fromMs: number,
  toMs: number,
): Promise<{ currentlyStopped: number; stops: number; resumes: number }> {
  const [row, stops, resumes] = await Promise.all([
    db
      .selectFrom("subscribers")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("tenant_id", "=", tenantId)
      .where("status", "=", "active")
      .where("marketing_stopped_at", "is not", null)
      .executeTakeFirst(),
    countConsentEvents(db, tenantId, "marketing_stop", fromMs, toMs),
    countConsentEvents(db, tenantId, "marketing_resume", fromMs, toMs),
  ]);
  return { currentlyStopped: Number(row?.n ?? 0), stops, resumes };
}
