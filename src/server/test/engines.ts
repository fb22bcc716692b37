import { randomBytes } from "node:crypto";
import pg from "pg";
import type { Engine } from "../platform/db/dialect.js";
import { openDatabase, type Database } from "../platform/db/connect.js";

/**
 * The engines the storage suite runs on: SQLite always, PostgreSQL when DATABASE_URL names one.
 * In CI a missing DATABASE_URL is an error, never a quiet skip: `.ci/run` always provides one.
 */
export function testEngines(): Engine[] {
  const url = process.env.DATABASE_URL;
  if (!url && process.env.CI) {
    throw new Error(
      "CI is set but DATABASE_URL is not: the PostgreSQL half of the storage suite cannot run. " +
        "Run it through .ci/run, or set DATABASE_URL=postgres://…",
    );
  }
  return url ? ["sqlite", "postgres"] : ["sqlite"];
}

export function postgresUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set");
  return url;
}

const uniqueName = (prefix: string) =>
  `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;

/**
 * A fresh, empty database on the engine: an in-memory SQLite, or a throw-away schema in the
 * PostgreSQL database (dropped on close), so test files never see each other's rows.
 */
export async function openTestDatabase(engine: Engine): Promise<Database> {
  if (engine === "sqlite") {
    return openDatabase({ dataDir: "", sqliteFile: ":memory:" });
  }
  const url = postgresUrl();
  const schema = uniqueName("test");
  await withAdminClient(url, (c) => c.query(`create schema ${schema}`));
  const database = openDatabase({ url, dataDir: "", pgSchema: schema, poolSize: 4 });
  return {
    ...database,
    close: async () => {
      await database.close();
      await withAdminClient(url, (c) => c.query(`drop schema ${schema} cascade`));
    },
  };
}

/** A throw-away PostgreSQL database for a whole server process; returns its URL and a dropper. */
export async function createTestPostgresDatabase(): Promise<{
  url: string;
  drop: () => Promise<void>;
}> {
  const base = postgresUrl();
  const name = uniqueName("banditore_test");
  await withAdminClient(base, (c) => c.query(`create database ${name}`));
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await withAdminClient(base, (c) => c.query(`drop database if exists ${name} with (force)`));
    },
  };
}

async function withAdminClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
