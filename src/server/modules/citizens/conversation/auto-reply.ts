import { changeSubscriber, DAY_MS } from "../citizens.repository.js";
import { keepModerationMessage } from "../moderation.repository.js";
import { withinServiceHours } from "../service-hours.js";
import type { Turn } from "./turn.js";

/** R6/R8: the comune's auto-reply, within the per-person cap, and kept for moderation if on. */
export async function autoReply(turn: Turn): Promise<string> {
  const { tenant, row, now } = turn;
  await keepForModeration(turn);
  if (!tenant.autoReply.enabled) return "auto-reply off";
  if (row.flaggedAt !== null && row.flagReason === "flood") return "auto-reply muted (flagged)";
  const newWindow = row.autoRepliedAt === null || now - row.autoRepliedAt >= DAY_MS;
  const sent = newWindow ? 0 : (row.autoRepliesInWindow ?? 0);
  if (sent >= tenant.autoReply.maxPerPersonPerDay) return "auto-reply capped";
  await changeSubscriber(turn.trx, row.id, {
    autoRepliedAt: newWindow ? now : row.autoRepliedAt,
    autoRepliesInWindow: sent + 1,
  });
  turn.say(withinServiceHours(tenant, now) ? "autoReply" : "autoReply+outsideHours");
  return "auto-reply";
}

/** With `moderation.inbox`, what a citizen wrote (not a command) is kept for the staff. */
export async function keepForModeration(turn: Turn): Promise<void> {
  const { tenant, row, message: m, now } = turn;
  if (!tenant.moderation.inbox || turn.action.action !== "other") return;
  const location = m.location
    ? [m.location.name, m.location.address, `${m.location.latitude},${m.location.longitude}`]
        .filter(Boolean)
        .join(" – ")
    : undefined;
  await keepModerationMessage(turn.trx, {
    tenantId: tenant.slug,
    subscriberId: row.id,
    subscriberKey: row.subscriberKey ?? "",
    inboundMessageId: m.id,
    type: m.type === "unsupported" ? `unsupported:${m.originalType ?? ""}` : m.type,
    text: storableText(
      m.text ?? m.media?.caption ?? location ?? m.reaction?.emoji ?? m.interactive?.title ?? null,
    ),
    mediaId: m.media?.id ?? null,
    receivedAt: now,
    purgeAfter: now + tenant.moderation.retentionDays * DAY_MS,
    flagged: row.flaggedAt !== null,
  });
}

/**
 * PostgreSQL's text cannot hold U+0000 (the insert fails, and the message would be retried for
 * ever); it becomes U+FFFD, as an unreadable character is shown anyway.
 */
function storableText(text: string | null): string | null {
  // eslint-disable-next-line no-control-regex -- the NUL character is the point
  return text === null ? null : text.replace(/\u0000/g, "\uFFFD");
}
