import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase } from "kysely";
import pg from "pg";
import type { Logger } from "../log.js";
import type { Engine } from "./dialect.js";
import type { DB } from "./schema.js";

export interface Database {
  db: Kysely<DB>;
  engine: Engine;
  /** Where the data is, safe to log (no password). */
  location: string;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** A postgres:// URL; absent means SQLite. */
  url?: string | undefined;
  /** Directory for the SQLite file. */
  dataDir: string;
  /** SQLite file name inside dataDir, or ":memory:". */
  sqliteFile?: string;
  poolSize?: number;
  /** PostgreSQL schema to work in (tests use a throw-away one). */
  pgSchema?: string;
  /**
   * SQLite: the WAL size, in pages, at which a commit of this connection copies the WAL back
   * into the database file (SQLite's default, 1,000). The copy and its fsync run in the
   * committing call, which blocks the process's event loop; a web process beside a worker
   * that handles the events leaves them to the worker with a larger figure.
   */
  walAutocheckpointPages?: number;
  log?: Logger;
}

export const SQLITE_FILE = "banditore.sqlite";

/**
 * better-sqlite3 12 (node::ObjectWrap) aborts the process on Node.js 24 when the GC finalizes a
 * statement ("Assertion failed: (env) != nullptr", WiseLibs/better-sqlite3#1515); version 13 is
 * built on Node-API and fixed, but needs Node.js 22. So both are installed: 13 under the alias
 * better-sqlite3-napi as an optional dependency (npm skips it on Node.js 20), 12 for Node.js 20.
 */
function loadSqliteDriver(): typeof BetterSqlite3 {
  const require = createRequire(import.meta.url);
  const major = Number(process.versions.node.split(".")[0]);
  if (major < 22) return require("better-sqlite3") as typeof BetterSqlite3;
  try {
    return require("better-sqlite3-napi") as typeof BetterSqlite3;
  } catch (error) {
    throw new Error(
      `Node.js ${process.versions.node} needs better-sqlite3 13 (the optional dependency better-sqlite3-napi), which is not installed: run npm install again with this Node.js version`,
      { cause: error },
    );
  }
}

let SQLite: typeof BetterSqlite3 | undefined;

export function openDatabase(options: DatabaseOptions): Database {
  return options.url ? openPostgres(options.url, options) : openSqlite(options);
}

function openSqlite(options: DatabaseOptions): Database {
  const file = options.sqliteFile ?? SQLITE_FILE;
  let location = ":memory:";
  if (file !== ":memory:") {
    mkdirSync(options.dataDir, { recursive: true });
    location = path.join(options.dataDir, file);
  }
  SQLite ??= loadSqliteDriver();
  const sqlite = new SQLite(location);
  // WAL: readers never wait for the writer; NORMAL is durable across process crashes.
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  if (options.walAutocheckpointPages !== undefined) {
    sqlite.pragma(
      `wal_autocheckpoint = ${Math.max(0, Math.floor(options.walAutocheckpointPages))}`,
    );
  }
  const db = new Kysely<DB>({
    dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
  });
  return { db, engine: "sqlite", location, close: () => db.destroy() };
}

/** Statements kept compiled per SQLite connection (each is a few KB). */
const STATEMENT_CACHE_SIZE = 500;
/**
 * Longer SQL is not kept: it is a list of a varying length (`IN (?, ?, …)`, `VALUES …`), whose
 * text is seldom seen twice, and its compiled form is the largest (up to ~100 KB).
 */
const CACHED_SQL_MAX_LENGTH = 2000;

/**
 * better-sqlite3 compiles a statement on every prepare(), and Kysely prepares every query it
 * runs: about 20 µs each, 8 times per stored webhook (BENCHMARKS.md). So statements are kept by
 * their SQL text and reused, the least recently used dropped beyond STATEMENT_CACHE_SIZE.
 * Reuse is safe: Kysely runs one query at a time on its single SQLite connection, and each run
 * (all, run, or an iterate that the driver drains or closes) is finished before the next starts.
 */
function withStatementCache(database: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => void database.close(),
    prepare(text) {
      // Kysely opens a transaction with a plain (deferred) BEGIN, which takes the write lock
      // only at its first write. With a second process on the file (a worker that handles the
      // webhook events, INBOUND_PROCESSOR=worker, or sends), a transaction that read first and
      // then writes after the other process committed fails at once with SQLITE_BUSY (its
      // snapshot is stale; busy_timeout does not apply). BEGIN IMMEDIATE waits for the lock at
      // the start instead. Within one process nothing changes: its one connection runs one
      // transaction at a time anyway.
      const sql = text === "begin" ? "begin immediate" : text;
      if (sql.length > CACHED_SQL_MAX_LENGTH) return database.prepare(sql);
      let statement = cache.get(sql);
      if (statement) cache.delete(sql);
      else statement = database.prepare(sql);
      cache.set(sql, statement);
      if (cache.size > STATEMENT_CACHE_SIZE) {
        const oldest = cache.keys().next();
        if (!oldest.done) cache.delete(oldest.value);
      }
      return statement;
    },
  };
}

/** int8 (counts, ids, ms instants) as JS numbers: all our values stay below 2^53. */
const INT8_OID = 20;
const pgTypes = {
  getTypeParser(oid: number): (value: string) => unknown {
    if (oid === INT8_OID) return (value) => Number(value);
    return pg.types.getTypeParser(oid, "text") as (value: string) => unknown;
  },
};

function openPostgres(url: string, options: DatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    types: pgTypes,
    ...(options.pgSchema ? { options: `-c search_path=${options.pgSchema}` } : {}),
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on("error", (error) =>
    options.log?.warn({ err: error, event: "db.pool_error" }, "PostgreSQL pool error"),
  );
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  const parsed = new URL(url);
  const location = `postgres://${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname}${options.pgSchema ? ` (schema ${options.pgSchema})` : ""}`;
  return { db, engine: "postgres", location, close: () => db.destroy() };
}
