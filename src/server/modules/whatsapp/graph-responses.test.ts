import { describe, expect, it } from "vitest";
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
    expect(
      parseTemplatesPage({
        data: [
          {
            id: "1",
            name: "avviso",
            language: "it",
            category: "UTILITY",
            status: "APPROVED",
            components: [{ type: "BODY" }],
          },
          { name: "no id" },
          { id: "2", name: "news", language: "it" },
        ],
        paging: { cursors: { before: "a", after: "b" }, next: "https://graph.facebook.com/next" },
      }),
    ).toEqual({
      templates: [
        {
          id: "1",
          name: "avviso",
          language: "it",
          category: "UTILITY",
          status: "APPROVED",
          components: [{ type: "BODY" }],
        },
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
