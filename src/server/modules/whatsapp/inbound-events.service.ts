import { setImmediate as yieldToIo, setTimeout as sleep } from "node:timers/promises";
import type { Kysely, Transaction } from "kysely";
import type { Tenant } from "../../config/tenants.js";
import type { Clock } from "../../platform/clock.js";
import type { DB } from "../../platform/db/schema.js";
import { maskPhone, type Logger } from "../../platform/log.js";
import * as repository from "./inbound-events.repository.js";
import {
  claimInboundEvents,
  insertInboundEvents,
  markInboundEventFailed,
  markInboundEventsProcessed,
  oldestWaitingEventAt,
  pruneHandledInboundEvents,
  releaseInboundClaims,
  type NewInboundEvent,
} from "./inbound-events.repository.js";
import { storedFormOf } from "./stored-events.js";
import type { WebhookEvent, WebhookEventKind } from "./webhook-events.js";

/**
 * The inbound events' queue as the rest of the service sees it: the writer that stores each
 * webhook's events before the 200 (group commit), and the processor that claims and handles them
 * by priority, with the functions a handler calls to mark its event handled in its own
 * transaction.
 *
 * Over 400 lines for a reason: the writer (about 70 lines) and the processor (about 220) are two
 * halves of one queue and share its priorities and leases.
 */

// What is stored of an event, and its rewriting when a message id becomes a pseudonym.
export {
  pseudonymisedStatusPayload,
  pseudonymiseStatusEvents,
  storedFormOf,
} from "./stored-events.js";

// For handlers that make their event's effects and its "handled" mark one transaction.

/** Marks it handled and keeps it under `storedKey`; false when handled before under either key. */
export function markInboundEventHandledAs(
  trx: Transaction<DB>,
  input: { tenantId: string; dedupKey: string; storedKey: string; payload: string; now: number },
): Promise<boolean> {
  return repository.markInboundEventHandledAs(trx, input);
}

/** Whether the event was handled already, under its plain or its stored key. */
export function inboundEventHandledAs(
  db: Kysely<DB>,
  input: { tenantId: string; dedupKey: string; storedKey: string },
): Promise<boolean> {
  return repository.inboundEventHandledAs(db, input);
}

/**
 * Inbound events: stored durably while Meta waits for its 200, handled after the answer from
 * what was stored. A crash between the two loses nothing (the rows are still unprocessed at the
 * next start) and a redelivery changes nothing (the unique dedup key).
 */

type EventOf<K extends WebhookEventKind> = Extract<WebhookEvent, { kind: K }>;

/** The parts that act on events plug in here (citizens: messages; dispatch: statuses; …). */
export type InboundEventHandlers = {
  [K in WebhookEventKind]?: (event: EventOf<K>, tenant: Tenant) => Promise<void>;
};

/**
 * The order events are handled in: a citizen waits for the answer to their message, while
 * statuses, account updates and errors are bookkeeping that can wait a few seconds. Without it
 * a flood of statuses held a citizen's "ATTIVA ISCRIZIONE" behind every event before it.
 */
export const INBOUND_PRIORITY = { citizen: 1, bulk: 0 } as const;

function priorityOf(kind: WebhookEventKind): number {
  return kind === "message" ? INBOUND_PRIORITY.citizen : INBOUND_PRIORITY.bulk;
}

/** Events per INSERT: 9 parameters a row stays far below both engines' limits. */
const MAX_ROWS_PER_WRITE = 500;

interface PendingWrite {
  rows: (NewInboundEvent & { receivedAt: number })[];
  resolve(stored: number): void;
  reject(error: unknown): void;
}

/**
 * Stores the events of webhook requests durably, with group commit: the requests that arrive
 * while a write is under way (or in the same turn of the event loop) are written together, in
 * one transaction and one INSERT, and each request is answered when the transaction holding
 * its events has committed. At webhook rates one transaction per request cost more than the
 * rest of the request together (BENCHMARKS.md, webhook ingest); a single request still waits
 * for only one turn of the event loop.
 */
export class InboundEventWriter {
  private queue: PendingWrite[] = [];
  private writing = false;

  constructor(private readonly db: Kysely<DB>) {}

  /** Resolves, once committed, with how many of these events were new. */
  store(routed: readonly { tenant: Tenant; event: WebhookEvent }[], now: number): Promise<number> {
    if (routed.length === 0) return Promise.resolve(0);
    const rows = routed.map(({ tenant, event }) => ({
      tenantId: tenant.slug,
      kind: event.kind,
      dedupKey: event.dedupKey,
      payload: JSON.stringify(storedFormOf(event)),
      priority: priorityOf(event.kind),
      receivedAt: now,
    }));
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        setImmediate(() => void this.writeAll());
      }
    });
  }

  private async writeAll(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.takeBatch();
      try {
        const added = await this.db.transaction().execute((trx) =>
          insertInboundEvents(
            trx,
            batch.flatMap((w) => w.rows),
          ),
        );
        // Each added row counts once, for the first request in the batch that carried it.
        const fresh = new Set(added.map((a) => `${a.tenantId}\n${a.dedupKey}`));
        for (const write of batch) {
          let stored = 0;
          for (const row of write.rows) {
            if (fresh.delete(`${row.tenantId}\n${row.dedupKey}`)) stored += 1;
          }
          write.resolve(stored);
        }
      } catch (error) {
        // Nothing of the batch was stored: every request fails and Meta sends it again.
        for (const write of batch) write.reject(error);
      }
    }
    this.writing = false;
  }

  /** Whole requests, oldest first, up to MAX_ROWS_PER_WRITE rows (at least one request). */
  private takeBatch(): PendingWrite[] {
    let rows = 0;
    let count = 0;
    for (const write of this.queue) {
      if (count > 0 && rows + write.rows.length > MAX_ROWS_PER_WRITE) break;
      rows += write.rows.length;
      count += 1;
    }
    return this.queue.splice(0, count);
  }
}

/**
 * When the oldest status webhook of the comune still waiting to be handled arrived, or undefined
 * when none waits: every status received before it has been applied. The dispatcher resends a
 * message in doubt only once the news that could settle it has been read.
 */
export function statusesWaitingSince(
  db: Kysely<DB>,
  tenantId: string,
): Promise<number | undefined> {
  return oldestWaitingEventAt(db, tenantId, "status", priorityOf("status"));
}

/**
 * At the start of the only process that handles events (SQLite: one process per file), drops the
 * claims a crash left, so those events are handled now rather than when the claims expire.
 */
export function releaseClaimsLeftByACrash(db: Kysely<DB>): Promise<number> {
  return releaseInboundClaims(db);
}

/** Events handled between two turns of the event loop. */
const YIELD_EVERY = 16;

/** How long a pass waits to gather the events of concurrent webhooks. */
const COALESCE_MS = 10;

export interface InboundProcessorOptions {
  db: Kysely<DB>;
  tenants: readonly Tenant[];
  handlers: InboundEventHandlers;
  clock: Clock;
  log: Logger;
  /** How long a claim holds before another process may take the event. */
  leaseMs?: number;
  batchSize?: number;
  /** After this many failed attempts an event stays unprocessed, with its error, for a person. */
  maxAttempts?: number;
  /** How often pending and failed events are looked at without a new webhook. */
  pollMs?: number;
  /**
   * Handled events are deleted this long after they arrived (INBOUND_EVENTS_RETENTION_DAYS):
   * the table would otherwise grow with every webhook for ever. At least Meta's 7 days of
   * redeliveries, so that a late copy still meets its original and is not handled twice.
   */
  retentionMs?: number;
  /** How often the prune runs. */
  pruneEveryMs?: number;
  /**
   * Called before the first event of a pass is handled (once per pass, only when there are
   * events). A processor in another process than the one that answers the console reads the
   * comuni's saved settings again here, so that a save is in force for the next event.
   */
  beforePass?: () => Promise<void>;
}

/** Rows read per prune batch: a short write between webhooks, also on SQLite. */
const PRUNE_BATCH = 2_000;

export class InboundEventProcessor {
  private readonly tenants: Map<string, Tenant>;
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  /** Until start(), schedule() does nothing: tests drive drain() themselves. */
  private started = false;
  private stopping = false;
  private pruneTimer: NodeJS.Timeout | undefined;
  private pruning: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: InboundProcessorOptions) {
    this.tenants = new Map(options.tenants.map((t) => [t.slug, t]));
  }

  /** Handles what is pending now (recovery after a restart) and then polls. */
  start(): void {
    this.started = true;
    this.schedule();
    const pollMs = this.options.pollMs ?? 5_000;
    this.timer = setInterval(() => this.schedule(), pollMs);
    this.timer.unref();
    if (this.options.retentionMs !== undefined) {
      const prune = () => {
        this.pruning = this.pruning
          .then(() => this.prune())
          .catch((error: unknown) => {
            this.options.log.error(
              { err: error, event: "inbound.prune_failed" },
              "Could not delete old handled events",
            );
          });
      };
      prune();
      this.pruneTimer = setInterval(prune, this.options.pruneEveryMs ?? 3_600_000);
      this.pruneTimer.unref();
    }
  }

  /**
   * Deletes the handled events older than the retention, a batch at a time with a pause for
   * webhooks between batches. Answers how many went.
   */
  async prune(): Promise<number> {
    const { db, clock, log, retentionMs } = this.options;
    if (retentionMs === undefined) return 0;
    const receivedBefore = clock.now() - retentionMs;
    let afterId: number | undefined = 0;
    let total = 0;
    while (afterId !== undefined && !this.stopping) {
      const batch = await pruneHandledInboundEvents(db, {
        receivedBefore,
        afterId,
        limit: PRUNE_BATCH,
      });
      total += batch.deleted;
      afterId = batch.nextAfterId;
      await yieldToIo();
    }
    if (total > 0) {
      log.info({ event: "inbound.pruned", rows: total }, "Deleted old handled inbound events");
    }
    return total;
  }

  /**
   * Asks for a pass soon; passes never overlap, a request during one triggers another. A pass
   * starts COALESCE_MS after it is asked for, so that at webhook rates it handles the events of
   * many requests with one claim and one mark: started at once, every pass took a single event
   * (BENCHMARKS.md, webhook ingest). Events are handled after Meta has its 200 anyway.
   */
  schedule(): void {
    if (!this.started || this.stopping) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = sleep(COALESCE_MS)
      .then(() => this.drain())
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.schedule();
        }
      });
  }

  /** Stops polling and waits for the pass in progress. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    await this.running;
    await this.pruning;
  }

  /** One pass over everything claimable; resolves when nothing is left. */
  async drain(): Promise<void> {
    const { db, clock, log } = this.options;
    const batchSize = this.options.batchSize ?? 100;
    let first = true;
    for (;;) {
      if (this.stopping) return;
      let batch;
      try {
        batch = await claimInboundEvents(db, {
          now: clock.now(),
          leaseMs: this.options.leaseMs ?? 60_000,
          limit: batchSize,
          maxAttempts: this.options.maxAttempts ?? 10,
        });
      } catch (error) {
        log.error({ err: error, event: "inbound.claim_failed" }, "Could not claim inbound events");
        return;
      }
      // Handled events are marked together at the end of the batch: one write instead of one
      // per event (at webhook rates that commit was a third of the work). A crash in between
      // hands them out again once their claim expires; handlers are idempotent.
      if (batch.length > 0 && first) {
        first = false;
        await this.options.beforePass?.().catch((error: unknown) => {
          log.error(
            { err: error, event: "inbound.before_pass_failed" },
            "Could not prepare a pass over inbound events; handling them as things are",
          );
        });
      }
      const handled: number[] = [];
      for (const [i, row] of batch.entries()) {
        // On SQLite every query completes synchronously, so a whole batch would run without
        // letting a webhook request in; a pause every few events keeps the answers prompt.
        if (i > 0 && i % YIELD_EVERY === 0) await yieldToIo();
        try {
          await this.handle(JSON.parse(row.payload) as WebhookEvent, row.tenantId);
          handled.push(row.id);
        } catch (error) {
          // Exponential pause before the next attempt: 2 s, 4 s, 8 s… up to 10 minutes.
          const delay = Math.min(2_000 * 2 ** (row.attempts - 1), 600_000);
          log.error(
            {
              err: error,
              event: "inbound.handler_failed",
              tenant: row.tenantId,
              inboundEventId: row.id,
              attempt: row.attempts,
            },
            "Handling an inbound event failed; it will be retried",
          );
          await markInboundEventFailed(db, row.id, String(error), clock.now() + delay).catch(
            () => undefined,
          );
        }
      }
      try {
        await markInboundEventsProcessed(db, handled, clock.now());
      } catch (error) {
        log.error(
          { err: error, event: "inbound.mark_failed", events: handled.length },
          "Could not mark handled inbound events; they will be handled again",
        );
        return;
      }
      if (batch.length < batchSize) return;
    }
  }

  private async handle(event: WebhookEvent, tenantSlug: string): Promise<void> {
    const tenant = this.tenants.get(tenantSlug);
    if (!tenant) {
      // The comune's file was removed after the event arrived: keep it, do nothing.
      this.options.log.warn(
        { event: "inbound.tenant_missing", tenant: tenantSlug },
        "Event for a comune without config",
      );
      return;
    }
    const { handlers } = this.options;
    switch (event.kind) {
      case "message":
        return handlers.message
          ? handlers.message(event, tenant)
          : logMessage(this.options.log, event, tenant);
      case "status":
        return handlers.status?.(event, tenant);
      case "error":
        if (handlers.error) return handlers.error(event, tenant);
        this.options.log.warn(
          {
            event: "whatsapp.account_error",
            tenant: tenant.slug,
            codes: event.errors.map((e) => e.code),
          },
          "WhatsApp reported an error for the account",
        );
        return;
      case "account":
        if (handlers.account) return handlers.account(event, tenant);
        this.options.log.info(
          { event: "whatsapp.account_update", tenant: tenant.slug, field: event.field },
          `WhatsApp account update: ${event.field}`,
        );
        return;
    }
  }
}

/** Until the citizens' part handles messages, each one is at least logged (masked). */
async function logMessage(log: Logger, event: EventOf<"message">, tenant: Tenant): Promise<void> {
  log.info(
    {
      event: "whatsapp.message_received",
      tenant: tenant.slug,
      messageType: event.message.type,
      sender: event.message.from ? maskPhone(event.message.from) : "(user id only)",
    },
    `Message received for ${tenant.serviceName} (${event.message.type})`,
  );
  return Promise.resolve();
}
