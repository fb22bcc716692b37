/**
 * Claimed rows in the order their handler takes them: highest priority first, then by id (the
 * oldest first). The queues' claims (the outbox, the inbound events) end in an UPDATE …
 * RETURNING, which answers in no defined order on either engine, whatever order the candidates
 * were chosen in.
 */
export function inClaimOrder<T extends { priority: number; id: number }>(rows: T[]): T[] {
  return rows.sort((a, b) => b.priority - a.priority || a.id - b.id);
}
