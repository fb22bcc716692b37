import type { ColumnType, Generated, Kysely, Transaction } from "kysely";

/**
 * The tables as Kysely sees them. Conventions, the same on both engines:
 * - ids are integers the database assigns (tenants use their slug);
 * - instants are epoch milliseconds in `*_at` columns (bigint), never engine date types, so
 *   SQLite and PostgreSQL compare, sort and round-trip them identically;
 * - JSON is stored as text and parsed in the repository that owns the table;
 * - flags are nullable instants (`blocked_at`) or states, never booleans (SQLite has none).
 * Every table that holds a comune's data carries `tenant_id` (a fitness test checks it).
 *
 * Over 400 lines for a reason: one interface per table, the whole schema in one place as Kysely's
 * `DB` type needs it.
 */

type Id = Generated<number>;
/** Set by the database on insert when omitted. */
type Defaulted<T> = ColumnType<T, T | undefined, T>;
/** A nullable column added after the first schema: optional on insert. */
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;

export interface TenantsTable {
  id: string;
  name: string;
  service_name: string;
  /** Hash of the tenant file last applied, to log when a comune's config changed. */
  config_hash: string;
  created_at: number;
  updated_at: number;
}

export interface SenderNumbersTable {
  id: Id;
  tenant_id: string;
  phone_number_id: string;
  display_number: string;
  waba_id: string | null;
  rate_per_second: number;
  /** Meta's messaging-limit tier (TIER_250 … TIER_UNLIMITED), when known. */
  messaging_limit_tier: string | null;
  quality_rating: string | null;
  created_at: number;
  updated_at: number;
}

/**
 * pending: waiting for "Confermo" (confirmation step); active; unsubscribed; contact: wrote to the
 * number without ever subscribing (bookkeeping only: auto-reply, flood, block; purged when idle).
 */
export const SUBSCRIBER_STATUSES = ["pending", "active", "unsubscribed", "contact"] as const;
export type SubscriberStatus = (typeof SUBSCRIBER_STATUSES)[number];

export interface SubscribersTable {
  id: Id;
  tenant_id: string;
  /** The phone number as WhatsApp gives it (digits, country code first); may be absent with usernames. */
  wa_id: string | null;
  /** Meta's business-scoped user id. */
  user_id: string | null;
  status: SubscriberStatus;
  first_name: string | null;
  last_name: string | null;
  profile_name: string | null;
  /** JSON array of topic ids. */
  topics: Defaulted<string>;
  locale: string | null;
  subscribed_at: number | null;
  unsubscribed_at: number | null;
  blocked_at: number | null;
  last_inbound_at: number | null;
  created_at: number;
  updated_at: number;
  /**
   * Keyed hash of the identifier (modules/citizens/subscriber-key.ts), unique per comune; set on
   * every row (rows written before migration 0005 get it at start). Exact-match lookups use it.
   */
  subscriber_key: Nullable<string>;
  /** The Block Users API call succeeded; blocked_at set and this null = block pending on WhatsApp. */
  wa_blocked_at: Nullable<number>;
  /** Meta's stop button (user_preferences "stop"): marketing broadcasts skip them until "resume". */
  marketing_stopped_at: Nullable<number>;
  /** When the current auto-reply window (24 h) began, and how many replies it has had. */
  auto_replied_at: Nullable<number>;
  auto_replies_in_window: Nullable<number>;
  /** Flood rule: the start of the current counting window and the messages in it. */
  flood_window_start: Nullable<number>;
  flood_count: Nullable<number>;
  /** Flagged for review (e.g. flood); flag_reason is a short code such as "flood". */
  flagged_at: Nullable<number>;
  flag_reason: Nullable<string>;
  /** Confirmation step (status "pending"): the subscribe request waiting for "Confermo". */
  pending_since: Nullable<number>;
  pending_message_id: Nullable<string>;
  pending_text: Nullable<string>;
}

export interface ConsentEventsTable {
  id: Id;
  tenant_id: string;
  /** Keyed hash of the number (or user id): proves consent without keeping the number. */
  subscriber_key: string;
  action: string;
  regulation_version: string | null;
  privacy_version: string | null;
  inbound_message_id: string | null;
  text_received: string | null;
  created_at: number;
}

export interface InboundEventsTable {
  id: Id;
  tenant_id: string;
  /** message | status | error | account */
  kind: string;
  /** Meta's message id, or status id + state: a redelivery hits the unique index. */
  dedup_key: string;
  /** The payload as received (JSON). */
  payload: string;
  received_at: number;
  processed_at: number | null;
  locked_until: number | null;
  attempts: Defaulted<number>;
  error: string | null;
  /** Higher is handled sooner: 1 for citizens' messages, 0 for bulk events (migration 0009). */
  priority: Defaulted<number>;
}

export interface OutboundMessagesTable {
  id: Id;
  tenant_id: string;
  sender_number_id: number;
  /** reply | broadcast */
  kind: string;
  broadcast_id: number | null;
  subscriber_id: number | null;
  /** wa_id or business-scoped user id to send to. */
  recipient: string;
  /** JSON of the message; broadcast deliveries take it from their broadcast. */
  payload: string | null;
  /** Higher goes first: replies and urgent broadcasts overtake normal ones. */
  priority: Defaulted<number>;
  state: string;
  /** Meta's delivery status once accepted: sent, delivered, read, failed. */
  status: string | null;
  attempts: Defaulted<number>;
  next_attempt_at: number;
  wa_message_id: string | null;
  error_code: number | null;
  error_reason: string | null;
  /** Counted attempts in a row that ended with error_code (an error's own limit is over these). */
  error_repeats: Defaulted<number>;
  accepted_at: number | null;
  in_flight_since: number | null;
  /**
   * Meta's `pricing.type` from the status webhooks (regular, free_customer_service,
   * free_entry_point); null until a status with pricing arrives. See delivery-status.ts.
   */
  pricing_type: Nullable<string>;
  /** Meta's `pricing.category` (service, utility, marketing, authentication, …). */
  pricing_category: Nullable<string>;
  /** 1 for a template outside the recipient's 24-hour window (spends the messaging-limit tier). */
  spends_tier: Defaulted<number>;
  /**
   * A broadcast delivery to someone inside their 24-hour window at expansion: when it closes.
   * Null otherwise. Free-form sends go only while it is open (broadcast-content.ts).
   */
  window_closes_at: Nullable<number>;
  created_at: number;
  updated_at: number;
  /**
   * The person erased their data while this row was on its way: once the dispatcher has its
   * outcome, `recipient` becomes this pseudonym (modules/citizens README, "Erasure"). Null
   * otherwise.
   */
  pseudonym: Nullable<string>;
  /**
   * 1: a broadcast delivery not yet claimed, taken in subscriber order from the broadcast's
   * claim cursor (`broadcasts.claimed_through`); 0: claimed through the claim index
   * (0019-claim-sequences).
   */
  in_sequence: Defaulted<number>;
}

export interface BroadcastsTable {
  id: Id;
  tenant_id: string;
  title: string;
  status: string;
  /** normal | urgent */
  priority: string;
  /** JSON of what is sent (text, media, location, template). */
  content: string;
  /** JSON array of topic ids; empty means every subscriber. */
  topics: Defaulted<string>;
  created_by: number | null;
  approved_by: number | null;
  scheduled_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  attention_reason: string | null;
  created_at: number;
  updated_at: number;
  /** marketing | utility (default): marketing skips people who stopped it in WhatsApp. */
  category: Defaulted<string>;
  /** 1: listed in the comune's public archive once sent. */
  public: Defaulted<number>;
  /** JSON: the policy's answer the approver accepted (audience and cost estimate included). */
  approval_check: string | null;
  /** The file shown in the message's header (media_files), or null. */
  media_id: number | null;
  /**
   * An expansion under way: the last subscriber id whose delivery exists; null: none under way
   * (0018-broadcast-expansion).
   */
  expanded_through: number | null;
  /** When `expanded_through` last moved. */
  expanded_at: number | null;
  /** The number the broadcast's deliveries are queued on, set by its expansion. */
  sender_number_id: number | null;
  /**
   * The claim cursor: every delivery still to be claimed in sequence has a higher subscriber id
   * (null: none claimed yet; 0019-claim-sequences).
   */
  claimed_through: number | null;
}

/** A file a broadcast carries, stored once (0014-media). */
export interface MediaFilesTable {
  id: Id;
  tenant_id: string;
  /** image | video | document */
  kind: string;
  mime_type: string;
  size_bytes: number;
  /** The name a document shows on the phone; null for images and videos. */
  filename: string | null;
  sha256: string;
  bytes: Buffer;
  created_by: number | null;
  created_at: number;
}

/** A comune's WhatsApp template as last synced or reported by webhook (0015-templates). */
export interface WhatsappTemplatesTable {
  tenant_id: string;
  name: string;
  language: string;
  /** MARKETING | UTILITY | AUTHENTICATION, as Meta writes it. */
  category: string;
  /** APPROVED | PAUSED | DISABLED | REJECTED | PENDING | … as Meta writes it. */
  status: string;
  reason: string | null;
  /** JSON: the components Meta lists. */
  components: string;
  synced_at: number;
}

/** The Cloud API's id of a file for one sender number, and when it was uploaded (30-day life). */
export interface MediaUploadsTable {
  media_file_id: number;
  phone_number_id: string;
  wa_media_id: string;
  uploaded_at: number;
}

/** The moderation inbox: citizens' messages, kept only when the comune enables it, then purged. */
export interface ModerationMessagesTable {
  id: Id;
  tenant_id: string;
  subscriber_id: number | null;
  subscriber_key: string;
  inbound_message_id: string;
  /** text, image, audio, video, document, location, sticker, … */
  type: string;
  /** The text or caption (location: its name/address and coordinates). */
  text: string | null;
  media_id: string | null;
  received_at: number;
  flagged_at: number | null;
  /** Deleted by the hourly purge after this instant (received_at + the comune's retention). */
  purge_after: number;
}

export interface UsersTable {
  id: Id;
  /** Lower-cased. A person is one user across comuni; roles are per comune. */
  email: string;
  display_name: string;
  password_hash: string | null;
  totp_secret: string | null;
  /** "admin" for the hosting provider's instance administrator; null otherwise. */
  instance_role: string | null;
  disabled_at: number | null;
  /** Set when a first code confirmed `totp_secret`; until then the secret is pending. */
  totp_confirmed_at: number | null;
  /** The last TOTP time step accepted: a code is never accepted twice. */
  totp_last_step: number | null;
  /** JSON list of the sha256 hashes of the unused recovery codes. */
  recovery_codes: string | null;
  created_at: number;
  updated_at: number;
}

export interface UserRolesTable {
  tenant_id: string;
  user_id: number;
  role: string;
  created_at: number;
}

export interface SessionsTable {
  /** Hash of the session token; the token itself lives only in the cookie. */
  id: string;
  user_id: number;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  /** "totp": password accepted, second factor awaited; "active": logged in. */
  stage: Defaulted<string>;
}

/** Login throttling counters (modules/staff/login-throttle.ts). */
export interface LoginThrottleTable {
  /** sha256 of the account's e-mail (whether or not an account has it), or of e-mail and address. */
  key: string;
  failures: number;
  /** Bumped on every write (compare-and-set). */
  version: number;
  last_failure_at: number | null;
  /** No attempt before this instant. */
  not_before: number | null;
  /** On an (account, address) pair: the last login from that address. */
  last_success_at: number | null;
}

export interface UserTokensTable {
  /** sha256 of the one-time token; the token itself is only ever printed once. */
  token_hash: string;
  user_id: number;
  /** "setup": set the password (and then enrol TOTP). */
  purpose: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface ApiKeysTable {
  id: Id;
  tenant_id: string;
  name: string;
  /** sha256 of the key; the key is shown once, at creation. */
  token_hash: string;
  /** The first characters of the key, to tell keys apart in a list. */
  token_prefix: string;
  /** JSON list of permissions. */
  permissions: string;
  /** The actor who created it ("user:12", "admin-token"). */
  created_by: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface TenantSettingsTable {
  tenant_id: string;
  /** "required" (TOTP for owner, approver, technician) or "off". */
  two_factor: Defaulted<string>;
  updated_at: number;
}

/** A save of the comune's settings from the console (migration 0017); the latest is in force. */
export interface TenantSettingVersionsTable {
  tenant_id: string;
  /** 1, 2, 3… per comune. */
  version: number;
  /** JSON: every section overridden over the tenant file as of this save. */
  settings: string;
  /** JSON list of the sections this save changed. */
  changed: string;
  /** Who saved it: the audit actor's type and id ("user", "12"). */
  saved_by_type: string;
  saved_by_id: string | null;
  saved_at: number;
  note: string;
  /** A restore: the version whose content it took. */
  restored_from: number | null;
}

export interface AuditLogTable {
  id: Id;
  /** Null for instance-level actions (a comune added by the hosting provider). */
  tenant_id: string | null;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  /** JSON summary of the change; never a full number or message body. */
  summary: string | null;
  created_at: number;
  /** Hash chain: each entry's hash covers its content and the previous entry's hash. */
  prev_hash: string | null;
  hash: string;
  /** How `hash` was computed (modules/audit/audit-chain.ts): 1 public SHA-256, 2 keyed HMAC. */
  hash_scheme: Defaulted<number>;
  /** Scheme 2: the public id of the key that sealed the entry. */
  key_id: Nullable<string>;
}

export interface DB {
  tenants: TenantsTable;
  sender_numbers: SenderNumbersTable;
  subscribers: SubscribersTable;
  consent_events: ConsentEventsTable;
  inbound_events: InboundEventsTable;
  outbound_messages: OutboundMessagesTable;
  broadcasts: BroadcastsTable;
  users: UsersTable;
  user_roles: UserRolesTable;
  sessions: SessionsTable;
  audit_log: AuditLogTable;
  login_throttle: LoginThrottleTable;
  user_tokens: UserTokensTable;
  api_keys: ApiKeysTable;
  tenant_settings: TenantSettingsTable;
  tenant_setting_versions: TenantSettingVersionsTable;
  moderation_messages: ModerationMessagesTable;
  media_files: MediaFilesTable;
  media_uploads: MediaUploadsTable;
  whatsapp_templates: WhatsappTemplatesTable;
}

/** Tables that hold no comune's data, and why (the fitness test reads this). */
export const TABLES_WITHOUT_TENANT: Record<string, string> = {
  users: "a person may hold roles in several comuni; user_roles carries the tenant",
  sessions: "a login session belongs to a user, not to a comune",
  login_throttle:
    "failed logins are counted per e-mail address (and client address), before any comune is known",
  user_tokens: "a one-time link belongs to a user, not to a comune",
  media_uploads: "an upload belongs to a media file (media_files carries the tenant)",
};

/**
 * What a repository function runs on: the database, or a transaction a service opened so that
 * several writes commit together. The one definition every repository imports.
 */
export type Db = Kysely<DB> | Transaction<DB>;
