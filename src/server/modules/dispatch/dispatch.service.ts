import type { Kysely, Transaction } from "kysely";
import type { Tenant } from "../../config/tenants.js";
import type { Clock } from "../../platform/clock.js";
import type { Engine } from "../../platform/db/dialect.js";
import type { DB } from "../../platform/db/schema.js";
import { notFound, conflict } from "../../platform/errors.js";
import type { Logger } from "../../platform/log.js";
import type { WhatsAppClients } from "../whatsapp/whatsapp.service.js";
import type { OutboundMessage } from "../whatsapp/types.js";
import type { StatusUpdate } from "../whatsapp/webhook-events.js";
import {
  broadcastCounters,
  cancelQueuedDeliveries,
  findBroadcast,
  updateBroadcastStatusIf,
  type BroadcastCounters,
} from "./broadcast-delivery.repository.js";
import { applyAccountUpdate } from "./account-updates.js";
// The outbox as the citizens' part needs it (skip a leaver's queued messages, counts for exports
// and statistics).
export {
  detachSubscribers,
  messageCountsFor,
  replyCounts,
  skipQueuedMessagesTo,
} from "./citizen-outbound.repository.js";
import { broadcastPlan } from "./broadcast-plan.js";
import { applyStatusUpdate, type StatusApplied } from "./delivery-status.js";
import type { DispatchMetrics } from "./dispatch-metrics.js";
import { NumberDispatcher, type DispatcherOptions } from "./dispatcher.js";
import { tryAcquireLease, type Lease } from "./number-lease.js";
import {
  insertDeliveriesForBroadcast,
  insertOutboundMessage,
  PRIORITY,
} from "./outbound.repository.js";

export interface DispatchOptions {
  db: Kysely<DB>;
  engine: Engine;
  tenants: readonly Tenant[];
  clients: WhatsAppClients;
  clock: Clock;
  log: Logger;
  metrics?: DispatchMetrics;
  /** Whether this process sends (web-only processes set false; see README "Scale-out"). */
  send?: boolean;
  /** How often a process without a number's lease tries to take it over. */
  leaseRetryMs?: number;
  dispatcher?: Pick<
    DispatcherOptions,
    "maxInFlight" | "flushIntervalMs" | "inFlightGraceMs" | "tickMs"
  >;
}

interface Running {
  lease: Lease;
  dispatcher: NumberDispatcher;
}

/**
 * The dispatch part as the rest of the service sees it: queue a reply, start / pause / resume /
 * cancel a broadcast's sending, read its counters, apply status webhooks. Also the supervisor
 * that runs one NumberDispatcher per sender number this process holds the lease of.
 */
export class Dispatch {
  private readonly running = new Map<number, Running>();
  private readonly senderIds = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private acquiring: Promise<void> = Promise.resolve();

  constructor(private readonly options: DispatchOptions) {}

  async start(): Promise<void> {
    const rows = await this.options.db
      .selectFrom("sender_numbers")
      .select(["id", "tenant_id", "phone_number_id"])
      .where(
        "tenant_id",
        "in",
        this.options.tenants.map((t) => t.slug),
      )
      .execute();
    for (const r of rows) {
      const tenant = this.options.tenants.find((t) => t.slug === r.tenant_id);
      if (tenant?.whatsapp.phoneNumberId === r.phone_number_id)
        this.senderIds.set(tenant.slug, r.id);
    }
    if (this.options.send === false) return;
    await this.acquireLeases();
    this.timer = setInterval(() => {
      this.acquiring = this.acquiring.then(() => this.acquireLeases());
    }, this.options.leaseRetryMs ?? 2_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.acquiring;
    await Promise.all(
      [...this.running.values()].map(async ({ lease, dispatcher }) => {
        await dispatcher.stop();
        await lease.release();
      }),
    );
    this.running.clear();
  }

  /** The numbers whose lease this process holds (for tests and the log). */
  heldSenderIds(): number[] {
    return [...this.running.keys()];
  }

  private async acquireLeases(): Promise<void> {
    const { db, engine, log, tenants } = this.options;
    for (const tenant of tenants) {
      const senderId = this.senderIds.get(tenant.slug);
      if (this.stopped || senderId === undefined || this.running.has(senderId)) continue;
      let lease: Lease | undefined;
      try {
        lease = await tryAcquireLease(db, engine, senderId);
      } catch (error) {
        log.warn(
          { err: error, event: "dispatch.lease_error", tenant: tenant.slug },
          "Could not try the dispatch lease",
        );
        continue;
      }
      if (!lease) continue;
      const portfolio = tenants
        .filter(
          (t) => t.whatsapp.wabaId !== undefined && t.whatsapp.wabaId === tenant.whatsapp.wabaId,
        )
        .flatMap((t) => {
          const id = this.senderIds.get(t.slug);
          return id === undefined ? [] : [id];
        });
      const dispatcher = new NumberDispatcher({
        db,
        sender: {
          id: senderId,
          tenantId: tenant.slug,
          phoneNumberId: tenant.whatsapp.phoneNumberId,
          ratePerSecond: tenant.whatsapp.ratePerSecond,
          portfolioSenderIds: portfolio.length ? portfolio : [senderId],
        },
        client: this.options.clients.forTenant(tenant.slug),
        clock: this.options.clock,
        log: log.child({ tenant: tenant.slug }),
        ...(this.options.metrics ? { metrics: this.options.metrics } : {}),
        ...this.options.dispatcher,
      });
      this.running.set(senderId, { lease, dispatcher });
      dispatcher.start();
      log.info(
        { event: "dispatch.lease_acquired", tenant: tenant.slug, senderNumberId: senderId },
        `Dispatching for ${tenant.serviceName}`,
      );
      void lease.lost.then(async () => {
        log.error(
          { event: "dispatch.lease_lost", tenant: tenant.slug },
          "Lost the dispatch lease (database connection); stopping this number",
        );
        await dispatcher.stop();
        this.running.delete(senderId);
      });
    }
  }

  private senderIdOf(tenantId: string): number {
    const id = this.senderIds.get(tenantId);
    if (id === undefined) throw notFound("Numero del Comune");
    return id;
  }

  private wake(senderId: number): void {
    this.running.get(senderId)?.dispatcher.wake();
  }

  /**
   * Queues a reply to a citizen (inside their 24-hour window): it overtakes broadcasts. With
   * `trx`, the row is written in the caller's transaction (with the state change it answers) and
   * the dispatcher is not woken: call `wakeTenant(tenantId)` after the commit.
   */
  async enqueueReply(
    tenantId: string,
    input: { to: string; message: OutboundMessage; subscriberId?: number },
    trx?: Transaction<DB>,
  ): Promise<number> {
    const senderNumberId = this.senderIdOf(tenantId);
    const id = await insertOutboundMessage(trx ?? this.options.db, {
      tenantId,
      senderNumberId,
      kind: "reply",
      recipient: input.to,
      payload: JSON.stringify(input.message),
      priority: PRIORITY.reply,
      spendsTier: false,
      subscriberId: input.subscriberId ?? null,
      now: this.options.clock.now(),
    });
    if (!trx) this.wake(senderNumberId);
    return id;
  }

  /** Tells the comune's dispatcher (if this process holds it) that rows were committed. */
  wakeTenant(tenantId: string): void {
    const id = this.senderIds.get(tenantId);
    if (id !== undefined) this.wake(id);
  }

  /**
   * Creates the deliveries of an approved broadcast (one INSERT … SELECT from its audience) and
   * starts sending. Refused unless the broadcast is approved or scheduled (or already sending:
   * then only newly eligible subscribers are added).
   */
  async startBroadcast(broadcastId: number): Promise<{ deliveries: number }> {
    const { db, clock } = this.options;
    const broadcast = await findBroadcast(db, broadcastId);
    if (!broadcast) throw notFound("Comunicazione");
    const senderNumberId = this.senderIdOf(broadcast.tenant_id);
    const now = clock.now();
    const deliveries = await db.transaction().execute(async (trx) => {
      const moved = await updateBroadcastStatusIf(trx, {
        broadcastId,
        from: ["approved", "scheduled", "sending"],
        to: "sending",
        now,
      });
      if (!moved)
        throw conflict(
          "BROADCAST_STATE_CHANGED",
          `La comunicazione è nello stato "${broadcast.status}" e non può essere inviata`,
        );
      return insertDeliveriesForBroadcast(trx, {
        broadcastId,
        tenantId: broadcast.tenant_id,
        senderNumberId,
        priority: broadcast.priority === "urgent" ? PRIORITY.urgent : PRIORITY.normal,
        now,
        category: broadcast.category,
      });
    });
    this.wake(senderNumberId);
    return { deliveries };
  }

  async pauseBroadcast(broadcastId: number): Promise<void> {
    await this.transition(broadcastId, ["sending"], "paused");
  }

  /** Resumes a paused broadcast, or one that needed attention once the cause is fixed. */
  async resumeBroadcast(broadcastId: number): Promise<void> {
    await this.transition(broadcastId, ["paused", "needs_attention"], "sending", null);
    const broadcast = await findBroadcast(this.options.db, broadcastId);
    if (broadcast) this.wake(this.senderIdOf(broadcast.tenant_id));
  }

  /** Cancels: deliveries not yet sent are marked cancelled; those on the wire finish. */
  async cancelBroadcast(broadcastId: number): Promise<{ cancelled: number }> {
    const now = this.options.clock.now();
    return this.options.db
      .transaction()
      .execute(async (trx) => {
        const moved = await updateBroadcastStatusIf(trx, {
          broadcastId,
          from: ["sending", "paused", "needs_attention", "approved", "scheduled"],
          to: "cancelled",
          now,
        });
        if (!moved)
          throw conflict(
            "BROADCAST_STATE_CHANGED",
            "La comunicazione non può più essere annullata",
          );
        return { cancelled: await cancelQueuedDeliveries(trx, broadcastId, now) };
      })
      .then((result) => {
        this.noteStatus(broadcastId, "cancelled");
        return result;
      });
  }

  counters(broadcastId: number): Promise<BroadcastCounters> {
    return broadcastCounters(this.options.db, broadcastId);
  }

  /** State, counters and messaging-limit plan of a broadcast: what a progress page shows. */
  /** With `tenantId`, a broadcast of another comune is not found (the route's scope). */
  async progress(broadcastId: number, tenantId?: string) {
    const broadcast = await findBroadcast(this.options.db, broadcastId);
    if (!broadcast || (tenantId !== undefined && broadcast.tenant_id !== tenantId)) {
      throw notFound("Comunicazione");
    }
    const senderNumberId = this.senderIdOf(broadcast.tenant_id);
    const tenant = this.options.tenants.find((t) => t.slug === broadcast.tenant_id);
    const portfolio = this.options.tenants
      .filter(
        (t) => t.whatsapp.wabaId !== undefined && t.whatsapp.wabaId === tenant?.whatsapp.wabaId,
      )
      .flatMap((t) => {
        const id = this.senderIds.get(t.slug);
        return id === undefined ? [] : [id];
      });
    const [counters, plan] = await Promise.all([
      broadcastCounters(this.options.db, broadcastId),
      broadcastPlan(this.options.db, {
        broadcastId,
        senderNumberId,
        senderNumberIds: portfolio.length ? portfolio : [senderNumberId],
        now: this.options.clock.now(),
      }),
    ]);
    return {
      broadcast: {
        id: broadcast.id,
        tenant: broadcast.tenant_id,
        status: broadcast.status,
        attentionReason: broadcast.attention_reason,
        startedAt: broadcast.started_at,
        finishedAt: broadcast.finished_at,
      },
      counters,
      plan,
    };
  }

  /** The inbound-event handler for account-level webhooks (messaging-limit tier changes). */
  async applyAccountUpdate(
    tenantId: string,
    field: string,
    value: Record<string, unknown>,
  ): Promise<void> {
    const tier = await applyAccountUpdate(this.options.db, {
      tenantId,
      field,
      value,
      now: this.options.clock.now(),
    });
    if (tier) {
      this.options.log.info(
        { event: "dispatch.tier_changed", tenant: tenantId, tier },
        `Messaging-limit tier now ${tier}`,
      );
    }
  }

  /** The inbound-event handler for status webhooks. */
  applyStatus(tenantId: string, status: StatusUpdate): Promise<StatusApplied> {
    return applyStatusUpdate(this.options.db, tenantId, status, this.options.clock);
  }

  private async transition(
    broadcastId: number,
    from: string[],
    to: "sending" | "paused",
    reason?: null,
  ): Promise<void> {
    const moved = await updateBroadcastStatusIf(this.options.db, {
      broadcastId,
      from,
      to,
      now: this.options.clock.now(),
      ...(reason === null ? { reason: null } : {}),
    });
    if (!moved) {
      const broadcast = await findBroadcast(this.options.db, broadcastId);
      if (!broadcast) throw notFound("Comunicazione");
      throw conflict(
        "BROADCAST_STATE_CHANGED",
        `La comunicazione è nello stato "${broadcast.status}"`,
      );
    }
    this.noteStatus(broadcastId, to);
  }

  /** Tells this process's dispatchers at once; others see it at their next refresh. */
  private noteStatus(broadcastId: number, status: string): void {
    for (const { dispatcher } of this.running.values())
      dispatcher.noteBroadcastStatus(broadcastId, status);
  }
}
