import type { WhatsAppClient } from "./types.js";

/**
 * One client per comune, all sharing one keep-alive agent; the way other parts reach WhatsApp.
 * Built once per process by `createWhatsAppClients` in wiring.ts.
 */
export interface WhatsAppClients {
  /** The comune's client; throws for a slug that is not configured (a programming error). */
  forTenant(slug: string): WhatsAppClient;
  /** Where the clients send: Meta's Graph API or this server's sandbox. */
  readonly baseUrl: string;
  close(): Promise<void>;
}
