import type { Kysely } from "kysely";

/**
 * `broadcasts.public`: 1 when the communication office marks a broadcast for the public archive
 * (the comune's public pages list those once sent), 0 by default: a broadcast stays between the
 * comune and its subscribers unless someone chooses otherwise.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("broadcasts")
    .addColumn("public", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("broadcasts").dropColumn("public").execute();
}
