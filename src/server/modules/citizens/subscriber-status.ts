import { SUBSCRIBER_STATUSES, type SubscriberStatus } from "../../platform/db/schema.js";

/**
 * The subscriber's lifecycle, encoded once. The states are `SUBSCRIBER_STATUSES` (the column's
 * type, in platform/db/schema.ts): contact (wrote without ever subscribing), pending (asked, waits
 * for "Confermo"), active, unsubscribed. A row is born a contact (`FIRST_SUBSCRIBER_STATUS`, on
 * the person's first message); after that the status moves only by the named moves of
 * `SUBSCRIBER_MOVES`, through `updateSubscriberStatus` (citizens.repository.ts), which writes
 * `… SET status = <target> WHERE id = :id AND tenant_id = :tenant AND status IN (<from>)`, so a
 * move from a state the table does not allow changes nothing (a test checks that nothing else
 * writes the column).
 *
 * Blocking (`blocked_at`), the flag and Meta's marketing stop are not states: they cut across
 * them (a blocked person keeps their status; the statistics count them apart).
 *
 * - ask: the subscribe keyword where the comune asks for confirmation (Casale); asking again while
 *   pending asks again.
 * - subscribe: the subscribe keyword where the comune needs no confirmation (a request left
 *   pending when the comune dropped the step is taken as consent too).
 * - confirm: "Confermo", tapped or typed, while pending.
 * - withdraw: "Annulla", or unsubscribing while pending (nothing was ever active).
 * - expire: the purge, for a request not confirmed within a day.
 * - erase: unsubscribing and erasing (the unsubscribe keyword, STOP, CANCELLA DATI, the admin
 *   API's DELETE): an active person becomes unsubscribed, anyone else goes back.
 *
 * "back" (`BACK`) is where a person stood before asking: unsubscribed if they were ever
 * subscribed (`unsubscribed_at` set), else a contact. The update computes it from the row it
 * changes, so a bulk move (the purge) needs no read first.
 */

/** The status of a new row: the person only wrote. */
export const FIRST_SUBSCRIBER_STATUS = "contact" satisfies SubscriberStatus;

/** Back where the person stood before asking (see above). */
export const BACK = "back";

type Target = SubscriberStatus | typeof BACK;

/** Each move: the states it may start from, and where it leads from each. */
export const SUBSCRIBER_MOVES = {
  ask: { contact: "pending", unsubscribed: "pending", pending: "pending" },
  subscribe: { contact: "active", unsubscribed: "active", pending: "active" },
  confirm: { pending: "active" },
  withdraw: { pending: BACK },
  expire: { pending: BACK },
  erase: { active: "unsubscribed", pending: BACK, unsubscribed: BACK, contact: BACK },
} as const satisfies Record<string, Partial<Record<SubscriberStatus, Target>>>;

export type SubscriberMove = keyof typeof SUBSCRIBER_MOVES;

/** Every move, in the table's order. */
export const SUBSCRIBER_MOVE_NAMES = Object.keys(SUBSCRIBER_MOVES) as SubscriberMove[];

function targets(move: SubscriberMove): Partial<Record<SubscriberStatus, Target>> {
  return SUBSCRIBER_MOVES[move];
}

/** The states `move` may start from, in the order of `SUBSCRIBER_STATUSES`. */
export function movesFrom(move: SubscriberMove): SubscriberStatus[] {
  return SUBSCRIBER_STATUSES.filter((s) => targets(move)[s] !== undefined);
}

/** Where `move` leads from `from`: a state, "back", or null when the table does not allow it. */
export function targetOf(move: SubscriberMove, from: SubscriberStatus): Target | null {
  return targets(move)[from] ?? null;
}

/**
 * The status a row at `current` gets from `move` (null: the move is not allowed from there and
 * nothing changes). `everSubscribed`: the row's `unsubscribed_at` is set. The update's SQL
 * computes the same (the tests compare them).
 */
export function nextSubscriberStatus(
  move: SubscriberMove,
  current: SubscriberStatus,
  everSubscribed: boolean,
): SubscriberStatus | null {
  const target = targetOf(move, current);
  if (target === BACK) return everSubscribed ? "unsubscribed" : "contact";
  return target;
}
