import { formatOneDecimal } from "./format.js";
import type { PolicyNote } from "./types.js";

/**
 * A broadcast's media against WhatsApp's table (docs/whatsapp-cloud-api.md §2): the kinds a
 * broadcast may carry (image, video, document), their MIME types and sizes.
 *
 * One table here rather than `sandbox/media-rules.ts`: that one is the sandbox's copy of Meta's
 * behaviour (all kinds, Meta's English error text, not exported), and the real service must not
 * depend on the stand-in. `media-check.test.ts` holds the two tables to the same figures.
 */

export type BroadcastMediaKind = "image" | "video" | "document";

export interface MediaFile {
  /** What staff chose; when absent, the kind the MIME type belongs to. */
  kind?: BroadcastMediaKind;
  mimeType: string;
  sizeBytes: number;
}

const MB = 1024 * 1024;

interface KindRule {
  maxBytes: number;
  mimeTypes: readonly string[];
  /** The accepted formats as staff know them. */
  formats: { it: string; en: string };
  /** "un'immagine" and "L'immagine": the kind inside a sentence and at its start. */
  a: { it: string; en: string };
  the: { it: string; en: string };
}

export const MEDIA_RULES: Readonly<Record<BroadcastMediaKind, KindRule>> = {
  image: {
    maxBytes: 5 * MB,
    mimeTypes: ["image/jpeg", "image/png"],
    formats: { it: "JPEG e PNG", en: "JPEG and PNG" },
    a: { it: "un'immagine", en: "an image" },
    the: { it: "L'immagine", en: "The image" },
  },
  video: {
    maxBytes: 16 * MB,
    mimeTypes: ["video/mp4", "video/3gpp"],
    formats: {
      it: "MP4 e 3GPP (video H.264, audio AAC)",
      en: "MP4 and 3GPP (H.264 video, AAC audio)",
    },
    a: { it: "un video", en: "a video" },
    the: { it: "Il video", en: "The video" },
  },
  document: {
    maxBytes: 100 * MB,
    mimeTypes: [
      "text/plain",
      "application/pdf",
      "application/msword",
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      "application/vnd.ms-excel",
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "application/vnd.ms-powerpoint",
      "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ],
    formats: {
      it: "testo (.txt), PDF, Word, Excel e PowerPoint",
      en: "plain text (.txt), PDF, Word, Excel and PowerPoint",
    },
    a: { it: "un documento", en: "a document" },
    the: { it: "Il documento", en: "The document" },
  },
};

const KINDS = Object.keys(MEDIA_RULES) as BroadcastMediaKind[];
const SOURCE = "docs/whatsapp-cloud-api.md §2";

/** "image/jpeg; charset=…" → "image/jpeg". */
function bareMime(mime: string): string {
  return (mime.split(";")[0] ?? "").trim().toLowerCase();
}

/** The kind a MIME type belongs to, if a broadcast may carry it. */
export function mediaKindOf(mimeType: string): BroadcastMediaKind | undefined {
  const mime = bareMime(mimeType);
  return KINDS.find((kind) => MEDIA_RULES[kind].mimeTypes.includes(mime));
}

function megabytes(bytes: number): { it: string; en: string } {
  return {
    it: `${formatOneDecimal(bytes / MB, "it")} MB`,
    en: `${formatOneDecimal(bytes / MB, "en")} MB`,
  };
}

/** Every problem of the file; none when WhatsApp will take it. */
export function checkMedia(file: MediaFile): PolicyNote[] {
  const mime = bareMime(file.mimeType);
  const kind = file.kind ?? mediaKindOf(mime);
  if (!kind) {
    return [
      {
        id: "media.type",
        rule: "media.type",
        source: SOURCE,
        why: {
          it: `Il tipo di file «${mime || "sconosciuto"}» non si può inviare: WhatsApp accetta immagini JPEG e PNG, video MP4 e 3GPP, documenti di testo, PDF, Word, Excel e PowerPoint.`,
          en: `A file of type "${mime || "unknown"}" cannot be sent: WhatsApp takes JPEG and PNG images, MP4 and 3GPP videos, plain-text, PDF, Word, Excel and PowerPoint documents.`,
        },
        todo: {
          it: "Converti il file in uno dei formati ammessi.",
          en: "Convert the file to one of the accepted formats.",
        },
      },
    ];
  }
  const rule = MEDIA_RULES[kind];
  if (!rule.mimeTypes.includes(mime)) {
    return [
      {
        id: "media.type",
        rule: "media.type",
        source: SOURCE,
        why: {
          it: `Il tipo di file «${mime || "sconosciuto"}» non è ammesso per ${rule.a.it}: WhatsApp accetta ${rule.formats.it}.`,
          en: `A file of type "${mime || "unknown"}" is not accepted as ${rule.a.en}: WhatsApp takes ${rule.formats.en}.`,
        },
        todo: {
          it: `Converti il file in ${rule.formats.it.replace(" e ", " o ")}.`,
          en: `Convert the file to ${rule.formats.en.replace(" and ", " or ")}.`,
        },
      },
    ];
  }
  if (file.sizeBytes <= 0) {
    return [
      {
        id: "media.empty",
        rule: "media.empty",
        source: SOURCE,
        why: { it: "Il file è vuoto.", en: "The file is empty." },
        todo: { it: "Carica di nuovo il file.", en: "Upload the file again." },
      },
    ];
  }
  if (file.sizeBytes > rule.maxBytes) {
    const size = megabytes(file.sizeBytes);
    const max = megabytes(rule.maxBytes);
    return [
      {
        id: "media.size",
        rule: "media.size",
        source: SOURCE,
        why: {
          it: `${rule.the.it} pesa ${size.it}: WhatsApp accetta al massimo ${max.it} per ${rule.a.it}.`,
          en: `${rule.the.en} is ${size.en}: WhatsApp takes at most ${max.en} for ${rule.a.en}.`,
        },
        todo: {
          it: `Riduci il file sotto i ${max.it} (per esempio abbassandone la risoluzione) o dividilo.`,
          en: `Make the file smaller than ${max.en} (for instance at a lower resolution) or split it.`,
        },
      },
    ];
  }
  return [];
}
