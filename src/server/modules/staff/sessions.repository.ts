import type { Db } from "../../platform/db/schema.js";

/**
 * The `sessions` table: a row per login, keyed by the hash of the cookie's token; `stage` is
 * "totp" between the password and the second factor, then "active".
 */
export interface SessionRow {
  id: string;
  userId: number;
  stage: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

export async function insertSession(db: Db, s: SessionRow): Promise<void> {
  await db
    .insertInto("sessions")
    .values({
      id: s.id,
      user_id: s.userId,
      stage: s.stage,
      created_at: s.createdAt,
      last_seen_at: s.lastSeenAt,
      expires_at: s.expiresAt,
    })
    .execute();
}

export async function findSession(db: Db, id: string): Promise<SessionRow | undefined> {
  const r = await db
    .selectFrom("sessions")
    .select(["id", "user_id", "stage", "created_at", "last_seen_at", "expires_at"])
    .where("id", "=", id)
    .executeTakeFirst();
  return (
    r && {
      id: r.id,
      userId: Number(r.user_id),
      stage: r.stage,
      createdAt: Number(r.created_at),
      lastSeenAt: Number(r.last_seen_at),
      expiresAt: Number(r.expires_at),
    }
  );
}

export async function touchSession(db: Db, id: string, now: number): Promise<void> {
  await db.updateTable("sessions").set({ last_seen_at: now }).where("id", "=", id).execute();
}

export async function deleteSession(db: Db, id: string): Promise<void> {
  await db.deleteFrom("sessions").where("id", "=", id).execute();
}

export async function deleteSessionsOfUser(db: Db, userId: number): Promise<number> {
  const r = await db.deleteFrom("sessions").where("user_id", "=", userId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Deletes sessions past their end or idle since `idleBefore`. */
export async function pruneExpiredSessions(db: Db, now: number, idleBefore: number): Promise<void> {
  await db
    .deleteFrom("sessions")
    .where((eb) => eb.or([eb("expires_at", "<=", now), eb("last_seen_at", "<", idleBefore)]))
    .execute();
}
