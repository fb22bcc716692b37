import { sql } from "kysely";
import type { Db } from "../../platform/db/schema.js";

export interface ThrottleRow {
  key: string;
  failures: number;
  version: number;
  lastFailureAt: number | null;
  notBefore: number | null;
  lastSuccessAt: number | null;
}

const num = (v: number | null) => (v === null ? null : Number(v));

export async function findThrottleRows(
  db: Db,
  keys: readonly string[],
): Promise<Map<string, ThrottleRow>> {
  const rows = await db
    .selectFrom("login_throttle")
    .selectAll()
    .where("key", "in", [...keys])
    .execute();
  return new Map(
    rows.map((r) => [
      r.key,
      {
        key: r.key,
        failures: Number(r.failures),
        version: Number(r.version),
        lastFailureAt: num(r.last_failure_at),
        notBefore: num(r.not_before),
        lastSuccessAt: num(r.last_success_at),
      },
    ]),
  );
}

/**
 * Writes a counter only if nobody wrote it since it was read (`expected`, undefined when there
 * was no row): the compare-and-set that makes parallel attempts count one by one. False when
 * another attempt got there first.
 */
export async function writeThrottleIf(
  db: Db,
  expected: ThrottleRow | undefined,
  next: Omit<ThrottleRow, "version">,
): Promise<boolean> {
  const values = {
    failures: next.failures,
    last_failure_at: next.lastFailureAt,
    not_before: next.notBefore,
    last_success_at: next.lastSuccessAt,
  };
  if (!expected) {
    const inserted = await db
      .insertInto("login_throttle")
      .values({ key: next.key, version: 1, ...values })
      .onConflict((oc) => oc.column("key").doNothing())
      .returning("key")
      .executeTakeFirst();
    return inserted !== undefined;
  }
  const updated = await db
    .updateTable("login_throttle")
    .set({ ...values, version: expected.version + 1 })
    .where("key", "=", next.key)
    .where("version", "=", expected.version)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) === 1;
}

/**
 * Forgets counters nobody needs: no failure since `failuresBefore`, no wait pending, and (for a
 * known address) no login since `successBefore`.
 */
export async function pruneThrottle(
  db: Db,
  now: number,
  failuresBefore: number,
  successBefore: number,
): Promise<void> {
  await db
    .deleteFrom("login_throttle")
    .where((eb) =>
      eb.and([
        eb.or([eb("last_failure_at", "is", null), eb("last_failure_at", "<", failuresBefore)]),
        eb.or([eb("not_before", "is", null), eb("not_before", "<=", now)]),
        eb.or([eb("last_success_at", "is", null), eb("last_success_at", "<", successBefore)]),
      ]),
    )
    .execute();
}

/** A login from this (account, address) pair: its failures go, the address is now known. */
export async function recordThrottleSuccess(db: Db, key: string, now: number): Promise<void> {
  await db
    .insertInto("login_throttle")
    .values({
      key,
      failures: 0,
      version: 1,
      last_failure_at: null,
      not_before: null,
      last_success_at: now,
    })
    .onConflict((oc) =>
      oc.column("key").doUpdateSet({
        failures: 0,
        version: sql<number>`login_throttle.version + 1`,
        last_failure_at: null,
        not_before: null,
        last_success_at: now,
      }),
    )
    .execute();
}

/** Takes one failure off the account's count (the attempt it was charged for succeeded). */
export async function refundAccountFailure(db: Db, key: string): Promise<void> {
  await db
    .updateTable("login_throttle")
    .set({ failures: sql<number>`failures - 1`, version: sql<number>`version + 1` })
    .where("key", "=", key)
    .where("failures", ">", 0)
    .execute();
}
