import { describe, expect, it } from "vitest";
import { pricingOf, SERVICE_CHARGED_FROM } from "./sends.js";
import type { Template } from "./templates.js";
import { templateTo, textTo, useTestSandbox } from "../../test/sandbox-kit.js";

/** The Graph API's send endpoint over real HTTP: shapes, limits, webhooks. */

const CITIZEN = "393331234567";
type ErrorAnswer = {
  error: {
    message: string;
    type: string;
    code: number;
    error_subcode?: number;
    error_data: { messaging_product: string; details: string };
    fbtrace_id: string;
  };
};
type SendAnswer = {
  messaging_product: string;
  contacts: { input: string; wa_id: string }[];
  messages: { id: string; message_status?: string }[];
};

const t = useTestSandbox({
  resetAfterEach: async () => {
    await t.api("PUT", "/settings", {
      windowErrorsAsync: false,
      throughputPerSecond: 80,
      latencyMs: 0,
    });
    t.receiver.received.length = 0;
  },
});

/** The citizen writes first, which opens the 24-hour window. */
async function citizenWrites(waId = CITIZEN, text = "ATTIVA ISCRIZIONE") {
  const answer = await t.api("POST", `/phones/${waId}/messages`, { text, name: "Mario Rossi" });
  expect(answer.status).toBe(202);
}

describe("POST /{phone-number-id}/messages", () => {
  it("accepts a text inside the window, then posts signed sent and delivered statuses", async () => {
    await citizenWrites();
    const answer = await t.graph<SendAnswer>("POST", "/100000000000001/messages", {
      body: textTo(`+${CITIZEN}`, "Iscrizione attivata", { biz_opaque_callback_data: "outbox:42" }),
    });
    expect(answer.status).toBe(200);
    expect(answer.body.messaging_product).toBe("whatsapp");
    expect(answer.body.contacts).toEqual([{ input: `+${CITIZEN}`, wa_id: CITIZEN }]);
    const wamid = answer.body.messages[0]?.id ?? "";
    expect(wamid).toMatch(/^wamid\.[A-Za-z0-9+/=]+$/);
    expect(answer.body.messages[0]?.message_status).toBeUndefined();

    const statuses = await t.receiver.waitFor(() => {
      const mine = t.receiver.statuses().filter((s) => s.id === wamid);
      return mine.length >= 2 ? mine : undefined;
    });
    expect(statuses.map((s) => s.status)).toEqual(["sent", "delivered"]);
    for (const status of statuses) {
      expect(status.recipient_id).toBe(CITIZEN);
      expect(status.biz_opaque_callback_data).toBe("outbox:42");
      expect(status.timestamp).toMatch(/^\d{10}$/);
      // Since 2026-10-01 a free-form reply inside the window is charged at the service rate.
      expect(status.pricing).toEqual({
        billable: true,
        pricing_model: "PMP",
        type: "regular",
        category: "service",
      });
    }
    // Every envelope that carries statuses (one or several, batched), every entry and change.
    const statusWebhooks = t.receiver.received.filter((w) =>
      w.body.entry.some((e) => e.changes.some((c) => c.value.statuses)),
    );
    expect(statusWebhooks.length).toBeGreaterThan(0);
    for (const webhook of statusWebhooks) {
      expect(webhook.signatureValid).toBe(true);
      expect(webhook.contentType).toBe("application/json");
      expect(webhook.body.object).toBe("whatsapp_business_account");
      for (const entry of webhook.body.entry) {
        expect(entry.id).toBe("200000000000001");
        for (const change of entry.changes) {
          expect(change.field).toBe("messages");
          expect(change.value.metadata).toEqual({
            display_phone_number: "393665784663",
            phone_number_id: "100000000000001",
          });
        }
      }
    }
    const conversation = await t.api<{ messages: { id: string; status: string; text?: string }[] }>(
      "GET",
      `/phones/${CITIZEN}/messages`,
    );
    expect(conversation.body.messages.at(-1)).toMatchObject({
      id: wamid,
      status: "delivered",
      text: "Iscrizione attivata",
    });
  });

  it("refuses a missing token with code 0 and a wrong one with code 190", async () => {
    const body = textTo(CITIZEN, "x");
    const missing = await t.graph<ErrorAnswer>("POST", "/100000000000001/messages", {
      body,
      token: null,
    });
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe(0);
    const wrong = await t.graph<ErrorAnswer>("POST", "/100000000000001/messages", {
      body,
      token: "token-casale",
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toMatchObject({ code: 190, type: "OAuthException" });
    expect(wrong.body.error.message).toBe("(#190) Invalid OAuth access token");
    expect(wrong.body.error.fbtrace_id).toMatch(/^A/);
  });

  it("refuses an unknown phone-number id with code 100 subcode 33", async () => {
    const answer = await t.graph<ErrorAnswer>("POST", "/999999999/messages", {
      body: textTo(CITIZEN, "x"),
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 100, error_subcode: 33 });
  });

  it("names the faulty field of a malformed body, Meta-style", async () => {
    await citizenWrites();
    const cases: [unknown, string][] = [
      [{ ...textTo(CITIZEN, "x"), text: {} }, "Param text['body'] is required"],
      [
        { ...textTo(CITIZEN, "x"), text: { body: "x".repeat(4097) } },
        "Param text['body'] must be at most 4096 characters long",
      ],
      [{ ...textTo(CITIZEN, "x"), text: { bodi: "x" } }, 'Unexpected key "bodi" on param "text".'],
      [
        { ...textTo(CITIZEN, "x"), messaging_product: undefined },
        "The parameter messaging_product is required.",
      ],
      [{ ...textTo(CITIZEN, "x"), to: "12" }, "Param to must be a valid phone number"],
    ];
    for (const [body, details] of cases) {
      const answer = await t.graph<ErrorAnswer>("POST", "/100000000000001/messages", { body });
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatchObject({ code: 100, message: "(#100) Invalid parameter" });
      expect(answer.body.error.error_data).toEqual({ messaging_product: "whatsapp", details });
    }
    const unsupported = await t.graph<ErrorAnswer>("POST", "/100000000000001/messages", {
      body: { messaging_product: "whatsapp", to: CITIZEN, type: "poll", poll: {} },
    });
    expect(unsupported.body.error.code).toBe(131051);
    const badJson = await t.standalone.app.inject({
      method: "POST",
      url: "/sandbox/graph/v25.0/100000000000001/messages",
      headers: { authorization: "Bearer token-concorezzo", "content-type": "application/json" },
      payload: "{not json",
    });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json<ErrorAnswer>().error.code).toBe(100);
  });

  it("refuses free-form outside the 24-hour window with 131047, or fails it later when async", async () => {
    const sync = await t.graph<ErrorAnswer>("POST", "/100000000000001/messages", {
      body: textTo(CITIZEN, "Ciao"),
    });
    expect(sync.status).toBe(400);
    expect(sync.body.error).toMatchObject({
      code: 131047,
      message: "(#131047) Re-engagement message",
    });

    await t.api("PUT", "/settings", { windowErrorsAsync: true });
    const accepted = await t.graph<SendAnswer>("POST", "/100000000000001/messages", {
      body: textTo(CITIZEN, "Ciao"),
    });
    expect(accepted.status).toBe(200);
    const wamid = accepted.body.messages[0]?.id;
    const failed = await t.receiver.waitFor(() =>
      t.receiver.statuses().find((s) => s.id === wamid),
    );
    expect(failed.status).toBe("failed");
    expect(failed.pricing).toBeUndefined();
    expect(failed.errors?.[0]).toMatchObject({ code: 131047, title: "Re-engagement message" });
    expect(failed.errors?.[0]?.error_data.details).toContain("24 hours");
  });

  it("latencyMs holds the answer, not the send: it is processed and its statuses come first", async () => {
    await citizenWrites();
    await t.api("PUT", "/settings", { latencyMs: 10_000 });
    // The client gives up long before the answer: the send was processed all the same.
    await expect(
      t.graph("POST", "/100000000000001/messages", {
        body: textTo(CITIZEN, "In ritardo", { biz_opaque_callback_data: "om:7" }),
        timeoutMs: 300,
      }),
    ).rejects.toThrow(/timeout/i);
    const log = await t.api<{ sends: { to: string; wamid?: string; callbackData?: string }[] }>(
      "GET",
      "/sends",
    );
    expect(log.body.sends.at(-1)).toMatchObject({ to: CITIZEN, callbackData: "om:7" });
    const wamid = log.body.sends.at(-1)?.wamid ?? "";
    expect(wamid).toMatch(/^wamid\./);
    const statuses = await t.receiver.waitFor(() => {
      const mine = t.receiver.statuses().filter((s) => s.id === wamid);
      return mine.length >= 2 ? mine : undefined;
    });
    expect(statuses.map((s) => s.status)).toEqual(["sent", "delivered"]);
  });

  it("marks a citizen's message as read", async () => {
    await citizenWrites();
    const conversation = await t.api<{ messages: { id: string; status: string }[] }>(
      "GET",
      `/phones/${CITIZEN}/messages`,
    );
    const inbound = conversation.body.messages[0]?.id;
    const answer = await t.graph("POST", "/100000000000001/messages", {
      body: { messaging_product: "whatsapp", status: "read", message_id: inbound },
    });
    expect(answer).toMatchObject({ status: 200, body: { success: true } });
    const after = await t.api<{ messages: { id: string; status: string }[] }>(
      "GET",
      `/phones/${CITIZEN}/messages`,
    );
    expect(after.body.messages[0]?.status).toBe("read");
  });
});

describe("templates", () => {
  it("sends an approved template outside the window, rendered for the phone, billed as its category", async () => {
    const answer = await t.graph<SendAnswer>("POST", "/100000000000001/messages", {
      body: templateTo(
        CITIZEN,
        "chiusura_strada",
        ["Via Roma", "martedì dalle 8 alle 18", "lavori"],
        [],
      ),
    });
    expect(answer.status).toBe(200);
    expect(answer.body.messages[0]?.message_status).toBe("accepted");
    const wamid = answer.body.messages[0]?.id;
    const sent = await t.receiver.waitFor(() => t.receiver.statuses().find((s) => s.id === wamid));
    expect(sent.pricing).toEqual({
      billable: true,
      pricing_model: "PMP",
      type: "regular",
      category: "utility",
    });
    const conversation = await t.api<{
      messages: { text?: string; template?: unknown; type: string }[];
    }>("GET", `/phones/${CITIZEN}/messages`);
    expect(conversation.body.messages[0]).toMatchObject({
      type: "template",
      template: { name: "chiusura_strada", language: "it", category: "UTILITY" },
    });
    expect(conversation.body.messages[0]?.text).toContain(
      "Via Roma sarà chiusa martedì dalle 8 alle 18 per lavori.",
    );
    expect(conversation.body.messages[0]?.text).toContain("Comune di Concorezzo");
  });

  it("prices a utility template inside the window as charged, like a reply", async () => {
    await citizenWrites();
    const answer = await t.graph<SendAnswer>("POST", "/100000000000001/messages", {
      body: templateTo(CITIZEN, "chiusura_strada", ["Via Roma", "martedì", "lavori"]),
    });
    const wamid = answer.body.messages[0]?.id;
    const statuses = await t.receiver.waitFor(() => {
      const mine = t.receiver.statuses().filter((s) => s.id === wamid);
      return mine.length >= 2 ? mine : undefined;
    });
    for (const status of statuses)
      expect(status.pricing).toEqual({
        billable: true,
        pricing_model: "PMP",
        type: "regular",
        category: "utility",
      });
  });

  it("refuses an unknown template or language with 132001", async () => {
    const unknown = await t.graph<ErrorAnswer>("POST", "/100000000000001/messages", {
      body: templateTo(CITIZEN, "non_esiste", []),
    });
    expect(unknown.body.error.code).toBe(132001);
    const wrongLanguage = await t.graph<ErrorAnswer>("POST", "/100000000000001/messages", {
      body: {
        ...templateTo(CITIZEN, "chiusura_strada", ["a", "b", "c"]),
        template: { name: "chiusura_strada", language: { code: "en" } },
      },
    });
    expect(wrongLanguage.body.error.code).toBe(132001);
  });

  it("refuses a wrong parameter count with 132000 and a newline in a parameter with 132018", async () => {
    const count = await t.graph<ErrorAnswer>("POST", "/100000000000001/messages", {
      body: templateTo(CITIZEN, "chiusura_strada", ["Via Roma"]),
    });
    expect(count.body.error.code).toBe(132000);
    expect(count.body.error.error_data.details).toContain(
      "(1) does not match the expected number of params (3)",
    );
    const newline = await t.graph<ErrorAnswer>("POST", "/100000000000001/messages", {
      body: templateTo(CITIZEN, "chiusura_strada", ["Via\nRoma", "oggi", "lavori"]),
    });
    expect(newline.body.error.code).toBe(132018);
  });

  it("refuses a paused template with 132015 after the status change webhook, a disabled one with 132016", async () => {
    const change = await t.api<{ webhook: { status: number } }>(
      "POST",
      "/templates/200000000000001/chiusura_strada/it/status",
      { status: "PAUSED", reason: "LOW_QUALITY" },
    );
    expect(change.status).toBe(200);
    expect(change.body.webhook.status).toBe(200);
    const webhook = t.receiver.received.find(
      (w) => w.body.entry[0]?.changes[0]?.field === "message_template_status_update",
    );
    expect(webhook?.signatureValid).toBe(true);
    expect(webhook?.body.entry[0]?.id).toBe("200000000000001");
    expect(webhook?.body.entry[0]?.changes[0]?.value).toMatchObject({
      event: "PAUSED",
      message_template_name: "chiusura_strada",
      message_template_language: "it",
      reason: "LOW_QUALITY",
    });
    expect(typeof webhook?.body.entry[0]?.changes[0]?.value.message_template_id).toBe("number");
    const paused = await t.graph<ErrorAnswer>("POST", "/100000000000001/messages", {
      body: templateTo(CITIZEN, "chiusura_strada", ["a", "b", "c"]),
    });
    expect(paused.body.error.code).toBe(132015);

    await t.api("POST", "/templates/200000000000001/chiusura_strada/it/status", {
      status: "DISABLED",
    });
    const disabled = await t.graph<ErrorAnswer>("POST", "/100000000000001/messages", {
      body: templateTo(CITIZEN, "chiusura_strada", ["a", "b", "c"]),
    });
    expect(disabled.body.error.code).toBe(132016);
  });
});

// The reference: docs/whatsapp-cloud-api.md §7 (service messages charged from 2026-10-01).
describe("pricingOf: reference §7, by the send's date", () => {
  const template = (category: Template["category"]) => ({ category }) as Template;
  const BEFORE = SERVICE_CHARGED_FROM - 1;
  const FROM = SERVICE_CHARGED_FROM;
  const regular = (category: string) => ({
    billable: true,
    pricing_model: "PMP",
    type: "regular",
    category,
  });
  const free = (category: string) => ({
    billable: false,
    pricing_model: "PMP",
    type: "free_customer_service",
    category,
  });
  const rows: [string, Template | undefined, boolean, number, ReturnType<typeof regular>][] = [
    ["reply in the window, from October 2026", undefined, true, FROM, regular("service")],
    ["reply in the window, before", undefined, true, BEFORE, free("service")],
    [
      "utility in the window, from October 2026",
      template("UTILITY"),
      true,
      FROM,
      regular("utility"),
    ],
    ["utility in the window, before", template("UTILITY"), true, BEFORE, free("utility")],
    ["utility outside the window", template("UTILITY"), false, BEFORE, regular("utility")],
    ["marketing in the window", template("MARKETING"), true, BEFORE, regular("marketing")],
    ["marketing outside the window", template("MARKETING"), false, FROM, regular("marketing")],
    ["authentication", template("AUTHENTICATION"), true, FROM, regular("authentication")],
  ];
  it.each(rows)("%s", (_, tpl, windowOpen, sentAt, expected) => {
    expect(pricingOf(tpl, windowOpen, sentAt)).toEqual(expected);
  });

  it("switches on 2026-10-01 at midnight UTC", () => {
    expect(SERVICE_CHARGED_FROM).toBe(Date.parse("2026-10-01T00:00:00Z"));
  });
});

describe("limits", () => {
  it("refuses sends above the throughput cap with 130429 within the second", async () => {
    await t.api("PUT", "/settings", { throughputPerSecond: 5 });
    const codes: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      const answer = await t.graph<ErrorAnswer | SendAnswer>("POST", "/100000000000001/messages", {
        body: templateTo(`39333100000${i}`, "notizia_comune", ["Biblioteca aperta"]),
      });
      codes.push(answer.status === 200 ? 200 : (answer.body as ErrorAnswer).error.code);
    }
    expect(codes).toEqual([200, 200, 200, 200, 200, 130429, 130429, 130429]);
    // The other comune's number has its own cap.
    const other = await t.graph("POST", "/100000000000002/messages", {
      body: templateTo(CITIZEN, "notizia_comune", ["x"]),
      token: "token-casale",
    });
    expect(other.status).toBe(200);
  });
});
