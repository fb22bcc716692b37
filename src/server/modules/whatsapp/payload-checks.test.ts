import { describe, expect, it } from "vitest";
import { buildMessageBody } from "./graph-payloads.js";
import type { OutboundMessage, SendRequest } from "./types.js";

/** Our refusals happen before any HTTP call; each names the field at fault. */

const TO = "+393331234567";

function refusal(message: OutboundMessage, extra: Partial<SendRequest> = {}): string {
  const built = buildMessageBody({ to: TO, message, ...extra });
  if (built.ok) throw new Error("expected a refusal");
  expect(built.error).toMatchObject({ code: 100, class: "fatal_config" });
  return built.error.details ?? "";
}

// §1.11: the length limits of docs/whatsapp-cloud-api.md.
describe("buildMessageBody: our limits before sending (§1.11)", () => {
  const long = (n: number) => "a".repeat(n);
  const buttons = (titles: string[]) => titles.map((title, i) => ({ id: `b${i}`, title }));

  it.each<[string, OutboundMessage, Partial<SendRequest>, RegExp]>([
    ["text over 4096", { type: "text", body: long(4097) }, {}, /message\.body: longer than 4096/],
    ["empty text", { type: "text", body: "  " }, {}, /message\.body: empty/],
    [
      "caption over 1024",
      { type: "image", media: { id: "M" }, caption: long(1025) },
      {},
      /message\.caption/,
    ],
    [
      "http link",
      { type: "image", media: { link: "http://x.it/a.png" } },
      {},
      /message\.media\.link: must be an https/,
    ],
    [
      "callback data over 512",
      { type: "text", body: "x" },
      { callbackData: long(513) },
      /callbackData: longer than 512/,
    ],
    ["empty recipient", { type: "text", body: "x" }, { to: "" }, /to: empty/],
    [
      "4 buttons",
      { type: "buttons", body: "x", buttons: buttons(["a", "b", "c", "d"]) },
      {},
      /message\.buttons: at most 3/,
    ],
    ["no buttons", { type: "buttons", body: "x", buttons: [] }, {}, /message\.buttons: at least 1/],
    [
      "button title over 20",
      { type: "buttons", body: "x", buttons: buttons([long(21)]) },
      {},
      /message\.buttons\[0\]\.title: longer than 20/,
    ],
    [
      "duplicate titles",
      { type: "buttons", body: "x", buttons: buttons(["Sì", "Sì"]) },
      {},
      /titles must be unique/,
    ],
    [
      "buttons body over 1024",
      { type: "buttons", body: long(1025), buttons: buttons(["a"]) },
      {},
      /message\.body: longer than 1024/,
    ],
    [
      "header over 60",
      { type: "buttons", body: "x", header: long(61), buttons: buttons(["a"]) },
      {},
      /message\.header: longer than 60/,
    ],
    ["bad coordinates", { type: "location", latitude: 91, longitude: 0 }, {}, /message\.latitude/],
    [
      "bad template name",
      { type: "template", name: "Avviso Meteo", language: "it" },
      {},
      /message\.name/,
    ],
    [
      "newline in parameter",
      { type: "template", name: "t", language: "it", body: [{ text: "a\nb" }] },
      {},
      /message\.body\[0\]\.text: newline/,
    ],
    [
      "five spaces in parameter",
      { type: "template", name: "t", language: "it", body: [{ text: "a     b" }] },
      {},
      /message\.body\[0\]\.text/,
    ],
    [
      "mixed parameters",
      {
        type: "template",
        name: "t",
        language: "it",
        body: [{ text: "a" }, { name: "b", text: "b" }],
      },
      {},
      /mixes named and positional/,
    ],
    [
      "button index 10",
      {
        type: "template",
        name: "t",
        language: "it",
        buttons: [{ subType: "quick_reply", index: 10, payload: "P" }],
      },
      {},
      /message\.buttons\[0\]\.index/,
    ],
  ])("refuses %s", (_, message, extra, expected) => {
    expect(refusal(message, extra)).toMatch(expected);
  });

  it("refuses a list over 10 rows in total and a long label", () => {
    const rows = (n: number, prefix: string) =>
      Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, title: `Riga ${i}` }));
    const details = refusal({
      type: "list",
      body: "x",
      buttonLabel: long(21),
      sections: [
        { title: "A", rows: rows(6, "a") },
        { title: "B", rows: rows(5, "b") },
      ],
    });
    expect(details).toMatch(/message\.sections: at most 10 rows/);
    expect(details).toMatch(/message\.buttonLabel: longer than 20/);
  });

  it("refuses a media object with both id and link", () => {
    const media = { id: "M", link: "https://x.it/a.png" };
    expect(refusal({ type: "image", media })).toMatch(/message\.media: exactly one of id or link/);
  });

  it("counts characters, not UTF-16 units", () => {
    expect(
      buildMessageBody({ to: TO, message: { type: "text", body: "😀".repeat(4096) } }).ok,
    ).toBe(true);
    expect(
      buildMessageBody({ to: TO, message: { type: "text", body: "😀".repeat(4097) } }).ok,
    ).toBe(false);
  });

  it("lists every problem at once", () => {
    const details = refusal({ type: "text", body: "" }, { to: "", callbackData: long(600) });
    expect(details.split("; ")).toHaveLength(3);
  });
});
