/**
 * The broadcast's lifecycle, encoded once. A broadcast is written as a draft, submitted for
 * approval, approved (or rejected), perhaps scheduled, then sent by the dispatcher:
 *
 *   draft ─submit→ submitted ─approve→ approved ─schedule→ scheduled ─start→ sending ─finish→ sent
 *                      └─reject→ rejected       └────────start────────┘   │  ↑
 *                                                                pause / halt  resume
 *                                                                         ↓  │
 *                                                              paused / needs_attention
 *
 * plus `revise` (an edit after submission goes back to draft) and `cancel` (from anything not
 * yet over). sent, cancelled and rejected are where a broadcast rests: sent and cancelled are
 * over (finished_at), a rejected one only goes back to draft.
 *
 * The status moves only by the named moves of `BROADCAST_MOVES`, through
 * `updateBroadcastStatus` (broadcast-delivery.repository.ts), which writes
 * `… SET status = <to>, <side columns> WHERE id = :id AND status IN (<from>)`, so a move from a
 * state the table does not allow changes nothing (a test checks that nothing else writes the
 * column). The side columns come from the table too:
 * - `startsSending`: started_at is set on the first start only (a resume or a second start that
 *   adds newly eligible subscribers keeps when sending began);
 * - `finishes`: finished_at is set (sent, cancelled);
 * - `reason`: "given" stores the caller's reason in attention_reason (halt: what stopped it;
 *   reject: why the approver refused it), "cleared" empties it (resume: the cause was fixed;
 *   revise: the draft is being changed);
 * - `approver`: "given" stores who approved (approved_by), "cleared" empties it (revise: an edit
 *   after submission needs a new approval);
 * - `startAt`: "given" stores when the scheduler starts it (scheduled_at: the requested time, or
 *   the office's next opening when that falls outside the service hours).
 *
 * Today's callers and their moves: Dispatch.startBroadcast (start), pause/resume/cancel
 * (dispatch.service.ts), the dispatcher's needs-attention stop (halt), a status webhook's
 * configuration error (halt, delivery-status.ts) and finishCompletedBroadcasts (finish). submit, approve, reject, revise and schedule wait for the
 * broadcasts API.
 */

/** Every state, as stored in broadcasts.status (the stored values of today). */
export const BROADCAST_STATUSES = [
  "draft",
  "submitted",
  "approved",
  "rejected",
  "scheduled",
  "sending",
  "paused",
  "needs_attention",
  "sent",
  "cancelled",
] as const;

export type BroadcastStatus = (typeof BROADCAST_STATUSES)[number];

/** Where every broadcast starts: written by the one insert (broadcasts.repository.ts, insertDraft). */
export const FIRST_BROADCAST_STATUS: BroadcastStatus = "draft";

interface MoveRule {
  from: readonly BroadcastStatus[];
  to: BroadcastStatus;
  startsSending?: true;
  finishes?: true;
  reason?: "given" | "cleared";
  approver?: "given" | "cleared";
  startAt?: "given";
}

/** Each move: the states it may start from, where it leads, and what it writes beside. */
export const BROADCAST_MOVES = {
  submit: { from: ["draft"], to: "submitted" },
  approve: { from: ["submitted"], to: "approved", approver: "given" },
  reject: { from: ["submitted"], to: "rejected", reason: "given" },
  revise: {
    from: ["rejected", "submitted", "approved"],
    to: "draft",
    reason: "cleared",
    approver: "cleared",
  },
  schedule: { from: ["approved"], to: "scheduled", startAt: "given" },
  // From sending too: starting again adds the subscribers who became eligible meanwhile.
  start: { from: ["approved", "scheduled", "sending"], to: "sending", startsSending: true },
  pause: { from: ["sending"], to: "paused" },
  resume: { from: ["paused", "needs_attention"], to: "sending", reason: "cleared" },
  halt: { from: ["sending", "scheduled", "approved"], to: "needs_attention", reason: "given" },
  finish: { from: ["sending"], to: "sent", finishes: true },
  cancel: {
    from: ["draft", "submitted", "approved", "scheduled", "sending", "paused", "needs_attention"],
    to: "cancelled",
    finishes: true,
  },
} as const satisfies Record<string, MoveRule>;

export type BroadcastMove = keyof typeof BROADCAST_MOVES;

/** Every move, in the table's order. */
export const BROADCAST_MOVE_NAMES = Object.keys(BROADCAST_MOVES) as BroadcastMove[];

/** The rule of `move`, typed loosely enough to read its optional parts. */
export function ruleOf(move: BroadcastMove): MoveRule {
  return BROADCAST_MOVES[move];
}

export function isBroadcastStatus(value: string): value is BroadcastStatus {
  return (BROADCAST_STATUSES as readonly string[]).includes(value);
}

/** Whether `move` may start from `state` (a value that is no state allows nothing). */
export function canMove(move: BroadcastMove, state: string): boolean {
  return (ruleOf(move).from as readonly string[]).includes(state);
}

/** The moves allowed from `state`, in the table's order: what an API can offer there. */
export function movesFrom(state: string): BroadcastMove[] {
  return BROADCAST_MOVE_NAMES.filter((move) => canMove(move, state));
}

/** Where `move` leads from `state`, or null when the table does not allow it. */
export function nextBroadcastStatus(move: BroadcastMove, state: string): BroadcastStatus | null {
  return canMove(move, state) ? ruleOf(move).to : null;
}
