import type { TenantFile } from "../../config/tenant-schema.js";

/**
 * What a citizen's text message asks for, read with the comune's keyword grammar.
 *
 * CONTRACT (shared by the grammar and the conversation code): `readCitizenText` is pure and total
 * (never throws, any string in), and an ordinary sentence that merely contains a keyword
 * ("ho attivato la carta d'identità?") is "other", never a subscription.
 */
export type CitizenIntent =
  /** Subscribe; the name is captured in the name-and-keyword form (absent when not given). */
  | { action: "subscribe"; firstName?: string; lastName?: string }
  | { action: "unsubscribe" }
  /** A data-subject or help command (issue #5 item 8). */
  | { action: "command"; command: CitizenCommand }
  | { action: "other" };

export type CitizenCommand = "help" | "topics" | "data" | "erase";

/** The comune's keyword settings, as the tenant file gives them. */
export type KeywordSettings = TenantFile["keywords"];

export function readCitizenText(_text: string, _keywords: KeywordSettings): CitizenIntent {
  // Placeholder until the grammar lands: nothing is recognised.
  return { action: "other" };
}
