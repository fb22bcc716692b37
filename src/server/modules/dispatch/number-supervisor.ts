import type { Kysely } from "kysely";
import type { Tenant } from "../../config/tenants.js";
import type { Clock } from "../../platform/clock.js";
import type { Engine } from "../../platform/db/dialect.js";
import type { DB } from "../../platform/db/schema.js";
import type { Logger } from "../../platform/log.js";
import type { WhatsAppClients } from "../whatsapp/whatsapp.service.js";
import type { DispatchMetrics } from "./dispatch-metrics.js";
import { NumberDispatcher, type DispatcherOptions } from "./dispatcher.js";
import { tryAcquireLease, type Lease } from "./number-lease.js";
import { senderNumbersOf } from "./sender-numbers.repository.js";

/** What `Dispatch` is built with (dispatch.service.ts); nearly all of it is for the numbers. */
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
  /** Subscriber ids per expansion chunk (default EXPANSION_CHUNK of the engine). */
  expansionChunk?: number;
  dispatcher?: Pick<
    DispatcherOptions,
    "maxInFlight" | "flushIntervalMs" | "inFlightGraceMs" | "restartGraceMs" | "tickMs"
  >;
}

interface Running {
  lease: Lease;
  dispatcher: NumberDispatcher;
}

/**
 * The supervisor behind `Dispatch`: knows each comune's sender number and runs one
 * NumberDispatcher per number whose lease this process holds, trying the others again every
 * lease round (2 s) so a number a dead process held is taken over.
 */
export class NumberSupervisor {
  private readonly running = new Map<number, Running>();
  private readonly senderIds = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private acquiring: Promise<void> = Promise.resolve();

  /** `eachRound` runs after every lease round (the start of scheduled broadcasts). */
  constructor(
    private readonly options: DispatchOptions,
    private readonly eachRound: () => Promise<unknown>,
  ) {}

  /** Whether `stop()` was called: work under way stops early. */
  get isStopped(): boolean {
    return this.stopped;
  }

  async start(): Promise<void> {
    const { db, tenants } = this.options;
    const numbers = await senderNumbersOf(
      db,
      tenants.map((t) => t.slug),
    );
    for (const n of numbers) {
      const tenant = tenants.find((t) => t.slug === n.tenantId);
      if (tenant?.whatsapp.phoneNumberId === n.phoneNumberId) this.senderIds.set(tenant.slug, n.id);
    }
    if (this.options.send === false) return;
    await this.acquireLeases();
    this.timer = setInterval(() => {
      // One failed round (a database hiccup) is logged and the next one runs: a rejection left
      // in the chain would stop every later lease and scheduled start, and end the process.
      this.acquiring = this.acquiring
        .then(() => this.acquireLeases())
        .then(() => this.eachRound())
        .then(
          () => undefined,
          (error: unknown) => {
            this.options.log.error(
              { err: error, event: "dispatch.round_failed" },
              "A lease round failed; the next one runs as usual",
            );
          },
        );
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

  /** The numbers whose lease this process holds. */
  heldSenderIds(): number[] {
    return [...this.running.keys()];
  }

  /** The comune's sender number id, if the comune's configured number is known. */
  senderIdOf(tenantId: string): number | undefined {
    return this.senderIds.get(tenantId);
  }

  /**
   * The numbers that share the comune's messaging-limit tier (those of its WhatsApp Business
   * Account), or `senderId` alone when none is known.
   */
  tierSharingIds(tenantId: string, senderId: number): number[] {
    const { tenants } = this.options;
    const wabaId = tenants.find((t) => t.slug === tenantId)?.whatsapp.wabaId;
    const portfolio = tenants
      .filter((t) => t.whatsapp.wabaId !== undefined && t.whatsapp.wabaId === wabaId)
      .flatMap((t) => {
        const id = this.senderIds.get(t.slug);
        return id === undefined ? [] : [id];
      });
    return portfolio.length ? portfolio : [senderId];
  }

  /** Wakes the number's dispatcher, if this process runs it. */
  wake(senderId: number): void {
    this.running.get(senderId)?.dispatcher.wake();
  }

  /** Tells this process's dispatchers at once; others see it at their next refresh. */
  noteStatus(broadcastId: number, status: string): void {
    for (const { dispatcher } of this.running.values())
      dispatcher.noteBroadcastStatus(broadcastId, status);
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
      const dispatcher = new NumberDispatcher({
        db,
        sender: {
          id: senderId,
          tenantId: tenant.slug,
          phoneNumberId: tenant.whatsapp.phoneNumberId,
          ratePerSecond: tenant.whatsapp.ratePerSecond,
          portfolioSenderIds: this.tierSharingIds(tenant.slug, senderId),
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
}
