import type { Tenant } from "../../config/tenants.js";

/**
 * How a citizen subscribes from the web: the message to send, prefilled in a wa.me link
 * (WhatsApp's "click to chat") and the same link as a QR code.
 */

/**
 * What the link prefills. A phrase comune gets its keyword; a comune that asks for the name
 * gets the form of its instructions ("Nome, Cognome + ATTIVA"), which the citizen completes
 * (sent unchanged, the grammar still subscribes, without a name).
 */
export function subscribeMessage(tenant: Tenant): string {
  const keyword = tenant.keywords.subscribe[0] ?? "";
  return tenant.keywords.form === "name-and-keyword" ? `Nome, Cognome + ${keyword}` : keyword;
}

/** The unsubscribe message, in the comune's form. */
export function unsubscribeMessage(tenant: Tenant): string {
  const keyword = tenant.keywords.unsubscribe[0] ?? "";
  return tenant.keywords.form === "name-and-keyword" ? `Nome, Cognome + ${keyword}` : keyword;
}

export function waMeUrl(tenant: Tenant): string {
  return `https://wa.me/${tenant.whatsapp.displayNumber}?text=${encodeURIComponent(subscribeMessage(tenant))}`;
}

/**
 * The number as people write it: "+39 366 578 4663". Italian numbers are grouped 3-3-4 after
 * the country code; others are shown whole after theirs.
 */
export function displayNumber(tenant: Tenant): string {
  const digits = tenant.whatsapp.displayNumber;
  if (digits.startsWith("39") && digits.length >= 11) {
    const n = digits.slice(2);
    return `+39 ${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`;
  }
  return `+${digits}`;
}

/** Medium error correction: the poster's code still reads with a stain or a pin through it. */
const QR_OPTIONS = { errorCorrectionLevel: "M", margin: 4 } as const;

/** qrcode is loaded on the first code drawn, not by every process that starts (~10 MB). */
const qrcode = async () => (await import("qrcode")).default;

export async function qrSvg(tenant: Tenant): Promise<string> {
  return (await qrcode()).toString(waMeUrl(tenant), { ...QR_OPTIONS, type: "svg" });
}

export async function qrPng(tenant: Tenant, width = 600): Promise<Buffer> {
  return (await qrcode()).toBuffer(waMeUrl(tenant), { ...QR_OPTIONS, type: "png", width });
}
