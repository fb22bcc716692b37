import { tierPlanOf, type TierPlan } from "./tier-plan.js";
import type { Kysely, Transaction } from "kysely";
import type { DB, Db } from "../../platform/db/schema.js";
import { AppError, notFound, conflict } from "../../platform/errors.js";
import type { OutboundMessage } from "../whatsapp/types.js";
import type { StatusUpdate } from "../whatsapp/webhook-events.js";
import {
  broadcastCounters,
  broadcastPricingCounts,
  cancelQueuedDeliveries,
  dueScheduledBroadcasts,
  findBroadcast,
  updateBroadcastStatus,
  type BroadcastCounters,
  type BroadcastStatusMove,
  type BroadcastStatusMoved,
} from "./broadcast-delivery.repository.js";
import { applyAccountUpdate } from "./account-updates.js";
import { EXPANSION_CHUNK, EXPANSION_STALL_MS, resumeExpansion } from "./broadcast-expansion.js";
import { beginExpansion, stalledExpansions } from "./broadcast-expansion.repository.js";
import { BROADCAST_MOVES } from "./broadcast-status.js";
import * as citizenOutbound from "./citizen-outbound.repository.js";
import { chargesOf, type Charges, type PriceList, type RatedCategory } from "./message-charges.js";
export type { BroadcastCounters } from "./broadcast-delivery.repository.js";
export type { Charges, PriceList, RatedCategory } from "./message-charges.js";
import { broadcastPlan } from "./broadcast-plan.js";
import { applyStatusUpdate, rowIdFrom, type StatusApplied } from "./delivery-status.js";
import { NumberSupervisor, type DispatchOptions } from "./number-supervisor.js";
export type { DispatchOptions } from "./number-supervisor.js";
import { insertOutboundMessage, PRIORITY } from "./outbound.repository.js";

/**
 * The dispatch part as the rest of the service sees it. The outbox as the citizens' part needs
 * it (skip a leaver's queued messages, counts for exports and statistics, pseudonymise an erased
 * person's messages) and the broadcasts module's moves are named functions here, so no other
 * module reaches a dispatch repository; `Dispatch` queues replies, controls a broadcast's
 * sending and applies status webhooks, its lease and number loop in number-supervisor.ts.
 *
 * Over 400 lines for a reason: about half of it is those named one-line functions at the module's
 * border, kept together so the border reads as one list.
 */

/** Skips the messages still queued for the subscriber (they left); how many were skipped. */
export function skipQueuedMessagesTo(
  db: Db,
  input: { tenantId: string; subscriberId: number; now: number },
): Promise<number> {
  return citizenOutbound.skipQueuedMessagesTo(db, input);
}

/** The messages sent (or queued) to one subscriber, by kind and state: for their data export. */
export function messageCountsFor(
  db: Db,
  tenantId: string,
  subscriberId: number,
): Promise<{ kind: string; state: string; status: string | null; count: number }[]> {
  return citizenOutbound.messageCountsFor(db, tenantId, subscriberId);
}

/** The comune's replies accepted in [fromMs, toMs), counted and charged by their pricing. */
export function replyCharges(
  db: Db,
  tenantId: string,
  fromMs: number,
  toMs: number,
  prices: PriceList,
): Promise<Charges> {
  return citizenOutbound.replyCharges(db, tenantId, fromMs, toMs, prices);
}

/** `replyCharges` as a count and a cost, for callers that know only the utility rate. */
export function replyCounts(
  db: Db,
  tenantId: string,
  fromMs: number,
  toMs: number,
  price: { utility: number; currency: string } & Partial<PriceList>,
): Promise<{ count: number; cost: number; currency: string }> {
  return citizenOutbound.replyCounts(db, tenantId, fromMs, toMs, price);
}

/**
 * What a broadcast's report needs of its deliveries: the progress counters (per state, the
 * furthest delivery status, failures by code) and what Meta's statuses say they cost, at the
 * comune's price list; deliveries with no priced status yet are charged as `category`.
 */
export async function broadcastDeliveryReport(
  db: Db,
  broadcastId: number,
  prices: PriceList,
  category: RatedCategory,
): Promise<{ counters: BroadcastCounters; charges: Charges }> {
  const [counters, pricing] = await Promise.all([
    broadcastCounters(db, broadcastId),
    broadcastPricingCounts(db, broadcastId),
  ]);
  return { counters, charges: chargesOf(pricing, prices, category) };
}

/** Unlinks these subscribers from their outbound rows, which stay for the statistics. */
export function detachSubscribers(db: Db, subscriberIds: readonly number[]): Promise<void> {
  return citizenOutbound.detachSubscribers(db, subscriberIds);
}

/** A sent (or queued) message of one person, as erasure needs to see it. */
export type OutboundTrace = citizenOutbound.OutboundTrace;

/** The person's outbound rows whose recipient is not yet `pseudonym`. */
export function outboundTracesOf(
  db: Db,
  input: { tenantId: string; subscriberId: number; pseudonym: string },
): Promise<OutboundTrace[]> {
  return citizenOutbound.outboundTracesOf(db, input);
}

/** Marks the person's rows still waiting for an outcome for `pseudonym`; how many were marked. */
export function pseudonymiseAfterOutcome(
  db: Db,
  input: { tenantId: string; subscriberId: number; pseudonym: string },
): Promise<number> {
  return citizenOutbound.pseudonymiseAfterOutcome(db, input);
}

/** Rows marked by `pseudonymiseAfterOutcome`, oldest first, at most `limit`. */
export function outboundAwaitingPseudonym(db: Db, limit: number): Promise<OutboundTrace[]> {
  return citizenOutbound.outboundAwaitingPseudonym(db, limit);
}

/** Puts the pseudonym in the row's recipient (never on the wire); whether the row changed. */
export function pseudonymiseOutboundMessage(
  db: Db,
  input: { id: number; recipient: string; waMessageId: string | null; now: number },
): Promise<boolean> {
  return citizenOutbound.pseudonymiseOutboundMessage(db, input);
}

/**
 * Whether a status webhook that no row applied concerns an erased person's message: then the
 * citizens' part keeps it only under the message id's pseudonym (`messageKey`).
 */
export function isErasedPersonsMessage(
  db: Kysely<DB>,
  tenantId: string,
  status: Pick<StatusUpdate, "callbackData">,
  messageKey: string,
): Promise<boolean> {
  return citizenOutbound.outboundRowOfErasedPerson(db, {
    tenantId,
    messageKey,
    rowId: rowIdFrom(status.callbackData),
  });
}

export type { TierPlan } from "./tier-plan.js";

/** What the messaging limit lets a broadcast to `recipients` people do today (tier-plan.ts). */
export function messagingLimitPlan(
  db: Kysely<DB>,
  input: { tenantId: string; recipients: number; now: number },
): Promise<TierPlan> {
  return tierPlanOf(db, input);
}

/**
 * A move of the broadcasts module's part of the lifecycle (submit, approve, reject, revise,
 * schedule) through the one guarded write; the answer names the state met when it did not move.
 */
export function moveBroadcast(
  db: Kysely<DB> | Transaction<DB>,
  input: BroadcastStatusMove,
): Promise<BroadcastStatusMoved> {
  return updateBroadcastStatus(db, input);
}

export class Dispatch {
  private readonly numbers: NumberSupervisor;
  /** The broadcasts whose expansion runs in this process now (a round does not start it twice). */
  private readonly expanding = new Set<number>();

  constructor(private readonly options: DispatchOptions) {
    this.numbers = new NumberSupervisor(options, async () => {
      await this.resumeExpansions();
      await this.startDueBroadcasts();
    });
  }

  /** Finds the comunes' numbers and, in a sending process, starts dispatching those it leases. */
  start(): Promise<void> {
    return this.numbers.start();
  }

  stop(): Promise<void> {
    return this.numbers.stop();
  }

  /** The numbers whose lease this process holds (for tests and the log). */
  heldSenderIds(): number[] {
    return this.numbers.heldSenderIds();
  }

  private senderIdOf(tenantId: string): number {
    const id = this.numbers.senderIdOf(tenantId);
    if (id === undefined)
      throw notFound("Numero del Comune non trovato", "Comune's number not found");
    return id;
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
    if (!trx) this.numbers.wake(senderNumberId);
    return id;
  }

  /** Tells the comune's dispatcher (if this process holds it) that rows were committed. */
  wakeTenant(tenantId: string): void {
    const id = this.numbers.senderIdOf(tenantId);
    if (id !== undefined) this.numbers.wake(id);
  }

  /**
   * Starts sending an approved broadcast and creates its deliveries from its audience, in chunks
   * with a resume marker (broadcast-expansion.ts). Refused unless the broadcast is approved or
   * scheduled (or already sending: then only newly eligible subscribers are added). The move and
   * the marker commit together, so an expansion cut short by a crash is resumed by the next
   * lease round of a sending process (`resumeExpansions`).
   */
  async startBroadcast(broadcastId: number): Promise<{ deliveries: number }> {
    const { db, clock } = this.options;
    const broadcast = await findBroadcast(db, broadcastId);
    if (!broadcast) throw notFound("Comunicazione non trovata", "Broadcast not found");
    const now = clock.now();
    await db.transaction().execute(async (trx) => {
      const { moved } = await updateBroadcastStatus(trx, { broadcastId, move: "start", now });
      if (!moved)
        throw conflict(
          "BROADCAST_STATE_CHANGED",
          `La comunicazione è nello stato "${broadcast.status}" e non può essere inviata`,
        );
      await beginExpansion(trx, broadcastId, now);
    });
    return { deliveries: await this.expand(broadcastId) };
  }

  /**
   * Goes on with the expansions a crash (or a failed chunk) left under way, their marker still
   * for EXPANSION_STALL_MS; how many went on.
   */
  async resumeExpansions(): Promise<number> {
    const { db, tenants, clock } = this.options;
    const ids = await stalledExpansions(db, {
      tenantIds: tenants.map((t) => t.slug),
      stalledSince: clock.now() - EXPANSION_STALL_MS,
    });
    let resumed = 0;
    for (const broadcastId of ids) {
      if (this.numbers.isStopped) break;
      if (this.expanding.has(broadcastId)) continue;
      await this.expand(broadcastId);
      resumed += 1;
    }
    return resumed;
  }

  /** Runs the broadcast's expansion from its marker to the end; the deliveries it created. */
  private async expand(broadcastId: number): Promise<number> {
    const { db, clock, engine } = this.options;
    const broadcast = await findBroadcast(db, broadcastId);
    if (!broadcast) return 0;
    const senderNumberId = this.senderIdOf(broadcast.tenant_id);
    this.expanding.add(broadcastId);
    try {
      return await resumeExpansion(db, {
        broadcastId,
        tenantId: broadcast.tenant_id,
        senderNumberId,
        priority: broadcast.priority === "urgent" ? PRIORITY.urgent : PRIORITY.normal,
        now: clock.now(),
        category: broadcast.category,
        topics: JSON.parse(broadcast.topics) as string[],
        chunk: this.options.expansionChunk ?? EXPANSION_CHUNK[engine],
        stopping: () => this.numbers.isStopped,
      });
    } finally {
      this.expanding.delete(broadcastId);
      this.numbers.wake(senderNumberId);
    }
  }

  /**
   * Starts the scheduled broadcasts whose time has come (scheduled → sending), a few at a time;
   * the sending processes look every lease round (2 s). One cancelled or started by another
   * process meanwhile is skipped; one that cannot start is stopped in needs attention with the
   * reason, for staff to see. Returns how many started.
   */
  async startDueBroadcasts(): Promise<number> {
    const { db, clock, log, tenants } = this.options;
    const due = await dueScheduledBroadcasts(db, {
      tenantIds: tenants.map((t) => t.slug),
      now: clock.now(),
      limit: 20,
    });
    let started = 0;
    for (const broadcastId of due) {
      if (this.numbers.isStopped) break;
      try {
        await this.startBroadcast(broadcastId);
        started += 1;
      } catch (error) {
        if (error instanceof AppError && error.status === 409) continue;
        log.error(
          { err: error, event: "dispatch.scheduled_start_failed", broadcastId },
          "A scheduled broadcast could not start: stopped in needs attention",
        );
        const reason = error instanceof Error ? error.message : String(error);
        await updateBroadcastStatus(db, {
          broadcastId,
          move: "halt",
          now: clock.now(),
          reason: `Avvio non riuscito: ${reason}`,
        });
      }
    }
    return started;
  }

  async pauseBroadcast(broadcastId: number): Promise<void> {
    await this.transition(broadcastId, "pause");
  }

  /** Resumes a paused broadcast, or one that needed attention once the cause is fixed. */
  async resumeBroadcast(broadcastId: number): Promise<void> {
    await this.transition(broadcastId, "resume");
    const broadcast = await findBroadcast(this.options.db, broadcastId);
    if (broadcast) this.numbers.wake(this.senderIdOf(broadcast.tenant_id));
  }

  /** Cancels: deliveries not yet sent are marked cancelled; those on the wire finish. */
  async cancelBroadcast(broadcastId: number): Promise<{ cancelled: number }> {
    const now = this.options.clock.now();
    return this.options.db
      .transaction()
      .execute(async (trx) => {
        const { moved } = await updateBroadcastStatus(trx, { broadcastId, move: "cancel", now });
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
      throw notFound("Comunicazione non trovata", "Broadcast not found");
    }
    const senderNumberId = this.senderIdOf(broadcast.tenant_id);
    const [counters, plan] = await Promise.all([
      broadcastCounters(this.options.db, broadcastId),
      broadcastPlan(this.options.db, {
        broadcastId,
        senderNumberId,
        senderNumberIds: this.numbers.tierSharingIds(broadcast.tenant_id, senderNumberId),
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

  /** Pause or resume (resume also clears the reason it needed attention for). */
  private async transition(broadcastId: number, move: "pause" | "resume"): Promise<void> {
    const result = await updateBroadcastStatus(this.options.db, {
      broadcastId,
      move,
      now: this.options.clock.now(),
    });
    if (!result.moved) {
      if (result.current === null)
        throw notFound("Comunicazione non trovata", "Broadcast not found");
      throw conflict(
        "BROADCAST_STATE_CHANGED",
        `La comunicazione è nello stato "${result.current}"`,
      );
    }
    this.noteStatus(broadcastId, BROADCAST_MOVES[move].to);
  }

  /** Tells this process's dispatchers at once; others see it at their next refresh. */
  private noteStatus(broadcastId: number, status: string): void {
    this.numbers.noteStatus(broadcastId, status);
  }
}
