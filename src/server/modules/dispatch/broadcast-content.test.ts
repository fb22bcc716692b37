import { describe, expect, it } from "vitest";
import {
  FREE_FORM_MARGIN_MS,
  messageFor,
  sendableContent,
  type BroadcastContent,
} from "./broadcast-content.js";

const TEXT = "La piazza è chiusa al traffico domenica.";
const template: BroadcastContent = {
  type: "template",
  name: "notizia_documento",
  language: "it",
  body: [{ text: TEXT }],
  headerMedia: { fileId: 7, kind: "document", filename: "ordinanza.pdf" },
  freeForm: { text: TEXT },
};

describe("a broadcast's content, as sent", () => {
  const sendable = sendableContent(template, "wa-media-1");

  it("puts the number's media id in the template's header and in the free-form message", () => {
    expect(sendable.template).toEqual({
      type: "template",
      name: "notizia_documento",
      language: "it",
      body: [{ text: TEXT }],
      header: { type: "document", media: { id: "wa-media-1" }, filename: "ordinanza.pdf" },
    });
    expect(sendable.freeForm).toEqual({
      type: "document",
      media: { id: "wa-media-1" },
      caption: TEXT,
      filename: "ordinanza.pdf",
    });
  });

  it("sends free-form only while the window stays open beyond the margin", () => {
    const now = 1_000_000_000;
    expect(messageFor(sendable, null, now)).toBe(sendable.template);
    expect(messageFor(sendable, now + FREE_FORM_MARGIN_MS, now)).toBe(sendable.template);
    expect(messageFor(sendable, now + FREE_FORM_MARGIN_MS + 1, now)).toBe(sendable.freeForm);
  });

  it("sends the template to everyone when the comune sends no free-form messages", () => {
    const { freeForm: _, ...templateOnly } = template;
    const only = sendableContent(templateOnly, "wa-media-1");
    expect(only.freeForm).toBeUndefined();
    expect(messageFor(only, Date.now() + 60 * 60 * 1000, Date.now())).toBe(only.template);
    expect(
      sendableContent({ type: "text", body: TEXT, freeForm: { text: TEXT } }, undefined),
    ).toEqual({ template: { type: "text", body: TEXT }, freeForm: { type: "text", body: TEXT } });
  });
});
