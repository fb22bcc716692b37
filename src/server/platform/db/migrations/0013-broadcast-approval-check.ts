import type { Kysely } from "kysely";

/**
 * `broadcasts.approval_check`: the policy's whole answer at approval, as JSON (the blocks and
 * warnings with their acknowledgements, the schedule and election decisions, the readability,
 * the audience and the cost estimate): what the approver saw and accepted, kept with the
 * broadcast after the rules, the prices or the audience change. Null until approved.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("broadcasts").addColumn("approval_check", "text").execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("broadcasts").dropColumn("approval_check").execute();
}
