import { sql, type Kysely, type CreateTableBuilder } from "kysely";
import { addIdColumn, BIGINT, engineOf, notNull, tenantIndex, tenantRef } from "../dialect.js";

/**
 * The first schema: the keys every later capability builds on. Later migrations add columns;
 * they never rewrite this file once it has shipped.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function up(db: Kysely<any>): Promise<void> {
  const engine = engineOf(db);
  const withTimestamps = <T extends string, C extends string>(t: CreateTableBuilder<T, C>) =>
    t.addColumn("created_at", BIGINT, notNull).addColumn("updated_at", BIGINT, notNull);

  await db.schema
    .createTable("tenants")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", notNull)
    .addColumn("service_name", "text", notNull)
    .addColumn("config_hash", "text", notNull)
    .$call(withTimestamps)
    .execute();

  await addIdColumn(engine, db.schema.createTable("sender_numbers"))
    .$call(tenantRef)
    .addColumn("phone_number_id", "text", (c) => c.notNull().unique())
    .addColumn("display_number", "text", notNull)
    .addColumn("waba_id", "text")
    .addColumn("rate_per_second", "integer", (c) => c.notNull().defaultTo(80))
    .addColumn("messaging_limit_tier", "text")
    .addColumn("quality_rating", "text")
    .$call(withTimestamps)
    .execute();

  await addIdColumn(engine, db.schema.createTable("subscribers"))
    .$call(tenantRef)
    .addColumn("wa_id", "text")
    .addColumn("user_id", "text")
    .addColumn("status", "text", notNull)
    .addColumn("first_name", "text")
    .addColumn("last_name", "text")
    .addColumn("profile_name", "text")
    .addColumn("topics", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("locale", "text")
    .addColumn("subscribed_at", BIGINT)
    .addColumn("unsubscribed_at", BIGINT)
    .addColumn("blocked_at", BIGINT)
    .addColumn("last_inbound_at", BIGINT)
    .$call(withTimestamps)
    // NULLs are distinct on both engines, so a person known only by one id still fits.
    .addUniqueConstraint("subscribers_tenant_wa_id", ["tenant_id", "wa_id"])
    .addUniqueConstraint("subscribers_tenant_user_id", ["tenant_id", "user_id"])
    .execute();
  await tenantIndex(db, "subscribers_tenant_status", "subscribers", "status");

  await addIdColumn(engine, db.schema.createTable("consent_events"))
    .$call(tenantRef)
    .addColumn("subscriber_key", "text", notNull)
    .addColumn("action", "text", notNull)
    .addColumn("regulation_version", "text")
    .addColumn("privacy_version", "text")
    .addColumn("inbound_message_id", "text")
    .addColumn("text_received", "text")
    .addColumn("created_at", BIGINT, notNull)
    .execute();
  await tenantIndex(db, "consent_events_tenant_key", "consent_events", "subscriber_key");

  await addIdColumn(engine, db.schema.createTable("inbound_events"))
    .$call(tenantRef)
    .addColumn("kind", "text", notNull)
    .addColumn("dedup_key", "text", notNull)
    .addColumn("payload", "text", notNull)
    .addColumn("received_at", BIGINT, notNull)
    .addColumn("processed_at", BIGINT)
    // A processor claims rows until this instant; a crashed one's claim simply expires.
    .addColumn("locked_until", BIGINT)
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("error", "text")
    .addUniqueConstraint("inbound_events_tenant_dedup", ["tenant_id", "dedup_key"])
    .execute();
  await db.schema
    .createIndex("inbound_events_unprocessed")
    .on("inbound_events")
    .column("received_at")
    .where(sql.ref("processed_at"), "is", null)
    .execute();

  await addIdColumn(engine, db.schema.createTable("users"))
    .addColumn("email", "text", (c) => c.notNull().unique())
    .addColumn("display_name", "text", notNull)
    .addColumn("password_hash", "text")
    .addColumn("totp_secret", "text")
    .addColumn("instance_role", "text")
    .addColumn("disabled_at", BIGINT)
    .$call(withTimestamps)
    .execute();

  await db.schema
    .createTable("user_roles")
    .$call(tenantRef)
    .addColumn("user_id", BIGINT, (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("role", "text", notNull)
    .addColumn("created_at", BIGINT, notNull)
    .addPrimaryKeyConstraint("user_roles_pk", ["tenant_id", "user_id", "role"])
    .execute();

  await db.schema
    .createTable("sessions")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", BIGINT, (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("created_at", BIGINT, notNull)
    .addColumn("last_seen_at", BIGINT, notNull)
    .addColumn("expires_at", BIGINT, notNull)
    .execute();
  await db.schema.createIndex("sessions_user").on("sessions").column("user_id").execute();

  await addIdColumn(engine, db.schema.createTable("broadcasts"))
    .$call(tenantRef)
    .addColumn("title", "text", notNull)
    .addColumn("status", "text", notNull)
    .addColumn("priority", "text", (c) => c.notNull().defaultTo("normal"))
    .addColumn("content", "text", notNull)
    .addColumn("topics", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("created_by", BIGINT, (c) => c.references("users.id"))
    .addColumn("approved_by", BIGINT, (c) => c.references("users.id"))
    .addColumn("scheduled_at", BIGINT)
    .addColumn("started_at", BIGINT)
    .addColumn("finished_at", BIGINT)
    .addColumn("attention_reason", "text")
    .$call(withTimestamps)
    .execute();
  await tenantIndex(db, "broadcasts_tenant_status", "broadcasts", "status");

  await addIdColumn(engine, db.schema.createTable("outbound_messages"))
    .$call(tenantRef)
    .addColumn("sender_number_id", BIGINT, (c) => c.notNull().references("sender_numbers.id"))
    .addColumn("kind", "text", notNull)
    .addColumn("broadcast_id", BIGINT, (c) => c.references("broadcasts.id"))
    .addColumn("subscriber_id", BIGINT, (c) => c.references("subscribers.id"))
    .addColumn("recipient", "text", notNull)
    .addColumn("payload", "text")
    .addColumn("priority", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("state", "text", notNull)
    .addColumn("status", "text")
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("next_attempt_at", BIGINT, notNull)
    .addColumn("wa_message_id", "text", (c) => c.unique())
    .addColumn("error_code", "integer")
    .addColumn("error_reason", "text")
    .addColumn("accepted_at", BIGINT)
    .$call(withTimestamps)
    // One delivery per subscriber per broadcast, whatever happens to the expansion.
    .addUniqueConstraint("outbound_messages_broadcast_subscriber", [
      "broadcast_id",
      "subscriber_id",
    ])
    .execute();
  // The dispatcher's claim: due rows of one number, highest priority first.
  await db.schema
    .createIndex("outbound_messages_claim")
    .on("outbound_messages")
    .columns(["sender_number_id", "state", "priority", "next_attempt_at"])
    .execute();

  await addIdColumn(engine, db.schema.createTable("audit_log"))
    .addColumn("tenant_id", "text", (c) => c.references("tenants.id"))
    .addColumn("actor_type", "text", notNull)
    .addColumn("actor_id", "text")
    .addColumn("action", "text", notNull)
    .addColumn("target_type", "text")
    .addColumn("target_id", "text")
    .addColumn("summary", "text")
    .addColumn("created_at", BIGINT, notNull)
    .addColumn("prev_hash", "text")
    .addColumn("hash", "text", notNull)
    .execute();
  await tenantIndex(db, "audit_log_tenant", "audit_log", "id");
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    "audit_log",
    "outbound_messages",
    "broadcasts",
    "sessions",
    "user_roles",
    "users",
    "inbound_events",
    "consent_events",
    "subscribers",
    "sender_numbers",
    "tenants",
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
