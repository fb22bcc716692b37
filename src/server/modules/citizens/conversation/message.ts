import type { Tenant } from "../../../config/tenants.js";
import type { Transaction } from "kysely";
import type { DB } from "../../../platform/db/schema.js";
import { maskPhone } from "../../../platform/log.js";
import { pseudonymiseAfterOutcome } from "../../dispatch/dispatch.service.js";
import {
  inboundEventHandledAs,
  markInboundEventHandledAs,
} from "../../whatsapp/inbound-events.service.js";
import type { OutboundMessage } from "../../whatsapp/types.js";
import type { InboundMessage, WebhookEvent } from "../../whatsapp/webhook-events.js";
import { exportCitizenData } from "../citizen-data.js";
import {
  changeSubscriber,
  findOrCreateSubscriber,
  findSubscriberByKey,
  type Subscriber,
  type SubscriberChanges,
} from "../citizens.repository.js";
import { identifierOf } from "../identity.js";
import { applyPendingBlock } from "../pending-blocks.js";
import { pseudonymiseStatusesAgain, type RenamedMessage } from "../pseudonymise.js";
import { storedEventKey, subscriberKey } from "../subscriber-key.js";
import { LABELS, localeOf } from "../texts.js";
import { keepForModeration } from "./auto-reply.js";
import { perform } from "./intents.js";
import { actionOf, isConsentAction, typedConfirmation, type Read } from "./read.js";
import { textFor, type ConversationOptions, type Effects, type Say, type Turn } from "./turn.js";

type MessageEvent = Extract<WebhookEvent, { kind: "message" }>;

interface Outcome {
  action: string;
  replies: number;
  /** The person's data was erased (the confirmation keeps the number until it is sent). */
  erased: boolean;
  /** Messages pseudonymised, whose statuses are looked for again after the commit. */
  renamed?: RenamedMessage[];
  /** A block decided by staff but not yet applied on WhatsApp: apply it now (they just wrote). */
  applyBlock?: { subscriberId: number; user: string };
}

/**
 * A citizen's message (the inbound processor's `message` handler, through `Citizens`): read,
 * acted on and answered. Exactly once: its effects (state, ledger, replies) and its "handled"
 * mark commit in one transaction, so a redelivered webhook or a crash before the processor's own
 * mark never produces a second reply. `onErased`: the person erased their data (retention.ts
 * then watches for the confirmation's outcome).
 */
export async function handleMessage(
  options: ConversationOptions,
  event: MessageEvent,
  tenant: Tenant,
  onErased: () => void,
): Promise<void> {
  const { db, clock, log, keySecret } = options;
  const m = event.message;
  const waId = m.from || null;
  const userId = m.fromUserId ?? null;
  const identifier = identifierOf(waId, userId);
  if (!identifier) return; // the webhook parser refuses such messages; nothing to answer
  const to = waId ?? userId ?? "";
  const key = subscriberKey(keySecret, tenant.slug, identifier);
  const read = actionOf(m, tenant);
  const { action } = read;
  // Kept under a key without the wamid (which encodes the number), redelivery still recognised.
  const storedKey = storedEventKey(keySecret, tenant.slug, event.dedupKey);

  // "DATI": the document is uploaded before the transaction (a network call must not hold it).
  let dataDocument: DataDocument | undefined;
  if (action.action === "command" && action.command === "data") {
    const handled = { tenantId: tenant.slug, dedupKey: event.dedupKey, storedKey };
    if (await inboundEventHandledAs(db, handled)) return;
    // Nothing leaves for WhatsApp's servers when the answer will not be sent anyway.
    const existing = await findSubscriberByKey(db, tenant.slug, key);
    if (
      !existing ||
      (existing.blockedAt === null && !floodCount(existing, tenant, clock.now()).flooding)
    ) {
      dataDocument = await uploadDataDocument(options, tenant, key, { waId, userId });
    }
  }

  const now = clock.now();
  const outcome = await db.transaction().execute(async (trx) => {
    const first = await markInboundEventHandledAs(trx, {
      tenantId: tenant.slug,
      dedupKey: event.dedupKey,
      storedKey,
      payload: JSON.stringify(redacted(event, storedKey)),
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
    return act(options, trx, { tenant, row, message: m, read, to, now, dataDocument });
  });
  if (!outcome) {
    log.debug(
      { event: "citizens.redelivered", tenant: tenant.slug },
      "Message handled already: nothing to do",
    );
    return;
  }
  if (outcome.erased) onErased();
  await pseudonymiseStatusesAgain(db, outcome.renamed ?? []);
  if (outcome.replies > 0) options.dispatch.wakeTenant(tenant.slug);
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
  if (outcome.applyBlock) await applyPendingBlock(options, tenant, outcome.applyBlock);
}

interface DataDocument {
  mediaId: string;
  filename: string;
}

async function act(
  options: ConversationOptions,
  trx: Transaction<DB>,
  input: {
    tenant: Tenant;
    row: Subscriber;
    message: InboundMessage;
    read: Read;
    to: string;
    now: number;
    dataDocument: DataDocument | undefined;
  },
): Promise<Outcome> {
  const { tenant, message: m, to, now } = input;
  let row = input.row;
  const read = typedConfirmation(tenant, row, m, input.read);
  const { action } = read;

  // Blocked (R7): dropped. No reply, nothing stored; a block still pending on WhatsApp is
  // applied now that they are inside the 24-hour window.
  if (row.blockedAt !== null) {
    const user = row.waId ?? to;
    return {
      action: "dropped (blocked)",
      replies: 0,
      erased: false,
      ...(row.waBlockedAt === null ? { applyBlock: { subscriberId: row.id, user } } : {}),
    };
  }

  // Bookkeeping: last message, the flood window, the number (kept while it is needed).
  const flood = floodCount(row, tenant, now);
  const flooding = flood.flooding;
  const bookkeeping: SubscriberChanges = {
    lastInboundAt: now,
    floodWindowStart: flood.windowStart,
    floodCount: flood.count,
    updatedAt: now,
    ...(m.from && row.waId === null ? { waId: m.from } : {}),
    ...(m.fromUserId && row.userId === null ? { userId: m.fromUserId } : {}),
    ...(flooding && row.flaggedAt === null ? { flaggedAt: now, flagReason: "flood" } : {}),
  };
  await changeSubscriber(trx, row.id, bookkeeping);
  row = { ...row, ...bookkeeping };

  const locale = localeOf(tenant, row.locale);
  const replies: OutboundMessage[] = [];
  const effects: Effects = {};
  const say: Say = (key, extra = {}) =>
    replies.push({ type: "text", body: textFor(turn, key, row, extra) });
  const turn: Turn = {
    trx,
    options,
    tenant,
    row,
    message: m,
    action,
    keyword: read.keyword,
    now,
    locale,
    say,
    push: (message) => replies.push(message),
    effects,
  };

  let done: string;
  if (flooding && !isConsentAction(action)) {
    await keepForModeration(turn);
    done = "muted (flood)";
  } else {
    done = await perform(turn);
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
    await options.dispatch.enqueueReply(tenant.slug, { to, message, subscriberId: row.id }, trx);
  }
  if (effects.pseudonym) {
    // The reply that confirms the erasure must reach the number: it keeps it until the
    // dispatcher has its outcome, then the pseudonym takes its place (scrubErasedRecipients).
    await pseudonymiseAfterOutcome(trx, {
      tenantId: tenant.slug,
      subscriberId: row.id,
      pseudonym: effects.pseudonym,
    });
  }
  return {
    action: done,
    replies: replies.length,
    erased: effects.pseudonym !== undefined,
    ...(effects.renamed ? { renamed: effects.renamed } : {}),
  };
}

/** The flood window after one more message at `now`: a fixed window of `flood.windowMinutes`. */
function floodCount(
  row: Subscriber,
  tenant: Tenant,
  now: number,
): { windowStart: number; count: number; flooding: boolean } {
  const windowMs = tenant.flood.windowMinutes * 60_000;
  const restart = row.floodWindowStart === null || now - row.floodWindowStart >= windowMs;
  const count = (restart ? 0 : (row.floodCount ?? 0)) + 1;
  return {
    windowStart: restart ? now : (row.floodWindowStart ?? now),
    count,
    flooding: count > tenant.flood.maxMessages,
  };
}

async function uploadDataDocument(
  options: ConversationOptions,
  tenant: Tenant,
  key: string,
  ids: { waId: string | null; userId: string | null },
): Promise<DataDocument> {
  const { db, clock } = options;
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
  // Meta accepts documents of a few types only (docs/whatsapp-cloud-api.md §2: no
  // application/json): the JSON goes out as text/plain with a .json name.
  const uploaded = await options.clients.forTenant(tenant.slug).uploadMedia({
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

/**
 * What stays of a handled message event: its kind, type and time, under its stored key; never
 * its content, its sender or its wamid (which encodes the sender's number).
 */
function redacted(event: MessageEvent, storedKey: string): WebhookEvent {
  return {
    ...event,
    dedupKey: storedKey,
    message: {
      id: "",
      from: "",
      timestamp: event.message.timestamp,
      type: event.message.type,
    },
  };
}
