import type { Kysely, Transaction, Updateable } from "kysely";
import type { Tenant } from "../../config/tenants.js";
import type { Clock } from "../../platform/clock.js";
import type { DB, SubscribersTable } from "../../platform/db/schema.js";
import { maskPhone, type Logger } from "../../platform/log.js";
import { recordAudit } from "../audit/audit.service.js";
import { detachSubscribers, type Dispatch } from "../dispatch/dispatch.service.js";
import {
  inboundEventHandled,
  markInboundEventHandledIn,
} from "../whatsapp/inbound-events.service.js";
import type { OutboundMessage } from "../whatsapp/types.js";
import type { WhatsAppClients } from "../whatsapp/whatsapp.service.js";
import type { InboundMessage, WebhookEvent } from "../whatsapp/webhook-events.js";
import { eraseCitizen, exportCitizenData, parseTopics } from "./citizen-data.js";
import {
  DAY_MS,
  deleteSubscribers,
  findOrCreateSubscriber,
  findSubscriberByKey,
  forgetIdleNumbers,
  idleContactIds,
  lapsePendingConfirmations,
  updateSubscriber,
  type SubscriberRow,
} from "./citizens.repository.js";
import { appendConsentEvent } from "./consent-ledger.repository.js";
import { readCitizenText, type CitizenIntent } from "./grammar.js";
import { identifierOf } from "./identity.js";
import { keepModerationMessage, purgeModerationMessages } from "./moderation.repository.js";
import { withinServiceHours } from "./service-hours.js";
import { subscriberKey } from "./subscriber-key.js";
import { LABELS, localeOf, render, topicLabel, type Locale, type TextKey } from "./texts.js";

/**
 * The citizen's conversation over WhatsApp (issue #5): subscribing (with the optional
 * "Confermo" step), unsubscribing, the commands (help, topics, data, erase), the auto-reply to
 * everything else, blocking and the flood rule, Meta's marketing stop button, and the retention
 * purge. See README.md in this folder.
 *
 * Exactly once: each message's effects (state, ledger, replies) and its "handled" mark commit in
 * one transaction, so a redelivered webhook or a crash before the processor's own mark never
 * produces a second reply.
 */

export { backfillSubscriberKeys } from "./citizens.repository.js";

type MessageEvent = Extract<WebhookEvent, { kind: "message" }>;
type Say = (key: TextKey | "autoReply+outsideHours", extra?: { topics?: string[] }) => void;

/** Button and list-row ids this service puts in interactive messages. */
const CONFIRM_ID = "subscribe.confirm";
const CANCEL_ID = "subscribe.cancel";
const TOPIC_PREFIX = "topic:";
const ALL_TOPICS_ID = `${TOPIC_PREFIX}*`;
/** Meta: at most 10 rows in a list message, titles ≤ 24 characters, descriptions ≤ 72. */
const MAX_LIST_ROWS = 10;

type Action =
  | CitizenIntent
  | { action: "confirm"; title: string }
  | { action: "cancel" }
  | { action: "topic"; topicId: string }
  | { action: "ignore" };

export interface CitizensOptions {
  db: Kysely<DB>;
  tenants: readonly Tenant[];
  dispatch: Pick<Dispatch, "enqueueReply" | "wakeTenant">;
  clients: WhatsAppClients;
  clock: Clock;
  log: Logger;
  /** SUBSCRIBER_KEY_SECRET (or the sandbox's development value). */
  keySecret: string;
  /** For the links to the public pages when a comune's documents have no URL. */
  publicBaseUrl: string;
}

interface Outcome {
  action: string;
  replies: number;
  /** A block decided by staff but not yet applied on WhatsApp: apply it now (they just wrote). */
  applyBlock?: { subscriberId: number; user: string };
}

export class Citizens {
  private purgeTimer: NodeJS.Timeout | undefined;
  private purging: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: CitizensOptions) {}

  /** The inbound-event handler for citizens' messages. */
  async handleMessage(event: MessageEvent, tenant: Tenant): Promise<void> {
    const { db, clock, log } = this.options;
    const m = event.message;
    const waId = m.from || null;
    const userId = m.fromUserId ?? null;
    const identifier = identifierOf(waId, userId);
    if (!identifier) return; // the webhook parser refuses such messages; nothing to answer
    const to = waId ?? userId ?? "";
    const key = subscriberKey(this.options.keySecret, tenant.slug, identifier);
    const action = this.actionOf(m, tenant);

    // "DATI": the document is uploaded before the transaction (a network call must not hold it).
    let dataDocument: { mediaId: string; filename: string } | undefined;
    if (action.action === "command" && action.command === "data") {
      if (await inboundEventHandled(db, tenant.slug, event.dedupKey)) return;
      // Nothing leaves for WhatsApp's servers when the answer will not be sent anyway.
      const existing = await findSubscriberByKey(db, tenant.slug, key);
      if (
        !existing ||
        (existing.blocked_at === null && !floodCount(existing, tenant, clock.now()).flooding)
      ) {
        dataDocument = await this.uploadDataDocument(tenant, key, { waId, userId });
      }
    }

    const now = clock.now();
    const outcome = await db.transaction().execute(async (trx) => {
      const first = await markInboundEventHandledIn(trx, {
        tenantId: tenant.slug,
        dedupKey: event.dedupKey,
        payload: JSON.stringify(redacted(event)),
        now,
      });
      if (!first) return undefined;
      const row = await findOrCreateSubscriber(trx, {
        tenantId: tenant.slug,
        key,
        waId,
        userId,
        now,
      });
      return this.act(trx, { tenant, row, message: m, action, to, now, dataDocument });
    });
    if (!outcome) {
      log.debug(
        { event: "citizens.redelivered", tenant: tenant.slug },
        "Message handled already: nothing to do",
      );
      return;
    }
    if (outcome.replies > 0) this.options.dispatch.wakeTenant(tenant.slug);
    log.info(
      {
        event: "citizens.message_handled",
        tenant: tenant.slug,
        sender: waId ? maskPhone(waId) : "(user id only)",
        messageType: m.type,
        action: outcome.action,
        replies: outcome.replies,
      },
      `Citizen message (${m.type}): ${outcome.action}`,
    );
    if (outcome.applyBlock) await this.applyPendingBlock(tenant, outcome.applyBlock);
  }

  private actionOf(m: InboundMessage, tenant: Tenant): Action {
    switch (m.type) {
      case "text":
        return readCitizenText(m.text ?? "", tenant.keywords);
      case "interactive": {
        const id = m.interactive?.id ?? "";
        if (m.interactive?.kind === "button_reply" && id === CONFIRM_ID)
          return { action: "confirm", title: m.interactive.title ?? "" };
        if (m.interactive?.kind === "button_reply" && id === CANCEL_ID) return { action: "cancel" };
        if (m.interactive?.kind === "list_reply" && id.startsWith(TOPIC_PREFIX))
          return { action: "topic", topicId: id.slice(TOPIC_PREFIX.length) };
        return { action: "other" };
      }
      case "system":
        // Meta's own notices (a changed number…): not something the citizen wrote.
        return { action: "ignore" };
      default:
        return { action: "other" };
    }
  }

  private async act(
    trx: Transaction<DB>,
    input: {
      tenant: Tenant;
      row: SubscriberRow;
      message: InboundMessage;
      action: Action;
      to: string;
      now: number;
      dataDocument: { mediaId: string; filename: string } | undefined;
    },
  ): Promise<Outcome> {
    const { tenant, message: m, action, to, now } = input;
    let row = input.row;

    // Blocked (R7): dropped. No reply, nothing stored; a block still pending on WhatsApp is
    // applied now that they are inside the 24-hour window.
    if (row.blocked_at !== null) {
      const user = row.wa_id ?? to;
      return {
        action: "dropped (blocked)",
        replies: 0,
        ...(row.wa_blocked_at === null ? { applyBlock: { subscriberId: row.id, user } } : {}),
      };
    }

    // Bookkeeping: last message, the flood window, the number (kept while it is needed).
    const flood = floodCount(row, tenant, now);
    const flooding = flood.flooding;
    const bookkeeping: Updateable<SubscribersTable> = {
      last_inbound_at: now,
      flood_window_start: flood.windowStart,
      flood_count: flood.count,
      updated_at: now,
      ...(m.from && row.wa_id === null ? { wa_id: m.from } : {}),
      ...(m.fromUserId && row.user_id === null ? { user_id: m.fromUserId } : {}),
      ...(flooding && row.flagged_at === null ? { flagged_at: now, flag_reason: "flood" } : {}),
    };
    await updateSubscriber(trx, row.id, bookkeeping);
    row = { ...row, ...(bookkeeping as Partial<SubscriberRow>) };

    const locale = localeOf(tenant, row.locale);
    const replies: OutboundMessage[] = [];
    const say: Say = (key, extra = {}) =>
      replies.push({ type: "text", body: this.text(tenant, key, locale, row, extra) });
    const push = (message: OutboundMessage) => replies.push(message);

    // While flooding only what concerns consent is acted on; everything else is muted.
    const consentAction =
      action.action === "subscribe" ||
      action.action === "unsubscribe" ||
      action.action === "confirm" ||
      action.action === "cancel" ||
      (action.action === "command" && action.command === "erase");
    let done: string;
    if (flooding && !consentAction) {
      await this.keepForModeration(trx, tenant, row, m, now, action);
      done = "muted (flood)";
    } else {
      done = await this.perform(trx, {
        tenant,
        row,
        message: m,
        action,
        now,
        locale,
        say,
        push,
      });
      if (done === "data" && input.dataDocument) {
        replies.push({
          type: "document",
          media: { id: input.dataDocument.mediaId },
          filename: input.dataDocument.filename,
          caption: `${LABELS[locale].document} – ${tenant.serviceName}`,
        });
      }
    }
    for (const message of replies) {
      await this.options.dispatch.enqueueReply(
        tenant.slug,
        { to, message, subscriberId: row.id },
        trx,
      );
    }
    return { action: done, replies: replies.length };
  }

  /** Does what the message asks; returns a short name of what was done (for the log). */
  private async perform(
    trx: Transaction<DB>,
    input: {
      tenant: Tenant;
      row: SubscriberRow;
      message: InboundMessage;
      action: Action;
      now: number;
      locale: Locale;
      say: Say;
      push: (message: OutboundMessage) => void;
    },
  ): Promise<string> {
    const { tenant, row, message: m, action, now, locale, say } = input;
    // Unsubscribing and "CANCELLA DATI" differ only in what the ledger records.
    const erase = (ledgerAction: "unsubscribe" | "erase") =>
      eraseCitizen(trx, {
        tenant,
        subscriberId: row.id,
        actor: { type: "citizen" },
        ledgerAction,
        inboundMessageId: m.id,
        ...(m.text === undefined ? {} : { textReceived: m.text }),
        now,
        keySecret: this.options.keySecret,
      });
    switch (action.action) {
      case "subscribe": {
        if (row.status === "active") {
          say("alreadySubscribed");
          return "already subscribed";
        }
        if (tenant.keywords.form === "name-and-keyword" && !action.firstName) {
          say("nameMissing");
          return "name missing";
        }
        const names = {
          first_name: action.firstName ?? null,
          last_name: action.lastName ?? null,
          profile_name: tenant.subscription.storeProfileName ? (m.profileName ?? null) : null,
        };
        if (tenant.subscription.confirmationStep) {
          await updateSubscriber(trx, row.id, {
            ...names,
            status: "pending",
            pending_since: now,
            pending_message_id: m.id,
            pending_text: m.text ?? null,
            updated_at: now,
          });
          input.push({
            type: "buttons",
            body: this.text(tenant, "confirmPrompt", locale, { ...row, ...names }, {}),
            buttons: [
              { id: CONFIRM_ID, title: this.text(tenant, "confirmButton", locale, row, {}) },
              { id: CANCEL_ID, title: this.text(tenant, "cancelButton", locale, row, {}) },
            ],
          });
          return "confirmation asked";
        }
        await this.activate(trx, tenant, row, {
          names,
          messageId: m.id,
          text: m.text ?? null,
          now,
        });
        // {name} is the name just given.
        input.push({
          type: "text",
          body: this.text(tenant, "subscribed", locale, { ...row, ...names }, { topics: [] }),
        });
        return "subscribed";
      }
      case "confirm": {
        if (row.status === "active") {
          say("alreadySubscribed");
          return "already subscribed";
        }
        if (row.status !== "pending") return this.autoReply(trx, input);
        await this.activate(trx, tenant, row, {
          names: {
            first_name: row.first_name,
            last_name: row.last_name,
            profile_name: row.profile_name,
          },
          messageId: m.id,
          text: `${row.pending_text ?? ""}\n[${action.title}]`.trim(),
          now,
        });
        say("subscribed", { topics: [] });
        return "subscribed (confirmed)";
      }
      case "cancel": {
        if (row.status !== "pending") return this.autoReply(trx, input);
        await this.dropPending(trx, row, now);
        say("confirmCancelled");
        return "confirmation cancelled";
      }
      case "unsubscribe": {
        if (row.status === "pending") {
          await this.dropPending(trx, row, now);
          say("unsubscribed");
          return "pending request withdrawn";
        }
        if (row.status !== "active") {
          say("notSubscribed");
          return "not subscribed";
        }
        await erase("unsubscribe");
        say("unsubscribed");
        return "unsubscribed";
      }
      case "command":
        switch (action.command) {
          case "help":
            say("help", { topics: parseTopics(row.topics) });
            return "help";
          case "topics":
            if (row.status !== "active") {
              say("subscribeFirst");
              return "topics (not subscribed)";
            }
            if (tenant.topics.length === 0) {
              say("topicsNone");
              return "topics (none)";
            }
            input.push(this.topicsList(tenant, locale, row));
            return "topics list";
          case "data":
            say("dataIntro", { topics: parseTopics(row.topics) });
            await recordAudit(
              trx,
              {
                tenantId: tenant.slug,
                actor: { type: "citizen" },
                action: "subscriber.export",
                target: { type: "subscriber", id: String(row.id) },
                summary: { channel: "whatsapp" },
              },
              now,
            );
            return "data";
          case "erase":
            await erase("erase");
            say("erased");
            return "erased";
        }
        return "unknown command";
      case "topic": {
        if (row.status !== "active") {
          say("subscribeFirst");
          return "topic (not subscribed)";
        }
        const topics = toggleTopic(tenant, parseTopics(row.topics), action.topicId);
        await updateSubscriber(trx, row.id, { topics: JSON.stringify(topics), updated_at: now });
        say("topicsChosen", { topics });
        return "topic toggled";
      }
      case "ignore":
        return "ignored";
      case "other":
        return this.autoReply(trx, input);
    }
  }

  private async activate(
    trx: Transaction<DB>,
    tenant: Tenant,
    row: SubscriberRow,
    input: {
      names: { first_name: string | null; last_name: string | null; profile_name: string | null };
      messageId: string;
      text: string | null;
      now: number;
    },
  ): Promise<void> {
    await updateSubscriber(trx, row.id, {
      ...input.names,
      status: "active",
      subscribed_at: input.now,
      unsubscribed_at: null,
      topics: "[]",
      pending_since: null,
      pending_message_id: null,
      pending_text: null,
      updated_at: input.now,
    });
    await appendConsentEvent(trx, {
      tenant,
      subscriberKey: row.subscriber_key ?? "",
      action: "subscribe",
      inboundMessageId: input.messageId,
      textReceived: input.text,
      now: input.now,
    });
  }

  private async dropPending(trx: Transaction<DB>, row: SubscriberRow, now: number): Promise<void> {
    await updateSubscriber(trx, row.id, {
      status: row.unsubscribed_at === null ? "contact" : "unsubscribed",
      first_name: null,
      last_name: null,
      profile_name: null,
      pending_since: null,
      pending_message_id: null,
      pending_text: null,
      updated_at: now,
    });
  }

  /** R6/R8: the comune's auto-reply, within the per-person cap, and kept for moderation if on. */
  private async autoReply(
    trx: Transaction<DB>,
    input: {
      tenant: Tenant;
      row: SubscriberRow;
      message: InboundMessage;
      action: Action;
      now: number;
      locale: Locale;
      say: Say;
    },
  ): Promise<string> {
    const { tenant, row, now } = input;
    await this.keepForModeration(trx, tenant, row, input.message, now, input.action);
    if (!tenant.autoReply.enabled) return "auto-reply off";
    if (row.flagged_at !== null && row.flag_reason === "flood") return "auto-reply muted (flagged)";
    const newWindow = row.auto_replied_at === null || now - row.auto_replied_at >= DAY_MS;
    const sent = newWindow ? 0 : (row.auto_replies_in_window ?? 0);
    if (sent >= tenant.autoReply.maxPerPersonPerDay) return "auto-reply capped";
    await updateSubscriber(trx, row.id, {
      auto_replied_at: newWindow ? now : row.auto_replied_at,
      auto_replies_in_window: sent + 1,
    });
    input.say(withinServiceHours(tenant, now) ? "autoReply" : "autoReply+outsideHours");
    return "auto-reply";
  }

  private async keepForModeration(
    trx: Transaction<DB>,
    tenant: Tenant,
    row: SubscriberRow,
    m: InboundMessage,
    now: number,
    action: Action,
  ): Promise<void> {
    if (!tenant.moderation.inbox || action.action !== "other") return;
    const location = m.location
      ? [m.location.name, m.location.address, `${m.location.latitude},${m.location.longitude}`]
          .filter(Boolean)
          .join(" – ")
      : undefined;
    await keepModerationMessage(trx, {
      tenantId: tenant.slug,
      subscriberId: row.id,
      subscriberKey: row.subscriber_key ?? "",
      inboundMessageId: m.id,
      type: m.type === "unsupported" ? `unsupported:${m.originalType ?? ""}` : m.type,
      text:
        m.text ?? m.media?.caption ?? location ?? m.reaction?.emoji ?? m.interactive?.title ?? null,
      mediaId: m.media?.id ?? null,
      receivedAt: now,
      purgeAfter: now + tenant.moderation.retentionDays * DAY_MS,
      flagged: row.flagged_at !== null,
    });
  }

  private text(
    tenant: Tenant,
    key: TextKey | "autoReply+outsideHours",
    locale: Locale,
    row: SubscriberRow,
    extra: { topics?: string[] },
  ): string {
    const p = {
      publicBaseUrl: this.options.publicBaseUrl,
      locale,
      name: row.first_name ?? row.profile_name,
      topics: extra.topics ?? parseTopics(row.topics),
    };
    if (key === "autoReply+outsideHours")
      return `${render(tenant, "autoReply", p)}\n\n${render(tenant, "outsideHours", p)}`;
    return render(tenant, key, p);
  }

  private topicsList(tenant: Tenant, locale: Locale, row: SubscriberRow): OutboundMessage {
    const chosen = parseTopics(row.topics);
    const topics = tenant.topics.slice(0, MAX_LIST_ROWS - 1);
    if (topics.length < tenant.topics.length) {
      this.options.log.warn(
        { event: "citizens.topics_truncated", tenant: tenant.slug, topics: tenant.topics.length },
        `WhatsApp lists show at most ${MAX_LIST_ROWS} rows: only the first ${topics.length} topics are offered`,
      );
    }
    const mark = locale === "en" ? "✓ chosen" : "✓ scelto";
    return {
      type: "list",
      body: this.text(tenant, "topicsPrompt", locale, row, {}),
      buttonLabel: render(tenant, "topicsButton", {
        publicBaseUrl: this.options.publicBaseUrl,
        locale,
      }),
      sections: [
        {
          rows: [
            ...topics.map((t) => ({
              id: `${TOPIC_PREFIX}${t.id}`,
              title: truncate(topicLabel(tenant, t.id, locale), 24),
              ...(chosen.includes(t.id) ? { description: mark } : {}),
            })),
            {
              id: ALL_TOPICS_ID,
              title: LABELS[locale].allTopicsRow,
              ...(chosen.length === 0 ? { description: mark } : {}),
            },
          ],
        },
      ],
    };
  }

  private async uploadDataDocument(
    tenant: Tenant,
    key: string,
    ids: { waId: string | null; userId: string | null },
  ): Promise<{ mediaId: string; filename: string }> {
    const { db, clock } = this.options;
    // The row may not exist yet (their first message is "DATI"): the document then says so.
    const row =
      (await findSubscriberByKey(db, tenant.slug, key)) ??
      (await db
        .transaction()
        .execute((trx) =>
          findOrCreateSubscriber(trx, { tenantId: tenant.slug, key, ...ids, now: clock.now() }),
        ));
    const document = await exportCitizenData(db, tenant, row.id);
    const filename = `dati-${tenant.slug}.json`;
    // Meta accepts documents of a few types only (reference §2: no application/json): the JSON
    // goes out as text/plain with a .json name.
    const uploaded = await this.options.clients.forTenant(tenant.slug).uploadMedia({
      data: new TextEncoder().encode(`${JSON.stringify(document, null, 2)}\n`),
      mimeType: "text/plain",
      filename,
    });
    if (!uploaded.ok) {
      throw new Error(
        `Uploading the data document failed: ${uploaded.error.code} (${uploaded.error.class})`,
      );
    }
    return { mediaId: uploaded.value.id, filename };
  }

  /** Applies a block staff decided while the person was outside the 24-hour window. */
  private async applyPendingBlock(
    tenant: Tenant,
    input: { subscriberId: number; user: string },
  ): Promise<void> {
    const { db, clock, log } = this.options;
    const result = await this.options.clients.forTenant(tenant.slug).blockUsers([input.user]);
    if (result.ok && result.value.failed.length === 0) {
      await db
        .updateTable("subscribers")
        .set({ wa_blocked_at: clock.now(), updated_at: clock.now() })
        .where("id", "=", input.subscriberId)
        .where("blocked_at", "is not", null)
        .execute();
      log.info(
        {
          event: "citizens.blocked_on_whatsapp",
          tenant: tenant.slug,
          subscriberId: input.subscriberId,
        },
        "Pending block applied on WhatsApp",
      );
      return;
    }
    const error = result.ok ? result.value.failed[0]?.error : result.error;
    log.warn(
      {
        event: "citizens.block_failed",
        tenant: tenant.slug,
        subscriberId: input.subscriberId,
        code: error?.code,
      },
      "Could not block on WhatsApp; tried again when they next write",
    );
  }

  /**
   * Meta's stop button: `user_preferences` stop / resume for marketing. Returns true when the
   * field was one this handles.
   */
  async handleAccountUpdate(
    tenant: Tenant,
    field: string,
    value: Record<string, unknown>,
  ): Promise<boolean> {
    if (field !== "user_preferences") return false;
    const { db, clock, log } = this.options;
    const preferences = Array.isArray(value.user_preferences) ? value.user_preferences : [];
    for (const raw of preferences as Record<string, unknown>[]) {
      const category = typeof raw.category === "string" ? raw.category : "";
      if (!/marketing/i.test(category)) continue;
      const stop = raw.value === "stop";
      if (!stop && raw.value !== "resume") continue;
      const identifier = identifierOf(
        typeof raw.wa_id === "string" ? raw.wa_id : null,
        typeof raw.user_id === "string" ? raw.user_id : null,
      );
      if (!identifier) continue;
      const key = subscriberKey(this.options.keySecret, tenant.slug, identifier);
      // Meta writes unix seconds, as a number or a numeric string.
      const seconds = Number(raw.timestamp);
      const at = Number.isSafeInteger(seconds) && seconds > 0 ? seconds * 1000 : clock.now();
      const changed = await db.transaction().execute(async (trx) => {
        const row = await findSubscriberByKey(trx, tenant.slug, key);
        // Someone we keep nothing about gets no broadcasts anyway.
        if (!row) return false;
        if (stop === (row.marketing_stopped_at !== null)) return false;
        await updateSubscriber(trx, row.id, {
          marketing_stopped_at: stop ? at : null,
          updated_at: clock.now(),
        });
        await appendConsentEvent(trx, {
          tenant,
          subscriberKey: key,
          action: stop ? "marketing_stop" : "marketing_resume",
          textReceived: `user_preferences: ${category} ${stop ? "stop" : "resume"}`,
          now: clock.now(),
        });
        return true;
      });
      if (changed) {
        log.info(
          {
            event: stop ? "citizens.marketing_stopped" : "citizens.marketing_resumed",
            tenant: tenant.slug,
          },
          stop
            ? "A citizen stopped marketing messages in WhatsApp"
            : "A citizen resumed marketing messages",
        );
      }
    }
    return true;
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
    const pending = await lapsePendingConfirmations(db, now);
    const numbers = await forgetIdleNumbers(db, now);
    let contacts = 0;
    for (;;) {
      const ids = await idleContactIds(db, now);
      if (ids.length === 0) break;
      contacts += await db.transaction().execute(async (trx) => {
        await detachSubscribers(trx, ids);
        return deleteSubscribers(trx, ids);
      });
      if (ids.length < 1000) break;
    }
    return { moderation, pending, numbers, contacts };
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
  }

  async stop(): Promise<void> {
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    await this.purging;
  }
}

/** The flood window after one more message at `now`: a fixed window of `flood.windowMinutes`. */
function floodCount(
  row: SubscriberRow,
  tenant: Tenant,
  now: number,
): { windowStart: number; count: number; flooding: boolean } {
  const windowMs = tenant.flood.windowMinutes * 60_000;
  const restart = row.flood_window_start === null || now - row.flood_window_start >= windowMs;
  const count = (restart ? 0 : (row.flood_count ?? 0)) + 1;
  return {
    windowStart: restart ? now : (row.flood_window_start ?? now),
    count,
    flooding: count > tenant.flood.maxMessages,
  };
}

function toggleTopic(tenant: Tenant, current: string[], topicId: string): string[] {
  if (topicId === "*") return [];
  if (!tenant.topics.some((t) => t.id === topicId)) return current;
  const chosen = new Set(current.filter((id) => tenant.topics.some((t) => t.id === id)));
  if (chosen.has(topicId)) chosen.delete(topicId);
  else chosen.add(topicId);
  // In the comune's order; none chosen means every topic.
  return tenant.topics.map((t) => t.id).filter((id) => chosen.has(id));
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** What stays of a handled message event: which message it was, never its content or sender. */
function redacted(event: MessageEvent): WebhookEvent {
  return {
    ...event,
    message: {
      id: event.message.id,
      from: "",
      timestamp: event.message.timestamp,
      type: event.message.type,
    },
  };
}
