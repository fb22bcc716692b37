import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Kysely } from "kysely";
import { z } from "zod";
import type { Tenant } from "../../config/tenants.js";
import type { Clock } from "../../platform/clock.js";
import type { DB } from "../../platform/db/schema.js";
import { AppError } from "../../platform/errors.js";
import type { Metrics } from "../../platform/metrics.js";
import { InboundEventWriter, type InboundEventProcessor } from "./inbound-events.service.js";
import type { WebhookEvent } from "./webhook-events.js";
import { parseNotification } from "./webhook-payloads.js";
import { findSigningSecret } from "./webhook-signature.js";

export interface WebhookDeps {
  db: Kysely<DB>;
  tenants: readonly Tenant[];
  clock: Clock;
  metrics: Metrics;
  processor: InboundEventProcessor;
}

/**
 * Meta's webhook: the verification handshake (GET) and notifications (POST). A notification is
 * verified on its raw bytes, parsed, routed to its comune by phone-number id (account-level
 * events by WhatsApp Business Account id), stored, and only then acknowledged; handling happens
 * after the answer (see inbound-events.service.ts).
 */
export function webhookRoutes(deps: WebhookDeps) {
  const byPhoneNumberId = new Map(deps.tenants.map((t) => [t.whatsapp.phoneNumberId, t]));
  const appSecrets = [...new Set(deps.tenants.map((t) => t.secrets.appSecret))];
  const verifyTokens = new Set(deps.tenants.map((t) => t.secrets.verifyToken));
  const writer = new InboundEventWriter(deps.db);

  return (app: FastifyInstance) => {
    // The signature covers the exact bytes Meta sent: keep them, parse JSON ourselves.
    app.removeContentTypeParser("application/json");
    app.addContentTypeParser("application/json", { parseAs: "buffer" }, (_req, body, done) =>
      done(null, body),
    );
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.get(
      "/webhooks/whatsapp",
      {
        schema: {
          tags: ["webhooks"],
          summary:
            "Meta's verification handshake: echoes hub.challenge when the verify token is ours",
          querystring: z.object({
            "hub.mode": z.string().optional(),
            "hub.verify_token": z.string().optional(),
            "hub.challenge": z.string().max(1000).optional(),
          }),
        },
      },
      (request, reply) => {
        const q = request.query;
        if (
          q["hub.mode"] !== "subscribe" ||
          !q["hub.verify_token"] ||
          !verifyTokens.has(q["hub.verify_token"])
        ) {
          request.log.warn(
            { event: "webhook.verification_refused" },
            "Webhook verification refused",
          );
          return reply.status(403).send({
            error: { code: "VERIFICATION_FAILED", message: "Token di verifica non valido" },
          });
        }
        return reply.type("text/plain; charset=utf-8").send(q["hub.challenge"] ?? "");
      },
    );

    r.post(
      "/webhooks/whatsapp",
      {
        schema: {
          tags: ["webhooks"],
          summary: "Notifications from Meta (signed with X-Hub-Signature-256)",
        },
      },
      async (request) => {
        const raw = request.body;
        if (!Buffer.isBuffer(raw)) {
          throw new AppError(400, "INVALID_BODY", "Il corpo della richiesta deve essere JSON");
        }
        const header = request.headers["x-hub-signature-256"];
        const secret = findSigningSecret(
          raw,
          typeof header === "string" ? header : undefined,
          appSecrets,
        );
        if (!secret) {
          request.log.warn(
            { event: "webhook.bad_signature" },
            "Webhook with a missing or wrong signature refused",
          );
          throw new AppError(
            401,
            "INVALID_SIGNATURE",
            "Firma X-Hub-Signature-256 mancante o non valida",
          );
        }
        let body: unknown;
        try {
          body = JSON.parse(raw.toString("utf8"));
        } catch {
          throw new AppError(400, "INVALID_JSON", "Il corpo della richiesta non è JSON valido");
        }
        const parsed = parseNotification(body);
        if (!parsed.ok) {
          throw new AppError(
            400,
            "VALIDATION_FAILED",
            "Notifica non valida",
            parsed.problems.map((p) => {
              const at = p.indexOf(": ");
              return at > 0
                ? { field: p.slice(0, at), problem: p.slice(at + 2) }
                : { field: "body", problem: p };
            }),
          );
        }

        const routed: { tenant: Tenant; event: WebhookEvent }[] = [];
        for (const event of parsed.events) {
          for (const tenant of route(event)) {
            if (tenant.secrets.appSecret !== secret) {
              // Signed by another Meta app than this comune's: never let one app speak for another.
              request.log.warn(
                { event: "webhook.wrong_app", tenant: tenant.slug },
                "Event signed by another app, ignored",
              );
              continue;
            }
            routed.push({ tenant, event });
          }
        }
        const stored = await writer.store(routed, deps.clock.now());
        if (stored > 0) deps.processor.schedule();
        return { received: parsed.events.length, stored };
      },
    );

    function route(event: WebhookEvent): Tenant[] {
      const phoneNumberId = "phoneNumberId" in event ? event.phoneNumberId : undefined;
      if (phoneNumberId) {
        const tenant = byPhoneNumberId.get(phoneNumberId);
        if (tenant) return [tenant];
        deps.metrics.unknownPhoneNumber.inc();
        app.log.warn(
          { event: "webhook.unknown_phone_number", phoneNumberId, kind: event.kind },
          "Webhook event for a phone-number id no comune has; acknowledged and dropped",
        );
        return [];
      }
      const tenants = deps.tenants.filter((t) => t.whatsapp.wabaId === event.wabaId);
      if (tenants.length === 0) {
        deps.metrics.unknownPhoneNumber.inc();
        app.log.warn(
          { event: "webhook.unknown_account", wabaId: event.wabaId, kind: event.kind },
          "Webhook event for a WhatsApp Business Account no comune has; acknowledged and dropped",
        );
      }
      return tenants;
    }
  };
}
