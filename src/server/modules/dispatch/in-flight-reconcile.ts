import type { Kysely } from "kysely";
import type { DB } from "../../platform/db/schema.js";
import type { Logger } from "../../platform/log.js";
import { statusesWaitingSince } from "../whatsapp/inbound-events.service.js";
import { requeueStaleInFlight } from "./outbound.repository.js";

/**
 * Rows in flight with no news are queued again (the dispatcher's tick, README "Crash safety").
 * A row in flight is resent only when Meta has had the whole grace period to tell us about it,
 * and what it told us has been read. Two things move that point back from `now`:
 * - Status webhooks stored but not yet handled (the inbound processor runs behind under load: on
 *   PostgreSQL at 200 msg/s, thousands of events): news received before the oldest one still
 *   waiting has been applied, later news may still settle the row. Without this, rows whose
 *   "sent" status sat in the backlog were resent (seen in dispatch.process.test.ts: two workers,
 *   one killed mid-run).
 * - A row left by an earlier process (a crash, a handover: claimed before startedAt) waits the
 *   restart grace, counted from when this dispatcher took over. While no process listened, its
 *   status webhook met a dead endpoint, and Meta retries less and less often: after ten seconds
 *   down the next retry may come tens of seconds after the restart, after minutes down, minutes
 *   after. The row's age says nothing, and the ordinary grace is too short (seen: 10 s down, the
 *   rows in doubt sent twice before Meta's retries came in). Rows this dispatcher claimed keep
 *   the ordinary grace from their claim.
 * The caller writes the answers already received first, and passes what could not be written
 * (and what is on the wire) as `keep`: an answer not yet written is not silence. (Seen with a
 * short grace: a batch took longer than the grace to go out, and rows answered "accepted" were
 * queued again.)
 */
export async function requeueSilentInFlight(
  db: Kysely<DB>,
  input: {
    sender: { id: number; tenantId: string };
    now: number;
    /** When this dispatcher took the number over. */
    startedAt: number;
    grace: number;
    restartGrace: number;
    keep: ReadonlySet<number>;
    first: boolean;
    log: Logger;
  },
): Promise<void> {
  const { sender, now, startedAt, grace, restartGrace } = input;
  const waiting = await statusesWaitingSince(db, sender.tenantId);
  const heardUntil = Math.min(now, waiting ?? now);
  const olderThan = heardUntil - grace;
  const inheritedDue = heardUntil - restartGrace > startedAt;
  const requeued =
    olderThan <= startedAt && !inheritedDue
      ? 0
      : await requeueStaleInFlight(db, {
          senderNumberId: sender.id,
          olderThan,
          ...(inheritedDue ? {} : { claimedSince: startedAt }),
          keep: input.keep,
          now,
        });
  if (requeued > 0) {
    input.log.warn(
      {
        event: "dispatch.requeued_in_flight",
        senderNumberId: sender.id,
        rows: requeued,
        first: input.first,
        afterRestartGrace: inheritedDue,
      },
      `${requeued} messages left in flight with no news within the grace period (${grace} ms, ${restartGrace} ms after a restart) are queued again`,
    );
  }
}
