import { describe, expect, it } from "vitest";
import type { PhoneMessage } from "./sandbox-state.js";
import { templateTo, useTestSandbox, type ChangeValue } from "../../test/sandbox-kit.js";

/** The simulated phones: what a citizen does becomes Meta's inbound webhook. */

const CITIZEN = "393331234567";
type PostAnswer = { message: PhoneMessage; webhook: { status: number | null; error?: string } };
type ErrorAnswer = {
  error: { code: string; message: string; details?: { field: string; problem: string }[] };
};

const t = useTestSandbox({
  resetAfterEach: () => {
    t.receiver.answer = () => 200;
    t.receiver.received.length = 0;
  },
});

function inboundValues(): ChangeValue[] {
  return t.receiver.received
    .flatMap((w) => w.body.entry.flatMap((e) => e.changes.map((c) => c.value)))
    .filter((v) => v.messages);
}

async function comuneSends(
  body: unknown,
  numberId = "100000000000001",
  token = "token-concorezzo",
) {
  const answer = await t.graph<{ messages: { id: string }[] }>("POST", `/${numberId}/messages`, {
    body,
    token,
  });
  expect(answer.status).toBe(200);
  return answer.body.messages[0]?.id ?? "";
}

describe("a phone writes", () => {
  it("posts a signed inbound webhook with the profile name and shows the message as delivered", async () => {
    const answer = await t.api<PostAnswer>("POST", `/phones/${CITIZEN}/messages`, {
      to: "393760088777",
      text: "Mario Rossi ATTIVA",
      name: "Mario Rossi",
    });
    expect(answer.status).toBe(202);
    expect(answer.body.webhook).toEqual({ status: 200 });
    expect(answer.body.message).toMatchObject({
      direction: "from_phone",
      number: "393760088777",
      tenant: "casale-marittimo",
      type: "text",
      text: "Mario Rossi ATTIVA",
      status: "delivered",
    });
    const webhook = t.receiver.received[0];
    expect(webhook?.signatureValid).toBe(true);
    expect(webhook?.body.entry[0]?.id).toBe("200000000000002");
    const value = webhook?.body.entry[0]?.changes[0]?.value;
    expect(value?.metadata).toEqual({
      display_phone_number: "393760088777",
      phone_number_id: "100000000000002",
    });
    expect(value?.contacts).toEqual([{ profile: { name: "Mario Rossi" }, wa_id: CITIZEN }]);
    expect(value?.messages?.[0]).toMatchObject({
      from: CITIZEN,
      id: answer.body.message.id,
      type: "text",
      text: { body: "Mario Rossi ATTIVA" },
    });
    expect(value?.messages?.[0]?.timestamp).toMatch(/^\d{10}$/);

    const phones = await t.api<{
      phones: { waId: string; name: string; lastMessageAt: number | null }[];
    }>("GET", "/phones");
    expect(phones.body.phones).toEqual([
      { waId: CITIZEN, name: "Mario Rossi", lastMessageAt: answer.body.message.at },
    ]);
  });

  it("writes to the first comune by default and reports a webhook that does not answer 200", async () => {
    t.receiver.answer = () => 503;
    const answer = await t.api<PostAnswer>("POST", `/phones/${CITIZEN}/messages`, { text: "ciao" });
    expect(answer.body.webhook.status).toBe(503);
    expect(answer.body.message).toMatchObject({ number: "393665784663", status: "sent" });
  });

  it("shares a location", async () => {
    await t.api("POST", `/phones/${CITIZEN}/messages`, {
      location: { latitude: 45.59, longitude: 9.38, name: "Buca in via Roma" },
    });
    expect(inboundValues()[0]?.messages?.[0]).toMatchObject({
      type: "location",
      location: { latitude: 45.59, longitude: 9.38, name: "Buca in via Roma" },
    });
  });

  it("refuses bad requests with the service's error shape, in Italian", async () => {
    const both = await t.api<ErrorAnswer>("POST", `/phones/${CITIZEN}/messages`, {
      text: "a",
      tap: "b",
    });
    expect(both.status).toBe(400);
    expect(both.body.error.code).toBe("VALIDATION_FAILED");
    expect(both.body.error.details?.[0]?.problem).toContain("esattamente uno");
    const badWaId = await t.api<ErrorAnswer>("POST", "/phones/+39333/messages", { text: "a" });
    expect(badWaId.status).toBe(400);
    expect(badWaId.body.error.details?.[0]?.field).toBe("params.waId");
    const unknownNumber = await t.api<ErrorAnswer>("POST", `/phones/${CITIZEN}/messages`, {
      text: "a",
      to: "390000000000",
    });
    expect(unknownNumber.status).toBe(404);
    expect(unknownNumber.body.error.code).toBe("NUMBER_NOT_FOUND");
    const unknownPhone = await t.api<ErrorAnswer>("GET", "/phones/393339999999/messages");
    expect(unknownPhone.status).toBe(404);
  });
});

describe("a phone taps", () => {
  it("a reply button: interactive button_reply with the message as context", async () => {
    await t.api("POST", `/phones/${CITIZEN}/messages`, {
      text: "Mario Rossi ATTIVA",
      name: "Mario",
    });
    const wamid = await comuneSends({
      messaging_product: "whatsapp",
      to: CITIZEN,
      type: "interactive",
      interactive: {
        type: "button",
        header: { type: "text", text: "Iscrizione" },
        body: { text: "Confermi l'iscrizione?" },
        footer: { text: "Comune" },
        action: {
          buttons: [
            { type: "reply", reply: { id: "SUB_YES", title: "Sì, confermo" } },
            { type: "reply", reply: { id: "SUB_NO", title: "No" } },
          ],
        },
      },
    });
    const conversation = await t.api<{ messages: PhoneMessage[] }>(
      "GET",
      `/phones/${CITIZEN}/messages?to=393665784663`,
    );
    expect(conversation.body.messages.at(-1)?.interactive).toEqual({
      kind: "buttons",
      header: "Iscrizione",
      footer: "Comune",
      options: [
        { id: "SUB_YES", title: "Sì, confermo" },
        { id: "SUB_NO", title: "No" },
      ],
    });
    const tap = await t.api<PostAnswer>("POST", `/phones/${CITIZEN}/messages`, {
      tap: "sì, CONFERMO",
    });
    expect(tap.status).toBe(202);
    expect(inboundValues().at(-1)?.messages?.[0]).toMatchObject({
      type: "interactive",
      context: { from: "393665784663", id: wamid },
      interactive: { type: "button_reply", button_reply: { id: "SUB_YES", title: "Sì, confermo" } },
    });
    expect(tap.body.message).toMatchObject({ type: "interactive", text: "Sì, confermo" });
  });

  it("a list row by id: interactive list_reply", async () => {
    await t.api("POST", `/phones/${CITIZEN}/messages`, { text: "ARGOMENTI" });
    await comuneSends({
      messaging_product: "whatsapp",
      to: CITIZEN,
      type: "interactive",
      interactive: {
        type: "list",
        body: { text: "Scegli un argomento" },
        action: {
          button: "Argomenti",
          sections: [
            {
              title: "Servizi",
              rows: [{ id: "viabilita", title: "Viabilità", description: "Chiusure" }],
            },
          ],
        },
      },
    });
    await t.api("POST", `/phones/${CITIZEN}/messages`, { tap: "viabilita" });
    expect(inboundValues().at(-1)?.messages?.[0]?.interactive).toEqual({
      type: "list_reply",
      list_reply: { id: "viabilita", title: "Viabilità", description: "Chiusure" },
    });
  });

  it("a template quick reply: type button with the payload", async () => {
    const wamid = await comuneSends(
      templateTo(
        CITIZEN,
        "notizia_comune",
        ["Mercato spostato in piazza"],
        [
          {
            type: "button",
            sub_type: "quick_reply",
            index: "0",
            parameters: [{ type: "payload", payload: "UNSUB" }],
          },
        ],
      ),
    );
    const conversation = await t.api<{ messages: PhoneMessage[] }>(
      "GET",
      `/phones/${CITIZEN}/messages`,
    );
    expect(conversation.body.messages[0]?.interactive).toEqual({
      kind: "buttons",
      options: [{ id: "UNSUB", title: "Annulla iscrizione" }],
    });
    await t.api("POST", `/phones/${CITIZEN}/messages`, { tap: "Annulla iscrizione" });
    expect(inboundValues().at(-1)?.messages?.[0]).toMatchObject({
      type: "button",
      context: { from: "393665784663", id: wamid },
      button: { payload: "UNSUB", text: "Annulla iscrizione" },
    });
  });

  it("answers 409 when there is nothing to tap or no such option", async () => {
    const nothing = await t.api<ErrorAnswer>("POST", `/phones/${CITIZEN}/messages`, { tap: "Sì" });
    expect(nothing.status).toBe(409);
    expect(nothing.body.error.code).toBe("NOTHING_TO_TAP");
    await comuneSends(templateTo(CITIZEN, "notizia_comune", ["x"]));
    const wrong = await t.api<ErrorAnswer>("POST", `/phones/${CITIZEN}/messages`, { tap: "Forse" });
    expect(wrong.status).toBe(409);
    expect(wrong.body.error.code).toBe("OPTION_NOT_FOUND");
  });
});

describe("a phone reads", () => {
  it("marks the comune's messages read and posts read statuses", async () => {
    await t.api("POST", `/phones/${CITIZEN}/messages`, { text: "ciao" });
    const wamid = await comuneSends({
      messaging_product: "whatsapp",
      to: CITIZEN,
      type: "text",
      text: { body: "Benvenuto" },
    });
    await t.receiver.waitFor(() =>
      t.receiver.statuses().find((s) => s.id === wamid && s.status === "delivered"),
    );
    const read = await t.api("POST", `/phones/${CITIZEN}/read`, { to: "393665784663" });
    expect(read.status).toBe(204);
    const status = await t.receiver.waitFor(() =>
      t.receiver.statuses().find((s) => s.id === wamid && s.status === "read"),
    );
    expect(status.pricing).toBeUndefined();
    const conversation = await t.api<{ messages: PhoneMessage[] }>(
      "GET",
      `/phones/${CITIZEN}/messages`,
    );
    expect(conversation.body.messages.at(-1)?.status).toBe("read");
  });
});
