import { sql, type Kysely } from "kysely";
import type { Engine } from "../../platform/db/dialect.js";
import type { DB } from "../../platform/db/schema.js";

/*
 * A number's dispatch lease. Its SQL stays here rather than in a repository: the statements are
 * PostgreSQL advisory-lock calls on a connection held for the lease's life, a lock primitive that
 * reads and writes no table (the module's table access is all in its *.repository.ts files).
 */

/** Held while a process dispatches a number; `release()` gives it up. */
export interface Lease {
  release(): Promise<void>;
  /** Resolves if the lease is lost without release() (the database connection died). */
  readonly lost: Promise<void>;
}

/** The first key of the two-key advisory lock: "Banditore dispatch" (any fixed int4 would do). */
const LOCK_NAMESPACE = 0x62616e64; // "band"

/** SQLite is one process's file: the lease is a set in memory. */
const sqliteHeld = new Set<string>();

/**
 * Tries to take the number's lease without waiting. On PostgreSQL it is a session-level
 * advisory lock on a connection kept for as long as the lease is held: if the process dies, the
 * connection closes, the lock goes with it, and another process's next try succeeds.
 */
export async function tryAcquireLease(
  db: Kysely<DB>,
  engine: Engine,
  senderNumberId: number,
  scope = "default",
): Promise<Lease | undefined> {
  if (engine === "sqlite") {
    const key = `${scope}:${senderNumberId}`;
    if (sqliteHeld.has(key)) return undefined;
    sqliteHeld.add(key);
    return {
      release: () => {
        sqliteHeld.delete(key);
        return Promise.resolve();
      },
      lost: new Promise<void>(() => undefined),
    };
  }
  return new Promise<Lease | undefined>((resolveLease, rejectLease) => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let markLost!: () => void;
    const lost = new Promise<void>((r) => (markLost = r));
    let acquired = false;
    const done: Promise<void> = db
      .connection()
      .execute(async (conn) => {
        const result = await sql<{
          ok: boolean;
        }>`select pg_try_advisory_lock(${LOCK_NAMESPACE}, ${senderNumberId}) as ok`.execute(conn);
        if (!result.rows[0]?.ok) {
          resolveLease(undefined);
          return;
        }
        acquired = true;
        resolveLease({
          release: async () => {
            release();
            await done;
          },
          lost,
        });
        // Hold the connection; check it every few seconds so a dead one is noticed.
        for (;;) {
          const stop = await Promise.race([
            released.then(() => true),
            new Promise<false>((r) => setTimeout(() => r(false), 5_000).unref()),
          ]);
          if (stop) break;
          await sql`select 1`.execute(conn);
        }
        await sql`select pg_advisory_unlock(${LOCK_NAMESPACE}, ${senderNumberId})`.execute(conn);
      })
      .catch((error: unknown) => {
        if (acquired) markLost();
        else rejectLease(error instanceof Error ? error : new Error(String(error)));
      });
  });
}
