import { z } from "zod";
import type { Tenant } from "../../config/tenants.js";
import { csvRow, type CsvValue } from "../../platform/csv.js";
import type { Locale } from "../../platform/http/locale.js";
import {
  broadcastDeliveryReport,
  type BroadcastCounters,
  type RatedCategory,
} from "../dispatch/dispatch.service.js";
import { errorMeaning } from "../whatsapp/send-errors.js";
import type { Broadcast } from "./broadcasts.repository.js";
import { getBroadcast, type BroadcastsDeps } from "./broadcasts.service.js";
import type { reportOut } from "./report.schemas.js";
import { formatMoney, type Localized } from "./policy/index.js";
import { statusLabel } from "./status-labels.js";

/**
 * A broadcast's report (issue #11 item 7): what happened to each of its deliveries, counted, with
 * no phone number and no message id in it. The counts are the dispatch part's progress counters;
 * the failures are grouped by WhatsApp's error code with what the code means; the cost Meta's
 * statuses say (the deliveries they call `regular` are the billable ones, at the comune's price
 * list) stands beside the estimate the approver accepted; the read rate is the share of
 * delivered messages that were read (only phones that send read receipts count as read).
 */

export type ReportCounts = Omit<BroadcastCounters, "failedByCode">;

/** The report as the API answers it (report.schemas.ts, where each figure is described). */
export type BroadcastReport = z.infer<typeof reportOut>;
export type ReportFailure = BroadcastReport["failures"][number];
/** The broadcast a report is of, as its heading (and the dashboard's list) shows it. */
export type ReportedBroadcast = BroadcastReport["broadcast"];

/** The part of the stored approval check the report reads; anything else there is ignored. */
const storedEstimate = z.object({
  estimate: z.object({
    recipients: z.number(),
    category: z.string(),
    currency: z.string(),
    priceListFrom: z.string(),
    totalMicros: z.number(),
    total: z.object({ it: z.string(), en: z.string() }),
  }),
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** "unknown" is how the counters key a failure with no code. */
function failuresOf(byCode: Record<string, number>): ReportFailure[] {
  return Object.entries(byCode)
    .map(([key, count]) => {
      const code = key === "unknown" ? null : Number(key);
      return { code, count, reason: errorMeaning(code) };
    })
    .sort((a, b) => b.count - a.count || (a.code ?? Infinity) - (b.code ?? Infinity));
}

export async function broadcastReport(
  deps: BroadcastsDeps,
  tenant: Tenant,
  id: number,
  /** The language of the status label. */
  lang: Locale = "it",
): Promise<BroadcastReport> {
  const b: Broadcast = await getBroadcast(deps, tenant, id);
  const approved = storedEstimate.safeParse(b.approvalCheck);
  const estimate = approved.success ? approved.data.estimate : null;
  // Meta bills by the template's category, which the approval stored; before that, the
  // broadcast's own (urgent ones are civil protection, utility).
  const category = (estimate?.category ?? (b.urgent ? "utility" : "marketing")) as RatedCategory;
  const { counters, charges } = await broadcastDeliveryReport(
    deps.db,
    b.id,
    tenant.pricing,
    category,
  );
  const { failedByCode, ...counts } = counters;
  const totalMicros = Math.round(charges.cost * 1_000_000);
  return {
    broadcast: {
      id: b.id,
      title: b.title,
      status: b.status,
      statusLabel: statusLabel(b.status)[lang],
      startedAt: iso(b.startedAt),
      finishedAt: iso(b.finishedAt),
    },
    generatedAt: new Date(deps.clock.now()).toISOString(),
    counts,
    failures: failuresOf(failedByCode),
    readRate:
      counters.delivered === 0
        ? null
        : Math.round((counters.read / counters.delivered) * 1e4) / 1e4,
    cost: {
      estimate,
      currency: charges.currency,
      accepted: charges.messages,
      billable: charges.charged,
      free: charges.free,
      unpriced: charges.unpriced,
      totalMicros,
      total: {
        it: formatMoney(totalMicros, charges.currency, "it"),
        en: formatMoney(totalMicros, charges.currency, "en"),
      },
    },
  };
}

const COUNT_LABELS: Readonly<Record<keyof ReportCounts, Localized>> = {
  total: { it: "Messaggi in tutto", en: "Messages in all" },
  queued: { it: "In coda", en: "Queued" },
  inFlight: { it: "In invio ora", en: "Being sent now" },
  accepted: { it: "Accettati da WhatsApp", en: "Accepted by WhatsApp" },
  sent: { it: "Partiti", en: "Sent" },
  delivered: { it: "Consegnati", en: "Delivered" },
  read: { it: "Letti", en: "Read" },
  failed: { it: "Non riusciti", en: "Failed" },
  skipped: { it: "Saltati (iscrizione chiusa)", en: "Skipped (unsubscribed)" },
  cancelled: { it: "Annullati", en: "Cancelled" },
};

const WORDS = {
  header: {
    it: ["sezione", "voce", "valore", "descrizione"],
    en: ["section", "item", "value", "description"],
  },
  broadcast: { it: "comunicazione", en: "broadcast" },
  messages: { it: "messaggi", en: "messages" },
  failures: { it: "errori", en: "failures" },
  cost: { it: "costo", en: "cost" },
  reading: { it: "lettura", en: "reading" },
  title: { it: "titolo", en: "title" },
  status: { it: "stato", en: "status" },
  startedAt: { it: "inizio invio", en: "sending started" },
  finishedAt: { it: "fine invio", en: "sending finished" },
  generatedAt: { it: "report creato il", en: "report made on" },
  noCode: { it: "senza codice", en: "no code" },
  estimate: { it: "stima approvata", en: "approved estimate" },
  billable: { it: "messaggi a pagamento", en: "billable messages" },
  free: { it: "messaggi gratuiti", en: "free messages" },
  unpriced: { it: "messaggi senza prezzo ancora", en: "messages not priced yet" },
  spent: { it: "spesa secondo WhatsApp", en: "cost as WhatsApp reports it" },
  spentHow: {
    it: "i messaggi a pagamento alla tariffa del Comune; quelli senza prezzo ancora, alla tariffa della categoria",
    en: "billable messages at the comune's rates; those not priced yet, at the category's rate",
  },
  readRate: { it: "tasso di lettura", en: "read rate" },
  readRateHow: {
    it: "letti su consegnati (solo chi ha le conferme di lettura attive)",
    en: "read of delivered (only people with read receipts on)",
  },
} satisfies Record<string, Localized | { it: string[]; en: string[] }>;

function percent(rate: number, lang: Locale): string {
  const text = (rate * 100).toFixed(1);
  return `${lang === "it" ? text.replace(".", ",") : text}%`;
}

/** The report as CSV in the staff's language: one row per figure, no phone number or message id. */
export function reportCsv(report: BroadcastReport, lang: Locale): string {
  const w = (word: Localized) => word[lang];
  const rows: CsvValue[][] = [WORDS.header[lang]];
  const b = report.broadcast;
  rows.push(
    [w(WORDS.broadcast), "id", b.id, null],
    [w(WORDS.broadcast), w(WORDS.title), b.title, null],
    [w(WORDS.broadcast), w(WORDS.status), b.statusLabel, null],
    [w(WORDS.broadcast), w(WORDS.startedAt), b.startedAt, null],
    [w(WORDS.broadcast), w(WORDS.finishedAt), b.finishedAt, null],
    [w(WORDS.broadcast), w(WORDS.generatedAt), report.generatedAt, null],
  );
  for (const key of Object.keys(COUNT_LABELS) as (keyof ReportCounts)[]) {
    rows.push([w(WORDS.messages), w(COUNT_LABELS[key]), report.counts[key], null]);
  }
  for (const f of report.failures) {
    rows.push([
      w(WORDS.failures),
      f.code === null ? w(WORDS.noCode) : String(f.code),
      f.count,
      w(f.reason),
    ]);
  }
  const { cost } = report;
  if (cost.estimate) {
    rows.push([
      w(WORDS.cost),
      w(WORDS.estimate),
      w(cost.estimate.total),
      lang === "it"
        ? `${cost.estimate.recipients} destinatari, categoria ${cost.estimate.category}`
        : `${cost.estimate.recipients} recipients, ${cost.estimate.category} category`,
    ]);
  }
  rows.push(
    [w(WORDS.cost), w(WORDS.billable), cost.billable, null],
    [w(WORDS.cost), w(WORDS.free), cost.free, null],
    [w(WORDS.cost), w(WORDS.unpriced), cost.unpriced, null],
    [w(WORDS.cost), w(WORDS.spent), w(cost.total), w(WORDS.spentHow)],
    [
      w(WORDS.reading),
      w(WORDS.readRate),
      report.readRate === null ? null : percent(report.readRate, lang),
      w(WORDS.readRateHow),
    ],
  );
  return rows.map(csvRow).join("");
}
