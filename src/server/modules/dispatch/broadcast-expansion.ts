import { setImmediate as nextTurn } from "node:timers/promises";
import type { Kysely } from "kysely";
import type { Engine } from "../../platform/db/dialect.js";
import type { DB, Db } from "../../platform/db/schema.js";
import { insertDeliveriesForBroadcast } from "./outbound.repository.js";

/**
 * A broadcast's expansion (its deliveries from its audience) in chunks by subscriber id, with a
 * resume marker on the broadcast (`broadcasts.expanded_through`, migration 0018). On SQLite one
 * statement over a whole audience held the event loop for as long as it ran (better-sqlite3 is
 * synchronous: 1.7 s for 1,000,000 subscribers, while webhooks and replies waited), so there a
 * chunk covers EXPANSION_CHUNK.sqlite ids and the loop gets its turn between chunks. PostgreSQL
 * runs the statement on the server, so there the whole audience is one chunk: the same marker,
 * set and cleared the same way.
 *
 * Guarantees:
 * - A chunk's deliveries and the marker's move commit in one transaction: after a crash the
 *   marker names exactly the last subscriber expanded, and `resumeExpansion` goes on from there
 *   (a sending process's lease round picks up an expansion whose marker has not moved for
 *   EXPANSION_STALL_MS: one left by a dead process, or by a chunk that failed).
 * - While the marker is set the broadcast is never finished (finishCompletedBroadcasts), so a
 *   broadcast is never `sent` with only part of its recipients.
 * - The marker moves by compare-and-set (`WHERE expanded_through = <what this chunk read>`), as
 *   the chunk's first write: two processes resuming the same expansion serialize on it and the
 *   one that finds it moved stops, so each range is expanded by one of them (and the unique
 *   (broadcast_id, subscriber_id) index refuses a second delivery to anyone in any case).
 * - A cancelled (or sent) broadcast's expansion stops at its next chunk: the marker moves only
 *   while the broadcast is sending, paused or needs attention.
 */

/**
 * Subscriber ids per chunk. SQLite: sized by measurement (BENCHMARKS.md, "Issue #14: expansion
 * and claims") so that one chunk holds the event loop ≤ ~50 ms on the bench machine under load.
 * The range is of ids, shared by every comune's subscribers, so a chunk has at most this many
 * of the comune's.
 */
export const EXPANSION_CHUNK: Record<Engine, number> = {
  sqlite: 10_000,
  postgres: Number.POSITIVE_INFINITY,
};

/**
 * An expansion whose marker has not moved for this long is resumed by a sending process: its own
 * process died, or a chunk failed. Far beyond a chunk's time (a PostgreSQL chunk is the whole
 * audience: ~5 s for 1,000,000), so a live expansion is not raced.
 */
export const EXPANSION_STALL_MS = 30_000;

/** The states in which an expansion under way goes on (a pause or a halt stops only sending). */
const EXPANDING_STATES = ["sending", "paused", "needs_attention"];

/** What the deliveries of a broadcast are made from (its row, and the comune's number). */
export type ExpansionInput = Omit<
  Parameters<typeof insertDeliveriesForBroadcast>[1],
  "subscriberIds"
>;

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

/**
 * Expands the next chunk from where the marker stands. `added`: deliveries created; `done`:
 * no chunk is left (the marker is clear, or this run may not move it: another run moved it
 * first, or the broadcast is over).
 */
export async function expandNextChunk(
  db: Kysely<DB>,
  input: ExpansionInput & { chunk: number },
): Promise<{ added: number; done: boolean }> {
  const marker = await db
    .selectFrom("broadcasts")
    .select("expanded_through")
    .where("id", "=", input.broadcastId)
    .executeTakeFirst();
  if (marker === undefined || marker.expanded_through === null) return { added: 0, done: true };
  const after = Number(marker.expanded_through);
  // The last chunk has no upper bound, so subscribers who joined meanwhile are in it.
  const top = await db
    .selectFrom("subscribers")
    .select((eb) => eb.fn.max("id").as("id"))
    .executeTakeFirst();
  const through = Number(top?.id ?? 0) > after + input.chunk ? after + input.chunk : null;
  const added = await db.transaction().execute(async (trx) => {
    const moved = await trx
      .updateTable("broadcasts")
      .set({ expanded_through: through, expanded_at: input.now })
      .where("id", "=", input.broadcastId)
      .where("expanded_through", "=", after)
      .where("status", "in", EXPANDING_STATES)
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) === 0) return null;
    return insertDeliveriesForBroadcast(trx, { ...input, subscriberIds: { after, through } });
  });
  if (added === null) return { added: 0, done: true };
  return { added, done: through === null };
}

/**
 * Expands chunk after chunk until none is left, letting the event loop run between chunks, or
 * until `stopping()` says the process is stopping (the marker stays for the next start).
 * Returns the deliveries this run created.
 */
export async function resumeExpansion(
  db: Kysely<DB>,
  input: ExpansionInput & { chunk: number; stopping?: () => boolean },
): Promise<number> {
  let total = 0;
  for (;;) {
    const { added, done } = await expandNextChunk(db, input);
    total += added;
    if (done || input.stopping?.()) return total;
    await nextTurn();
  }
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
