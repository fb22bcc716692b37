import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  parseBlockAnswer,
  parseGraphError,
  parseJson,
  parseMarkReadSuccess,
  parseMediaUpload,
  parseSendSuccess,
  parseTemplatesPage,
} from "./graph-responses.js";

// "The reference" and §n below: docs/whatsapp-cloud-api.md, whose examples these are.
describe("parseSendSuccess (§1.9)", () => {
  it("reads the reference's example", () => {
    expect(
      parseSendSuccess({
        messaging_product: "whatsapp",
        contacts: [{ input: "+393331234567", wa_id: "393331234567" }],
        messages: [{ id: "wamid.HBgL", message_status: "accepted" }],
      }),
    ).toEqual({
      ok: true,
      messageId: "wamid.HBgL",
      waId: "393331234567",
      messageStatus: "accepted",
    });
  });

  it("keeps an empty wa_id and the user_id of a username send", () => {
    expect(
      parseSendSuccess({
        contacts: [{ input: "BSUID.1", wa_id: "", user_id: "BSUID.1" }],
        messages: [{ id: "wamid.1" }],
      }),
    ).toEqual({ ok: true, messageId: "wamid.1", waId: "", userId: "BSUID.1" });
  });

  it("tolerates missing contacts and odd extra fields, but not a missing id", () => {
    expect(parseSendSuccess({ messages: [{ id: "wamid.2" }], extra: 1 })).toEqual({
      ok: true,
      messageId: "wamid.2",
    });
    expect(parseSendSuccess({ contacts: "x", messages: [{ id: "wamid.3" }] })).toEqual({
      ok: true,
      messageId: "wamid.3",
    });
    expect(parseSendSuccess({ messages: [] })).toBeUndefined();
    expect(parseSendSuccess({ success: true })).toBeUndefined();
  });
});

/** The zod schema parseSendSuccess replaced on the hot path: the hand check must agree with it. */
const lenient = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);
const sendSuccessSchema = z.object({
  contacts: lenient(
    z.array(
      z.object({
        input: lenient(z.string()),
        wa_id: lenient(z.string()),
        user_id: lenient(z.string()),
      }),
    ),
  ),
  messages: z
    .array(z.object({ id: z.string().min(1), message_status: lenient(z.string()) }))
    .min(1),
});

function bySchema(json: unknown) {
  const parsed = sendSuccessSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const [message] = parsed.data.messages;
  const contact = parsed.data.contacts?.[0];
  return {
    ok: true,
    messageId: message?.id,
    ...(contact?.wa_id !== undefined && { waId: contact.wa_id }),
    ...(contact?.user_id !== undefined && { userId: contact.user_id }),
    ...(message?.message_status !== undefined && { messageStatus: message.message_status }),
  };
}

describe("parseSendSuccess agrees with its zod schema", () => {
  const message = { id: "wamid.A" };
  const answers: unknown[] = [
    undefined,
    null,
    "wamid.A",
    7,
    [],
    [{ messages: [message] }],
    {},
    { messages: null },
    { messages: {} },
    { messages: "wamid.A" },
    { messages: [] },
    { messages: [null] },
    { messages: [[]] },
    { messages: [["wamid.A"]] },
    { messages: [{}] },
    { messages: [{ id: "" }] },
    { messages: [{ id: 5 }] },
    { messages: [message, { id: "" }] },
    { messages: [message, "x"] },
    { messages: [message, { id: "wamid.B" }] },
    { messages: [{ id: "wamid.A", message_status: "accepted" }] },
    { messages: [{ id: "wamid.A", message_status: 1 }] },
    { messages: [{ id: "wamid.A", message_status: null }] },
    { messages: [message], contacts: null },
    { messages: [message], contacts: "x" },
    { messages: [message], contacts: {} },
    { messages: [message], contacts: [] },
    { messages: [message], contacts: [null] },
    { messages: [message], contacts: [[]] },
    { messages: [message], contacts: [{ wa_id: "39333" }, "x"] },
    { messages: [message], contacts: [{ wa_id: "39333" }, { wa_id: "39334" }] },
    { messages: [message], contacts: [{ wa_id: 39333, user_id: "U.1" }] },
    { messages: [message], contacts: [{ input: 1, wa_id: "", user_id: null }] },
    { messages: [message], contacts: [{}] },
    { messaging_product: "whatsapp", messages: [message], contacts: [{ wa_id: "1" }], x: [1] },
  ];
  it.each(answers.map((answer) => [JSON.stringify(answer) ?? "undefined", answer]))(
    "%s",
    (_, answer) => {
      expect(parseSendSuccess(answer)).toEqual(bySchema(answer));
    },
  );
});

describe("parseGraphError (§4.1)", () => {
  it("reads the reference's example and classifies it", () => {
    expect(
      parseGraphError(
        {
          error: {
            message: "(#130429) Rate limit hit",
            type: "OAuthException",
            code: 130429,
            error_data: {
              messaging_product: "whatsapp",
              details: "Cloud API message throughput has been reached.",
            },
            error_subcode: 2494055,
            fbtrace_id: "Az8or2",
          },
        },
        400,
      ),
    ).toEqual({
      code: 130429,
      subcode: 2494055,
      title: "(#130429) Rate limit hit",
      details: "Cloud API message throughput has been reached.",
      class: "retry_later",
      httpStatus: 400,
    });
  });

  it("tolerates missing and mistyped fields", () => {
    expect(parseGraphError({ error: { code: 190 } }, 401)).toMatchObject({
      code: 190,
      class: "fatal_config",
    });
    expect(parseGraphError({ error: { code: 131026, error_data: "x" } }, 400)).toMatchObject({
      code: 131026,
      class: "permanent",
    });
    expect(parseGraphError({ error: { message: "no code" } }, 500)).toBeUndefined();
    expect(parseGraphError(undefined, 502)).toBeUndefined();
  });
});

describe("other answers", () => {
  it("parses JSON leniently", () => {
    expect(parseJson('{"a":1}')).toEqual({ a: 1 });
    expect(parseJson("<html>")).toBeUndefined();
    expect(parseJson("")).toBeUndefined();
  });

  it("mark as read and media upload", () => {
    expect(parseMarkReadSuccess({ success: true })).toBe(true);
    expect(parseMarkReadSuccess({ success: false })).toBeUndefined();
    expect(parseMediaUpload({ id: "123" })).toEqual({ id: "123" });
    expect(parseMediaUpload({})).toBeUndefined();
  });

  it("a templates page, skipping an unreadable template", () => {
    // Every field given: read as it stands.
    const avviso = {
      id: "1",
      name: "avviso",
      language: "it",
      category: "UTILITY",
      status: "APPROVED",
      components: [{ type: "BODY" }],
    };
    expect(
      parseTemplatesPage({
        data: [avviso, { name: "no id" }, { id: "2", name: "news", language: "it" }],
        paging: { cursors: { before: "a", after: "b" }, next: "https://graph.facebook.com/next" },
      }),
    ).toEqual({
      templates: [
        avviso,
        { id: "2", name: "news", language: "it", category: "", status: "", components: [] },
      ],
      next: "https://graph.facebook.com/next",
    });
    expect(parseTemplatesPage({ data: [] })).toEqual({ templates: [] });
  });

  it("per-user block answers: added, removed and failed users", () => {
    expect(
      parseBlockAnswer(
        {
          messaging_product: "whatsapp",
          block_users: {
            added_users: [{ input: "+393331234567", wa_id: "393331234567" }],
            failed_users: [
              {
                input: "+393339876543",
                errors: [
                  { message: "User not eligible", code: 139100, error_data: { details: "x" } },
                ],
              },
              { input: "+393330000000" },
            ],
          },
        },
        400,
      ),
    ).toMatchObject({
      succeeded: ["+393331234567"],
      failed: [
        {
          user: "+393339876543",
          error: {
            code: 139100,
            title: "User not eligible",
            details: "x",
            class: "backoff",
            maxAttempts: 3,
            httpStatus: 400,
          },
        },
        { user: "+393330000000", error: { class: "backoff", maxAttempts: 3 } },
      ],
    });
    expect(
      parseBlockAnswer({ block_users: { removed_users: [{ input: "1", wa_id: "1" }] } }, 200),
    ).toEqual({ succeeded: ["1"], failed: [] });
    expect(parseBlockAnswer({ error: { code: 100 } }, 400)).toBeUndefined();
  });
});
