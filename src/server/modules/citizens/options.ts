import type { Kysely } from "kysely";
import type { Tenant } from "../../config/tenants.js";
import type { Clock } from "../../platform/clock.js";
import type { DB } from "../../platform/db/schema.js";
import type { Logger } from "../../platform/log.js";
import type { Dispatch } from "../dispatch/dispatch.service.js";
import type { WhatsAppClients } from "../whatsapp/whatsapp.service.js";

/** What `Citizens` is built with (wiring.ts); its parts take the fields they use. */
export interface CitizensOptions {
  db: Kysely<DB>;
  tenants: readonly Tenant[];
  dispatch: Pick<Dispatch, "enqueueReply" | "wakeTenant">;
  clients: WhatsAppClients;
  clock: Clock;
  log: Logger;
  /** SUBSCRIBER_KEY_SECRET (or the sandbox's development value). */
  keySecret: string;
  /** For the links to the public pages when a comune's documents have no URL. */
  publicBaseUrl: string;
}
