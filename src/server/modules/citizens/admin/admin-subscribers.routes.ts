import { z } from "zod";
import { tenantFinder, type Tenant } from "../../../config/tenants.js";
import type { Clock } from "../../../platform/clock.js";
import type { Kysely } from "kysely";
import type { DB } from "../../../platform/db/schema.js";
import { actorOf } from "../../../platform/http/access.js";
import { localized } from "../../../platform/http/locale.js";
import { idSchema, tenantParams } from "../../../platform/http/params.js";
import { zodRoutes } from "../../../platform/http/zod-routes.js";
import { normaliseNumber } from "../../../platform/phone-number.js";
import { revealQuery, subscriberParams, subscriberView } from "./admin-schemas.js";
import { LIST_STATUSES } from "./admin.repository.js";
import type { CitizensAdmin } from "./admin.service.js";
import { exportCitizenData } from "../citizen-data.js";
import { eraseCitizen } from "../erasure.js";

const NUMBER_PROBLEM =
  "deve essere un numero di telefono completo di prefisso internazionale, es. +39 366 578 4663";

const lookupBody = z.object({
  number: z
    .string(NUMBER_PROBLEM)
    .max(40, NUMBER_PROBLEM)
    .refine((n) => normaliseNumber(n) !== undefined, NUMBER_PROBLEM),
});

const blockBody = z.object({
  reason: z
    .string("deve indicare il motivo del blocco")
    .trim()
    .min(3, "deve indicare il motivo del blocco (almeno 3 caratteri)")
    .max(500, "può essere lungo al massimo 500 caratteri"),
});

const tags = ["citizens"];

/** Finding, seeing, exporting, erasing, blocking and unblocking one citizen of a comune. */
export function adminSubscriberRoutes(deps: {
  db: Kysely<DB>;
  tenants: readonly Tenant[];
  clock: Clock;
  admin: CitizensAdmin;
}) {
  const tenantOf = tenantFinder(deps.tenants);
  return zodRoutes((r) => {
    r.get(
      "/api/tenants/:tenant/subscribers",
      {
        config: { permission: "subscribers.reveal" },
        schema: {
          tags,
          summary: "The comune's people, newest first, numbers masked and no names",
          description:
            "`status` as the statistics count them (a state leaves out blocked people; `blocked` is every blocked person); `topic`: who receives it (chose it, or chose no topic). People erased (no number left) are not listed. Page with `before` = the last id shown.",
          params: tenantParams,
          querystring: z.object({
            status: z
              .enum(
                LIST_STATUSES,
                localized({
                  it: `deve essere uno di: ${LIST_STATUSES.join(", ")}`,
                  en: `must be one of: ${LIST_STATUSES.join(", ")}`,
                }),
              )
              .optional(),
            topic: z.string().max(100).optional(),
            before: idSchema.optional(),
            limit: z.coerce.number().int().min(1).max(200).default(50),
          }),
          response: { 200: z.object({ subscribers: z.array(subscriberView) }) },
        },
      },
      async (request) => {
        const { status, topic, before, limit } = request.query;
        const subscribers = await deps.admin.list(tenantOf(request.params.tenant), {
          ...(status ? { status } : {}),
          ...(topic ? { topic } : {}),
          ...(before !== undefined ? { before } : {}),
          limit,
        });
        return { subscribers };
      },
    );

    r.post(
      "/api/tenants/:tenant/subscribers/lookup",
      {
        config: { permission: "subscribers.reveal" },
        schema: {
          tags,
          summary: "Find a subscriber by full phone number (exact match; audited)",
          description:
            "The number is matched through its keyed hash, never by scanning. The answer masks the number unless `?reveal=true`.",
          params: tenantParams,
          querystring: revealQuery,
          body: lookupBody,
          response: { 200: subscriberView },
        },
      },
      async (request) =>
        deps.admin.lookup(tenantOf(request.params.tenant), {
          waId: normaliseNumber(request.body.number) ?? "",
          reveal: request.query.reveal === "true",
          actor: actorOf(request),
        }),
    );

    r.get(
      "/api/tenants/:tenant/subscribers/:id",
      {
        config: { permission: "subscribers.reveal" },
        schema: {
          tags,
          summary: "One subscriber (number masked unless ?reveal=true, which is audited)",
          params: subscriberParams,
          querystring: revealQuery,
          response: { 200: subscriberView },
        },
      },
      async (request) =>
        deps.admin.view(tenantOf(request.params.tenant), {
          id: request.params.id,
          reveal: request.query.reveal === "true",
          actor: actorOf(request),
        }),
    );

    r.get(
      "/api/tenants/:tenant/subscribers/:id/export",
      {
        config: { permission: "subscribers.export" },
        schema: {
          tags,
          summary: "Everything stored about a subscriber, as a JSON download (audited)",
          params: subscriberParams,
        },
      },
      async (request, reply) => {
        const tenant = tenantOf(request.params.tenant);
        const row = await deps.admin.subscriber(tenant, request.params.id);
        const document = await exportCitizenData(deps.db, tenant, request.params.id);
        await deps.admin.audit(tenant, actorOf(request), "subscriber.export", row);
        return reply
          .header("content-type", "application/json; charset=utf-8")
          .header(
            "content-disposition",
            `attachment; filename="dati-${tenant.slug}-iscritto-${request.params.id}.json"`,
          )
          .send(JSON.stringify(document, null, 2));
      },
    );

    r.delete(
      "/api/tenants/:tenant/subscribers/:id",
      {
        config: { permission: "subscribers.erase" },
        schema: {
          tags,
          summary: "Erase a subscriber's personal data and unsubscribe them (audited)",
          description:
            "Unsubscribes, erases name, topics and kept messages, skips queued messages; the consent ledger keeps its entries (keyed hash, not the number). A blocked person's number stays so the block remains enforceable.",
          params: subscriberParams,
          response: {
            200: z.object({ erased: z.literal(true), message: z.string() }),
          },
        },
      },
      async (request) => {
        const tenant = tenantOf(request.params.tenant);
        await deps.admin.subscriber(tenant, request.params.id);
        // eraseCitizen writes the ledger entry and the audit entry in its transaction.
        await eraseCitizen(deps.db, {
          tenant,
          subscriberId: request.params.id,
          actor: actorOf(request),
          ledgerAction: "erase",
          now: deps.clock.now(),
          keySecret: deps.admin.keySecret(),
        });
        return {
          erased: true as const,
          message:
            "Dati personali cancellati e iscrizione disattivata; resta il registro dei consensi.",
        };
      },
    );

    const blockAnswer = z.object({
      subscriber: subscriberView,
      whatsapp: z.enum(["applied", "pending", "not-possible"]),
      message: z.string(),
    });

    r.post(
      "/api/tenants/:tenant/subscribers/:id/block",
      {
        config: { permission: "subscribers.block" },
        schema: {
          tags,
          summary:
            "Block a person: here at once, on WhatsApp now or when they next write (audited)",
          description:
            'Meta lets a business block only people who wrote in the last 24 hours: outside that window the block is pending on WhatsApp (`whatsapp: "pending"`) and applied when the person next writes. Blocking again retries a pending block.',
          params: subscriberParams,
          body: blockBody,
          response: { 200: blockAnswer },
        },
      },
      async (request) =>
        deps.admin.block(tenantOf(request.params.tenant), {
          id: request.params.id,
          reason: request.body.reason,
          actor: actorOf(request),
        }),
    );

    r.delete(
      "/api/tenants/:tenant/subscribers/:id/block",
      {
        config: { permission: "subscribers.block" },
        schema: {
          tags,
          summary: "Unblock a person, also on WhatsApp when the block reached it (audited)",
          params: subscriberParams,
          response: { 200: z.object({ subscriber: subscriberView, message: z.string() }) },
        },
      },
      async (request) =>
        deps.admin.unblock(tenantOf(request.params.tenant), {
          id: request.params.id,
          actor: actorOf(request),
        }),
    );
  });
}
