import { SANDBOX_SUBSCRIBER_KEY_SECRET } from "../modules/citizens/key-secret.js";
import { subscriberKey } from "../modules/citizens/subscriber-key.js";
import type { InProcessServer } from "./in-process-server.js";
import {
  phoneSends,
  postSignedWebhook,
  receivedBy,
  sandboxApi,
  untilReceived,
  type DemoNumber,
} from "./sandbox-phones.js";

/**
 * Citizens of the demo comuni talking to the real server in sandbox mode, as the conversation
 * tests see them: their phones (the sandbox-phones helpers, bound to the server) and what the
 * database keeps of them, found by their keyed hash as the service finds them. The server is
 * read on each call, so a test can take the kit before its `beforeAll` starts the server.
 */
export function citizenKit(server: () => InProcessServer) {
  const db = () => server().server.database.db;
  const baseUrl = () => server().baseUrl;
  /** The keyed hash the comune's rows hold instead of the number. */
  const keyOf = (comune: DemoNumber, waId: string) =>
    subscriberKey(SANDBOX_SUBSCRIBER_KEY_SECRET, comune.slug, waId);
  return {
    db,
    keyOf,
    /** A call to the sandbox's control and phones API (see `sandboxApi`). */
    api: (method: string, path: string, body?: unknown) =>
      sandboxApi(baseUrl(), method, path, body),
    /** The phone writes to the comune (see `phoneSends`); answers the message's wamid. */
    send: (
      waId: string,
      comune: DemoNumber,
      body: { text: string } | { tap: string },
      name?: string,
    ) => phoneSends(baseUrl(), waId, comune.display, body, name),
    /** The messages the comuni sent to the phone, oldest first. */
    received: (waId: string) => receivedBy(baseUrl(), waId),
    /** Waits until the phone has received `count` messages, and returns them all. */
    untilReceived: (waId: string, count: number) => untilReceived(baseUrl(), waId, count),
    /** A webhook posted as Meta would, signed with the sandbox's app secret. */
    postWebhook: (envelope: unknown) => postSignedWebhook(baseUrl(), envelope),
    /** The citizen's entries in the comune's consent ledger, oldest first. */
    ledgerOf: (comune: DemoNumber, waId: string) =>
      db()
        .selectFrom("consent_events")
        .selectAll()
        .where("tenant_id", "=", comune.slug)
        .where("subscriber_key", "=", keyOf(comune, waId))
        .orderBy("id")
        .execute(),
    /** What the comune's moderation inbox keeps of what the citizen wrote. */
    keptOf: (comune: DemoNumber, waId: string) =>
      db()
        .selectFrom("moderation_messages")
        .selectAll()
        .where("subscriber_key", "=", keyOf(comune, waId))
        .execute(),
  };
}
