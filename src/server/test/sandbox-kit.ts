import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { request, type FormData } from "undici";
import { afterAll, afterEach, beforeAll } from "vitest";
import type { SandboxNumber } from "../modules/sandbox/context.js";
import { startStandaloneSandbox, type StandaloneSandbox } from "../modules/sandbox/sandbox.js";
import type { SandboxSettingsUpdate } from "../modules/sandbox/settings.js";
import { findSigningSecret } from "../modules/whatsapp/webhook-signature.js";
import type { Clock } from "../platform/clock.js";
import { createLogger } from "../platform/log.js";

/**
 * Helpers for tests that talk to the sandbox over real HTTP: two comuni, a webhook receiver
 * that checks signatures, and small request helpers. Not used by the running service, and not
 * built into dist/ (tsconfig.build.json leaves src/server/test out).
 */

export const TEST_NUMBERS: SandboxNumber[] = [
  {
    tenant: "concorezzo",
    name: "Comune di Concorezzo",
    serviceName: "WhatsConcorezzo",
    phoneNumberId: "100000000000001",
    displayNumber: "393665784663",
    wabaId: "200000000000001",
    accessToken: "token-concorezzo",
    appSecret: "secret-concorezzo",
    ratePerSecond: 80,
  },
  {
    tenant: "casale-marittimo",
    name: "Comune di Casale Marittimo",
    serviceName: "Casale informa",
    phoneNumberId: "100000000000002",
    displayNumber: "393760088777",
    wabaId: "200000000000002",
    accessToken: "token-casale",
    appSecret: "secret-casale",
    ratePerSecond: 80,
  },
];

/** The parts of a webhook the tests read. */
export interface StatusLike {
  id: string;
  status: string;
  timestamp: string;
  recipient_id: string;
  biz_opaque_callback_data?: string;
  pricing?: { billable: boolean; pricing_model: string; type: string; category: string };
  errors?: { code: number; title: string; message: string; error_data: { details: string } }[];
}
export interface ChangeValue {
  messaging_product?: string;
  metadata?: { display_phone_number: string; phone_number_id: string };
  contacts?: { profile: { name: string }; wa_id: string }[];
  messages?: ({ from: string; id: string; timestamp: string; type: string } & Record<
    string,
    unknown
  >)[];
  statuses?: StatusLike[];
  [key: string]: unknown;
}
export interface Envelope {
  object: string;
  entry: { id: string; time?: number; changes: { field: string; value: ChangeValue }[] }[];
}
export interface ReceivedWebhook {
  raw: string;
  body: Envelope;
  signatureValid: boolean;
  contentType: string | undefined;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** The HTTP status to answer with (default 200). */
  answer: (webhook: ReceivedWebhook) => number;
  statuses(): (StatusLike & { raw: string })[];
  waitFor<T>(find: () => T | undefined, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

/** A webhook endpoint on loopback that records every post and checks its signature. */
export async function startWebhookReceiver(numbers = TEST_NUMBERS): Promise<WebhookReceiver> {
  const secretByWaba = new Map(numbers.map((n) => [n.wabaId, n.appSecret]));
  const receiver: WebhookReceiver = {
    url: "",
    received: [],
    answer: () => 200,
    statuses: () =>
      receiver.received.flatMap((w) =>
        w.body.entry.flatMap((e) =>
          e.changes.flatMap((c) => (c.value.statuses ?? []).map((s) => ({ ...s, raw: w.raw }))),
        ),
      ),
    waitFor: async <T>(find: () => T | undefined, timeoutMs = 3000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = find();
        if (found !== undefined) return found;
        if (Date.now() > deadline) throw new Error("waitFor: timed out");
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const body = JSON.parse(raw.toString("utf8")) as Envelope;
      const secret = secretByWaba.get(body.entry[0]?.id ?? "") ?? "";
      const header = req.headers["x-hub-signature-256"];
      const webhook: ReceivedWebhook = {
        raw: raw.toString("utf8"),
        body,
        signatureValid:
          findSigningSecret(raw, typeof header === "string" ? header : undefined, [secret]) !==
          undefined,
        contentType: req.headers["content-type"],
      };
      receiver.received.push(webhook);
      res.statusCode = receiver.answer(webhook);
      res.end();
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/whatsapp`;
  return receiver;
}

export interface HttpAnswer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
}

export interface TestSandbox {
  standalone: StandaloneSandbox;
  receiver: WebhookReceiver;
  /** A Graph API call: `path` after /sandbox/graph/v25.0. Token defaults to Concorezzo's. */
  graph<T = Record<string, unknown>>(
    method: "GET" | "POST" | "DELETE",
    path: string,
    options?: { body?: unknown; token?: string | null; form?: FormData; timeoutMs?: number },
  ): Promise<HttpAnswer<T>>;
  /** A control or phones API call: `path` after /sandbox/api. */
  api<T = Record<string, unknown>>(
    method: "GET" | "POST" | "PUT",
    path: string,
    body?: unknown,
  ): Promise<HttpAnswer<T>>;
  close(): Promise<void>;
}

export async function startTestSandbox(
  options: { settings?: SandboxSettingsUpdate; clock?: Clock } = {},
): Promise<TestSandbox> {
  const receiver = await startWebhookReceiver();
  const standalone = await startStandaloneSandbox({
    port: 0,
    webhookUrl: receiver.url,
    numbers: TEST_NUMBERS,
    log: createLogger("silent"),
    settings: { statusDelayMs: { min: 1, max: 5 }, ...options.settings },
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const call = async <T>(
    method: "GET" | "POST" | "PUT" | "DELETE",
    url: string,
    headers: Record<string, string>,
    body: string | FormData | undefined,
    timeoutMs?: number,
  ): Promise<HttpAnswer<T>> => {
    const response = await request(url, {
      method,
      headers,
      body,
      ...(timeoutMs === undefined ? {} : { headersTimeout: timeoutMs, bodyTimeout: timeoutMs }),
    });
    const text = await response.body.text();
    return {
      status: response.statusCode,
      body: (text ? JSON.parse(text) : {}) as T,
      headers: response.headers,
    };
  };
  return {
    standalone,
    receiver,
    graph: (method, path, o = {}) => {
      const token = o.token === undefined ? TEST_NUMBERS[0]?.accessToken : o.token;
      const headers: Record<string, string> =
        token === null || token === undefined ? {} : { authorization: `Bearer ${token}` };
      if (o.body !== undefined) headers["content-type"] = "application/json";
      const body = o.form ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
      return call(
        method,
        `${standalone.url}/sandbox/graph/v25.0${path}`,
        headers,
        body,
        o.timeoutMs,
      );
    },
    api: (method, path, body) =>
      call(
        method,
        `${standalone.url}/sandbox/api${path}`,
        body === undefined ? {} : { "content-type": "application/json" },
        body === undefined ? undefined : JSON.stringify(body),
      ),
    close: async () => {
      await standalone.close();
      await receiver.close();
    },
  };
}

/**
 * The file's sandbox for its tests: started before them, closed after them, and with
 * `resetAfterEach` reset (`POST /reset`) after each one, then handed to the function given to undo
 * what else the file changes. The object is filled in by `beforeAll`: use it in hooks and tests.
 */
export function useTestSandbox(
  options: {
    start?: Parameters<typeof startTestSandbox>[0];
    resetAfterEach?: boolean | ((t: TestSandbox) => Promise<void> | void);
  } = {},
): TestSandbox {
  const t = {} as TestSandbox;
  beforeAll(async () => {
    Object.assign(t, await startTestSandbox(options.start));
  });
  afterAll(async () => t.close());
  const { resetAfterEach } = options;
  if (resetAfterEach) {
    afterEach(async () => {
      await t.api("POST", "/reset");
      if (typeof resetAfterEach === "function") await resetAfterEach(t);
    });
  }
  return t;
}

/** A text send body. */
export function textTo(to: string, body: string, extra: Record<string, unknown> = {}) {
  return {
    messaging_product: "whatsapp",
    recipient_type: "individual",
    to,
    type: "text",
    text: { body },
    ...extra,
  };
}

/** A template send body with positional body parameters. */
export function templateTo(
  to: string,
  name: string,
  bodyParams: string[],
  extra: Record<string, unknown>[] = [],
) {
  return {
    messaging_product: "whatsapp",
    to,
    type: "template",
    template: {
      name,
      language: { code: "it" },
      components: [
        { type: "body", parameters: bodyParams.map((text) => ({ type: "text", text })) },
        ...extra,
      ],
    },
  };
}
