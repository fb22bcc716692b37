import type { Dispatcher } from "undici";
import type { Env } from "../../config/env.js";
import type { Tenant, WhatsAppMode } from "../../config/tenants.js";
import { CloudApiClient, createGraphDispatcher } from "./cloud-api-client.js";
import type { WhatsAppClient } from "./types.js";

/** One client per comune, all sharing one keep-alive agent; the way other parts reach WhatsApp. */
export interface WhatsAppClients {
  /** The comune's client; throws for a slug that is not configured (a programming error). */
  forTenant(slug: string): WhatsAppClient;
  /** Where the clients send: Meta's Graph API or this server's sandbox. */
  baseUrl: string;
  close(): Promise<void>;
}

export function createWhatsAppClients(options: {
  env: Env;
  tenants: readonly Tenant[];
  mode: WhatsAppMode;
  /** This server's own base URL, for sandbox mode (known once it listens). */
  localBaseUrl: string;
  dispatcher?: Dispatcher;
}): WhatsAppClients {
  const { env, tenants, mode } = options;
  const dispatcher = options.dispatcher ?? createGraphDispatcher();
  const baseUrl =
    mode === "sandbox" ? `${options.localBaseUrl}/sandbox/graph` : env.WHATSAPP_GRAPH_URL;
  const clients = new Map<string, WhatsAppClient>(
    tenants.map((t) => [
      t.slug,
      new CloudApiClient({
        baseUrl,
        apiVersion: env.WHATSAPP_API_VERSION,
        accessToken: t.secrets.accessToken,
        phoneNumberId: t.whatsapp.phoneNumberId,
        ...(t.whatsapp.wabaId ? { wabaId: t.whatsapp.wabaId } : {}),
        dispatcher,
        timeoutMs: env.WHATSAPP_TIMEOUT_MS,
      }),
    ]),
  );
  return {
    baseUrl,
    forTenant(slug) {
      const client = clients.get(slug);
      if (!client) throw new Error(`No WhatsApp client for the comune "${slug}"`);
      return client;
    },
    close: () => (options.dispatcher ? Promise.resolve() : dispatcher.close()),
  };
}
