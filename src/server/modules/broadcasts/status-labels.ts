import type { Localized } from "./policy/index.js";

/** How staff read a broadcast's status, in the console and in the API's messages. */
export const STATUS_LABELS: Readonly<Record<string, Localized>> = {
  draft: { it: "bozza", en: "draft" },
  submitted: { it: "in attesa di approvazione", en: "awaiting approval" },
  approved: { it: "approvata", en: "approved" },
  rejected: { it: "respinta", en: "rejected" },
  scheduled: { it: "programmata", en: "scheduled" },
  sending: { it: "in invio", en: "sending" },
  paused: { it: "in pausa", en: "paused" },
  needs_attention: { it: "da verificare", en: "needs attention" },
  sent: { it: "inviata", en: "sent" },
  cancelled: { it: "annullata", en: "cancelled" },
};

export function statusLabel(status: string): Localized {
  return STATUS_LABELS[status] ?? { it: status, en: status };
}
