import type { Kysely } from "kysely";
import { addIdColumn, BIGINT, engineOf, notNull, tenantRef } from "../dialect.js";

/**
 * Staff access (issue #6): what accounts, two-factor login, API keys and the per-comune security
 * setting need beyond the users, user_roles and sessions tables of 0001.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function up(db: Kysely<any>): Promise<void> {
  const engine = engineOf(db);

  // TOTP: a secret is pending (enrolment started) until a first code confirms it. The last
  // accepted time step refuses a code seen twice. Recovery codes: a JSON list of sha256 hashes.
  await db.schema.alterTable("users").addColumn("totp_confirmed_at", BIGINT).execute();
  await db.schema.alterTable("users").addColumn("totp_last_step", BIGINT).execute();
  await db.schema.alterTable("users").addColumn("recovery_codes", "text").execute();

  // "totp": the password was right, the second factor is awaited; "active": logged in.
  await db.schema
    .alterTable("sessions")
    .addColumn("stage", "text", (c) => c.notNull().defaultTo("active"))
    .execute();

  await createLoginFailures(db);

  // One-time links (account setup): only the token's hash is kept.
  await db.schema
    .createTable("user_tokens")
    .addColumn("token_hash", "text", (c) => c.primaryKey())
    .addColumn("user_id", BIGINT, (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("purpose", "text", notNull)
    .addColumn("created_at", BIGINT, notNull)
    .addColumn("expires_at", BIGINT, notNull)
    .addColumn("used_at", BIGINT)
    .execute();

  await addIdColumn(engine, db.schema.createTable("api_keys"))
    .$call(tenantRef)
    .addColumn("name", "text", notNull)
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("token_prefix", "text", notNull)
    .addColumn("permissions", "text", notNull)
    .addColumn("created_by", "text", notNull)
    .addColumn("created_at", BIGINT, notNull)
    .addColumn("last_used_at", BIGINT)
    .addColumn("revoked_at", BIGINT)
    .execute();
  await db.schema.createIndex("api_keys_tenant").on("api_keys").column("tenant_id").execute();

  // Settings a comune changes at run time (the tenant file holds the rest).
  await db.schema
    .createTable("tenant_settings")
    .addColumn("tenant_id", "text", (c) => c.primaryKey().references("tenants.id"))
    .addColumn("two_factor", "text", (c) => c.notNull().defaultTo("required"))
    .addColumn("updated_at", BIGINT, notNull)
    .execute();

  await db.schema.createIndex("user_roles_user").on("user_roles").column("user_id").execute();
}

/**
 * Failed logins per e-mail address (its hash), whether or not an account has it: locking an
 * address that does not exist answers exactly as locking one that does. Replaced by 0007, whose
 * down puts this table back.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function createLoginFailures(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("login_failures")
    .addColumn("email_hash", "text", (c) => c.primaryKey())
    .addColumn("failures", "integer", notNull)
    .addColumn("last_failure_at", BIGINT, notNull)
    .addColumn("locked_until", BIGINT)
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("user_roles_user").execute();
  for (const table of ["tenant_settings", "api_keys", "user_tokens", "login_failures"]) {
    await db.schema.dropTable(table).execute();
  }
  await db.schema.alterTable("sessions").dropColumn("stage").execute();
  for (const column of ["recovery_codes", "totp_last_step", "totp_confirmed_at"]) {
    await db.schema.alterTable("users").dropColumn(column).execute();
  }
}
