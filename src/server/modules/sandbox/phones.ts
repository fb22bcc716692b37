import { AppError } from "../../platform/errors.js";
import { maskPhone } from "../../platform/log.js";
import { metadataOf, type SandboxContext, type SandboxNumber } from "./context.js";
import { newWamid } from "./ids.js";
import type { MessageRecord, Phone, PhoneMessage } from "./sandbox-state.js";
import { postStatuses, type DueStatus } from "./statuses.js";
import { inboundEnvelope, unixSeconds, type InboundItem } from "./webhook-envelopes.js";

/**
 * What a simulated citizen does: write, tap a button or list row, share a location, read. Each
 * message becomes the webhook Meta would post (docs/whatsapp-cloud-api.md §3.3), signed and sent to
 * the service.
 */

export type PhoneInput =
  | { text: string }
  | { tap: string }
  | { location: { latitude: number; longitude: number; name?: string; address?: string } };

export interface PhoneSendOutcome {
  message: PhoneMessage;
  webhook: { status: number | null; error?: string };
}

type TapTarget = {
  message: PhoneMessage;
  option: NonNullable<PhoneMessage["interactive"]>["options"][number];
};

/** The latest message from `number` with options, and the option `tap` names (title or id). */
export function findTapTarget(phone: Phone, number: SandboxNumber, tap: string): TapTarget {
  const latest = phone.messages.findLast(
    (m) =>
      m.direction === "to_phone" &&
      m.number === number.displayNumber &&
      m.interactive &&
      m.status !== "failed",
  );
  const options = latest?.interactive?.options ?? [];
  if (!latest || options.length === 0) {
    throw new AppError(
      409,
      "NOTHING_TO_TAP",
      "Non c'è nessun pulsante da toccare: il Comune non ha inviato messaggi con opzioni",
    );
  }
  const wanted = tap.trim().toLocaleLowerCase("it");
  const option =
    options.find((o) => o.title === tap) ??
    options.find((o) => o.id === tap) ??
    options.find((o) => o.title.toLocaleLowerCase("it") === wanted);
  if (!option) {
    throw new AppError(
      409,
      "OPTION_NOT_FOUND",
      "Nessuna opzione con questo titolo o id nell'ultimo messaggio interattivo",
      [
        {
          field: "body.tap",
          problem: `le opzioni sono: ${options.map((o) => o.title).join(", ")}`,
        },
      ],
    );
  }
  return { message: latest, option };
}

function inboundItem(
  phone: Phone,
  number: SandboxNumber,
  input: PhoneInput,
  id: string,
  now: number,
): { item: InboundItem; view: Pick<PhoneMessage, "type" | "text" | "location"> } {
  const base = { from: phone.waId, id, timestamp: unixSeconds(now) };
  if ("text" in input) {
    return {
      item: { ...base, type: "text", text: { body: input.text } },
      view: { type: "text", text: input.text },
    };
  }
  if ("location" in input) {
    return {
      item: { ...base, type: "location", location: { ...input.location } },
      view: { type: "location", location: { ...input.location } },
    };
  }
  const { message, option } = findTapTarget(phone, number, input.tap);
  const context = { from: number.displayNumber, id: message.id };
  if (message.type === "template") {
    // A template quick reply arrives as type "button"; payload is what the send set, else the label.
    return {
      item: {
        ...base,
        type: "button",
        context,
        button: { payload: option.id, text: option.title },
      },
      view: { type: "button", text: option.title },
    };
  }
  const reply =
    message.interactive?.kind === "list"
      ? {
          type: "list_reply",
          list_reply: {
            id: option.id,
            title: option.title,
            ...(option.description === undefined ? {} : { description: option.description }),
          },
        }
      : { type: "button_reply", button_reply: { id: option.id, title: option.title } };
  return {
    item: { ...base, type: "interactive", context, interactive: reply },
    view: { type: "interactive", text: option.title },
  };
}

/**
 * The phone writes to a comune: stored, counted toward the number's throughput, the 24-hour
 * window (re)opened, and the webhook posted. Answers after the first delivery attempt; retries
 * continue in the background and settle the message's status.
 */
export async function sendFromPhone(
  ctx: SandboxContext,
  phone: Phone,
  number: SandboxNumber,
  input: PhoneInput,
): Promise<PhoneSendOutcome> {
  if (ctx.state.isBlocked(number.phoneNumberId, phone.waId)) {
    throw new AppError(403, "PHONE_BLOCKED", "Il Comune ha bloccato questo numero");
  }
  const now = ctx.clock.now();
  const id = newWamid(phone.waId);
  const { item, view } = inboundItem(phone, number, input, id, now);
  const record: MessageRecord = {
    message: {
      id,
      direction: "from_phone",
      number: number.displayNumber,
      tenant: number.tenant,
      ...view,
      status: "sent",
      at: now,
    },
    waId: phone.waId,
    phoneNumberId: number.phoneNumberId,
  };
  ctx.state.addMessage(phone, record);
  phone.lastInboundAt.set(number.phoneNumberId, now);
  ctx.state.throughput.add(number.phoneNumberId, now);

  // Meta always sends a profile name; an unnamed phone shows its number.
  const contact = { name: phone.name || phone.waId, waId: phone.waId };
  const { first, final } = ctx.poster.post(
    inboundEnvelope(metadataOf(number), contact, item),
    number.appSecret,
  );
  void final.then((result) =>
    ctx.state.advanceStatus(record.message, result.ok ? "delivered" : "failed"),
  );
  const result = await first;
  if (result.ok) ctx.state.advanceStatus(record.message, "delivered");
  ctx.log.debug(
    {
      event: "sandbox.phone_message",
      phone: maskPhone(phone.waId),
      tenant: number.tenant,
      webhookStatus: result.status,
    },
    "Sandbox: a simulated phone wrote to a comune",
  );
  return {
    message: record.message,
    webhook: {
      status: result.status,
      ...(result.error === undefined ? {} : { error: result.error }),
    },
  };
}

/** The phone opens its chats: the comune's messages become read and `read` statuses go out. */
export function readMessages(
  ctx: SandboxContext,
  phone: Phone,
  numbers: readonly SandboxNumber[],
): number {
  let count = 0;
  for (const number of numbers) {
    const reads: DueStatus[] = [];
    for (const message of phone.messages) {
      if (message.direction !== "to_phone" || message.number !== number.displayNumber) continue;
      if (message.status === "read" || message.status === "failed") continue;
      const record = ctx.state.messages.get(message.id);
      if (!record) continue;
      reads.push({ record, status: "read" });
    }
    // Read at once, so due together: one POST per number when statuses are batched.
    postStatuses(ctx, number, reads);
    count += reads.length;
  }
  return count;
}

/**
 * The comune marks a citizen's message as read (`status: "read"` on the messages endpoint):
 * the phone sees blue ticks on it and on everything it wrote before. An unknown id is accepted
 * silently (best guess: Meta refuses it, but after a sandbox restart every id is unknown).
 */
export function markReadByBusiness(
  ctx: SandboxContext,
  number: SandboxNumber,
  messageId: string,
): void {
  const record = ctx.state.messages.get(messageId);
  if (
    !record ||
    record.phoneNumberId !== number.phoneNumberId ||
    record.message.direction !== "from_phone"
  )
    return;
  const phone = ctx.state.phones.get(record.waId);
  for (const message of phone?.messages ?? []) {
    if (
      message.direction === "from_phone" &&
      message.number === number.displayNumber &&
      message.at <= record.message.at
    ) {
      ctx.state.advanceStatus(message, "read");
    }
  }
}
