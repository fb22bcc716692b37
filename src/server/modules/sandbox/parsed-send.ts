/**
 * A `POST /{phone-number-id}/messages` body after `graph-validation.ts` accepted its shape: the
 * sandbox's own view of a send, independent of Meta's JSON nesting.
 */

/** Exactly one of an uploaded media id or an HTTPS link (docs/whatsapp-cloud-api.md §1.3). */
export type MediaSource = { id: string } | { link: string };

export const MEDIA_KINDS = ["image", "video", "document", "audio", "sticker"] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];

export type TemplateHeaderParam =
  | { type: "text"; text: string }
  | { type: "image" | "video" | "document"; media: MediaSource; filename?: string }
  | { type: "location"; latitude: number; longitude: number; name?: string; address?: string };

export interface TemplateSendParams {
  name: string;
  language: string;
  header?: TemplateHeaderParam;
  /** Body parameters in order; `name` for templates with named parameters. */
  body: { text: string; name?: string }[];
  buttons: { subType: "quick_reply" | "url"; index: number; payload?: string; text?: string }[];
  /** Set when the body component was given at all (even with no parameters). */
  bodyGiven: boolean;
}

export type InteractiveHeader =
  { type: "text"; text: string } | { type: "image" | "video" | "document"; media: MediaSource };

export type ParsedInteractive =
  | {
      kind: "button";
      header?: InteractiveHeader;
      body: string;
      footer?: string;
      buttons: { id: string; title: string }[];
    }
  | {
      kind: "list";
      header?: string;
      body: string;
      footer?: string;
      button: string;
      sections: { title?: string; rows: { id: string; title: string; description?: string }[] }[];
    }
  | {
      kind: "cta_url";
      header?: InteractiveHeader;
      body: string;
      footer?: string;
      displayText: string;
      url: string;
    };

export type ParsedMessage =
  | { type: "text"; body: string; previewUrl: boolean }
  | { type: MediaKind; media: MediaSource; caption?: string; filename?: string }
  | { type: "location"; latitude: number; longitude: number; name?: string; address?: string }
  | { type: "interactive"; interactive: ParsedInteractive }
  | { type: "template"; template: TemplateSendParams }
  | { type: "reaction"; messageId: string; emoji: string }
  | { type: "contacts"; names: string[] };

export type ParsedSend =
  | { kind: "read"; messageId: string }
  | {
      kind: "message";
      /** `to` as the client wrote it (echoed as contacts[0].input). */
      input: string;
      /** Digits only: the recipient's wa_id. */
      waId: string;
      callbackData?: string;
      replyTo?: string;
      message: ParsedMessage;
    };
