import type { Kysely } from "kysely";
import type { Tenant } from "../../config/tenants.js";
import type { Clock } from "../../platform/clock.js";
import type { DB } from "../../platform/db/schema.js";
import { AppError, notFound } from "../../platform/errors.js";
import type { Actor } from "../../platform/http/access.js";
import { maskDigits, maskPhone, type Logger } from "../../platform/log.js";
import { recordAudit } from "../audit/audit.service.js";
import { skipQueuedMessagesTo } from "../dispatch/dispatch.service.js";
import type { WhatsAppClients } from "../whatsapp/whatsapp.service.js";
import {
  clearBlock,
  findSubscriber,
  findSubscriberByKey,
  listFlagged,
  listReportMessages,
  setBlocked,
  setBlockedOnWhatsApp,
  type SubscriberRow,
} from "./admin.repository.js";
import { subscriberKey } from "./subscriber-key.js";

/**
 * What the comune's staff do with one citizen through the admin API: find them by number, see,
 * block and unblock, review the flagged, report to the authorities. Every reveal, export and
 * change is audited in the transaction that makes it; summaries hold masked numbers and ids only.
 */
export interface CitizensAdminDeps {
  db: Kysely<DB>;
  clock: Clock;
  log: Logger;
  /** SUBSCRIBER_KEY_SECRET (or the sandbox's development value): the keyed hash's key. */
  keySecret: string | undefined;
  /** The comuni's WhatsApp clients, once the server listens (undefined before, and in tests). */
  whatsapp: () => WhatsAppClients | undefined;
}

/** Meta lets a business block only people who wrote in the last 24 hours (reference §1b). */
export const BLOCK_WINDOW_MS = 24 * 60 * 60 * 1000;

export type BlockOnWhatsApp = "applied" | "pending" | "not-possible";

export interface SubscriberView {
  id: number;
  status: string;
  /** Masked ("3936•••••663") unless revealed; null for a person known only by a user id. */
  number: string | null;
  revealed: boolean;
  /** Only when revealed: the personal data beyond the number. */
  personal?: {
    firstName: string | null;
    lastName: string | null;
    profileName: string | null;
    userId: string | null;
    topics: string[];
  };
  block: {
    state: "none" | "pending" | "applied";
    blockedAt: string | null;
    appliedOnWhatsAppAt: string | null;
  };
  flag: { flaggedAt: string; reason: string | null } | null;
  marketingStoppedAt: string | null;
  subscribedAt: string | null;
  unsubscribedAt: string | null;
  lastMessageAt: string | null;
  createdAt: string;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

export function presentSubscriber(row: SubscriberRow, reveal: boolean): SubscriberView {
  const blockState =
    row.blocked_at === null ? "none" : row.wa_blocked_at === null ? "pending" : "applied";
  return {
    id: Number(row.id),
    status: row.status,
    number: row.wa_id === null ? null : reveal ? row.wa_id : maskPhone(row.wa_id),
    revealed: reveal,
    ...(reveal
      ? {
          personal: {
            firstName: row.first_name,
            lastName: row.last_name,
            profileName: row.profile_name,
            userId: row.user_id,
            topics: parseTopics(row.topics),
          },
        }
      : {}),
    block: {
      state: blockState,
      blockedAt: iso(row.blocked_at),
      appliedOnWhatsAppAt: iso(row.wa_blocked_at),
    },
    flag:
      row.flagged_at === null
        ? null
        : { flaggedAt: iso(row.flagged_at) ?? "", reason: row.flag_reason },
    marketingStoppedAt: iso(row.marketing_stopped_at),
    subscribedAt: iso(row.subscribed_at),
    unsubscribedAt: iso(row.unsubscribed_at),
    lastMessageAt: iso(row.last_inbound_at),
    createdAt: iso(row.created_at) ?? "",
  };
}

function parseTopics(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((t): t is string => typeof t === "string") : [];
  } catch {
    return [];
  }
}

/** How a person is named in audit summaries: their id and masked number, never more. */
const auditTarget = (row: SubscriberRow) => ({ type: "subscriber", id: String(row.id) });
const maskedOf = (row: SubscriberRow) => (row.wa_id === null ? null : maskPhone(row.wa_id));

export class CitizensAdmin {
  constructor(private readonly deps: CitizensAdminDeps) {}

  /** The row of this comune or 404: an id of another comune is not found, not forbidden. */
  async subscriber(tenant: Tenant, id: number): Promise<SubscriberRow> {
    const row = await findSubscriber(this.deps.db, tenant.slug, id);
    if (!row) throw notFound("Iscritto");
    return row;
  }

  /** The keyed hash's secret, or 503 when the deployment has none (cloud mode without it). */
  keySecret(): string {
    if (this.deps.keySecret === undefined) {
      throw new AppError(
        503,
        "SUBSCRIBER_KEY_SECRET_MISSING",
        "Servizio non configurato: manca SUBSCRIBER_KEY_SECRET",
      );
    }
    return this.deps.keySecret;
  }

  /** Records a reveal or export of one person's data (never a full number in the summary). */
  async audit(tenant: Tenant, actor: Actor, action: string, row: SubscriberRow): Promise<void> {
    await recordAudit(
      this.deps.db,
      {
        tenantId: tenant.slug,
        actor,
        action,
        target: auditTarget(row),
        summary: { number: maskedOf(row) },
      },
      this.deps.clock.now(),
    );
  }

  /** Exact match of a full number through the keyed hash; audited whether found or not. */
  async lookup(
    tenant: Tenant,
    input: { waId: string; reveal: boolean; actor: Actor },
  ): Promise<SubscriberView> {
    const key = subscriberKey(this.keySecret(), tenant.slug, input.waId);
    const now = this.deps.clock.now();
    const row = await this.deps.db.transaction().execute(async (trx) => {
      const found = await findSubscriberByKey(trx, tenant.slug, key);
      await recordAudit(
        trx,
        {
          tenantId: tenant.slug,
          actor: input.actor,
          action: "subscriber.lookup",
          ...(found ? { target: auditTarget(found) } : {}),
          summary: { number: maskPhone(input.waId), found: !!found, revealed: input.reveal },
        },
        now,
      );
      return found;
    });
    if (!row) throw notFound("Iscritto con questo numero");
    return presentSubscriber(row, input.reveal);
  }

  /** One person, masked; revealing the number and personal data is audited. */
  async view(
    tenant: Tenant,
    input: { id: number; reveal: boolean; actor: Actor },
  ): Promise<SubscriberView> {
    const row = await this.subscriber(tenant, input.id);
    if (input.reveal) {
      await recordAudit(
        this.deps.db,
        {
          tenantId: tenant.slug,
          actor: input.actor,
          action: "subscriber.reveal",
          target: auditTarget(row),
          summary: { number: maskedOf(row) },
        },
        this.deps.clock.now(),
      );
    }
    return presentSubscriber(row, input.reveal);
  }

  /**
   * Blocks a person here at once (no replies, no broadcasts, queued messages skipped) and on
   * WhatsApp when Meta allows it: within 24 hours of their last message. Otherwise the block
   * stays pending there and the conversation code applies it the next time they write.
   */
  async block(
    tenant: Tenant,
    input: { id: number; reason: string; actor: Actor },
  ): Promise<{ subscriber: SubscriberView; whatsapp: BlockOnWhatsApp; message: string }> {
    const { db, clock } = this.deps;
    const now = clock.now();
    const before = await this.subscriber(tenant, input.id);
    const withinWindow =
      before.last_inbound_at !== null && Number(before.last_inbound_at) > now - BLOCK_WINDOW_MS;
    await db.transaction().execute(async (trx) => {
      await setBlocked(trx, { tenantId: tenant.slug, id: input.id, now });
      const skipped = await skipQueuedMessagesTo(trx, {
        tenantId: tenant.slug,
        subscriberId: input.id,
        now,
      });
      await recordAudit(
        trx,
        {
          tenantId: tenant.slug,
          actor: input.actor,
          action: "subscriber.block",
          target: auditTarget(before),
          summary: {
            number: maskedOf(before),
            // Staff text: a number written into it is masked like any other.
            reason: maskDigits(input.reason),
            alreadyBlocked: before.blocked_at !== null,
            skippedMessages: skipped,
            lastMessageWithin24h: withinWindow,
          },
        },
        now,
      );
    });

    let whatsapp: BlockOnWhatsApp;
    let failure: string | undefined;
    if (before.wa_blocked_at !== null) {
      whatsapp = "applied";
    } else if (before.wa_id === null) {
      // Meta's Block API takes a number or wa_id; a person known only by a user id cannot be
      // blocked there (they are still blocked here: nothing is sent, their messages are dropped).
      whatsapp = "not-possible";
    } else if (!withinWindow) {
      whatsapp = "pending";
    } else {
      failure = await this.blockOnWhatsApp(tenant, before.wa_id);
      if (failure === undefined) {
        await db.transaction().execute(async (trx) => {
          const applied = await setBlockedOnWhatsApp(trx, {
            tenantId: tenant.slug,
            id: input.id,
            now: clock.now(),
          });
          if (!applied) return;
          await recordAudit(
            trx,
            {
              tenantId: tenant.slug,
              actor: input.actor,
              action: "subscriber.block_applied",
              target: auditTarget(before),
              summary: { number: maskedOf(before), on: "whatsapp" },
            },
            clock.now(),
          );
        });
        whatsapp = "applied";
      } else {
        whatsapp = "pending";
      }
    }
    const after = await this.subscriber(tenant, input.id);
    return {
      subscriber: presentSubscriber(after, false),
      whatsapp,
      message: blockMessage(whatsapp, withinWindow, failure),
    };
  }

  /** Undefined when WhatsApp blocked the number; otherwise why not (logged, masked). */
  private async blockOnWhatsApp(tenant: Tenant, waId: string): Promise<string | undefined> {
    const clients = this.deps.whatsapp();
    if (!clients) return "client not started";
    const result = await clients.forTenant(tenant.slug).blockUsers([waId]);
    const reason = !result.ok
      ? `${result.error.code} ${result.error.title}`
      : result.value.succeeded.length > 0
        ? undefined
        : (result.value.failed[0]?.error.details ??
          result.value.failed[0]?.error.title ??
          "no answer");
    if (reason !== undefined) {
      this.deps.log.warn(
        { event: "citizens.block_failed", tenant: tenant.slug, number: maskPhone(waId), reason },
        "WhatsApp did not block the number: the block stays pending",
      );
    }
    return reason;
  }

  /**
   * Lifts a block. When it reached WhatsApp, Meta is asked first (unblocking has no time limit):
   * if that fails nothing changes here, so the staff can simply try again.
   */
  async unblock(
    tenant: Tenant,
    input: { id: number; actor: Actor },
  ): Promise<{ subscriber: SubscriberView; message: string }> {
    const { db, clock } = this.deps;
    const before = await this.subscriber(tenant, input.id);
    if (before.blocked_at === null) {
      return {
        subscriber: presentSubscriber(before, false),
        message: "Il numero non era bloccato.",
      };
    }
    const onWhatsApp = before.wa_blocked_at !== null && before.wa_id !== null;
    if (onWhatsApp) {
      const clients = this.deps.whatsapp();
      if (!clients) {
        throw new AppError(
          503,
          "WHATSAPP_UNAVAILABLE",
          "WhatsApp non è raggiungibile ora: riprovare tra poco",
        );
      }
      const result = await clients.forTenant(tenant.slug).unblockUsers([before.wa_id ?? ""]);
      if (!result.ok || result.value.succeeded.length === 0) {
        throw new AppError(
          502,
          "WHATSAPP_UNBLOCK_FAILED",
          "WhatsApp non ha sbloccato il numero: il blocco resta attivo, riprovare più tardi",
        );
      }
    }
    const now = clock.now();
    await db.transaction().execute(async (trx) => {
      await clearBlock(trx, { tenantId: tenant.slug, id: input.id, now });
      await recordAudit(
        trx,
        {
          tenantId: tenant.slug,
          actor: input.actor,
          action: "subscriber.unblock",
          target: auditTarget(before),
          summary: { number: maskedOf(before), unblockedOnWhatsApp: onWhatsApp },
        },
        now,
      );
    });
    const after = await this.subscriber(tenant, input.id);
    return {
      subscriber: presentSubscriber(after, false),
      message: onWhatsApp
        ? "Numero sbloccato, anche su WhatsApp."
        : "Numero sbloccato (il blocco non era ancora arrivato su WhatsApp).",
    };
  }

  /** People to review, masked. */
  async flagged(tenant: Tenant, limit: number) {
    const rows = await listFlagged(this.deps.db, tenant.slug, limit);
    return rows.map((r) => ({
      subscriber: presentSubscriber(r.row, false),
      flaggedMessages: r.flaggedMessages,
      lastFlaggedMessageAt: iso(r.lastFlaggedMessageAt),
    }));
  }

  /**
   * The report for the authorities: the moderation inbox's messages of one person (or of every
   * flagged person and every flagged message). Audited as an export of personal data.
   */
  async report(
    tenant: Tenant,
    input: { subscriberId?: number; reveal: boolean; format: "csv" | "json"; actor: Actor },
  ): Promise<ModerationReport> {
    const { db, clock } = this.deps;
    let key: string | undefined;
    if (input.subscriberId !== undefined) {
      const row = await this.subscriber(tenant, input.subscriberId);
      if (row.subscriber_key === null) throw notFound("Messaggi di questo iscritto");
      key = row.subscriber_key;
    }
    const now = clock.now();
    const rows = await db.transaction().execute(async (trx) => {
      const found = await listReportMessages(trx, tenant.slug, key);
      await recordAudit(
        trx,
        {
          tenantId: tenant.slug,
          actor: input.actor,
          action: "moderation.report",
          ...(input.subscriberId !== undefined
            ? { target: { type: "subscriber", id: String(input.subscriberId) } }
            : {}),
          summary: {
            scope: input.subscriberId === undefined ? "all-flagged" : "subscriber",
            messages: found.length,
            format: input.format,
            revealed: input.reveal,
          },
        },
        now,
      );
      return found;
    });
    return {
      tenant: tenant.slug,
      comune: tenant.name,
      generatedAt: new Date(now).toISOString(),
      numbersRevealed: input.reveal,
      messages: rows.map((r) => ({
        receivedAt: new Date(Number(r.received_at)).toISOString(),
        subscriberId: r.subscriber_id === null ? null : Number(r.subscriber_id),
        number: r.wa_id === null ? null : input.reveal ? r.wa_id : maskPhone(r.wa_id),
        type: r.type,
        text: r.text,
        mediaId: r.media_id,
        messageId: r.inbound_message_id,
        flagged: r.flagged_at !== null || r.sender_flagged_at !== null,
        flagReason: r.flag_reason,
      })),
    };
  }
}

export interface ModerationReport {
  tenant: string;
  comune: string;
  generatedAt: string;
  numbersRevealed: boolean;
  messages: {
    receivedAt: string;
    subscriberId: number | null;
    number: string | null;
    type: string;
    text: string | null;
    mediaId: string | null;
    messageId: string;
    flagged: boolean;
    flagReason: string | null;
  }[];
}

function blockMessage(
  whatsapp: BlockOnWhatsApp,
  withinWindow: boolean,
  failure: string | undefined,
): string {
  switch (whatsapp) {
    case "applied":
      return "Numero bloccato, anche su WhatsApp: non potrà più scrivere al Comune.";
    case "not-possible":
      return "Numero bloccato nel servizio. WhatsApp non permette di bloccarlo (la persona non ha un numero visibile): i suoi messaggi saranno ignorati.";
    case "pending":
      return withinWindow && failure !== undefined
        ? "Numero bloccato nel servizio. WhatsApp non ha accettato il blocco ora: sarà applicato la prossima volta che la persona scrive."
        : "Numero bloccato nel servizio. Su WhatsApp il blocco è in attesa (sono passate più di 24 ore dal suo ultimo messaggio): sarà applicato la prossima volta che la persona scrive.";
  }
}
