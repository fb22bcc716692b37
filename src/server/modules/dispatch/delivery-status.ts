import type { Kysely } from "kysely";
import type { Clock } from "../../platform/clock.js";
import type { DB } from "../../platform/db/schema.js";
import type { StatusUpdate } from "../whatsapp/webhook-events.js";
import { decideRetry } from "./retry-policy.js";
import { nextStatus } from "./status-order.js";

/** `om:<row id>`: what every send carries in biz_opaque_callback_data. */
export function callbackDataFor(rowId: number): string {
  return `om:${rowId}`;
}

function rowIdFrom(callbackData: string | undefined): number | undefined {
  const match = callbackData ? /^om:(\d+)$/.exec(callbackData) : null;
  return match?.[1] ? Number(match[1]) : undefined;
}

export type StatusApplied = "updated" | "ignored" | "unknown" | "requeued" | "failed";

/**
 * Applies one status webhook to its outbound row. Statuses only move forward (sent → delivered
 * → read; failed is final); a late or repeated one changes nothing. A status naming a row whose
 * send answer was lost (crash, timeout) also records the message id and marks it accepted: that
 * is how a restart knows not to send it again. A failure Meta reports only here is classified
 * like a synchronous one: retried, or final with its code.
 */
export async function applyStatusUpdate(
  db: Kysely<DB>,
  tenantId: string,
  status: StatusUpdate,
  clock: Clock,
): Promise<StatusApplied> {
  const now = clock.now();
  let row = await db
    .selectFrom("outbound_messages")
    .select(["id", "state", "status", "wa_message_id", "attempts", "created_at"])
    .where("wa_message_id", "=", status.messageId)
    .where("tenant_id", "=", tenantId)
    .executeTakeFirst();
  if (!row) {
    const id = rowIdFrom(status.callbackData);
    if (id !== undefined) {
      row = await db
        .selectFrom("outbound_messages")
        .select(["id", "state", "status", "wa_message_id", "attempts", "created_at"])
        .where("id", "=", id)
        .where("tenant_id", "=", tenantId)
        .executeTakeFirst();
    }
  }
  if (!row) return "unknown";
  // A status for an earlier attempt of a row that has since been sent again: not ours to apply.
  if (row.wa_message_id && row.wa_message_id !== status.messageId) return "ignored";

  // A failure after delivered or read is stale news (nextStatus refuses it): never resend then.
  if (status.status === "failed" && nextStatus(row.status, "failed") !== null) {
    const error = status.errors[0];
    const decision = error
      ? decideRetry({ error, attempts: row.attempts, firstAttemptAt: row.created_at, now })
      : ({ action: "fail", reason: "failed without an error" } as const);
    if (decision.action === "retry" || decision.action === "halt") {
      await db
        .updateTable("outbound_messages")
        .set({
          state: "queued",
          status: null,
          wa_message_id: null,
          accepted_at: null,
          in_flight_since: null,
          next_attempt_at: decision.action === "retry" ? decision.at : now + 60_000,
          error_code: error?.code ?? null,
          error_reason: `${error?.title ?? "failed"}: ${decision.reason}`.slice(0, 500),
          updated_at: now,
        })
        .where("id", "=", row.id)
        .where("state", "in", ["accepted", "in_flight"])
        .execute();
      return "requeued";
    }
    await db
      .updateTable("outbound_messages")
      .set({
        state: "failed",
        status: "failed",
        wa_message_id: status.messageId,
        in_flight_since: null,
        error_code: error?.code ?? null,
        error_reason: error
          ? `${error.title}${error.details ? ` (${error.details})` : ""}`.slice(0, 500)
          : "failed",
        updated_at: now,
      })
      .where("id", "=", row.id)
      .execute();
    return "failed";
  }

  const next = nextStatus(row.status === "accepted" ? "accepted" : row.status, status.status);
  const reconciles = row.state === "in_flight" || row.state === "queued";
  if (!next && !reconciles) return "ignored";
  await db
    .updateTable("outbound_messages")
    .set({
      ...(next ? { status: next } : {}),
      ...(reconciles
        ? {
            state: "accepted",
            wa_message_id: status.messageId,
            accepted_at: now,
            in_flight_since: null,
          }
        : {}),
      updated_at: now,
    })
    .where("id", "=", row.id)
    // Optimistic: if another handler moved it meanwhile, this one's view is stale.
    .where((eb) => (row.status === null ? eb("status", "is", null) : eb("status", "=", row.status)))
    .execute();
  return "updated";
}
