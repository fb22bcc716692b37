import { setImmediate as nextTurn } from "node:timers/promises";
import type { Kysely } from "kysely";
import type { Engine } from "../../platform/db/dialect.js";
import type { DB } from "../../platform/db/schema.js";
import {
  expansionMarker,
  highestSubscriberId,
  moveExpansionMarker,
} from "./broadcast-expansion.repository.js";
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

/** What the deliveries of a broadcast are made from (its row, and the comune's number). */
export type ExpansionInput = Omit<
  Parameters<typeof insertDeliveriesForBroadcast>[1],
  "subscriberIds"
>;

/**
 * Expands the next chunk from where the marker stands. `added`: deliveries created; `done`:
 * no chunk is left (the marker is clear, or this run may not move it: another run moved it
 * first, or the broadcast is over).
 */
export async function expandNextChunk(
  db: Kysely<DB>,
  input: ExpansionInput & { chunk: number },
): Promise<{ added: number; done: boolean }> {
  const after = await expansionMarker(db, input.broadcastId);
  if (after === null) return { added: 0, done: true };
  // The last chunk has no upper bound, so subscribers who joined meanwhile are in it.
  const through =
    (await highestSubscriberId(db)) > after + input.chunk ? after + input.chunk : null;
  const added = await db.transaction().execute(async (trx) => {
    const moved = await moveExpansionMarker(trx, {
      broadcastId: input.broadcastId,
      after,
      through,
      now: input.now,
    });
    if (!moved) return null;
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
