import type { Insertable, Kysely, Selectable } from "kysely";
import type {
  BroadcastsTable,
  DB,
  OutboundMessagesTable,
  SubscribersTable,
  TenantsTable,
} from "../platform/db/schema.js";

/*
 * Rows for tests and benchmarks: each factory inserts one valid row of its table, with defaults
 * for every column the test does not care about and the test's overrides on top, and returns the
 * row as stored. A test names only what it asserts on; when a column is added, the defaults here
 * change, not every test. Instants default to `created_at` (itself now when not given), so one
 * override moves a row in time. At the end, what tests read back of those rows. Never imported
 * by production code (a fitness test checks).
 */

export type TenantRow = Selectable<TenantsTable>;
export type SubscriberRow = Selectable<SubscribersTable>;
export type BroadcastRow = Selectable<BroadcastsTable>;
export type OutboundMessageRow = Selectable<OutboundMessagesTable>;

/** The comune of the demo files that most tests use. */
const DEFAULT_TENANT = "concorezzo";

/**
 * Inserts the row of a comune `id`, named by its id, and returns it: only the row, for storage
 * tests on a bare database (a test app, or `syncTenants`, writes the demo comuni with their
 * sender numbers).
 */
export async function buildTenant(
  db: Kysely<DB>,
  overrides: Partial<Insertable<TenantsTable>> & { id: string },
): Promise<TenantRow> {
  const at = overrides.created_at ?? Date.now();
  return db
    .insertInto("tenants")
    .values({
      name: overrides.id,
      service_name: overrides.id,
      config_hash: "test",
      created_at: at,
      updated_at: at,
      ...overrides,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

let serial = 0;
/** A wa_id no other factory call has returned in this process: 39 333 then 7 digits. */
function nextWaId(): string {
  serial += 1;
  return `39333${String(serial).padStart(7, "0")}`;
}

/**
 * The values of a subscriber row, inserted by nobody: for bulk inserts (benchmarks, thousands of
 * rows in one statement). Default: an active subscriber of Concorezzo with a fresh number.
 */
export function subscriberValues(
  overrides: Partial<Insertable<SubscribersTable>> = {},
): Insertable<SubscribersTable> {
  const at = overrides.created_at ?? Date.now();
  const status = overrides.status ?? "active";
  return {
    tenant_id: DEFAULT_TENANT,
    wa_id: "wa_id" in overrides || overrides.user_id ? null : nextWaId(),
    user_id: null,
    status,
    first_name: null,
    last_name: null,
    profile_name: null,
    locale: null,
    subscribed_at: status === "active" ? at : null,
    unsubscribed_at: null,
    blocked_at: null,
    last_inbound_at: null,
    created_at: at,
    updated_at: at,
    ...overrides,
  };
}

/** Inserts a subscriber (see `subscriberValues` for the defaults) and returns the row. */
export async function buildSubscriber(
  db: Kysely<DB>,
  overrides: Partial<Insertable<SubscribersTable>> = {},
): Promise<SubscriberRow> {
  return db
    .insertInto("subscribers")
    .values(subscriberValues(overrides))
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The values of a broadcast row: an approved, normal news text of Concorezzo, not started. */
export function broadcastValues(
  overrides: Partial<Insertable<BroadcastsTable>> = {},
): Insertable<BroadcastsTable> {
  const at = overrides.created_at ?? Date.now();
  return {
    tenant_id: DEFAULT_TENANT,
    title: "Chiusura del municipio",
    status: "approved",
    priority: "normal",
    content: JSON.stringify({ type: "text", text: "Il municipio resta chiuso domani." }),
    created_by: null,
    approved_by: null,
    scheduled_at: null,
    started_at: null,
    finished_at: null,
    attention_reason: null,
    created_at: at,
    updated_at: at,
    ...overrides,
  };
}

/** Inserts a broadcast (see `broadcastValues` for the defaults) and returns the row. */
export async function buildBroadcast(
  db: Kysely<DB>,
  overrides: Partial<Insertable<BroadcastsTable>> = {},
): Promise<BroadcastRow> {
  return db
    .insertInto("broadcasts")
    .values(broadcastValues(overrides))
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Inserts an outbound message and returns the row. Default: a text reply of Concorezzo, queued
 * for now, from the comune's sender number (looked up when `sender_number_id` is not given, so
 * the comune's rows must exist: a test app or `syncTenants` writes them).
 */
export async function buildOutboundMessage(
  db: Kysely<DB>,
  overrides: Partial<Insertable<OutboundMessagesTable>> = {},
): Promise<OutboundMessageRow> {
  const tenantId = overrides.tenant_id ?? DEFAULT_TENANT;
  const at = overrides.created_at ?? Date.now();
  const values: Insertable<OutboundMessagesTable> = {
    tenant_id: tenantId,
    sender_number_id: overrides.sender_number_id ?? (await senderNumberOf(db, tenantId)),
    kind: "reply",
    broadcast_id: null,
    subscriber_id: null,
    recipient: "393330000000",
    payload: JSON.stringify({ type: "text", body: "Ciao" }),
    state: "queued",
    status: null,
    next_attempt_at: at,
    wa_message_id: null,
    error_code: null,
    error_reason: null,
    accepted_at: null,
    in_flight_since: null,
    created_at: at,
    updated_at: at,
    ...overrides,
  };
  return db.insertInto("outbound_messages").values(values).returningAll().executeTakeFirstOrThrow();
}

/** The comune's (first) sender number id. */
export async function senderNumberOf(db: Kysely<DB>, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom("sender_numbers")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .orderBy("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The recipients of a broadcast's deliveries (its outbound messages), sorted. */
export async function deliveryRecipients(db: Kysely<DB>, broadcastId: number): Promise<string[]> {
  const rows = await db
    .selectFrom("outbound_messages")
    .select("recipient")
    .where("broadcast_id", "=", broadcastId)
    .execute();
  return rows.map((r) => r.recipient).sort();
}
