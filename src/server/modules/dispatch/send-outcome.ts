import type { Clock } from "../../platform/clock.js";
import type { Logger } from "../../platform/log.js";
import type { SendOutcome } from "../whatsapp/types.js";
import type { DispatchMetrics } from "./dispatch-metrics.js";
import type { ErrorBudget } from "./error-budget.js";
import {
  decideFailure,
  NUMBER_HALT_MS,
  outcomeUnknown,
  type FailureDecision,
} from "./failure-decision.js";
import type { KnownBroadcasts } from "./known-broadcasts.js";
import type { SendResult } from "./outbound-results.repository.js";
import type { ClaimedMessage } from "./outbound.repository.js";
import type { AdaptiveRate } from "./rate-controller.js";

/**
 * What the answer to one send does (the dispatcher calls it for each): the row's result to
 * write (accepted, retry, failed, released), the rate after a 130429, the number's pause after a
 * maintenance answer or a reply's configuration error, the broadcast's error budget and its stop
 * (needs attention). The failure itself is decided by `decideFailure` (failure-decision.ts), as
 * for a failure a status webhook reports.
 */
export interface OutcomeContext {
  clock: Clock;
  log: Logger;
  metrics?: DispatchMetrics;
  rate: AdaptiveRate;
  broadcasts: KnownBroadcasts;
  /** Buffers a result for the next flush. */
  push(result: SendResult): void;
  /** Until when the whole number waits (0: it does not). */
  haltedUntil(): number;
  haltNumber(until: number): void;
}

/** The sends metric keeps the retry policy's names for what happened after a failure. */
const METRIC_OUTCOME: Record<FailureDecision["action"], string> = {
  retry: "retry",
  give_up: "fail",
  halt: "halt",
};

function budgetOf(ctx: OutcomeContext, row: ClaimedMessage): ErrorBudget | undefined {
  return row.broadcastId === null ? undefined : ctx.broadcasts.budgetOf(row.broadcastId);
}

/** Acts on the answer to `row`'s send; `seconds`: how long the request took. */
export function recordOutcome(
  ctx: OutcomeContext,
  row: ClaimedMessage,
  outcome: SendOutcome,
  seconds: number,
): void {
  const now = ctx.clock.now();
  const { metrics } = ctx;
  if (outcome.ok) {
    metrics?.sends.inc({ tenant: row.tenantId, outcome: "accepted", code: "" });
    metrics?.sendLatency.observe(seconds);
    ctx.rate.onSuccess(now);
    budgetOf(ctx, row)?.record(true);
    ctx.push({ id: row.id, outcome: "accepted", waMessageId: outcome.messageId });
    return;
  }
  const { error } = outcome;
  if (outcomeUnknown(error)) {
    // Meta may have accepted it. Sending again now could deliver it twice, so the row stays in
    // flight: a status webhook naming it settles it, or after the grace period it is resent.
    metrics?.sends.inc({ tenant: row.tenantId, outcome: "unknown", code: String(error.code) });
    return;
  }
  if (error.code === 130429) ctx.rate.onThrottled(now);
  // Maintenance (throughput upgrade) concerns the whole number: pause it, not just this row.
  if (error.code === 131057)
    ctx.haltNumber(Math.max(ctx.haltedUntil(), now + (error.retryAfterMs ?? 60_000)));
  const decision = decideFailure({
    error,
    attempts: row.attempts + 1,
    codeAttempts: row.errorCode === error.code ? row.errorRepeats + 1 : 1,
    firstAttemptAt: row.createdAt,
    now,
    kind: row.broadcastId === null ? "reply" : "broadcast",
  });
  metrics?.sends.inc({
    tenant: row.tenantId,
    outcome: METRIC_OUTCOME[decision.action],
    code: String(error.code),
  });
  if (
    decision.action !== "give_up" &&
    row.broadcastId !== null &&
    ctx.broadcasts.status(row.broadcastId) === "cancelled"
  ) {
    // Cancelled while this request was on the wire: no retry, the row joins the cancelled ones.
    ctx.push({ id: row.id, outcome: "released", cancelled: true });
    return;
  }
  /** Back to the queue until `at`, with the error that sent it back. */
  const retryAt = (at: number, reason: string, countsAttempt: boolean) =>
    ctx.push({ id: row.id, outcome: "retry", at, code: error.code, reason, countsAttempt });
  switch (decision.action) {
    case "retry":
      // "Not now" from the platform (throughput, maintenance) does not use up attempts.
      retryAt(decision.at, decision.reason, decision.countsAsAttempt);
      return;
    case "give_up": {
      ctx.push({
        id: row.id,
        outcome: "failed",
        code: error.code,
        reason: decision.reason,
      });
      const budget = budgetOf(ctx, row);
      budget?.record(false);
      if (budget?.tripped && row.broadcastId !== null) {
        ctx.broadcasts.needsAttention(
          row.broadcastId,
          `More than ${Math.round(budget.failureRatio * 100)}% of the last ${budget.samples} sends failed (latest: ${error.code} ${error.title})`,
        );
      }
      return;
    }
    case "halt":
      // Nothing is lost: the row goes back to the queue untouched and waits for the fix.
      retryAt(decision.at, decision.reason, false);
      if (row.broadcastId !== null)
        ctx.broadcasts.needsAttention(row.broadcastId, decision.attention);
      else ctx.haltNumber(now + NUMBER_HALT_MS);
      ctx.log.error(
        {
          event: "dispatch.halted",
          tenant: row.tenantId,
          broadcastId: row.broadcastId,
          code: error.code,
        },
        `Sending stopped by a configuration error: ${error.code} ${error.title}`,
      );
      return;
  }
}
