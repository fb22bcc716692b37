import {
  DROPPED_REQUEST,
  updateSubscriberStatus,
  type Subscriber,
} from "../citizens.repository.js";
import { appendConsentEvent } from "../consent-ledger.repository.js";
import { eraseCitizen } from "../erasure.js";
import type { CitizenIntent } from "../grammar.js";
import { profileNameOf } from "../profile-name.js";
import { messagePseudonym } from "../subscriber-key.js";
import type { SubscriberMove } from "../subscriber-status.js";
import { autoReply } from "./auto-reply.js";
import { CANCEL_ID, CONFIRM_ID } from "./read.js";
import { textFor, type Turn } from "./turn.js";

/**
 * The intents that give or withdraw consent: subscribing (with the optional "Confermo" step),
 * confirming, cancelling, unsubscribing and erasing. Each returns a short name of what was done
 * (for the log); the status moves are those of subscriber-status.ts.
 */

type Names = Pick<Subscriber, "firstName" | "lastName" | "profileName">;

export async function subscribe(
  turn: Turn,
  intent: Extract<CitizenIntent, { action: "subscribe" }>,
): Promise<string> {
  const { trx, tenant, row, message: m, now } = turn;
  if (row.status === "active") {
    turn.say("alreadySubscribed");
    return "already subscribed";
  }
  if (tenant.keywords.form === "name-and-keyword" && !intent.firstName) {
    turn.say("nameMissing");
    return "name missing";
  }
  const names: Names = {
    firstName: intent.firstName ?? null,
    lastName: intent.lastName ?? null,
    // A profile name that is the number (or mostly digits) is no name (profile-name.ts).
    profileName: tenant.subscription.storeProfileName
      ? (profileNameOf(m.profileName) ?? null)
      : null,
  };
  const messageRef = messagePseudonym(turn.options.keySecret, tenant.slug, m.id);
  if (tenant.subscription.confirmationStep) {
    await updateSubscriberStatus(trx, {
      move: "ask",
      id: row.id,
      tenantId: tenant.slug,
      now,
      changes: {
        ...names,
        pendingSince: now,
        pendingMessageId: messageRef,
        // The keyword only: the name is in firstName / lastName until Confermo or Annulla.
        pendingText: turn.keyword ?? null,
      },
    });
    turn.push({
      type: "buttons",
      body: textFor(turn, "confirmPrompt", { ...row, ...names }),
      buttons: [
        { id: CONFIRM_ID, title: textFor(turn, "confirmButton") },
        { id: CANCEL_ID, title: textFor(turn, "cancelButton") },
      ],
    });
    return "confirmation asked";
  }
  await activate(turn, "subscribe", { names, messageId: messageRef, text: turn.keyword ?? null });
  // {name} is the name just given.
  turn.push({
    type: "text",
    body: textFor(turn, "subscribed", { ...row, ...names }, { topics: [] }),
  });
  return "subscribed";
}

/** "Confermo", tapped or typed. */
export async function confirm(turn: Turn): Promise<string> {
  const { tenant, row } = turn;
  if (row.status === "active") {
    turn.say("alreadySubscribed");
    return "already subscribed";
  }
  if (row.status !== "pending") return autoReply(turn);
  await activate(turn, "confirm", {
    names: { firstName: row.firstName, lastName: row.lastName, profileName: row.profileName },
    messageId: messagePseudonym(turn.options.keySecret, tenant.slug, turn.message.id),
    // The comune's button, tapped or typed: what was confirmed, not how it was spelt.
    text: `${row.pendingText ?? ""}\n[${textFor(turn, "confirmButton")}]`.trim(),
  });
  turn.say("subscribed", { topics: [] });
  return "subscribed (confirmed)";
}

/** "Annulla", tapped or typed. */
export async function cancel(turn: Turn): Promise<string> {
  if (turn.row.status !== "pending") return autoReply(turn);
  await withdraw(turn);
  turn.say("confirmCancelled");
  return "confirmation cancelled";
}

export async function unsubscribe(turn: Turn): Promise<string> {
  const { row } = turn;
  if (row.status === "pending") {
    // Nothing was ever active: the request is withdrawn, not "your subscription is cancelled".
    await withdraw(turn);
    turn.say("confirmCancelled");
    return "pending request withdrawn";
  }
  if (row.status !== "active") {
    turn.say("notSubscribed");
    return "not subscribed";
  }
  await eraseData(turn, "unsubscribe");
  turn.say("unsubscribed");
  return "unsubscribed";
}

/** CANCELLA DATI. */
export async function erase(turn: Turn): Promise<string> {
  await eraseData(turn, "erase");
  turn.say("erased");
  return "erased";
}

/** Unsubscribing and "CANCELLA DATI" differ only in what the ledger records. */
async function eraseData(turn: Turn, ledgerAction: "unsubscribe" | "erase"): Promise<void> {
  const { pseudonym, renamed } = await eraseCitizen(turn.trx, {
    tenant: turn.tenant,
    subscriberId: turn.row.id,
    actor: { type: "citizen" },
    ledgerAction,
    inboundMessageId: turn.message.id,
    ...(turn.keyword === undefined ? {} : { textReceived: turn.keyword }),
    now: turn.now,
    keySecret: turn.options.keySecret,
  });
  turn.effects.pseudonym = pseudonym;
  turn.effects.renamed = renamed;
}

async function activate(
  turn: Turn,
  move: Extract<SubscriberMove, "subscribe" | "confirm">,
  input: { names: Names; messageId: string; text: string | null },
): Promise<void> {
  const { trx, tenant, row, now } = turn;
  await updateSubscriberStatus(trx, {
    move,
    id: row.id,
    tenantId: tenant.slug,
    now,
    changes: {
      ...input.names,
      subscribedAt: now,
      unsubscribedAt: null,
      topics: [],
      pendingSince: null,
      pendingMessageId: null,
      pendingText: null,
    },
  });
  await appendConsentEvent(trx, {
    tenant,
    subscriberKey: row.subscriberKey ?? "",
    action: "subscribe",
    inboundMessageId: input.messageId,
    textReceived: input.text,
    now,
  });
}

/** The pending request is dropped, with the name given with it. */
async function withdraw(turn: Turn): Promise<void> {
  await updateSubscriberStatus(turn.trx, {
    move: "withdraw",
    id: turn.row.id,
    tenantId: turn.tenant.slug,
    now: turn.now,
    changes: DROPPED_REQUEST,
  });
}
