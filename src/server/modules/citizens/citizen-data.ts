import type { Kysely } from "kysely";
import type { Tenant } from "../../config/tenants.js";
import type { DB } from "../../platform/db/schema.js";
import {
  messageCountsFor,
  replyCounts as outboundReplyCounts,
} from "../dispatch/dispatch.service.js";
import { countMarketingStopped, findSubscriber } from "./citizens.repository.js";
import { consentEventsOf, countConsentEvents } from "./consent-ledger.repository.js";
import { moderationMessagesOf } from "./moderation.repository.js";

/**
 * A citizen's data (R12): the export (access, portability), used both by the citizen over
 * WhatsApp ("DATI") and by the admin API, and the counts the statistics take from the people's
 * rows. The erasure is erasure.ts.
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

/** Everything stored about one person in one comune. Throws if the subscriber does not exist. */
export async function exportCitizenData(
  db: Kysely<DB>,
  tenant: Tenant,
  subscriberId: number,
): Promise<CitizenDataDocument> {
  const row = await findSubscriber(db, tenant.slug, subscriberId);
  if (!row) throw new Error(`No subscriber ${subscriberId} in ${tenant.slug}`);
  const key = row.subscriberKey;
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
      numero: row.waId,
      idUtenteWhatsApp: row.userId,
      stato: STATUS_LABELS[row.status] ?? row.status,
      nome: row.firstName,
      cognome: row.lastName,
      nomeProfiloWhatsApp: row.profileName,
      argomenti: row.topics.map((id) => ({
        id,
        nome: tenant.topics.find((t) => t.id === id)?.label.it ?? id,
      })),
      iscrittoIl: iso(row.subscribedAt),
      cancellatoIl: iso(row.unsubscribedAt),
      bloccatoIl: iso(row.blockedAt),
      bloccatoSuWhatsAppIl: iso(row.waBlockedAt),
      comunicazioniPromozionaliSospeseIl: iso(row.marketingStoppedAt),
      segnalatoIl: iso(row.flaggedAt),
      motivoSegnalazione: row.flagReason,
      ultimoMessaggioRicevutoIl: iso(row.lastInboundAt),
      ultimaRispostaAutomaticaIl: iso(row.autoRepliedAt),
      registratoIl: iso(row.createdAt) ?? "",
    },
    registroDeiConsensi: ledger.map((e) => ({
      azione: e.action,
      versioneRegolamento: e.regulationVersion,
      versioneInformativaPrivacy: e.privacyVersion,
      idMessaggio: e.inboundMessageId,
      testoRicevuto: e.textReceived,
      il: iso(e.createdAt) ?? "",
    })),
    messaggiConservati: kept.map((m) => ({
      tipo: m.type,
      testo: m.text,
      idMedia: m.mediaId,
      ricevutoIl: iso(m.receivedAt) ?? "",
      daEliminareIl: iso(m.purgeAfter) ?? "",
    })),
    messaggiInviati: { risposte, comunicazioni, perStato },
  };
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
  const [currentlyStopped, stops, resumes] = await Promise.all([
    countMarketingStopped(db, tenantId),
    countConsentEvents(db, tenantId, "marketing_stop", fromMs, toMs),
    countConsentEvents(db, tenantId, "marketing_resume", fromMs, toMs),
  ]);
  return { currentlyStopped, stops, resumes };
}
