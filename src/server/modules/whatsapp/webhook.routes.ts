import type { FastifyBaseLogger } from "fastify";
import { z } from "zod";
import type { Tenant } from "../../config/tenants.js";
import type { Clock } from "../../platform/clock.js";
import { AppError, type FieldProblem } from "../../platform/errors.js";
import { zodRoutes } from "../../platform/http/zod-routes.js";
import type { Metrics } from "../../platform/metrics.js";
import type { InboundEventProcessor, InboundEventWriter } from "./inbound-events.service.js";
import type { WebhookEvent } from "./webhook-events.js";
import {
  MAX_EVENTS_PER_REQUEST,
  MAX_MESSAGES_PER_SENDER,
  MAX_NESTING_DEPTH,
  MAX_STATUSES_PER_RECIPIENT,
  MAX_WEBHOOK_BODY_BYTES,
  nestsDeeperThan,
  SenderWindow,
  sizeProblem,
} from "./webhook-limits.js";
import { parseNotification, type ParseResult } from "./webhook-payloads.js";
import { findSigningSecret } from "./webhook-signature.js";

export interface WebhookDeps {
  tenants: readonly Tenant[];
  clock: Clock;
  metrics: Metrics;
  /** Stores the events before the 200 (group commit); one per process, built in wiring.ts. */
  writer: InboundEventWriter;
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
  const { writer } = deps;
  const senders = new SenderWindow();

  return zodRoutes((r) => {
    // The signature covers the exact bytes Meta sent: keep them, parse JSON ourselves.
    r.removeContentTypeParser("application/json");
    r.addContentTypeParser("application/json", { parseAs: "buffer" }, (_req, body, done) =>
      done(null, body),
    );

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
        bodyLimit: MAX_WEBHOOK_BODY_BYTES,
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
        const body = readSignedBody(raw, request.log);
        const parsed = parseNotification(body);
        if (!parsed.ok) {
          request.log.warn(
            { event: "webhook.invalid_payload", problems: parsed.problems.slice(0, 5) },
            "Signed webhook we cannot use refused",
          );
          throw new AppError(400, "VALIDATION_FAILED", "Notifica non valida", toDetails(parsed));
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
        const { admitted, dropped } = limitSenders(routed, request.log);
        const stored = await writer.store(admitted, deps.clock.now());
        if (stored > 0) deps.processor.schedule();
        return {
          received: parsed.events.length,
          stored,
          ...(dropped > 0 ? { dropped } : {}),
        };
      },
    );

    /**
     * The signed body as JSON, refused with 400 when we could never use it: nested deeper than
     * any notification (checked on the bytes, before anything walks it), not JSON, or carrying
     * more events than Meta puts in one. Nothing of it is stored. A signed body is Meta's (or
     * someone's holding the app secret): the log says why, since a retry will not help.
     */
    function readSignedBody(raw: Buffer, log: FastifyBaseLogger): unknown {
      if (nestsDeeperThan(raw, MAX_NESTING_DEPTH)) {
        log.warn(
          { event: "webhook.too_deep", bytes: raw.length },
          "Signed webhook nested too deep",
        );
        throw new AppError(
          400,
          "NESTING_TOO_DEEP",
          `La notifica ha più di ${MAX_NESTING_DEPTH} livelli di annidamento`,
        );
      }
      let body: unknown;
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        log.warn({ event: "webhook.invalid_json", bytes: raw.length }, "Signed webhook not JSON");
        throw new AppError(400, "INVALID_JSON", "Il corpo della richiesta non è JSON valido");
      }
      const problem = sizeProblem(body);
      if (problem) {
        log.warn({ event: "webhook.too_many_events", problem }, "Signed webhook too large");
        throw new AppError(
          400,
          "TOO_MANY_EVENTS",
          `La notifica contiene più di ${MAX_EVENTS_PER_REQUEST} eventi`,
          [problemAt(problem)],
        );
      }
      return body;
    }

    /**
     * Drops the messages and statuses of a sender past its share of the window (counted and
     * logged, not stored: the request is still answered 200, since Meta retrying it would only
     * bring them back). Other events have no sender and are bounded per request.
     */
    function limitSenders(
      routed: readonly { tenant: Tenant; event: WebhookEvent }[],
      log: FastifyBaseLogger,
    ): { admitted: { tenant: Tenant; event: WebhookEvent }[]; dropped: number } {
      const now = deps.clock.now();
      const admitted: { tenant: Tenant; event: WebhookEvent }[] = [];
      const dropped = { message: 0, status: 0 };
      for (const item of routed) {
        const { tenant, event } = item;
        if (event.kind === "message" || event.kind === "status") {
          const [who, limit] =
            event.kind === "message"
              ? [event.message.from || event.message.fromUserId, MAX_MESSAGES_PER_SENDER]
              : [
                  event.status.recipientId || event.status.recipientUserId,
                  MAX_STATUSES_PER_RECIPIENT,
                ];
          if (!senders.admit(`${tenant.slug}\n${event.kind}\n${who ?? ""}`, limit, now)) {
            dropped[event.kind] += 1;
            continue;
          }
        }
        admitted.push(item);
      }
      for (const kind of ["message", "status"] as const) {
        if (dropped[kind] === 0) continue;
        deps.metrics.webhookEventsDropped.inc({ kind, reason: "sender_limit" }, dropped[kind]);
        log.warn(
          { event: "webhook.sender_limited", kind, dropped: dropped[kind] },
          `${dropped[kind]} ${kind} events over a sender's limit per minute dropped`,
        );
      }
      return { admitted, dropped: dropped.message + dropped.status };
    }

    function route(event: WebhookEvent): Tenant[] {
      const phoneNumberId = "phoneNumberId" in event ? event.phoneNumberId : undefined;
      if (phoneNumberId) {
        const tenant = byPhoneNumberId.get(phoneNumberId);
        if (tenant) return [tenant];
        deps.metrics.unknownPhoneNumber.inc();
        r.log.warn(
          { event: "webhook.unknown_phone_number", phoneNumberId, kind: event.kind },
          "Webhook event for a phone-number id no comune has; acknowledged and dropped",
        );
        return [];
      }
      const tenants = deps.tenants.filter((t) => t.whatsapp.wabaId === event.wabaId);
      if (tenants.length === 0) {
        deps.metrics.unknownPhoneNumber.inc();
        r.log.warn(
          { event: "webhook.unknown_account", wabaId: event.wabaId, kind: event.kind },
          "Webhook event for a WhatsApp Business Account no comune has; acknowledged and dropped",
        );
      }
      return tenants;
    }
  });
}

/** At most this many problems are named; a broken list of 1,000 items need not list 1,000. */
const MAX_PROBLEMS_SHOWN = 20;

function toDetails(parsed: Extract<ParseResult, { ok: false }>): FieldProblem[] {
  const shown = parsed.problems.slice(0, MAX_PROBLEMS_SHOWN).map(problemAt);
  const more = parsed.problems.length - shown.length;
  return more > 0 ? [...shown, { field: "body", problem: `${more} more problems` }] : shown;
}

/** "entry.0.id: expected …" → { field: "entry.0.id", problem: "expected …" }. */
function problemAt(p: string): FieldProblem {
  const at = p.indexOf(": ");
  return at > 0
    ? { field: p.slice(0, at), problem: p.slice(at + 2) }
    : { field: "body", problem: p };
}
