import type { Db } from "../../platform/db/schema.js";
import { countReachableByTopicList } from "./citizens.repository.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/** How many people a broadcast would reach now, and how many of them have their window open. */
export interface Audience {
  recipients: number;
  inWindow: number;
}

/**
 * The subscribers a broadcast on `topics` reaches: active, not blocked, with a number or a user
 * id, who chose one of the topics or none (no choice means every topic). `inWindow`: those who
 * wrote in the last 24 hours, to whom a free-form message may go. The dispatcher's expansion is
 * what really sends; this count is for the estimate and the approver.
 */
export async function audienceOf(
  db: Db,
  tenantId: string,
  topics: "all" | readonly string[],
  now: number,
): Promise<Audience> {
  const wanted = topics === "all" ? undefined : new Set(topics);
  let recipients = 0;
  let inWindow = 0;
  for (const list of await countReachableByTopicList(db, tenantId, now - DAY_MS)) {
    const reached =
      wanted === undefined || list.topics.length === 0 || list.topics.some((t) => wanted.has(t));
    if (!reached) continue;
    recipients += list.count;
    if (list.inWindow) inWindow += list.count;
  }
  return { recipients, inWindow };
}
