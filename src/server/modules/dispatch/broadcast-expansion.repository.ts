import type { Kysely } from "kysely";
import type { DB, Db } from "../../platform/db/schema.js";

// The resume marker of a broadcast's expansion (`broadcasts.expanded_through`, migration 0018):
// what broadcast-expansion.ts reads and moves. The marker names the last subscriber id expanded;
// null means no expansion is under way.

/** The states in which an expansion under way goes on (a pause or a halt stops only sending). */
const EXPANDING_STATES = ["sending", "paused", "needs_attention"];

/**
 * Marks an expansion as begun (from subscriber id 0), in the transaction that moves the
 * broadcast to sending. A start while an expansion is under way begins again from 0: the
 * earlier run's next chunk finds the marker moved and stops; subscribers already expanded are
 * skipped by the unique index.
 */
export async function beginExpansion(db: Db, broadcastId: number, now: number): Promise<void> {
  await db
    .updateTable("broadcasts")
    .set({ expanded_through: 0, expanded_at: now })
    .where("id", "=", broadcastId)
    .execute();
}

/** Where the broadcast's expansion stands: the last subscriber id expanded, or null. */
export async function expansionMarker(db: Kysely<DB>, broadcastId: number): Promise<number | null> {
  const row = await db
    .selectFrom("broadcasts")
    .select("expanded_through")
    .where("id", "=", broadcastId)
    .executeTakeFirst();
  const through = row?.expanded_through;
  return through === undefined || through === null ? null : Number(through);
}

/** The highest subscriber id of any comune (ids are shared), 0 when there is none. */
export async function highestSubscriberId(db: Kysely<DB>): Promise<number> {
  const top = await db
    .selectFrom("subscribers")
    .select((eb) => eb.fn.max("id").as("id"))
    .executeTakeFirst();
  return Number(top?.id ?? 0);
}

/**
 * Moves the marker from `after` to `through` (null: the expansion is complete) by
 * compare-and-set, only while the broadcast is expanding. False when another run moved it first
 * or the broadcast is over.
 */
export async function moveExpansionMarker(
  db: Db,
  input: { broadcastId: number; after: number; through: number | null; now: number },
): Promise<boolean> {
  const moved = await db
    .updateTable("broadcasts")
    .set({ expanded_through: input.through, expanded_at: input.now })
    .where("id", "=", input.broadcastId)
    .where("expanded_through", "=", input.after)
    .where("status", "in", EXPANDING_STATES)
    .executeTakeFirst();
  return Number(moved.numUpdatedRows) > 0;
}

/**
 * The broadcasts of these comuni with an expansion under way whose marker has not moved since
 * `stalledSince`: a start that did not finish.
 */
export async function stalledExpansions(
  db: Db,
  input: { tenantIds: readonly string[]; stalledSince: number },
): Promise<number[]> {
  if (input.tenantIds.length === 0) return [];
  return (
    await db
      .selectFrom("broadcasts")
      .select("id")
      .where("expanded_through", "is not", null)
      .where("expanded_at", "<=", input.stalledSince)
      .where("status", "in", EXPANDING_STATES)
      .where("tenant_id", "in", [...input.tenantIds])
      .execute()
  ).map((r) => Number(r.id));
}
