import { appendFile, readFile } from "node:fs/promises";
import type { Kysely } from "kysely";
import type { Clock } from "../../platform/clock.js";
import type { DB } from "../../platform/db/schema.js";
import type { Logger } from "../../platform/log.js";
import {
  compareAnchors,
  formatAnchor,
  parseAnchors,
  type AnchorCheck,
  type AuditAnchor,
} from "./audit-anchor.js";
import { ChainWalker, type ChainBreak } from "./audit-chain.js";
import { currentAuditKey, type AuditKey } from "./audit-key.js";
import { auditPage, countAudit } from "./audit.repository.js";

/**
 * Checking the chain: the walk from the first entry, the anchors it is compared with, and the
 * server's daily anchor. Others reach these through audit.service.ts.
 */

export interface ChainCheck {
  /** Entries that hold, from the first (all of them when nothing broke). */
  entries: number;
  /** Entries in the table, read or not. */
  chainLength: number;
  /** The last entry that holds: note it elsewhere (an anchor) to detect a cut tail later. */
  lastId: number;
  lastHash: string;
  /** The public id of the key the check used. */
  keyId: string;
  /** Of `entries`, those sealed before the key (public scheme, development key). */
  weak: number;
  /** The first entry that does not hold; undefined when the whole chain holds. */
  broken?: ChainBreak;
  /** One per anchor given, in the order given. */
  anchors: AnchorCheck[];
}

/**
 * Walks the chain from the first entry (audit-chain.ts says when an entry holds), then compares
 * it with the anchors: an edited entry fails its hash, a deleted one makes the next fail its
 * link, a forged one fails its keyed hash or claims a seal weaker than those before it, and
 * entries cut from the end, or a chain rewritten whole, miss an anchor.
 */
export async function verifyAuditChain(
  db: Kysely<DB>,
  options: {
    key?: AuditKey;
    anchors?: readonly AuditAnchor[];
    pageSize?: number;
    /** Stops the walk between pages (a server shutting down does not wait for a long chain). */
    signal?: AbortSignal;
  } = {},
): Promise<ChainCheck> {
  const key = options.key ?? currentAuditKey();
  const anchors = options.anchors ?? [];
  const wanted = new Set(anchors.map((a) => a.entries));
  const seen = new Map<number, { id: number; hash: string }>();
  const walker = new ChainWalker(key);
  let broken: ChainBreak | undefined;
  let afterId = 0;
  walk: for (;;) {
    options.signal?.throwIfAborted();
    const rows = await auditPage(db, afterId, options.pageSize ?? 1_000);
    if (!rows.length) break;
    for (const row of rows) {
      broken = walker.check(row);
      if (broken) break walk;
      if (wanted.has(walker.position)) seen.set(walker.position, { id: row.id, hash: row.hash });
      afterId = row.id;
    }
  }
  const entries = broken ? walker.position - 1 : walker.position;
  const chainLength = broken ? await countAudit(db) : entries;
  return {
    entries,
    chainLength,
    lastId: walker.lastId,
    lastHash: walker.previous,
    keyId: key.id,
    weak: walker.weak,
    ...(broken ? { broken } : {}),
    anchors: compareAnchors(anchors, entries, chainLength, (p) => seen.get(p)),
  };
}

/** The anchor of a chain that holds (its full length). */
export function anchorOf(check: ChainCheck, now: number): AuditAnchor {
  return {
    event: "audit.anchor",
    at: new Date(now).toISOString(),
    entries: check.entries,
    lastId: check.lastId,
    lastHash: check.lastHash,
    keyId: check.keyId,
  };
}

/** True when the chain and every anchor hold. */
export function chainHolds(check: ChainCheck): boolean {
  return !check.broken && check.anchors.every((a) => a.state === "holds");
}

/** The anchors kept in a file; none when it does not exist yet. */
export async function readAnchorFile(file: string): Promise<AuditAnchor[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  return text.trim() ? parseAnchors(text, file) : [];
}

/**
 * Checks the chain against the anchors in `file` (when given) and, when everything holds,
 * appends today's anchor to it. An anchor is never written over a chain that does not hold:
 * it would vouch for what was done to it.
 */
export async function takeAnchor(
  db: Kysely<DB>,
  now: number,
  file?: string,
  signal?: AbortSignal,
): Promise<{ check: ChainCheck; anchor?: AuditAnchor }> {
  const anchors = file ? await readAnchorFile(file) : [];
  const check = await verifyAuditChain(db, { anchors, ...(signal ? { signal } : {}) });
  if (!chainHolds(check)) return { check };
  const anchor = anchorOf(check, now);
  if (file) await appendFile(file, `${formatAnchor(anchor)}\n`, { mode: 0o600 });
  return { check, anchor };
}

/**
 * The server's daily anchor: checked, logged (event "audit.anchor", one JSON line that
 * `audit verify --anchor` reads) and appended to AUDIT_ANCHOR_FILE when set. A chain that does
 * not hold is logged as an error (event "audit.chain_broken") every day until it is looked at.
 */
export function startAuditAnchorJob(
  deps: { db: Kysely<DB>; clock: Clock; log: Logger; file?: string | undefined },
  intervalMs = 24 * 60 * 60 * 1000,
): { idle(): Promise<void>; stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const stopping = new AbortController();
  const run = () => {
    running = running
      .then(() => takeAnchor(deps.db, deps.clock.now(), deps.file, stopping.signal))
      .then(({ check, anchor }) => {
        if (anchor) {
          deps.log.info(
            anchor,
            `Audit chain intact: ${anchor.entries} entries, last hash ${anchor.lastHash}`,
          );
        } else {
          const failure = describeFailure(check);
          deps.log.error(
            { event: "audit.chain_broken", ...failure },
            `Audit chain does not hold: ${failure.problem}`,
          );
        }
      })
      .catch((error: unknown) => {
        if (stopping.signal.aborted) return;
        deps.log.error({ err: error, event: "audit.anchor_failed" }, "Audit anchor failed");
      });
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return {
    /** Resolves when the run under way (the first one, just after start) is done. */
    idle: () => running,
    stop: async () => {
      clearInterval(timer);
      stopping.abort();
      await running;
    },
  };
}

/** The first thing wrong with a check, in a line an operator can act on (and log fields). */
export function describeFailure(check: ChainCheck): {
  problem: string;
  id?: number;
  position?: number;
  code?: string;
} {
  if (check.broken) {
    const b = check.broken;
    return {
      problem: `entry ${b.id} (position ${b.position} of ${check.chainLength}): ${b.reason}`,
      id: b.id,
      position: b.position,
      code: b.code,
    };
  }
  const failed = check.anchors.find((a) => a.state !== "holds");
  if (!failed) return { problem: "nothing" };
  const { anchor } = failed;
  return failed.state === "cut"
    ? {
        problem: `the anchor of ${anchor.at} counts ${anchor.entries} entries (the last id ${anchor.lastId}), the log has ${check.chainLength}: entries were removed from the end`,
        position: anchor.entries,
        code: "cut",
      }
    : {
        problem: `the entry at position ${anchor.entries} is ${failed.found ? `id ${failed.found.id} with hash ${failed.found.hash}` : "missing"}, the anchor of ${anchor.at} names id ${anchor.lastId} with hash ${anchor.lastHash}: entries up to there were removed or the chain was rewritten`,
        position: anchor.entries,
        code: "rewritten",
      };
}
