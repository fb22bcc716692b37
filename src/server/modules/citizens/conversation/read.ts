import type { Tenant } from "../../../config/tenants.js";
import type { InboundMessage } from "../../whatsapp/webhook-events.js";
import type { Subscriber } from "../citizens.repository.js";
import { readCitizenMessage, readConfirmation, type CitizenIntent } from "../grammar.js";

/**
 * What a citizen's message asks for: the grammar's reading of a text (grammar.ts), the buttons
 * and list rows this service sent, and "Confermo" / "Annulla" typed while a request is pending.
 */

/** Button and list-row ids this service puts in interactive messages. */
export const CONFIRM_ID = "subscribe.confirm";
export const CANCEL_ID = "subscribe.cancel";
export const TOPIC_PREFIX = "topic:";
export const ALL_TOPICS_ID = `${TOPIC_PREFIX}*`;

export type Action =
  | CitizenIntent
  | { action: "confirm"; title: string }
  | { action: "cancel" }
  | { action: "topic"; topicId: string }
  | { action: "ignore" };

/** What the text asked for, and the configured keyword it asked with (for the ledger). */
export interface Read {
  action: Action;
  keyword?: string;
}

export function actionOf(m: InboundMessage, tenant: Tenant): Read {
  switch (m.type) {
    case "text": {
      const { intent, keyword } = readCitizenMessage(m.text ?? "", tenant.keywords);
      return keyword === undefined ? { action: intent } : { action: intent, keyword };
    }
    case "interactive": {
      const id = m.interactive?.id ?? "";
      if (m.interactive?.kind === "button_reply" && id === CONFIRM_ID)
        return { action: { action: "confirm", title: m.interactive.title ?? "" } };
      if (m.interactive?.kind === "button_reply" && id === CANCEL_ID)
        return { action: { action: "cancel" } };
      if (m.interactive?.kind === "list_reply" && id.startsWith(TOPIC_PREFIX))
        return { action: { action: "topic", topicId: id.slice(TOPIC_PREFIX.length) } };
      return { action: { action: "other" } };
    }
    case "system":
      // Meta's own notices (a changed number…): not something the citizen wrote.
      return { action: { action: "ignore" } };
    default:
      return { action: { action: "other" } };
  }
}

/**
 * While a confirmation is pending, "Confermo" or "Annulla" typed instead of tapped works like
 * the button (grammar.ts §6): otherwise the citizen got the auto-reply, then nothing, and was
 * stuck with a request they could neither confirm nor withdraw.
 */
export function typedConfirmation(
  tenant: Tenant,
  row: Subscriber,
  m: InboundMessage,
  read: Read,
): Read {
  if (row.status !== "pending" || m.type !== "text" || read.action.action !== "other") return read;
  const titles = (key: "confirmButton" | "cancelButton") =>
    [tenant.texts.it[key], tenant.texts.en?.[key]].filter((t): t is string => Boolean(t));
  const typed = readConfirmation(m.text ?? "", {
    confirm: titles("confirmButton"),
    cancel: titles("cancelButton"),
  });
  if (typed === "confirm") return { action: { action: "confirm", title: "" } };
  if (typed === "cancel") return { action: { action: "cancel" } };
  return read;
}

/** While flooding only what concerns consent is acted on; everything else is muted. */
export function isConsentAction(action: Action): boolean {
  return (
    action.action === "subscribe" ||
    action.action === "unsubscribe" ||
    action.action === "confirm" ||
    action.action === "cancel" ||
    (action.action === "command" && action.command === "erase")
  );
}
