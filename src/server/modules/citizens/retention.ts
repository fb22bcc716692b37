import type { Transaction } from "kysely";
import type { DB, Db } from "../../platform/db/schema.js";
import {
  detachSubscribers,
  isErasedPersonsMessage,
  outboundAwaitingPseudonym,
} from "../dispatch/dispatch.service.js";
import type { Tenant } from "../../config/tenants.js";
import {
  markInboundEventHandledAs,
  pseudonymisedStatusPayload,
} from "../whatsapp/inbound-events.service.js";
import type { WebhookEvent } from "../whatsapp/webhook-events.js";
import { DAY_MS, DROPPED_REQUEST, updateSubscriberStatus } from "./citizens.repository.js";
import { purgeModerationMessages } from "./moderation.repository.js";
import type { CitizensOptions } from "./options.js";
import {
  hasOutcome,
  pseudonymiseSentMessage,
  pseudonymiseStatusesAgain,
  pseudonymiseTraces,
  type RenamedMessage,
} from "./pseudonymise.js";
import {
  deleteSubscribers,
  forgetNumbers,
  idleContactIds,
  idleNumberIds,
  keysOfSubscribers,
} from "./retention.repository.js";
import { isPseudonym, messagePseudonym, storedStatusKey } from "./subscriber-key.js";

type StatusEvent = Extract<WebhookEvent, { kind: "status" }>;

/** How often rows waiting for a pseudonym are looked at without a status webhook to prompt it. */
const SCRUB_INTERVAL_MS = 30_000;
/** A status webhook prompts a look this soon: the statuses of one send arrive together. */
const SCRUB_SOON_MS = 100;
/** While rows of this process's erasures wait for their outcome: how often to look again. */
const SCRUB_AGAIN_MS = 1_000;

/**
 * What the citizens' data keeps, and for how long (README.md, "Data kept" and "Erasure"): the
 * hourly purge, and the pseudonym that replaces an erased person's number on the messages that
 * were still on the wire when they erased (the scrub).
 */
export class Retention {
  private purgeTimer: NodeJS.Timeout | undefined;
  private purging: Promise<unknown> = Promise.resolve();
  private scrubTimer: NodeJS.Timeout | undefined;
  private scrubSoon: NodeJS.Timeout | undefined;
  private scrubbing: Promise<unknown> = Promise.resolve();
  /** Rows of this process's erasures may still wait for their outcome (see scrubErasedRecipients). */
  private awaiting = false;
  /** Erasures this process made: a scrub that read the rows before one committed keeps awaiting. */
  private erasures = 0;
  private stopped = false;

  constructor(
    private readonly options: Pick<CitizensOptions, "db" | "clock" | "log" | "keySecret">,
  ) {}

  /** This process just erased someone: rows of theirs may wait for an outcome. */
  expectOutcomes(): void {
    this.erasures += 1;
    this.awaiting = true;
  }

  /**
   * After a status webhook was applied (wiring.ts). A status for a message already
   * pseudonymised (its person erased their data; it found the row by its callback data and was
   * ignored) is kept with the pseudonym instead of the wamid. And when this process erased
   * someone whose last reply waits for its outcome, the rows are looked at soon.
   */
  async afterStatus(tenant: Tenant, event: StatusEvent, applied: string): Promise<void> {
    if (applied === "ignored" || applied === "unknown") await this.scrubLateStatus(tenant, event);
    if (this.awaiting) this.scheduleScrub(SCRUB_SOON_MS);
  }

  private async scrubLateStatus(tenant: Tenant, event: StatusEvent): Promise<void> {
    const { db, clock, keySecret } = this.options;
    // Stored raw, then renamed by a scrub before it was handled: it carries the pseudonym
    // already, and hashing that again would file it under a key no message has.
    if (isPseudonym(event.status.messageId)) return;
    const messageKey = messagePseudonym(keySecret, tenant.slug, event.status.messageId);
    if (!(await isErasedPersonsMessage(db, tenant.slug, event.status, messageKey))) return;
    const storedKey = storedStatusKey(messageKey, event.status.status);
    await db.transaction().execute((trx) =>
      markInboundEventHandledAs(trx, {
        tenantId: tenant.slug,
        dedupKey: event.dedupKey,
        storedKey,
        payload: pseudonymisedStatusPayload(JSON.stringify(event), storedKey, messageKey),
        now: clock.now(),
      }),
    );
  }

  /**
   * The rows marked at erasure (the confirmation, a delivery that was on the wire) that now have
   * their outcome get the pseudonym in place of the number, their stored statuses rewritten; a
   * broadcast delivery sent back to the queue meanwhile is skipped. Returns how many were done.
   */
  async scrubErasedRecipients(): Promise<number> {
    const { db, clock, keySecret } = this.options;
    const batch = 200;
    let done = 0;
    const erasuresBefore = this.erasures;
    for (;;) {
      const rows = await outboundAwaitingPseudonym(db, batch);
      const ready = rows.filter(
        (r) => hasOutcome(r) || (r.state === "queued" && r.kind === "broadcast"),
      );
      // An erasure that committed after the read above has rows this read could not see.
      this.awaiting = rows.length > ready.length || this.erasures !== erasuresBefore;
      if (ready.length === 0) return done;
      const renamed = await db.transaction().execute(async (trx) => {
        const messages: RenamedMessage[] = [];
        for (const trace of ready) {
          const pseudonym = trace.pseudonym ?? "";
          const now = clock.now();
          const one = await pseudonymiseSentMessage(trx, { trace, pseudonym, keySecret, now });
          if (one) messages.push(one);
        }
        return messages;
      });
      done += ready.length;
      await pseudonymiseStatusesAgain(db, renamed);
      if (rows.length < batch) return done;
    }
  }

  private scheduleScrub(delayMs: number): void {
    if (this.scrubSoon || this.stopped) return;
    this.scrubSoon = setTimeout(() => {
      this.scrubSoon = undefined;
      this.runScrub();
    }, delayMs);
    this.scrubSoon.unref();
  }

  private runScrub(): void {
    this.scrubbing = this.scrubbing
      .then(() => this.scrubErasedRecipients())
      .catch((error: unknown) => {
        this.awaiting = true;
        this.options.log.error(
          { err: error, event: "citizens.scrub_failed" },
          "Pseudonymising the messages of erased citizens failed; tried again shortly",
        );
      })
      // A row still on the wire gets its outcome from the dispatcher, which tells nobody: look
      // again shortly rather than at the next interval, while this process's erasures wait.
      .then(() => {
        if (this.awaiting) this.scheduleScrub(SCRUB_AGAIN_MS);
      });
  }

  /**
   * The retention job: moderation messages past their period, confirmations never given, the
   * numbers of people who left or never subscribed once the bookkeeping no longer needs them.
   */
  async purge(): Promise<{
    moderation: number;
    pending: number;
    numbers: number;
    contacts: number;
  }> {
    const { db, clock } = this.options;
    const now = clock.now();
    const moderation = await purgeModerationMessages(db, now);
    // A confirmation never given within a day lapses: the name given with the request is erased
    // and the person is back where they were.
    const pending = await updateSubscriberStatus(db, {
      move: "expire",
      pendingSinceBefore: now - DAY_MS,
      now,
      changes: DROPPED_REQUEST,
    });
    // The replies they got while they wrote again would keep the number: pseudonymised.
    const numbers = await this.forgetIdle(idleNumberIds, now, (trx, ids) =>
      forgetNumbers(trx, ids, now),
    );
    // Their auto-replies stay for the statistics, without the number or the link to them.
    const contacts = await this.forgetIdle(idleContactIds, now, async (trx, ids) => {
      await detachSubscribers(trx, ids);
      return deleteSubscribers(trx, ids);
    });
    return { moderation, pending, numbers, contacts };
  }

  /**
   * The idle rows `find` gives, 1000 at a time: their messages pseudonymised and `forget` done
   * in one transaction, their statuses looked for again after it. Returns how many `forget` did.
   */
  private async forgetIdle(
    find: (db: Db, now: number) => Promise<number[]>,
    now: number,
    forget: (trx: Transaction<DB>, ids: number[]) => Promise<number>,
  ): Promise<number> {
    const { db } = this.options;
    let total = 0;
    for (;;) {
      const ids = await find(db, now);
      if (ids.length === 0) return total;
      const done = await db.transaction().execute(async (trx) => {
        const renamed = await this.pseudonymiseTracesOf(trx, ids, now);
        return { renamed, count: await forget(trx, ids) };
      });
      total += done.count;
      await pseudonymiseStatusesAgain(db, done.renamed);
      if (ids.length < 1000) return total;
    }
  }

  private async pseudonymiseTracesOf(
    trx: Db,
    ids: readonly number[],
    now: number,
  ): Promise<RenamedMessage[]> {
    const renamed: RenamedMessage[] = [];
    for (const r of await keysOfSubscribers(trx, ids)) {
      if (!r.subscriberKey) continue;
      const done = await pseudonymiseTraces(trx, {
        tenantId: r.tenantId,
        subscriberId: r.id,
        key: r.subscriberKey,
        keySecret: this.options.keySecret,
        now,
      });
      renamed.push(...done.renamed);
    }
    return renamed;
  }

  /** Runs the purge now and then every `intervalMs` (default hourly). */
  startPurgeJob(intervalMs = 60 * 60 * 1000): void {
    const run = () => {
      this.purging = this.purging
        .then(() => this.purge())
        .then((done) => {
          if (done.moderation + done.pending + done.numbers + done.contacts > 0) {
            this.options.log.info({ event: "citizens.purged", ...done }, "Retention purge done");
          }
        })
        .catch((error: unknown) => {
          this.options.log.error(
            { err: error, event: "citizens.purge_failed" },
            "Retention purge failed",
          );
        });
    };
    run();
    this.purgeTimer = setInterval(run, intervalMs);
    this.purgeTimer.unref();
    // Also the rows waiting for a pseudonym: other processes' erasures, and those left by a crash.
    this.runScrub();
    this.scrubTimer = setInterval(() => this.runScrub(), SCRUB_INTERVAL_MS);
    this.scrubTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    if (this.scrubTimer) clearInterval(this.scrubTimer);
    if (this.scrubSoon) clearTimeout(this.scrubSoon);
    await this.purging;
    await this.scrubbing;
  }
}
