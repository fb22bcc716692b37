/** `banditore migrate`: the database migrations, applied and reported; no service is built. */
import type { Env } from "../config/env.js";
import { openDatabase } from "../platform/db/connect.js";
import { migrateToLatest } from "../platform/db/migrate.js";
import { createLogger } from "../platform/log.js";
import type { Exit } from "./output.js";

export async function migrate(env: Env): Promise<Exit> {
  const log = createLogger(env.LOG_LEVEL);
  const database = openDatabase({ url: env.DATABASE_URL, dataDir: env.dataDir, log });
  try {
    const results = await migrateToLatest(database.db);
    const names = results.map((r) => r.migrationName);
    process.stdout.write(
      names.length
        ? `Applied ${names.length} migration(s) to ${database.engine} at ${database.location}: ${names.join(", ")}\n`
        : `Nothing to apply: ${database.engine} at ${database.location} is up to date.\n`,
    );
    return 0;
  } finally {
    await database.close();
  }
}
