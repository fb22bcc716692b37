import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Page } from "playwright-core";
import { parseEnv } from "../src/server/config/env.js";
import { loadTenants } from "../src/server/config/tenants.js";
import { sandboxPageRoutes } from "../src/server/modules/sandbox/page.routes.js";
import {
  registerSandbox,
  sandboxNumbersFromTenants,
  type Sandbox,
  type SandboxSettingsUpdate,
} from "../src/server/modules/sandbox/sandbox.js";
import type { OutboundMessage } from "../src/server/modules/whatsapp/types.js";
import type { WhatsAppClients } from "../src/server/modules/whatsapp/whatsapp.service.js";
import { registerErrorHandling } from "../src/server/platform/http/error-handler.js";
import { createLogger } from "../src/server/platform/log.js";
import { SHIPPED_TENANTS_DIR } from "../src/server/test/build-test-app.js";
import { startWebhookReceiver, type WebhookReceiver } from "../src/server/test/sandbox-kit.js";
import { createWhatsAppClients } from "../src/server/wiring.js";
import { rgbPng } from "./png.js";

/**
 * The real sandbox for the page's browser test, with the test in the comune's seat: the demo
 * comuni's numbers, the page, and a webhook receiver in place of the service, so the test
 * decides when Meta's webhook gets its 200. The comune writes through the service's own
 * WhatsApp client.
 */
export interface RealSandbox {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** Phones, conversations and blocks, as the sandbox keeps them. */
  sandbox: Sandbox;
  /** Where the sandbox posts its webhooks (the service's place). */
  receiver: WebhookReceiver;
  /** A comune sends `message` to `to` through the Cloud API client; resolves with the wamid. */
  send(tenant: string, to: string, message: OutboundMessage): Promise<string>;
  /** A comune uploads a file; resolves with the media id to send it by. */
  upload(
    tenant: string,
    file: { data: Uint8Array; mimeType: string; filename: string },
  ): Promise<string>;
  /** A comune marks a citizen's message read (blue ticks on the phone). */
  markRead(tenant: string, messageId: string): Promise<void>;
  /** A comune blocks a number (the phone can no longer write to it). */
  block(tenant: string, waId: string): Promise<void>;
  settings(update: SandboxSettingsUpdate): Promise<void>;
  close(): Promise<void>;
}

export async function startRealSandbox(): Promise<RealSandbox> {
  const env = parseEnv({ TENANTS_DIR: SHIPPED_TENANTS_DIR, LOG_LEVEL: "silent" });
  const { tenants, mode } = await loadTenants(env);
  const numbers = sandboxNumbersFromTenants(tenants);
  const receiver = await startWebhookReceiver(numbers);
  const log = createLogger("silent");
  const app: FastifyInstance = Fastify({
    // The cast keeps Fastify's default logger type, which the route plugins are written against.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: log as FastifyBaseLogger,
    forceCloseConnections: "idle",
  });
  registerErrorHandling(app);
  const sandbox = await registerSandbox(app, {
    numbers,
    webhookUrl: () => receiver.url,
    log,
    settings: { statusDelayMs: { min: 1, max: 5 } },
  });
  sandboxPageRoutes(app);
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  const clients: WhatsAppClients = createWhatsAppClients({
    env,
    tenants,
    mode,
    ownBaseUrl: () => url,
  });

  const fail = (what: string, error: { code: number; title: string }): never => {
    throw new Error(`${what}: ${error.code} ${error.title}`);
  };
  return {
    url,
    sandbox,
    receiver,
    async send(tenant, to, message) {
      const sent = await clients.forTenant(tenant).send({ to, message });
      return sent.ok ? sent.messageId : fail("send", sent.error);
    },
    async upload(tenant, file) {
      const uploaded = await clients.forTenant(tenant).uploadMedia(file);
      return uploaded.ok ? uploaded.value.id : fail("upload", uploaded.error);
    },
    async markRead(tenant, messageId) {
      const read = await clients.forTenant(tenant).markAsRead(messageId);
      if (!read.ok) fail("mark as read", read.error);
    },
    async block(tenant, waId) {
      const blocked = await clients.forTenant(tenant).blockUsers([waId]);
      if (!blocked.ok) fail("block", blocked.error);
      else if (blocked.value.succeeded.length !== 1) throw new Error(`block: ${waId} refused`);
    },
    async settings(update) {
      const response = await fetch(`${url}/sandbox/api/settings`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(update),
      });
      if (!response.ok) throw new Error(`settings: ${response.status} ${await response.text()}`);
    },
    close: async () => {
      await clients.close();
      await app.close();
      await receiver.close();
    },
  };
}

/** What the page asked the sandbox's phones API, as seen from the browser. */
export interface PageTraffic {
  /** Every message the API accepted (202), with the body the page posted, in order. */
  sent: { waId: string; body: Record<string, unknown> }[];
  /** Every POST /phones/:waId/read. */
  reads: { waId: string; to?: string }[];
  /** How many times a conversation was asked for (the page polls). */
  conversationFetches: number;
}

const PHONE_PATH = /^\/sandbox\/api\/phones\/(\d+)\/(messages|read)$/;

export function recordPageTraffic(page: Page): PageTraffic {
  const traffic: PageTraffic = { sent: [], reads: [], conversationFetches: 0 };
  page.on("request", (request) => {
    const match = PHONE_PATH.exec(new URL(request.url()).pathname);
    if (!match) return;
    if (match[2] === "messages" && request.method() === "GET") traffic.conversationFetches += 1;
    if (match[2] === "read") {
      const body = (request.postDataJSON() ?? {}) as { to?: string };
      traffic.reads.push({ waId: match[1] ?? "", ...(body.to ? { to: body.to } : {}) });
    }
  });
  page.on("response", (response) => {
    const request = response.request();
    const match = PHONE_PATH.exec(new URL(request.url()).pathname);
    if (match?.[2] !== "messages" || request.method() !== "POST" || response.status() !== 202) {
      return;
    }
    traffic.sent.push({
      waId: match[1] ?? "",
      body: request.postDataJSON() as Record<string, unknown>,
    });
  });
  return traffic;
}

/** A plain PNG of one colour with a darker band: an image the page can really load. */
export function posterPng(width = 640, height = 400): Buffer {
  return rgbPng(width, height, (_x, y) =>
    y > height * 0.35 && y < height * 0.65 ? [0x00, 0x4d, 0x99] : [0x00, 0x66, 0xcc],
  );
}

/** The smallest PDF a viewer opens: the document a comune attaches. */
export const PDF_BYTES = Buffer.from(
  "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
);
