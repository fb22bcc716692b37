import type { Kysely } from "kysely";

/**
 * The keyed audit chain (modules/audit/audit-chain.ts). Entries written until now were hashed
 * with the public SHA-256 scheme: the default marks them as scheme 1, and the checker verifies
 * them with it. Every entry written from now on says scheme 2 and names its key; the key itself
 * is never in the database, so a migration cannot re-seal the old entries (and should not: their
 * hashes are what was noted down about them).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("audit_log")
    .addColumn("hash_scheme", "integer", (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema.alterTable("audit_log").addColumn("key_id", "text").execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("audit_log").dropColumn("key_id").execute();
  await db.schema.alterTable("audit_log").dropColumn("hash_scheme").execute();
}
