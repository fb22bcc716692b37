import { z } from "zod";

/*
 * A phone number as WhatsApp names a person: the wa_id, E.164 without the "+" (digits only,
 * 8 to 15 of them, the country code first, which never starts with 0). The one pattern for the
 * tenant files, the sandbox's Graph API and page API, and the admin API; each keeps its own
 * message, since each speaks to a different reader (operators in English, staff in Italian,
 * integrators in Meta's words).
 */

/** wa_id: digits only, 8–15, country code first, no "+". */
export const WA_ID_PATTERN = /^[1-9]\d{7,14}$/;

/** True when `text` is already a wa_id. */
export function isWaId(text: string): boolean {
  return WA_ID_PATTERN.test(text);
}

/** A zod string that must be a wa_id, refused with `message`. */
export function waIdString(message: string): z.ZodString {
  return z.string().regex(WA_ID_PATTERN, message);
}

/**
 * What Meta does to a `to` or a block-list entry before it checks it: "+", spaces, hyphens,
 * dots and parentheses dropped (docs/whatsapp-cloud-api.md §9). The result may still not be a
 * wa_id: check it with `isWaId`.
 */
export function stripNumberPunctuation(input: string): string {
  return input.replace(/[\s+\-().]/g, "");
}

/**
 * A number as staff type it: "+39 366 578 4663", "0039 366-578-4663", "393665784663" →
 * "393665784663" (the wa_id form); undefined when it cannot be a full international number.
 */
export function normaliseNumber(input: string): string | undefined {
  let digits = input.trim();
  if (!/^[+0-9\s().\-/]+$/.test(digits)) return undefined;
  digits = digits.replace(/[^0-9+]/g, "");
  if (digits.startsWith("+")) digits = digits.slice(1);
  else if (digits.startsWith("00")) digits = digits.slice(2);
  if (digits.includes("+")) return undefined;
  return isWaId(digits) ? digits : undefined;
}
