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

/** What every pseudonym this file makes starts with: never a number, a user id or a wamid. */
export const PSEUDONYM_PREFIX = "key:";

/**
 * What stands for the person in `outbound_messages.recipient` once the number must go (erasure,
 * retention): their keyed hash, so the rows still count one person once (messaging-limit tier,
 * statistics) and link to their consent-ledger entries, and identify nobody without the secret.
 */
export function recipientPseudonym(subscriberKeyOfPerson: string): string {
  return `${PSEUDONYM_PREFIX}${subscriberKeyOfPerson}`;
}

/**
 * What stands for one of Meta's message ids (wamid). A wamid is not opaque: Meta's encode the
 * citizen's number (base64 of a protobuf that carries it, "wamid.HBgM" + "393331234567" …), so
 * a stored wamid is the number to anyone who decodes it. Where a message id must outlive the
 * person (the consent ledger, the handled webhook event, the sent message's row), the keyed hash
 * is kept instead: the comune can still check that a given wamid is the one recorded (with the
 * secret), nobody can read a number out of it. The "wamid:" tag keeps it apart from identifiers.
 */
export function messagePseudonym(secret: string, tenantId: string, wamid: string): string {
  return `${PSEUDONYM_PREFIX}${subscriberKey(secret, tenantId, `wamid:${wamid}`)}`;
}

export function isPseudonym(value: string | null | undefined): boolean {
  return typeof value === "string" && value.startsWith(PSEUDONYM_PREFIX);
}

/**
 * The dedup key a handled event is kept under. "message:<wamid>" becomes
 * "message:key:<pseudonym of the wamid>" (the same pseudonym as in the ledger, so a ledger entry
 * still points at its event); any other key ("account:user_preferences:<digest of a value with
 * the number>") becomes "<kind>:key:<keyed hash of the whole key>". A redelivery computes the
 * same stored key, so it is still recognised.
 */
export function storedEventKey(secret: string, tenantId: string, dedupKey: string): string {
  const colon = dedupKey.indexOf(":");
  const kind = colon > 0 ? dedupKey.slice(0, colon) : "event";
  const rest = colon > 0 ? dedupKey.slice(colon + 1) : dedupKey;
  if (isPseudonym(rest)) return dedupKey;
  if (kind === "message") return `message:${messagePseudonym(secret, tenantId, rest)}`;
  return `${kind}:${PSEUDONYM_PREFIX}${subscriberKey(secret, tenantId, `event:${dedupKey}`)}`;
}

/** The stored key of a status event once its message id is pseudonymised. */
export function storedStatusKey(messageKey: string, status: string): string {
  return `status:${messageKey}:${status}`;
}
