import { randomBytes } from "node:crypto";
import type { PhoneMessage } from "../modules/sandbox/sandbox-state.js";
import { accountEnvelope, signatureOf } from "../modules/sandbox/webhook-envelopes.js";
import { until } from "./dispatch-harness.js";

/*
 * Helpers for tests that run the real server in sandbox mode (startInProcessServer) and act as
 * citizens over real HTTP: the demo comuni's numbers, fresh phone numbers, the sandbox's phones
 * API, and webhooks signed as Meta signs them. Each takes the server's base URL. Not used by the
 * running service.
 */

export type { PhoneMessage };

/** A demo comune's WhatsApp number, as the shipped tenant files and the sandbox have it. */
export interface DemoNumber {
  slug: string;
  display: string;
  phoneNumberId: string;
  wabaId: string;
}

export const CONCOREZZO_NUMBER: DemoNumber = {
  slug: "concorezzo",
  display: "393665784663",
  phoneNumberId: "100000000000001",
  wabaId: "200000000000001",
};
export const CASALE_NUMBER: DemoNumber = {
  slug: "casale-marittimo",
  display: "393760088777",
  phoneNumberId: "100000000000002",
  wabaId: "200000000000002",
};

/** A fresh Italian mobile number per call (`prefix` then 7 random digits): no shared phones. */
export function freshPhone(prefix: string): string {
  return `${prefix}${String(randomBytes(4).readUInt32BE() % 10_000_000).padStart(7, "0")}`;
}

/** A call to the sandbox's control and phones API: `path` after /sandbox/api, a JSON body. */
export function sandboxApi(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  return fetch(`${baseUrl}/sandbox/api${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
}

/**
 * The phone writes `body` (a text, or the tap of a button) to the comune's number `to`, under
 * the profile `name` when given; answers the message's wamid, throws when the sandbox refuses.
 */
export async function phoneSends(
  baseUrl: string,
  waId: string,
  to: string,
  body: { text: string } | { tap: string },
  name?: string,
): Promise<string> {
  const response = await sandboxApi(baseUrl, "POST", `/phones/${waId}/messages`, {
    to,
    ...body,
    ...(name ? { name } : {}),
  });
  const answer = (await response.json()) as { message?: { id: string }; error?: unknown };
  if (response.status !== 202 || !answer.message)
    throw new Error(`phone send refused: ${response.status} ${JSON.stringify(answer)}`);
  return answer.message.id;
}

/** Every message of the phone's conversation, oldest first; none for a phone never used. */
export async function phoneMessages(baseUrl: string, waId: string): Promise<PhoneMessage[]> {
  const response = await sandboxApi(baseUrl, "GET", `/phones/${waId}/messages`);
  if (response.status === 404) return [];
  return ((await response.json()) as { messages: PhoneMessage[] }).messages;
}

/** The messages the comuni sent to the phone, oldest first. */
export async function receivedBy(baseUrl: string, waId: string): Promise<PhoneMessage[]> {
  return (await phoneMessages(baseUrl, waId)).filter((m) => m.direction === "to_phone");
}

/** Waits until the phone has received `count` messages, and returns all it has received. */
export function untilReceived(
  baseUrl: string,
  waId: string,
  count: number,
  timeoutMs = 15_000,
): Promise<PhoneMessage[]> {
  return until(
    `${count} messages to ${waId}`,
    async () => {
      const got = await receivedBy(baseUrl, waId);
      return got.length >= count ? got : undefined;
    },
    timeoutMs,
  );
}

/** Meta's webhook for the citizen `waId` pressing stop (or resume) on the comune's marketing. */
export function marketingPreferenceEnvelope(
  number: DemoNumber,
  waId: string,
  value: "stop" | "resume",
): ReturnType<typeof accountEnvelope> {
  return accountEnvelope(
    number.wabaId,
    "user_preferences",
    {
      messaging_product: "whatsapp",
      metadata: { display_phone_number: number.display, phone_number_id: number.phoneNumberId },
      user_preferences: [
        {
          wa_id: waId,
          detail: "User requested to stop marketing messages",
          category: "marketing_messages",
          value,
          timestamp: Math.floor(Date.now() / 1000),
        },
      ],
    },
    Date.now(),
  );
}

/** Posts a webhook to the server as Meta would, signed with the sandbox's app secret. */
export function postSignedWebhook(baseUrl: string, envelope: unknown): Promise<Response> {
  const body = JSON.stringify(envelope);
  return fetch(`${baseUrl}/webhooks/whatsapp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-hub-signature-256": signatureOf(body, "sandbox-app-secret"),
    },
    body,
  });
}
