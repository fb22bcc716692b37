import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * `sha256=<hex>`: HMAC-SHA256 of the exact body bytes with the app secret
 * (docs/whatsapp-cloud-api.md §3.5).
 */
export function signWebhookBody(body: Uint8Array | string, appSecret: string): string {
  return `sha256=${createHmac("sha256", appSecret).update(body).digest("hex")}`;
}

const HEADER = /^sha256=([0-9a-f]{64})$/i;

/**
 * Which of the app secrets signed this body, or undefined. Comparison is constant-time; a
 * deployment usually has one Meta app (one secret) for all its comuni, rarely a few.
 */
export function findSigningSecret(
  body: Uint8Array,
  header: string | undefined,
  appSecrets: Iterable<string>,
): string | undefined {
  const match = header ? HEADER.exec(header) : null;
  if (!match?.[1]) return undefined;
  const given = Buffer.from(match[1].toLowerCase(), "hex");
  for (const secret of appSecrets) {
    const expected = createHmac("sha256", secret).update(body).digest();
    if (timingSafeEqual(expected, given)) return secret;
  }
  return undefined;
}
