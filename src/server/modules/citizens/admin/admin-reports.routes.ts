import type { Kysely } from "kysely";
import { z } from "zod";
import { tenantFinder, type Tenant } from "../../../config/tenants.js";
import { csvRow } from "../../../platform/csv.js";
import type { DB } from "../../../platform/db/schema.js";
import { actorOf } from "../../../platform/http/access.js";
import { tenantParams } from "../../../platform/http/params.js";
import { zodRoutes } from "../../../platform/http/zod-routes.js";
import { localTime } from "../../../platform/local-days.js";
import {
  subscriberStats,
  subscriptionsPerDay,
  replyStats,
  timeZoneOf,
} from "./admin-stats.service.js";
import { periodQuery, requireAlso, subscriberView } from "./admin-schemas.js";
import type { CitizensAdmin, ModerationReport } from "./admin.service.js";

const count = z.number().int().nonnegative();
const perDayCounts = {
  subscriptions: count,
  unsubscriptions: count,
  erasures: count,
  marketingStops: count,
  marketingResumes: count,
};
const subscriberStatsAnswer = z.object({
  tenant: z.string(),
  subscribers: z.object({
    active: count,
    pendingConfirmation: count,
    unsubscribed: count,
    contacts: count,
    blocked: count,
    blockPendingOnWhatsApp: count,
    marketingStopped: count,
    flagged: count,
  }),
  topics: z.object({
    allTopics: count,
    byTopic: z.array(
      z.object({ id: z.string(), label: z.string(), chosen: count, receiving: count }),
    ),
  }),
});
const subscriptionsAnswer = z.object({
  tenant: z.string(),
  timeZone: z.string(),
  from: z.string(),
  to: z.string(),
  days: z.array(z.object({ date: z.string(), ...perDayCounts })),
  totals: z.object(perDayCounts),
});
const repliesAnswer = z.object({
  tenant: z.string(),
  timeZone: z.string(),
  from: z.string(),
  to: z.string(),
  replies: count,
  /** Priced by Meta's status webhooks (`regular`), free by them, or not priced by any status yet. */
  charged: count,
  free: count,
  unpriced: count,
  cost: z.number(),
  currency: z.string(),
  pricePerReply: z.number(),
});

/**
 * The moderation queue, the report for the authorities, and the comune's statistics.
 *
 * The report is CSV by default: it travels as an attachment to a complaint (Polizia Postale, the
 * Procura), and a CSV opens in any spreadsheet, one row per message with its time, type and text.
 * `?format=json` gives the same rows as JSON with the text untouched (the CSV defuses cells a
 * spreadsheet would run as formulas by prefixing them with an apostrophe).
 */
export function adminReportRoutes(deps: {
  db: Kysely<DB>;
  tenants: readonly Tenant[];
  admin: CitizensAdmin;
}) {
  const tenantOf = tenantFinder(deps.tenants);
  return zodRoutes((r) => {
    r.get(
      "/api/tenants/:tenant/moderation/flagged",
      {
        config: { permission: "moderation.read" },
        schema: {
          tags: ["moderation"],
          summary: "People to review: flagged by the flood rule or with flagged messages (masked)",
          params: tenantParams,
          querystring: z.object({
            limit: z.coerce
              .number("deve essere un numero da 1 a 500")
              .int("deve essere un numero da 1 a 500")
              .min(1, "deve essere un numero da 1 a 500")
              .max(500, "deve essere un numero da 1 a 500")
              .default(100),
          }),
          response: {
            200: z.object({
              flagged: z.array(
                z.object({
                  subscriber: subscriberView,
                  flaggedMessages: z.number(),
                  lastFlaggedMessageAt: z.string().nullable(),
                }),
              ),
            }),
          },
        },
      },
      async (request) => ({
        flagged: await deps.admin.flagged(tenantOf(request.params.tenant), request.query.limit),
      }),
    );

    r.get(
      "/api/tenants/:tenant/moderation/messages",
      {
        config: { permission: "moderation.read" },
        schema: {
          tags: ["moderation"],
          summary:
            "The moderation inbox: whether it is on, and the kept messages, newest first (masked)",
          description:
            "`inbox` is the comune's `moderation` settings: with `enabled` false nothing citizens write is kept (messages kept before it was turned off stay until their purge). Page with `?before=<nextBefore>`.",
          params: tenantParams,
          querystring: z.object({
            before: z.coerce
              .number("deve essere un numero intero positivo")
              .int("deve essere un numero intero positivo")
              .positive("deve essere un numero intero positivo")
              .optional(),
            limit: z.coerce
              .number("deve essere un numero da 1 a 200")
              .int("deve essere un numero da 1 a 200")
              .min(1, "deve essere un numero da 1 a 200")
              .max(200, "deve essere un numero da 1 a 200")
              .default(50),
          }),
          response: {
            200: z.object({
              inbox: z.object({ enabled: z.boolean(), retentionDays: z.number() }),
              messages: z.array(
                z.object({
                  id: z.number(),
                  receivedAt: z.string(),
                  purgeAfter: z.string(),
                  subscriberId: z.number().nullable(),
                  number: z.string().nullable(),
                  type: z.string(),
                  text: z.string().nullable(),
                  hasMedia: z.boolean(),
                  flagged: z.boolean(),
                  flagReason: z.string().nullable(),
                }),
              ),
              nextBefore: z.number().nullable(),
            }),
          },
        },
      },
      async (request) => deps.admin.inbox(tenantOf(request.params.tenant), request.query),
    );

    r.get(
      "/api/tenants/:tenant/moderation/report",
      {
        config: { permission: "moderation.report" },
        schema: {
          tags: ["moderation"],
          summary: "Report of kept messages for the authorities, CSV (default) or JSON (audited)",
          description:
            "With `subscriberId`: every message the moderation inbox keeps from that person. Without: flagged messages and every kept message of a flagged person. Numbers are masked unless `?reveal=true`, which also needs `subscribers.reveal`.",
          params: tenantParams,
          querystring: z.object({
            subscriberId: z.coerce
              .number("deve essere l'id numerico di un iscritto")
              .int("deve essere l'id numerico di un iscritto")
              .positive("deve essere l'id numerico di un iscritto")
              .optional(),
            format: z.enum(["csv", "json"], "deve essere csv o json").default("csv"),
            reveal: z.enum(["true", "false"], "deve essere true o false").optional(),
          }),
        },
      },
      async (request, reply) => {
        const tenant = tenantOf(request.params.tenant);
        const { format, subscriberId } = request.query;
        const reveal = request.query.reveal === "true";
        const actor = actorOf(request);
        if (reveal) requireAlso(request, tenant.slug, "subscribers.reveal");
        const report = await deps.admin.report(tenant, {
          ...(subscriberId === undefined ? {} : { subscriberId }),
          format,
          reveal,
          actor,
        });
        const stamp = report.generatedAt.slice(0, 10);
        const name = `segnalazione-${tenant.slug}-${subscriberId ?? "segnalati"}-${stamp}.${format}`;
        void reply.header("content-disposition", `attachment; filename="${name}"`);
        if (format === "json") {
          return reply
            .header("content-type", "application/json; charset=utf-8")
            .send(JSON.stringify(report, null, 2));
        }
        return reply
          .header("content-type", "text/csv; charset=utf-8")
          .send(reportCsv(report, timeZoneOf(tenant)));
      },
    );

    r.get(
      "/api/tenants/:tenant/stats/subscribers",
      {
        config: { permission: "reports.read" },
        schema: {
          tags: ["statistics"],
          summary: "Subscribers by state and by topic (counts only)",
          description:
            "active, pendingConfirmation, unsubscribed and contacts never subscribed exclude blocked people; blocked counts every blocked person; marketingStopped counts active people who stopped marketing messages in WhatsApp. A topic's `receiving` adds those who chose no topic (they receive all).",
          params: tenantParams,
          response: { 200: subscriberStatsAnswer },
        },
      },
      async (request) => subscriberStats(deps.db, tenantOf(request.params.tenant)),
    );

    r.get(
      "/api/tenants/:tenant/stats/subscriptions",
      {
        config: { permission: "reports.read" },
        schema: {
          tags: ["statistics"],
          summary: "Subscriptions and unsubscriptions per day, from the consent ledger",
          description:
            "Days are the comune's calendar days in its time zone (Europe/Rome unless its service hours name another), `from` and `to` included.",
          params: tenantParams,
          querystring: periodQuery,
          response: { 200: subscriptionsAnswer },
        },
      },
      async (request) =>
        subscriptionsPerDay(
          deps.db,
          tenantOf(request.params.tenant),
          request.query.from,
          request.query.to,
        ),
    );

    r.get(
      "/api/tenants/:tenant/stats/replies",
      {
        config: { permission: "reports.read" },
        schema: {
          tags: ["statistics"],
          summary: "Automatic replies sent in a period, counted and priced (utility rate)",
          params: tenantParams,
          querystring: periodQuery,
          response: { 200: repliesAnswer },
        },
      },
      async (request) =>
        replyStats(deps.db, tenantOf(request.params.tenant), request.query.from, request.query.to),
    );
  });
}

const CSV_HEADER = [
  "ricevuto_il_utc",
  "ricevuto_il_ora_locale",
  "id_iscritto",
  "numero",
  "tipo",
  "testo",
  "id_media",
  "id_messaggio_whatsapp",
  "segnalato",
  "motivo_segnalazione",
];

/** RFC 4180 through platform/csv.ts (formulas neutralised, semicolons quoted). */
export function reportCsv(report: ModerationReport, timeZone: string): string {
  const lines = [csvRow(CSV_HEADER)];
  for (const m of report.messages) {
    lines.push(
      csvRow([
        m.receivedAt,
        localTime(Date.parse(m.receivedAt), timeZone),
        m.subscriberId,
        m.number,
        m.type,
        m.text,
        m.mediaId,
        m.messageId,
        m.flagged ? "sì" : "no",
        m.flagReason,
      ]),
    );
  }
  return lines.join("");
}
