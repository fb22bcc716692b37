import { z } from "zod";
import { broadcastOut } from "./broadcasts.schemas.js";

/**
 * The broadcast report's answer (report.ts), for the OpenAPI document, the serializer and the
 * report's type.
 */

const localizedText = z.object({ it: z.string(), en: z.string() });

const count = z.number().int().nonnegative();

/** The broadcast a report is of, as its heading (and the dashboard's list) shows it. */
const reportedBroadcast = broadcastOut.pick({
  id: true,
  title: true,
  status: true,
  statusLabel: true,
  startedAt: true,
  finishedAt: true,
});

export const reportOut = z
  .object({
    broadcast: reportedBroadcast,
    generatedAt: z.string(),
    counts: z
      .object({
        total: count.describe("Every delivery of the broadcast"),
        queued: count,
        inFlight: count.describe("Handed to WhatsApp, answer not yet in"),
        accepted: count.describe("Accepted by WhatsApp and not failed since"),
        sent: count.describe("Of the accepted: reached at least `sent`"),
        delivered: count.describe("Of the accepted: reached at least `delivered`"),
        read: count.describe("Of the accepted: read"),
        failed: count.describe("Refused, or failed after acceptance; by code in `failures`"),
        skipped: count.describe("Not sent: the person left before their turn"),
        cancelled: count.describe("Not sent: the broadcast was cancelled"),
      })
      .describe("Per state of the deliveries, and the furthest status of the accepted ones"),
    failures: z
      .array(
        z.object({
          code: z
            .number()
            .nullable()
            .describe("WhatsApp's error code; negative: a fault on the way; null: none recorded"),
          count,
          reason: localizedText,
        }),
      )
      .describe("Failures grouped by error code, most frequent first"),
    readRate: z
      .number()
      .nullable()
      .describe("read ÷ delivered (0 to 1); null while nothing is delivered"),
    cost: z.object({
      estimate: z
        .object({
          recipients: z.number(),
          category: z.string(),
          currency: z.string(),
          priceListFrom: z.string(),
          totalMicros: z.number().describe("Millionths of the currency"),
          total: localizedText,
        })
        .nullable()
        .describe("What the approver accepted; null if never approved"),
      currency: z.string(),
      /** From the statuses' pricing: messages Meta accepted and did not fail since. */
      accepted: count,
      billable: count.describe("Accepted messages WhatsApp's statuses call `regular` (charged)"),
      /** Meta said free (a free entry point, a free service message). */
      free: count,
      unpriced: count.describe("No status with pricing yet: counted at the category's rate"),
      totalMicros: z.number().describe("Millionths of the currency"),
      total: localizedText,
    }),
  })
  .meta({
    examples: [
      {
        broadcast: {
          id: 12,
          title: "Biblioteca",
          status: "sent",
          statusLabel: "inviata",
          startedAt: "2026-12-03T08:00:00.000Z",
          finishedAt: "2026-12-03T08:00:41.000Z",
        },
        generatedAt: "2026-12-03T09:15:00.000Z",
        counts: {
          total: 120,
          queued: 0,
          inFlight: 0,
          accepted: 117,
          sent: 117,
          delivered: 115,
          read: 61,
          failed: 3,
          skipped: 0,
          cancelled: 0,
        },
        failures: [
          {
            code: 131026,
            count: 3,
            reason: {
              it: "Non recapitabile (numero non su WhatsApp, app non aggiornata, …)",
              en: "Undeliverable (not on WhatsApp, old app, …)",
            },
          },
        ],
        readRate: 0.5304,
        cost: {
          estimate: {
            recipients: 120,
            category: "marketing",
            currency: "EUR",
            priceListFrom: "2026-07-01",
            totalMicros: 7_896_000,
            total: { it: "€ 7,90", en: "€ 7.90" },
          },
          currency: "EUR",
          accepted: 117,
          billable: 117,
          free: 0,
          unpriced: 0,
          totalMicros: 7_698_600,
          total: { it: "€ 7,70", en: "€ 7.70" },
        },
      },
    ],
  });
