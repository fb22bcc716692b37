/**
 * `banditore audit verify` and `banditore audit anchor`: the audit log's keyed hash chain checked
 * on the database as it is (not migrated, not written by the check), with exit codes a script
 * can act on.
 */
import type { Env } from "../config/env.js";
import { loadTenants } from "../config/tenants.js";
import {
  describeFailure,
  formatAnchor,
  readAnchorFile,
  takeAnchor,
  verifyAuditChain,
  type ChainCheck,
} from "../modules/audit/audit.service.js";
import { systemClock } from "../platform/clock.js";
import { openDatabase } from "../platform/db/connect.js";
import { schemaState } from "../platform/db/migrate.js";
import { ConfigError } from "../platform/errors.js";
import { createLogger } from "../platform/log.js";
import { setUpAuditKey } from "../wiring.js";
import { print, type Exit } from "./output.js";

/** Exit codes of the audit commands (besides 0). */
const AUDIT_TAMPERED = 1;
const AUDIT_WRONG_KEY = 3;

/** The database as it is, for reading the chain: not migrated or written by the check. */
async function openForAudit(env: Env) {
  const { mode } = await loadTenants(env);
  setUpAuditKey(env, mode);
  const database = openDatabase({
    url: env.DATABASE_URL,
    dataDir: env.dataDir,
    log: createLogger("silent"),
  });
  const { pending } = await schemaState(database.db).catch(async (error: unknown) => {
    await database.close();
    throw error;
  });
  if (pending.length) {
    await database.close();
    throw new ConfigError(
      `the database at ${database.location} is not migrated (pending: ${pending.join(", ")}): run \`banditore migrate\` first`,
    );
  }
  return database;
}

export async function verifyAudit(env: Env, anchorFile: string | undefined): Promise<Exit> {
  const anchors = anchorFile ? await readAnchorFile(anchorFile) : [];
  if (anchorFile && !anchors.length) {
    throw new ConfigError(`--anchor: ${anchorFile}: no such file, or no anchor in it`);
  }
  const database = await openForAudit(env);
  try {
    const check = await verifyAuditChain(database.db, { anchors });
    const failed = reportAuditFailure(check);
    if (failed) return failed;
    const lines = [
      `Audit chain intact: ${check.entries} entries, last hash ${check.lastHash} (key id ${check.keyId}).`,
    ];
    if (check.weak) lines.push(weakNote(check));
    if (anchorFile) {
      const newest = anchors.reduce((a, b) => (b.entries > a.entries ? b : a));
      lines.push(
        `All ${anchors.length} anchor(s) in ${anchorFile} hold (the longest: ${newest.entries} entries, ${newest.at}).`,
      );
    } else {
      lines.push(
        "Entries removed from the end leave a shorter chain that holds: check against anchors kept",
        "elsewhere (banditore audit anchor --out FILE, then audit verify --anchor FILE).",
      );
    }
    return print(lines.join("\n"));
  } finally {
    await database.close();
  }
}

export async function anchorAudit(env: Env, outFile: string | undefined): Promise<Exit> {
  const database = await openForAudit(env);
  try {
    const { check, anchor } = await takeAnchor(database.db, systemClock.now(), outFile).catch(
      (error: unknown) => {
        const code = (error as NodeJS.ErrnoException).code;
        if (!outFile || !code?.startsWith("E")) throw error;
        throw new ConfigError(`--out: cannot write ${outFile} (${code})`);
      },
    );
    if (!anchor) return reportAuditFailure(check) || AUDIT_TAMPERED;
    if (check.weak) process.stderr.write(`${weakNote(check)}\n`);
    if (outFile) process.stderr.write(`Anchor appended to ${outFile}.\n`);
    return print(formatAnchor(anchor));
  } finally {
    await database.close();
  }
}

/** Writes what is wrong to stderr and returns the exit code; 0 when the check holds. */
function reportAuditFailure(check: ChainCheck): Exit {
  const b = check.broken;
  if (b?.code === "wrong_key") {
    process.stderr.write(
      "Audit chain NOT CHECKED: AUDIT_KEY_SECRET is not the key that sealed the log.\n" +
        `Entry ${b.id} (position ${b.position}), the first sealed with a key, names key id ${b.sealedWith}; ` +
        `the AUDIT_KEY_SECRET given has key id ${check.keyId}.\n` +
        "Run the check with the server's AUDIT_KEY_SECRET. If it is the server's key, that entry was changed.\n",
    );
    return AUDIT_WRONG_KEY;
  }
  if (b) {
    process.stderr.write(
      `Audit chain BROKEN at entry ${b.id} (position ${b.position} of ${check.chainLength}): ${b.reason}.\n` +
        `${check.entries} entries before it hold.\n`,
    );
    return AUDIT_TAMPERED;
  }
  const failed = check.anchors.find((a) => a.state !== "holds");
  if (!failed) return 0;
  const word = failed.state === "cut" ? "CUT" : "REWRITTEN";
  process.stderr.write(
    `Audit chain ${word}: ${describeFailure(check).problem}.\n` +
      `The chain itself holds (${check.entries} entries, last hash ${check.lastHash}), so this was done ` +
      "by someone with access to the database: compare with the backups.\n",
  );
  return AUDIT_TAMPERED;
}

function weakNote(check: ChainCheck): string {
  return check.weak === check.entries
    ? `None of the ${check.entries} entries is sealed with a secret key (public scheme or the sandbox's development key): the chain shows accidental changes, not deliberate ones.`
    : `The first ${check.weak} entries were sealed before the key (public scheme or the sandbox's development key); the first keyed entry's hash covers theirs, so they cannot be changed either.`;
}
