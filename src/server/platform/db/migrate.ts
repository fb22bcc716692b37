import { Migrator, sql, type Kysely, type MigrationResult } from "kysely";
import type { DB } from "./schema.js";
import { migrations } from "./migrations/index.js";

function migrator(db: Kysely<DB>): Migrator {
  return new Migrator({ db, provider: { getMigrations: () => Promise.resolve(migrations) } });
}

/**
 * Applies every pending migration. Safe to run from several processes at once: Kysely takes a
 * lock (a row lock on PostgreSQL, the single writer on SQLite) around the whole run.
 */
export async function migrateToLatest(db: Kysely<DB>): Promise<MigrationResult[]> {
  const { error, results } = await migrator(db).migrateToLatest();
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
  const all = await migrator(db).getMigrations();
  return {
    applied: all.filter((m) => m.executedAt).length,
    pending: all.filter((m) => !m.executedAt).map((m) => m.name),
  };
}

/** Throws when the database does not answer. */
export async function ping(db: Kysely<DB>): Promise<void> {
  await sql`select 1`.execute(db);
}
