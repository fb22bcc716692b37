import type { SandboxContext, SandboxNumber } from "./context.js";
import { metaErrors, type MetaError } from "./graph-errors.js";
import { newWamid } from "./ids.js";
import { fitsMessageKind } from "./media-rules.js";
import { outboundView, type MediaLookup } from "./outbound-view.js";
import type { MediaKind, MediaSource, ParsedMessage, ParsedSend } from "./parsed-send.js";
import type { MessageRecord, Pricing } from "./sandbox-state.js";
import { messagingLimitOf, throughputFor } from "./settings.js";
import { scheduleDelivery, scheduleFailure } from "./statuses.js";
import { checkTemplateSend, renderTemplate, type Template } from "./templates.js";

/**
 * A send that passed the shape checks meets the platform's rules here, in this order: faults,
 * throughput, media, block, template, 24-hour window, messaging limit, pair rate. An accepted
 * send is stored in the phone's conversation and its status webhooks are scheduled.
 */

export interface SendResponse {
  messaging_product: "whatsapp";
  contacts: { input: string; wa_id: string }[];
  messages: { id: string; message_status?: "accepted" }[];
}

export type SendResult =
  | { ok: false; error: MetaError }
  /** `holdMs` > 0: the timeout fault; answer only after that long (the send is processed). */
  | { ok: true; response: SendResponse; holdMs: number };

type MessageSend = Extract<ParsedSend, { kind: "message" }>;

export function acceptSend(
  ctx: SandboxContext,
  number: SandboxNumber,
  send: MessageSend,
  /** The arrival time: the send log records the instant the throughput cap counted. */
  now = ctx.clock.now(),
): SendResult {
  const settings = ctx.settings();
  const { faults } = settings;
  const { state } = ctx;
  const id = number.phoneNumberId;
  const { waId, message } = send;

  if (ctx.random() < faults.serverErrorRate) {
    return {
      ok: false,
      error: ctx.random() < 0.5 ? metaErrors.serviceUnavailable() : metaErrors.unknownError(),
    };
  }
  if (
    ctx.random() < faults.throughputErrorRate ||
    state.throughput.count(id, now) >= throughputFor(settings, id, number.ratePerSecond)
  ) {
    return { ok: false, error: metaErrors.throughput() };
  }
  const mediaError = checkMediaReferences(ctx, number, message);
  if (mediaError) return { ok: false, error: mediaError };
  if (state.isBlocked(id, waId)) return { ok: false, error: metaErrors.blockedRecipient() };

  let template: Template | undefined;
  if (message.type === "template") {
    template = ctx.templates.find(number.wabaId, message.template.name, message.template.language);
    const error = checkTemplateSend(template, message.template);
    if (error) return { ok: false, error };
  }

  const windowOpen = state.isWindowOpen(id, waId, now);
  let asyncFailure: MetaError | undefined;
  if (!template && !windowOpen) {
    // Meta often accepts such a message and reports 131047 in a `failed` status instead.
    if (settings.windowErrorsAsync) asyncFailure = metaErrors.reEngagement();
    else return { ok: false, error: metaErrors.reEngagement() };
  }

  const countsTowardLimit = template !== undefined && !windowOpen;
  if (
    countsTowardLimit &&
    !state.messagingLimit.has(number.wabaId, waId, now) &&
    state.messagingLimit.size(number.wabaId, now) >= messagingLimitOf(settings)
  ) {
    return { ok: false, error: metaErrors.messagingLimit(messagingLimitOf(settings)) };
  }
  if (!state.pairRate.tryTake(`${id}:${waId}`, now))
    return { ok: false, error: metaErrors.pairRate() };
  if (countsTowardLimit) state.messagingLimit.add(number.wabaId, waId, now);
  state.throughput.add(id, now);

  const wamid = newWamid(waId);
  const lookup: MediaLookup = (mediaId) => state.media.get(mediaId);
  const view = outboundView(
    message,
    lookup,
    template && message.type === "template"
      ? { template, rendered: renderTemplate(template, message.template) }
      : undefined,
  );
  const record: MessageRecord = {
    message: {
      id: wamid,
      direction: "to_phone",
      number: number.displayNumber,
      tenant: number.tenant,
      ...view,
      status: "sent",
      at: now,
    },
    waId,
    phoneNumberId: id,
    ...(send.callbackData === undefined ? {} : { callbackData: send.callbackData }),
    pricing: pricingOf(template, windowOpen, now),
  };
  state.addMessage(state.upsertPhone(waId).phone, record);

  const undeliverable =
    settings.undeliverableNumbers.includes(waId) || ctx.random() < faults.undeliverableRate;
  if (asyncFailure ?? undeliverable) {
    scheduleFailure(ctx, number, record, asyncFailure ?? metaErrors.undeliverable());
  } else {
    scheduleDelivery(ctx, number, record);
  }
  return {
    ok: true,
    holdMs: ctx.random() < faults.timeoutRate ? settings.timeoutHoldMs : 0,
    response: {
      messaging_product: "whatsapp",
      contacts: [{ input: send.input, wa_id: waId }],
      messages: [{ id: wamid, ...(template ? { message_status: "accepted" as const } : {}) }],
    },
  };
}

/**
 * Since 2026-10-01 Meta charges free-form (service) messages and utility templates inside the
 * 24-hour window too; until then both were free there (docs/whatsapp-cloud-api.md §7). Midnight
 * UTC.
 */
export const SERVICE_CHARGED_FROM = Date.UTC(2026, 9, 1);

/**
 * What the status webhooks say a send costs (docs/whatsapp-cloud-api.md §7; per message, `PMP`). A
 * template outside the window is always charged as its category, and so is a marketing or
 * authentication template inside it. Inside the window, a free-form message (category `service`)
 * and a utility template were free (`free_customer_service`) for sends before 2026-10-01 and are
 * charged (`regular`) from then on. Free entry points (72 hours after an ad click) are not
 * emulated. `billable` is deprecated but still sent, and agrees with `type`.
 */
export function pricingOf(
  template: Template | undefined,
  windowOpen: boolean,
  sentAt: number,
): Pricing {
  const category = template ? template.category.toLowerCase() : "service";
  const freeBefore = windowOpen && (!template || template.category === "UTILITY");
  const regular = !freeBefore || sentAt >= SERVICE_CHARGED_FROM;
  return {
    billable: regular,
    pricing_model: "PMP",
    type: regular ? "regular" : "free_customer_service",
    category,
  };
}

function mediaReferences(
  message: ParsedMessage,
): { kind: MediaKind; source: MediaSource; path: string }[] {
  switch (message.type) {
    case "image":
    case "video":
    case "document":
    case "audio":
    case "sticker":
      return [{ kind: message.type, source: message.media, path: message.type }];
    case "interactive": {
      const header = message.interactive.kind === "list" ? undefined : message.interactive.header;
      return header && header.type !== "text"
        ? [
            {
              kind: header.type,
              source: header.media,
              path: `interactive['header']['${header.type}']`,
            },
          ]
        : [];
    }
    case "template": {
      const header = message.template.header;
      return header && "media" in header
        ? [{ kind: header.type, source: header.media, path: `template header ${header.type}` }]
        : [];
    }
    case "text":
    case "location":
    case "reaction":
    case "contacts":
      return [];
  }
}

/**
 * A media id must exist and belong to the sending number (docs/whatsapp-cloud-api.md §2: a media id
 * can only be used by the number that uploaded it). Best guess: Meta does not document the code for
 * an unknown id; the sandbox answers 100 naming the field. Links are accepted as they are.
 */
function checkMediaReferences(
  ctx: SandboxContext,
  number: SandboxNumber,
  message: ParsedMessage,
): MetaError | null {
  for (const ref of mediaReferences(message)) {
    if (!("id" in ref.source)) continue;
    const media = ctx.state.findMedia(ref.source.id, ctx.clock.now());
    if (!media || media.phoneNumberId !== number.phoneNumberId) {
      return metaErrors.invalidParameter(
        `Param ${ref.path}['id'] is not a valid media id for this phone number`,
      );
    }
    if (!fitsMessageKind(media.mimeType, ref.kind)) {
      return metaErrors.media(
        `Media ${media.id} (${media.mimeType}) cannot be sent as ${ref.kind}`,
      );
    }
  }
  return null;
}
