import type { OutboundMessage, TemplateHeaderParam } from "../whatsapp/types.js";

/**
 * What a broadcast stores as its content (`broadcasts.content`): the message every recipient
 * gets, and, for a template whose header shows a stored file, which file. The file's Cloud API
 * id belongs to the sender number and expires, so it is put in the header only by the dispatcher
 * that sends (known-broadcasts.ts), never stored with the broadcast.
 */
export type BroadcastContent = OutboundMessage & { headerMedia?: HeaderMedia };

export interface HeaderMedia {
  /** media_files.id */
  fileId: number;
  kind: "image" | "video" | "document";
  /** The name a document shows on the phone. */
  filename?: string;
}

/** The message to send: the stored content with the header filled by the number's media id. */
export function withHeaderMedia(content: BroadcastContent, waMediaId: string): OutboundMessage {
  const { headerMedia, ...message } = content;
  if (!headerMedia || message.type !== "template") return message;
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
