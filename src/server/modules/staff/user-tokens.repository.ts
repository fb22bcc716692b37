import type { ExpressionBuilder } from "kysely";
import type { DB, Db } from "../../platform/db/schema.js";

/** The `user_tokens` table: one-time links (today the setup link), kept as hashes. */
export async function insertUserToken(
  db: Db,
  t: { tokenHash: string; userId: number; purpose: string; expiresAt: number },
  now: number,
): Promise<void> {
  await db
    .insertInto("user_tokens")
    .values({
      token_hash: t.tokenHash,
      user_id: t.userId,
      purpose: t.purpose,
      created_at: now,
      expires_at: t.expiresAt,
      used_at: null,
    })
    .execute();
}

/** The token with this hash and purpose, if still valid: unused and not expired at `now`. */
const validToken =
  (tokenHash: string, purpose: string, now: number) => (eb: ExpressionBuilder<DB, "user_tokens">) =>
    eb.and([
      eb("token_hash", "=", tokenHash),
      eb("purpose", "=", purpose),
      eb("used_at", "is", null),
      eb("expires_at", ">", now),
    ]);

/** The user of a valid (unused, unexpired) token. */
export async function findUserTokenOwner(
  db: Db,
  tokenHash: string,
  purpose: string,
  now: number,
): Promise<number | undefined> {
  const row = await db
    .selectFrom("user_tokens")
    .select("user_id")
    .where(validToken(tokenHash, purpose, now))
    .executeTakeFirst();
  return row && Number(row.user_id);
}

/** Marks a valid token used and returns its user; undefined when unknown, used or expired. */
export async function consumeUserToken(
  db: Db,
  tokenHash: string,
  purpose: string,
  now: number,
): Promise<number | undefined> {
  const r = await db
    .updateTable("user_tokens")
    .set({ used_at: now })
    .where(validToken(tokenHash, purpose, now))
    .returning("user_id")
    .executeTakeFirst();
  return r && Number(r.user_id);
}

/** A new link replaces the user's earlier unused ones. */
export async function revokeUserTokens(db: Db, userId: number, now: number): Promise<void> {
  await db
    .updateTable("user_tokens")
    .set({ used_at: now })
    .where("user_id", "=", userId)
    .where("used_at", "is", null)
    .execute();
}
