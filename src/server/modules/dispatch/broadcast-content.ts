import type { OutboundMessage, TemplateHeaderParam } from "../whatsapp/types.js";

/**
 * What a broadcast stores as its content (`broadcasts.content`): the message every recipient
 * gets, and, for a template whose header shows a stored file, which file. The file's Cloud API
 * id belongs to the sender number and expires, so it is put in the header only by the dispatcher
 * that sends (known-broadcasts.ts), never stored with the broadcast.
 *
 * `freeForm`: the comune sends free-form messages to those inside their 24-hour window
 * (`broadcasts.freeFormInWindow`): the text alone, or the stored file with the text as its
 * caption, billed at the service rate rather than the template's.
 */
export type BroadcastContent = OutboundMessage & { headerMedia?: HeaderMedia; freeForm?: FreeForm };

export interface HeaderMedia {
  /** media_files.id */
  fileId: number;
  kind: "image" | "video" | "document";
  /** The name a document shows on the phone. */
  filename?: string;
}

export interface FreeForm {
  text: string;
}

/** The two messages of a broadcast, ready to send: the template, and the free-form one if any. */
export interface SendableContent {
  template: OutboundMessage;
  freeForm?: OutboundMessage;
}

/**
 * A free-form send must reach Meta while the window is still open, and its status may come
 * later: inside the last ten minutes of the window, the template goes instead.
 */
export const FREE_FORM_MARGIN_MS = 10 * 60 * 1000;

/** The free-form message for a person whose window is open until `windowClosesAt`, if any. */
export function messageFor(
  content: SendableContent,
  windowClosesAt: number | null,
  now: number,
): OutboundMessage {
  const open = windowClosesAt !== null && windowClosesAt - now > FREE_FORM_MARGIN_MS;
  return open && content.freeForm ? content.freeForm : content.template;
}

/**
 * The messages to send: the stored content with the file's Cloud API id of this number (for a
 * stored file), in the template's header and as the free-form message's media.
 */
export function sendableContent(
  content: BroadcastContent,
  waMediaId: string | undefined,
): SendableContent {
  const { headerMedia, freeForm, ...template } = content;
  const media = headerMedia && waMediaId !== undefined ? { headerMedia, waMediaId } : undefined;
  return {
    template: media ? withHeader(template, media.headerMedia, media.waMediaId) : template,
    ...(freeForm ? { freeForm: freeFormMessage(freeForm.text, media) } : {}),
  };
}

function withHeader(
  message: OutboundMessage,
  headerMedia: HeaderMedia,
  waMediaId: string,
): OutboundMessage {
  if (message.type !== "template") return message;
  const header: TemplateHeaderParam =
    headerMedia.kind === "document"
      ? {
          type: "document",
          media: { id: waMediaId },
          ...(headerMedia.filename ? { filename: headerMedia.filename } : {}),
        }
      : { type: headerMedia.kind, media: { id: waMediaId } };
  return { ...message, header };
}

function freeFormMessage(
  text: string,
  media: { headerMedia: HeaderMedia; waMediaId: string } | undefined,
): OutboundMessage {
  if (!media) return { type: "text", body: text };
  const { kind, filename } = media.headerMedia;
  if (kind === "document") {
    return {
      type: "document",
      media: { id: media.waMediaId },
      caption: text,
      ...(filename ? { filename } : {}),
    };
  }
  return { type: kind, media: { id: media.waMediaId }, caption: text };
}
