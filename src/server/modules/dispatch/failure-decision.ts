import { SYNTHETIC_CODES } from "../whatsapp/send-errors.js";
import type { WhatsAppError } from "../whatsapp/types.js";
import { decideRetry, type RetryPolicy } from "./retry-policy.js";

/**
 * One decision for a failed send, wherever Meta reports it: in the answer to the send (the
 * dispatcher) or later in a status webhook (delivery-status.ts). Pure, on top of `decideRetry`
 * (retry-policy.ts, by the error's class), adding what the row's kind decides:
 *
 * - retry: the row is queued again for `at` (`countsAsAttempt`: whether its counter grows);
 * - give_up: this recipient is done, the row is failed with its code and `reason`;
 * - halt: a configuration or account error (fatal_config: template paused or disabled, token,
 *   payment, a locked account) that every other send would meet too. The row is queued again
 *   untouched, nothing is lost. A broadcast's delivery stops its broadcast: move `halt` to
 *   needs_attention with `attention` as the reason shown to staff, and the row waits for the
 *   resume (`at` is now: the dispatcher claims only rows of sending broadcasts). A reply halts
 *   the number instead, for a minute (`at`): replies have no broadcast to stop.
 *
 * A row whose broadcast was cancelled is never queued again: both paths write the requeue with
 * outbound.repository.ts's rule (cancelled instead of queued when its broadcast is), and the
 * dispatcher also drops one it knows is cancelled before writing.
 *
 * Before any of these: a failure whose outcome is unknown (`outcomeUnknown`: a timeout, a broken
 * connection) is no failure yet; the row stays in flight until a status webhook or the grace
 * period settles it.
 *
 * What this does not decide: the error budget (error-budget.ts), a ratio over the dispatcher's
 * recent answers, stays the dispatcher's, fed by its own give-ups; a webhook's give-up does not
 * reach it (it would need the budget shared between processes).
 */

/** How long a reply's fatal error holds its number back. */
export const NUMBER_HALT_MS = 60_000;

export type FailureDecision =
  | { action: "retry"; at: number; reason: string; countsAsAttempt: boolean }
  | { action: "give_up"; reason: string }
  | { action: "halt"; at: number; reason: string; attention: string };

export interface FailureInput {
  /** The classified error (send-errors.ts); none when Meta reported a failure without one. */
  error: WhatsAppError | undefined;
  /** Counted attempts including the failed one (see RetryInput). */
  attempts: number;
  /** Of those, how many in a row ended with this error's code. */
  codeAttempts: number;
  firstAttemptAt: number;
  now: number;
  /** A broadcast's delivery, or a message of its own (a reply). */
  kind: "reply" | "broadcast";
  random?: () => number;
}

export function decideFailure(
  input: FailureInput,
  policy: Partial<RetryPolicy> = {},
): FailureDecision {
  const { error, now } = input;
  if (!error) return { action: "give_up", reason: "failed" };
  const decision = decideRetry(
    {
      error,
      attempts: input.attempts,
      codeAttempts: input.codeAttempts,
      firstAttemptAt: input.firstAttemptAt,
      now,
      ...(input.random ? { random: input.random } : {}),
    },
    policy,
  );
  switch (decision.action) {
    case "retry":
      return { ...decision, reason: `${error.title}: ${decision.reason}` };
    case "fail":
      return {
        action: "give_up",
        reason: `${error.title}${error.details ? ` (${error.details})` : ""}`,
      };
    case "halt":
      return {
        action: "halt",
        at: input.kind === "broadcast" ? now : now + NUMBER_HALT_MS,
        reason: `${error.title}: ${decision.reason}`,
        attention: `${error.code} ${error.title}${error.details ? `: ${error.details}` : ""}`,
      };
  }
}

/**
 * Failures after which the request may still have been accepted: a timeout, an abort, an
 * unreadable answer, a connection that broke after the request left. A refused connection or an
 * unknown host means nothing was sent.
 */
export function outcomeUnknown(error: WhatsAppError): boolean {
  if (error.code === SYNTHETIC_CODES.connection) {
    return !/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/.test(error.details ?? "");
  }
  return (
    error.code === SYNTHETIC_CODES.timeout ||
    error.code === SYNTHETIC_CODES.aborted ||
    error.code === SYNTHETIC_CODES.badResponse
  );
}
