import {
  PostgresAdapter,
  type ColumnDefinitionBuilder,
  type CreateTableBuilder,
  type Kysely,
} from "kysely";

/**
 * The SQL dialect seam: the few places where SQLite and PostgreSQL differ are decided here,
 * so migrations and repositories stay one code path. The column and index shapes every
 * migration shares (`notNull`, `tenantRef`, `tenantIndex`) live beside them.
 */
export type Engine = "sqlite" | "postgres";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema: migrations run before types exist
export function engineOf(db: Kysely<any>): Engine {
  return db.getExecutor().adapter instanceof PostgresAdapter ? "postgres" : "sqlite";
}

/** A database-assigned integer primary key named `id`. */
export function addIdColumn<T extends string>(
  engine: Engine,
  table: CreateTableBuilder<T>,
): CreateTableBuilder<T, "id"> {
  return engine === "postgres"
    ? table.addColumn("id", "bigint", (c) => c.primaryKey().generatedByDefaultAsIdentity())
    : // AUTOINCREMENT: ids are never reused, which the audit chain and the ledger rely on.
      table.addColumn("id", "integer", (c) => c.primaryKey().autoIncrement());
}

/** Integer columns that may exceed 2^31 (instants in ms, foreign keys to bigint ids). */
export const BIGINT = "bigint";

export const notNull = (c: ColumnDefinitionBuilder) => c.notNull();

/** The `tenant_id` column of a comune's table: required, and naming a row of `tenants`. */
export const tenantRef = <T extends string, C extends string>(t: CreateTableBuilder<T, C>) =>
  t.addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"));

/**
 * The index a comune's table is read by, `(tenant_id, column)`: per-comune lists and look-ups
 * never read another comune's rows.
 */
export async function tenantIndex(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
  db: Kysely<any>,
  name: string,
  table: string,
  column: string,
): Promise<void> {
  await db.schema.createIndex(name).on(table).columns(["tenant_id", column]).execute();
}
