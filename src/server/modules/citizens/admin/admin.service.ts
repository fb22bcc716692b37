import type { Kysely } from "kysely";
import type { Tenant } from "../../../config/tenants.js";
import type { Clock } from "../../../platform/clock.js";
import type { DB } from "../../../platform/db/schema.js";
import { AppError, invalid, notFound } from "../../../platform/errors.js";
import type { Actor } from "../../../platform/http/access.js";
import { currentLocale } from "../../../platform/http/locale.js";
import { maskPhone, type Logger } from "../../../platform/log.js";
import { recordAudit } from "../../audit/audit.service.js";
import type { WhatsAppClients } from "../../whatsapp/whatsapp.service.js";
import { findSubscriber, findSubscriberByKey, type Subscriber } from "../citizens.repository.js";
import { subscriberKey } from "../subscriber-key.js";
import {
  listFlagged,
  listInboxMessages,
  listReportMessages,
  listSubscribersOf,
  type ListFilter,
} from "./admin.repository.js";
import { blockSubscriber, unblockSubscriber } from "./blocks.js";
import {
  auditTarget,
  iso,
  maskedOf,
  presentSubscriber,
  type SubscriberView,
} from "./subscriber-view.js";

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
  /** The comuni's WhatsApp clients (blocking and unblocking on WhatsApp). */
  whatsapp: WhatsAppClients;
}

export class CitizensAdmin {
  constructor(private readonly deps: CitizensAdminDeps) {}

  /** The row of this comune or 404: an id of another comune is not found, not forbidden. */
  async subscriber(tenant: Tenant, id: number): Promise<Subscriber> {
    const row = await findSubscriber(this.deps.db, tenant.slug, id);
    if (!row) throw notFound("Iscritto non trovato", "Subscriber not found");
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
  async audit(tenant: Tenant, actor: Actor, action: string, row: Subscriber): Promise<void> {
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
    if (!row)
      throw notFound("Iscritto con questo numero non trovato", "No subscriber with this number");
    return presentSubscriber(row, input.reveal);
  }

  /** One person, masked; revealing the number and personal data is audited. */
  async view(
    tenant: Tenant,
    input: { id: number; reveal: boolean; actor: Actor },
  ): Promise<SubscriberView> {
    const row = await this.subscriber(tenant, input.id);
    if (input.reveal) await this.audit(tenant, input.actor, "subscriber.reveal", row);
    return presentSubscriber(row, input.reveal);
  }

  /**
   * Blocks a person here at once (no replies, no broadcasts, queued messages skipped) and on
   * WhatsApp when Meta allows it (blocks.ts).
   */
  block(tenant: Tenant, input: { id: number; reason: string; actor: Actor }) {
    return blockSubscriber(this.deps, tenant, input, (id) => this.subscriber(tenant, id));
  }

  /** Lifts a block, on WhatsApp first when it reached it (blocks.ts). */
  unblock(tenant: Tenant, input: { id: number; actor: Actor }) {
    return unblockSubscriber(this.deps, tenant, input, (id) => this.subscriber(tenant, id));
  }

  /**
   * The comune's people for the staff's list, newest first: masked numbers, no names (like the
   * flagged list, not audited: nothing in it identifies a person without a reveal, which is).
   */
  async list(tenant: Tenant, filter: ListFilter): Promise<SubscriberView[]> {
    if (filter.topic !== undefined && !tenant.topics.some((t) => t.id === filter.topic)) {
      const known = tenant.topics.map((t) => t.id).join(", ");
      throw invalid([
        {
          field: "querystring.topic",
          problem:
            currentLocale() === "en"
              ? `unknown topic: ${filter.topic} (the topics are: ${known})`
              : `argomento sconosciuto: ${filter.topic} (sono: ${known})`,
        },
      ]);
    }
    const rows = await listSubscribersOf(this.deps.db, tenant.slug, filter);
    return rows.map((row) => presentSubscriber(row, false));
  }

  /** People to review, masked. */
  async flagged(tenant: Tenant, limit: number) {
    const rows = await listFlagged(this.deps.db, tenant.slug, limit);
    return rows.map((r) => ({
      subscriber: presentSubscriber(r.subscriber, false),
      flaggedMessages: r.flaggedMessages,
      lastFlaggedMessageAt: iso(r.lastFlaggedMessageAt),
    }));
  }

  /**
   * The moderation inbox: whether the comune keeps what citizens write (its `moderation`
   * settings), and the messages kept, newest first, numbers masked. Not audited, like the
   * flagged list: the report (an export) is.
   */
  async inbox(tenant: Tenant, page: { before?: number | undefined; limit: number }) {
    const rows = await listInboxMessages(this.deps.db, tenant.slug, page);
    return {
      inbox: { enabled: tenant.moderation.inbox, retentionDays: tenant.moderation.retentionDays },
      messages: rows.map((r) => ({
        id: r.id,
        receivedAt: new Date(r.receivedAt).toISOString(),
        purgeAfter: new Date(r.purgeAfter).toISOString(),
        subscriberId: r.subscriberId,
        number: r.waId === null ? null : maskPhone(r.waId),
        type: r.type,
        text: r.text,
        hasMedia: r.mediaId !== null,
        flagged: r.flaggedAt !== null || r.senderFlaggedAt !== null,
        flagReason: r.flagReason,
      })),
      nextBefore: rows.length === page.limit ? (rows.at(-1)?.id ?? null) : null,
    };
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
      if (row.subscriberKey === null)
        throw notFound("Messaggi di questo iscritto non trovati", "No messages of this subscriber");
      key = row.subscriberKey;
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
        receivedAt: new Date(Number(r.receivedAt)).toISOString(),
        subscriberId: r.subscriberId === null ? null : Number(r.subscriberId),
        number: r.waId === null ? null : input.reveal ? r.waId : maskPhone(r.waId),
        type: r.type,
        text: r.text,
        mediaId: r.mediaId,
        messageId: r.inboundMessageId,
        flagged: r.flaggedAt !== null || r.senderFlaggedAt !== null,
        flagReason: r.flagReason,
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
