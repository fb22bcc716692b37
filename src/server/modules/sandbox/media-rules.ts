import type { MediaKind } from "./parsed-send.js";

/**
 * docs/whatsapp-cloud-api.md §2: the MIME types Meta accepts for each kind of media, and the size
 * limits.
 */

const MB = 1024 * 1024;

interface MediaRule {
  kind: MediaKind;
  maxBytes: number;
}

const RULES: Record<string, MediaRule> = {
  "image/jpeg": { kind: "image", maxBytes: 5 * MB },
  "image/png": { kind: "image", maxBytes: 5 * MB },
  "video/mp4": { kind: "video", maxBytes: 16 * MB },
  "video/3gpp": { kind: "video", maxBytes: 16 * MB },
  "audio/aac": { kind: "audio", maxBytes: 16 * MB },
  "audio/amr": { kind: "audio", maxBytes: 16 * MB },
  "audio/mpeg": { kind: "audio", maxBytes: 16 * MB },
  "audio/mp4": { kind: "audio", maxBytes: 16 * MB },
  "audio/ogg": { kind: "audio", maxBytes: 16 * MB },
  "text/plain": { kind: "document", maxBytes: 100 * MB },
  "application/pdf": { kind: "document", maxBytes: 100 * MB },
  "application/msword": { kind: "document", maxBytes: 100 * MB },
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {
    kind: "document",
    maxBytes: 100 * MB,
  },
  "application/vnd.ms-excel": { kind: "document", maxBytes: 100 * MB },
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
    kind: "document",
    maxBytes: 100 * MB,
  },
  "application/vnd.ms-powerpoint": { kind: "document", maxBytes: 100 * MB },
  "application/vnd.openxmlformats-officedocument.presentationml.presentation": {
    kind: "document",
    maxBytes: 100 * MB,
  },
  // 100 KB static, 500 KB animated: the sandbox does not decode WebP, so it allows the larger.
  "image/webp": { kind: "sticker", maxBytes: 500 * 1024 },
};

/** The largest upload any rule allows: the route's body limit, plus room for the multipart frame. */
export const MAX_UPLOAD_BYTES = 100 * MB + 64 * 1024;

/** Strips parameters: "audio/ogg; codecs=opus" → "audio/ogg". */
export function baseMime(mime: string): string {
  return (mime.split(";")[0] ?? "").trim().toLowerCase();
}

export type MediaCheck = { ok: true; kind: MediaKind } | { ok: false; details: string };

export function checkUpload(mime: string, size: number): MediaCheck {
  const rule = RULES[baseMime(mime)];
  if (!rule)
    return {
      ok: false,
      details: `Param file must be a file of type ${Object.keys(RULES).join(", ")}; got ${mime || "none"}`,
    };
  if (size === 0) return { ok: false, details: "Param file must not be empty" };
  if (size > rule.maxBytes) {
    return {
      ok: false,
      details: `Param file is ${size} bytes; the maximum for ${baseMime(mime)} is ${rule.maxBytes} bytes`,
    };
  }
  return { ok: true, kind: rule.kind };
}

/** Which message types may carry media of this MIME: an image id cannot be sent as a document… */
export function fitsMessageKind(mime: string, kind: MediaKind): boolean {
  const rule = RULES[baseMime(mime)];
  if (!rule) return false;
  // Meta lets any uploaded file go out as a document (a PNG as a file attachment).
  return rule.kind === kind || kind === "document";
}
