import type { Db } from "../../platform/db/schema.js";
import {
  outboundTracesOf,
  pseudonymiseAfterOutcome,
  pseudonymiseOutboundMessage,
  type OutboundTrace,
} from "../dispatch/dispatch.service.js";
import { pseudonymiseStatusEvents } from "../whatsapp/inbound-events.service.js";
import { messagePseudonym, recipientPseudonym, isPseudonym } from "./subscriber-key.js";

/**
 * The messages sent to a person who erased their data, or whose number the purge forgets, lose
 * what identifies them: their recipient and message id become pseudonyms (subscriber-key.ts), and
 * so do their stored status webhooks (README.md, "Erasure").
 */

/** A message id replaced by its pseudonym (its status webhooks are looked for again later). */
export interface RenamedMessage {
  tenantId: string;
  wamid: string;
  messageKey: string;
}

export interface Pseudonymised {
  /** What now stands for the person in `outbound_messages.recipient`. */
  pseudonym: string;
  renamed: RenamedMessage[];
}

/**
 * The messages sent to one person lose what identifies them: every row with an outcome gets the
 * person's pseudonym as recipient, its message id's pseudonym, no text, and its stored status
 * webhooks rewritten (`pseudonymiseSentMessage`); a row still queued or on the wire is marked to
 * get it once the dispatcher has its outcome. For erasure and for the retention purge.
 */
export async function pseudonymiseTraces(
  trx: Db,
  input: { tenantId: string; subscriberId: number; key: string; keySecret: string; now: number },
): Promise<Pseudonymised> {
  const pseudonym = recipientPseudonym(input.key);
  const traces = await outboundTracesOf(trx, {
    tenantId: input.tenantId,
    subscriberId: input.subscriberId,
    pseudonym,
  });
  const renamed: RenamedMessage[] = [];
  for (const trace of traces) {
    if (!hasOutcome(trace)) continue;
    const done = await pseudonymiseSentMessage(trx, {
      trace,
      pseudonym,
      keySecret: input.keySecret,
      now: input.now,
    });
    if (done) renamed.push(done);
  }
  await pseudonymiseAfterOutcome(trx, {
    tenantId: input.tenantId,
    subscriberId: input.subscriberId,
    pseudonym,
  });
  return { pseudonym, renamed };
}

/**
 * After the transaction that pseudonymised messages committed: their status webhooks once more.
 * A status handled at the same time (PostgreSQL: its handler read the row before the commit and
 * applied it after) was stored with the wamid while the transaction looked for it; now it is
 * there to find. A status handled after the commit finds the pseudonym and is rewritten by its
 * handler (`Citizens.afterStatus`).
 */
export async function pseudonymiseStatusesAgain(
  db: Db,
  renamed: readonly RenamedMessage[],
): Promise<void> {
  if (renamed.length === 0) return;
  const again = async (trx: Db) => {
    for (const r of renamed) await pseudonymiseStatusEvents(trx, r);
  };
  if (db.isTransaction) await again(db);
  else await db.transaction().execute(again);
}

/**
 * The dispatcher is done with the row: accepted by WhatsApp (a later failure is not retried for
 * a pseudonymised row: its status finds a message id that is no longer the wamid), failed,
 * skipped or cancelled.
 */
export function hasOutcome(trace: Pick<OutboundTrace, "state">): boolean {
  return trace.state !== "queued" && trace.state !== "in_flight";
}

/** One sent message pseudonymised: its row and its stored status webhooks. */
export async function pseudonymiseSentMessage(
  trx: Db,
  input: { trace: OutboundTrace; pseudonym: string; keySecret: string; now: number },
): Promise<RenamedMessage | undefined> {
  const { trace } = input;
  const wamid = trace.waMessageId && !isPseudonym(trace.waMessageId) ? trace.waMessageId : null;
  const messageKey = wamid ? messagePseudonym(input.keySecret, trace.tenantId, wamid) : null;
  const done = await pseudonymiseOutboundMessage(trx, {
    id: trace.id,
    recipient: input.pseudonym,
    waMessageId: messageKey ?? trace.waMessageId,
    now: input.now,
  });
  if (!done || !wamid || !messageKey) return undefined;
  const renamed = { tenantId: trace.tenantId, wamid, messageKey };
  await pseudonymiseStatusEvents(trx, renamed);
  return renamed;
}
