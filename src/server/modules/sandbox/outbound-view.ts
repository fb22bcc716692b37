import type { InteractiveHeader, MediaKind, MediaSource, ParsedMessage } from "./parsed-send.js";
import type { PhoneMessage } from "./sandbox-state.js";
import type { RenderedTemplate, Template } from "./templates.js";

/**
 * How a message the comune sent looks on the simulated phone: the text to show, media the page
 * can load, the options it can tap. Pure.
 */

export type MessageView = Pick<
  PhoneMessage,
  "type" | "text" | "media" | "location" | "interactive" | "template"
>;

/** What the sandbox knows about uploaded media, for the page (MIME, file name). */
export type MediaLookup = (id: string) => { mimeType: string; filename?: string } | undefined;

/** Uploaded media is shown through the sandbox's own URL; linked media at its link. */
export function mediaView(
  kind: MediaKind,
  source: MediaSource,
  lookup: MediaLookup,
  filename?: string,
): NonNullable<PhoneMessage["media"]> {
  if ("link" in source) {
    return { kind, url: source.link, ...(filename === undefined ? {} : { filename }) };
  }
  const stored = lookup(source.id);
  const name = filename ?? stored?.filename;
  return {
    kind,
    url: `/sandbox/api/media/${source.id}`,
    ...(name === undefined ? {} : { filename: name }),
    ...(stored ? { mimeType: stored.mimeType } : {}),
  };
}

function headerParts(
  header: InteractiveHeader | undefined,
  lookup: MediaLookup,
): Partial<MessageView> & { headerText?: string } {
  if (!header) return {};
  if (header.type === "text") return { headerText: header.text };
  return { media: mediaView(header.type, header.media, lookup) };
}

export function outboundView(
  message: ParsedMessage,
  lookup: MediaLookup,
  template?: { template: Template; rendered: RenderedTemplate },
): MessageView {
  switch (message.type) {
    case "text":
      return { type: "text", text: message.body };
    case "image":
    case "video":
    case "document":
    case "audio":
    case "sticker":
      return {
        type: message.type,
        ...(message.caption === undefined ? {} : { text: message.caption }),
        media: mediaView(message.type, message.media, lookup, message.filename),
      };
    case "location": {
      const { type, ...location } = message;
      return { type, location };
    }
    case "reaction":
      return { type: "reaction", text: message.emoji };
    case "contacts":
      return { type: "contacts", text: message.names.join(", ") };
    case "interactive": {
      const i = message.interactive;
      if (i.kind === "list") {
        return {
          type: "interactive",
          text: i.body,
          interactive: {
            kind: "list",
            ...(i.header === undefined ? {} : { header: i.header }),
            ...(i.footer === undefined ? {} : { footer: i.footer }),
            buttonLabel: i.button,
            options: i.sections.flatMap((s) =>
              s.rows.map((r) => ({
                id: r.id,
                title: r.title,
                ...(r.description === undefined ? {} : { description: r.description }),
                ...(s.title === undefined ? {} : { section: s.title }),
              })),
            ),
          },
        };
      }
      const { headerText, ...media } = headerParts(i.header, lookup);
      if (i.kind === "cta_url") {
        // Not tappable on the simulated phone: the link is shown with the text.
        const text = [headerText, i.body, `${i.displayText}: ${i.url}`, i.footer]
          .filter(Boolean)
          .join("\n\n");
        return { type: "interactive", text, ...media };
      }
      return {
        type: "interactive",
        text: i.body,
        ...media,
        interactive: {
          kind: "buttons",
          ...(headerText === undefined ? {} : { header: headerText }),
          ...(i.footer === undefined ? {} : { footer: i.footer }),
          options: i.buttons.map((b) => ({ id: b.id, title: b.title })),
        },
      };
    }
    case "template": {
      if (!template) throw new Error("a template send needs its rendering");
      const { template: t, rendered } = template;
      const links = rendered.urlButtons.map((b) => `${b.title}: ${b.url}`);
      const header = rendered.headerMedia;
      return {
        type: "template",
        text: [rendered.text, ...links].join("\n\n"),
        template: { name: t.name, language: t.language, category: t.category },
        ...(header ? { media: mediaView(header.type, header.media, lookup, header.filename) } : {}),
        // Quick replies are tappable like reply buttons; the id is what the tap echoes as payload.
        ...(rendered.quickReplies.length
          ? {
              interactive: {
                kind: "buttons" as const,
                options: rendered.quickReplies.map((q) => ({ id: q.payload, title: q.title })),
              },
            }
          : {}),
      };
    }
  }
}
