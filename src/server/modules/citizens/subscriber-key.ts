import { createHmac } from "node:crypto";

/**
 * The keyed hash that stands for a person where their number must not be kept: the consent
 * ledger, and exact-match lookups by full number. HMAC-SHA256 with the deployment's
 * SUBSCRIBER_KEY_SECRET, over the comune and the identifier, so the same number gives different
 * keys in different comuni and nobody without the secret can test a guessed number.
 *
 * `identifier` is the wa_id (digits, country code first) or, for a person WhatsApp identifies
 * only by a business-scoped user id, that id prefixed with "user:".
 */
export function subscriberKey(secret: string, tenantId: string, identifier: string): string {
  return createHmac("sha256", secret).update(`${tenantId}\n${identifier}`).digest("hex");
}
