import type { Kysely } from "kysely";
import { setTimeout as sleep } from "node:timers/promises";
import type { Clock } from "../../platform/clock.js";
import type { DB } from "../../platform/db/schema.js";
import type { Logger } from "../../platform/log.js";
import type { OutboundMessage, SendOutcome, WhatsAppClient } from "../whatsapp/types.js";
import { waMediaIdFor } from "../media/media.service.js";
import {
  finishCompletedBroadcasts,
  updateBroadcastStatus,
} from "./broadcast-delivery.repository.js";
import { messageFor } from "./broadcast-content.js";
import type { DispatchMetrics } from "./dispatch-metrics.js";
import { requeueSilentInFlight } from "./in-flight-reconcile.js";
import { KnownBroadcasts } from "./known-broadcasts.js";
import { claimDue, nextDueAt, queueDepth } from "./outbound-claims.repository.js";
import { tierRecipientsSince, type ClaimedMessage } from "./outbound.repository.js";
import { recordResults, type SendResult } from "./outbound-results.repository.js";
import { AdaptiveRate } from "./rate-controller.js";
import { messagingLimitOf } from "./sender-numbers.repository.js";
import { recordOutcome, type OutcomeContext } from "./send-outcome.js";
import { TokenBucket } from "./token-bucket.js";

/**
 * The dispatcher of one number, `NumberDispatcher` below: claims its queued rows, sends them at the
 * number's rate and writes what Meta answered.
 *
 * Over 400 lines for a reason: the loop's steps share the number's state (tokens, places in
 * flight, the batch of outcomes); the parts that do not were moved out, as the class's comment
 * lists.
 */

export interface SenderNumber {
  id: number;
  tenantId: string;
  phoneNumberId: string;
  /** Messages per second the platform allows this number. */
  ratePerSecond: number;
  /** The numbers sharing this one's business portfolio (the tier is per portfolio). */
  portfolioSenderIds: number[];
}

export interface DispatcherOptions {
  db: Kysely<DB>;
  sender: SenderNumber;
  client: WhatsAppClient;
  clock: Clock;
  log: Logger;
  metrics?: DispatchMetrics;
  /** Requests on the wire at once; Little's law: rate × API latency, with room to spare. */
  maxInFlight?: number;
  /** Results are written at least this often (one transaction per batch). */
  flushIntervalMs?: number;
  /** A row in flight this long with no answer and no status webhook is sent again. */
  inFlightGraceMs?: number;
  /**
   * The same for rows an earlier process left in flight, counted from this dispatcher's start
   * (the takeover); at least inFlightGraceMs. See tick().
   */
  restartGraceMs?: number;
  /** How often reconciliation, broadcast states and the tier budget are refreshed. */
  tickMs?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The share of a number's rate the dispatcher sends at (see the constructor). */
export const RATE_HEADROOM = 0.97;

/** See tokenWaitMs(). */
const TOKEN_WAIT_MS = 4;

/**
 * The sender of one number. Invariants (see README.md):
 * - a row is in flight in the database before its request leaves, and its id travels in
 *   biz_opaque_callback_data, so a status webhook can name it even if the answer is lost;
 * - the token bucket is the only gate to the wire, taken just before each send;
 * - outcomes are written in batches, one transaction each;
 * - only one dispatcher per number runs at a time (the lease is taken by the caller).
 * This file is the claim / send / flush loop and the periodic tick; what one send's answer does
 * is send-outcome.ts, what it knows of its broadcasts known-broadcasts.ts, and which silent rows
 * in flight go back to the queue in-flight-reconcile.ts.
 */
export class NumberDispatcher {
  private readonly db: Kysely<DB>;
  private readonly bucket: TokenBucket;
  private readonly rate: AdaptiveRate;
  private readonly inFlight = new Set<number>();
  private results: SendResult[] = [];
  private readonly broadcasts: KnownBroadcasts;
  private readonly outcomes: OutcomeContext;
  private tierBudget = Number.POSITIVE_INFINITY;
  /** Tier-spending rows sent but not yet written as accepted: the database does not count them yet. */
  private readonly unsettledTier = new Set<number>();
  private haltedUntil = 0;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wakeIdle: (() => void) | undefined;
  private completion: (() => void) | undefined;
  private lastTick = 0;
  /** When this dispatcher took over the number (its first tick): see tick(). */
  private startedAt = 0;
  private lastStatusRefresh = 0;
  private lastFlush = 0;
  private flushing: Promise<void> = Promise.resolve();
  private readonly maxInFlight: number;
  private readonly minClaim: number;

  constructor(private readonly options: DispatcherOptions) {
    this.db = options.db;
    this.broadcasts = new KnownBroadcasts(options.db, async (media) => {
      const got = await waMediaIdFor(options.db, options.client, {
        tenantId: options.sender.tenantId,
        phoneNumberId: options.sender.phoneNumberId,
        mediaFileId: media.fileId,
        now: options.clock.now(),
      });
      if (got.ok) return { ok: true, id: got.value };
      options.log.warn(
        { event: "dispatch.media_upload_failed", code: got.error.code, file: media.fileId },
        "A broadcast's file could not be uploaded to WhatsApp",
      );
      return { ok: false, reason: `${got.error.code} ${got.error.title}` };
    });
    const now = options.clock.now();
    // Meta counts a number's messages as they arrive, not as they leave: a few milliseconds of
    // network and event-loop jitter bunch requests sent perfectly spaced: 3% headroom absorbs
    // about 30 ms of it (measured here: up to ~30 ms on a loaded 2-core machine).
    const rate = Math.max(1, options.sender.ratePerSecond * RATE_HEADROOM);
    // A small burst: after a stall (GC, a busy event loop) the sender catches up slowly instead
    // of releasing a clump that arrives on top of requests delayed by the same stall.
    this.bucket = new TokenBucket({
      ratePerSecond: rate,
      burst: Math.max(1, Math.ceil(rate / 100)),
      now,
    });
    this.rate = new AdaptiveRate({ ceiling: rate });
    this.maxInFlight = options.maxInFlight ?? Math.min(1000, Math.max(16, Math.ceil(rate * 0.5)));
    this.minClaim = Math.max(1, Math.floor(this.maxInFlight / 4));
    this.outcomes = {
      clock: options.clock,
      log: options.log,
      ...(options.metrics ? { metrics: options.metrics } : {}),
      rate: this.rate,
      broadcasts: this.broadcasts,
      push: (result) => this.results.push(result),
      haltedUntil: () => this.haltedUntil,
      haltNumber: (until) => (this.haltedUntil = until),
    };
  }

  start(): void {
    this.loop ??= this.run().catch((error: unknown) => {
      this.options.log.error(
        { err: error, event: "dispatch.crashed", senderNumberId: this.options.sender.id },
        "Dispatcher stopped on an error",
      );
    });
  }

  /** Something was queued: look now instead of at the next idle poll. */
  wake(): void {
    this.wakeIdle?.();
  }

  /** Stops claiming, lets requests on the wire finish (up to `deadlineMs`), writes their outcomes. */
  async stop(deadlineMs = 10_000): Promise<void> {
    this.stopping = true;
    this.wake();
    this.completion?.();
    const deadline = Date.now() + deadlineMs;
    await this.loop;
    while (this.inFlight.size > 0 && Date.now() < deadline) await sleep(10);
    await this.flush();
  }

  private async run(): Promise<void> {
    const { clock } = this.options;
    await this.tick(clock.now(), true);
    while (!this.stopping) {
      const now = clock.now();
      if (now - this.lastTick >= (this.options.tickMs ?? 1000)) await this.tick(now, false);
      else if (now - this.lastStatusRefresh >= 250) await this.refreshBroadcastStatuses();
      if (now - this.lastFlush >= (this.options.flushIntervalMs ?? 25)) void this.flush();
      if (now < this.haltedUntil) {
        await this.idle(this.haltedUntil - now);
        continue;
      }
      const capacity = this.maxInFlight - this.inFlight.size;
      // Claim in batches: with the wire full, each answer frees one place, and claiming one row
      // per answer cost two statements per message (measured: 10,000 claims for 10,000 sends,
      // 270 µs each). Wait until a quarter of the places are free, unless nothing is in flight.
      if (capacity <= 0 || (capacity < this.minClaim && this.inFlight.size > 0)) {
        await new Promise<void>((resolve) => (this.completion = resolve));
        continue;
      }
      // Claim little at a time (a quarter second of sending): a reply queued now, a pause or a
      // cancel is seen within a second, whatever is running.
      const limit = Math.min(capacity, Math.max(8, Math.ceil(this.rate.current(now) / 4)));
      const batch = await claimDue(this.db, {
        senderNumberId: this.options.sender.id,
        now,
        limit,
        tierBudget: this.tierBudget,
      });
      if (batch.length === 0) {
        await this.flush();
        const due = await nextDueAt(this.db, this.options.sender.id);
        await this.idle(due === undefined ? 250 : Math.min(250, Math.max(1, due - clock.now())));
        continue;
      }
      await this.broadcasts.load(
        batch.flatMap((r) => (r.broadcastId === null ? [] : [r.broadcastId])),
      );
      for (const [i, row] of batch.entries()) {
        if (this.stopping) {
          this.release(batch.slice(i), false);
          break;
        }
        const status =
          row.broadcastId === null ? "sending" : this.broadcasts.status(row.broadcastId);
        if (status !== "sending") {
          this.release([row], status === "cancelled");
          continue;
        }
        if (row.spendsTier) {
          this.tierBudget -= 1;
          this.unsettledTier.add(row.id);
        }
        await this.takeToken();
        this.send(row);
      }
    }
  }

  private async takeToken(): Promise<void> {
    const { clock } = this.options;
    for (;;) {
      const now = clock.now();
      const target = this.rate.current(now);
      if (Math.abs(target - this.bucket.rate) >= 1) this.bucket.setRate(target, now);
      if (this.bucket.tryTake(now)) return;
      await sleep(Math.max(1, this.bucket.msUntilNext(now), this.tokenWaitMs()));
    }
  }

  /**
   * The shortest wait for tokens: a few milliseconds' worth, sent together. Waking for each send
   * (1,000 timers a second at 1,000 msg/s) was much of the dispatcher's CPU at the cap, more than
   * the sends' own work; the tokens saved meanwhile fit in the burst, so the rate is the same.
   */
  private tokenWaitMs(): number {
    return Math.min(TOKEN_WAIT_MS, ((this.bucket.burst - 1) * 1000) / this.bucket.rate);
  }

  private send(row: ClaimedMessage): void {
    if (row.broadcastId !== null && !this.broadcasts.hasContent(row.broadcastId)) {
      // Its broadcast stopped while this row waited for a token: put it back for later.
      this.release([row], false);
      return;
    }
    const message = this.messageOf(row);
    if (!message) {
      this.results.push({
        id: row.id,
        outcome: "failed",
        code: -10,
        reason: "The message to send is missing or unreadable",
      });
      return;
    }
    this.inFlight.add(row.id);
    this.options.metrics?.inFlight.inc({ tenant: row.tenantId });
    const started = performance.now();
    this.options.client
      .send({ to: row.recipient, message, callbackData: `om:${row.id}` })
      .then(
        (outcome) => this.onOutcome(row, outcome, (performance.now() - started) / 1000),
        (error: unknown) => {
          // The client returns errors as values; a throw is a bug, but the row must not hang.
          this.options.log.error(
            { err: error, event: "dispatch.send_threw", outboundId: row.id },
            "Send threw",
          );
          this.results.push({
            id: row.id,
            outcome: "retry",
            at: this.options.clock.now() + 5_000,
            code: -9,
            reason: "send threw",
            countsAttempt: true,
          });
        },
      )
      .finally(() => {
        this.inFlight.delete(row.id);
        this.options.metrics?.inFlight.dec({ tenant: row.tenantId });
        const resume = this.completion;
        this.completion = undefined;
        resume?.();
        if (this.results.length >= 200) void this.flush();
      });
  }

  private onOutcome(row: ClaimedMessage, outcome: SendOutcome, seconds: number): void {
    recordOutcome(this.outcomes, row, outcome, seconds);
  }

  private release(rows: readonly ClaimedMessage[], cancelled: boolean): void {
    for (const row of rows) this.results.push({ id: row.id, outcome: "released", cancelled });
  }

  private messageOf(row: ClaimedMessage): OutboundMessage | undefined {
    try {
      if (row.broadcastId !== null) {
        const content = this.broadcasts.content(row.broadcastId);
        return content && messageFor(content, row.windowClosesAt, this.options.clock.now());
      }
      return row.payload ? (JSON.parse(row.payload) as OutboundMessage) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Writes the buffered outcomes and broadcast state changes in one transaction. */
  private flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      this.lastFlush = this.options.clock.now();
      const results = this.results;
      const attention = this.broadcasts.takeStops();
      if (results.length === 0 && attention.length === 0) return;
      this.results = [];
      const now = this.options.clock.now();
      try {
        await recordResults(this.db, results, now, async (trx) => {
          for (const [broadcastId, reason] of attention) {
            await updateBroadcastStatus(trx, { broadcastId, move: "halt", now, reason });
          }
        });
        // Written: accepted ones now count in the database, the others spent nothing.
        for (const r of results) this.unsettledTier.delete(r.id);
      } catch (error) {
        // Keep them for the next flush: losing an outcome would mean sending twice.
        this.results = [...results, ...this.results];
        this.broadcasts.restoreStops(attention);
        this.options.log.error(
          { err: error, event: "dispatch.flush_failed" },
          "Could not write send outcomes; will retry",
        );
      }
    });
    return this.flushing;
  }

  /**
   * A broadcast's state changed (pause, resume, cancel) in this process: act on it now rather
   * than at the next refresh. Other processes' changes are seen within `statusRefreshMs`.
   */
  noteBroadcastStatus(broadcastId: number, status: string): void {
    if (!this.broadcasts.isKnown(broadcastId)) return;
    this.broadcasts.setStatus(broadcastId, status);
    this.wake();
  }

  private async refreshBroadcastStatuses(): Promise<void> {
    this.lastStatusRefresh = this.options.clock.now();
    await this.broadcasts.refresh();
  }

  /** Periodic work: stale in-flight rows, broadcast states, tier budget, finished broadcasts. */
  private async tick(now: number, first: boolean): Promise<void> {
    this.lastTick = now;
    if (first) this.startedAt = now;
    const { sender, log } = this.options;
    const grace = this.options.inFlightGraceMs ?? 30_000;
    const restartGrace = Math.max(grace, this.options.restartGraceMs ?? 300_000);
    // Answers already received but not yet written must not look like silence: write them
    // first, and keep whatever could not be written (in-flight-reconcile.ts).
    await this.flush();
    await requeueSilentInFlight(this.db, {
      sender,
      now,
      startedAt: this.startedAt,
      grace,
      restartGrace,
      keep: new Set([...this.inFlight, ...this.results.map((r) => r.id)]),
      first,
      log,
    });
    await this.refreshBroadcastStatuses();
    const tierLimit = await messagingLimitOf(this.db, sender.id);
    if (tierLimit === null) this.tierBudget = Number.POSITIVE_INFINITY;
    else {
      const spent = await tierRecipientsSince(this.db, sender.portfolioSenderIds, now - DAY_MS);
      this.tierBudget = Math.max(0, tierLimit - spent - this.unsettledTier.size);
    }
    this.options.metrics?.tierBudgetLeft.set(
      { tenant: sender.tenantId },
      Number.isFinite(this.tierBudget) ? this.tierBudget : -1,
    );
    if (this.options.metrics) {
      const depth = await queueDepth(this.db, sender.id);
      this.options.metrics.queueDepth.set({ tenant: sender.tenantId }, depth.queued);
    }
    this.options.metrics?.currentRate.set({ tenant: sender.tenantId }, this.rate.current(now));
    await finishCompletedBroadcasts(this.db, now);
  }

  private async idle(ms: number): Promise<void> {
    if (this.stopping) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeIdle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wakeIdle = undefined;
  }
}
