import type { z } from "zod";
import { maskPhone } from "../../../platform/log.js";
import type { Subscriber } from "../citizens.repository.js";
import type { subscriberView } from "./admin-schemas.js";

/**
 * One person as the admin API shows them (`subscriberView`, admin-schemas.ts): masked unless
 * revealed, instants as ISO 8601 strings (UTC); and how a person is named in audit summaries.
 */
export type SubscriberView = z.infer<typeof subscriberView>;

export const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

export function presentSubscriber(row: Subscriber, reveal: boolean): SubscriberView {
  const blockState =
    row.blockedAt === null ? "none" : row.waBlockedAt === null ? "pending" : "applied";
  return {
    id: Number(row.id),
    status: row.status,
    number: row.waId === null ? null : reveal ? row.waId : maskPhone(row.waId),
    revealed: reveal,
    ...(reveal
      ? {
          personal: {
            firstName: row.firstName,
            lastName: row.lastName,
            profileName: row.profileName,
            userId: row.userId,
            topics: row.topics,
          },
        }
      : {}),
    block: {
      state: blockState,
      blockedAt: iso(row.blockedAt),
      appliedOnWhatsAppAt: iso(row.waBlockedAt),
    },
    flag:
      row.flaggedAt === null
        ? null
        : { flaggedAt: iso(row.flaggedAt) ?? "", reason: row.flagReason },
    marketingStoppedAt: iso(row.marketingStoppedAt),
    subscribedAt: iso(row.subscribedAt),
    unsubscribedAt: iso(row.unsubscribedAt),
    lastMessageAt: iso(row.lastInboundAt),
    createdAt: iso(row.createdAt) ?? "",
  };
}

/** How a person is named in audit summaries: their id and masked number, never more. */
export const auditTarget = (row: Subscriber) => ({ type: "subscriber", id: String(row.id) });
export const maskedOf = (row: Subscriber) => (row.waId === null ? null : maskPhone(row.waId));
