import { Migrator, sql, type Kysely, type MigrationResult } from "kysely";
import { engineOf } from "./dialect.js";
import type { DB } from "./schema.js";
import { migrations } from "./migrations/index.js";

async function migrator(db: Kysely<DB>): Promise<Migrator> {
  return new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
    ...(engineOf(db) === "postgres" ? { migrationTableSchema: await currentSchema(db) } : {}),
  });
}

/**
 * Kysely looks for its bookkeeping tables in every schema unless told which one: with another
 * schema of the same database holding them (the tests' throw-away schemas, side by side), it
 * skipped creating its own and failed on the first read. The schema the connection works in
 * (`public` unless search_path says otherwise) is where they are anyway.
 */
async function currentSchema(db: Kysely<DB>): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  if (!schema) throw new Error("PostgreSQL has no current schema (search_path names none)");
  return schema;
}

/**
 * Applies every pending migration. Safe to run from several processes at once: Kysely takes a
 * lock (a row lock on PostgreSQL, the single writer on SQLite) around the whole run.
 */
export async function migrateToLatest(db: Kysely<DB>): Promise<MigrationResult[]> {
  const { error, results } = await (await migrator(db)).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    const reason = error instanceof Error ? error.message : JSON.stringify(error);
    throw new Error(`Migration ${failed ?? "run"} failed: ${reason}`, { cause: error });
  }
  return results ?? [];
}

export interface SchemaState {
  applied: number;
  pending: string[];
}

export async function schemaState(db: Kysely<DB>): Promise<SchemaState> {
  const all = await (await migrator(db)).getMigrations();
  return {
    applied: all.filter((m) => m.executedAt).length,
    pending: all.filter((m) => !m.executedAt).map((m) => m.name),
  };
}

/** Throws when the database does not answer. */
export async function ping(db: Kysely<DB>): Promise<void> {
  await sql`select 1`.execute(db);
}
