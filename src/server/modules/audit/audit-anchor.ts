import { z } from "zod";
import { ConfigError } from "../../platform/errors.js";
import { GENESIS_HASH } from "./audit-chain.js";

/**
 * An anchor: how long the audit chain was at a moment and the hash it ended with. The chain
 * alone cannot show that its newest entries were removed (what is left is a shorter chain that
 * holds), nor that someone holding the key re-sealed all of it; an anchor kept where the
 * database's writers cannot reach it shows both: the entry at position `entries` must still carry
 * `lastHash`.
 *
 * Written as one JSON line, with the same fields as the server's daily "audit.anchor" log line,
 * so an anchor file, a log file or a mail body with such lines can be checked alike.
 */
export interface AuditAnchor {
  event: "audit.anchor";
  /** When it was taken (ISO 8601). */
  at: string;
  /** Entries in the chain then. */
  entries: number;
  /** The id and hash of the last of them (0 and the genesis hash for an empty chain). */
  lastId: number;
  lastHash: string;
  /** The public id of the key the checker used then. */
  keyId: string;
}

const anchorSchema = z.object({
  event: z.literal("audit.anchor"),
  at: z.string(),
  entries: z.number().int().min(0),
  lastId: z.number().int().min(0),
  lastHash: z.string().regex(/^[0-9a-f]{64}$/),
  keyId: z.string(),
});

export function formatAnchor(anchor: AuditAnchor): string {
  const { event, at, entries, lastId, lastHash, keyId } = anchor;
  return JSON.stringify({ event, at, entries, lastId, lastHash, keyId });
}

/**
 * The anchors in a text of JSON lines. Lines that are not anchors (other log lines, a mail's
 * headers) are skipped; a line that says it is one but does not parse is an error, and so is a
 * text with none, so that a wrong file is not taken for "nothing to compare".
 */
export function parseAnchors(text: string, source: string): AuditAnchor[] {
  const anchors: AuditAnchor[] = [];
  const lines = text.split(/\r?\n/);
  for (const [index, line] of lines.entries()) {
    if (!line.includes('"audit.anchor"')) continue;
    const parsed = anchorSchema.safeParse(parseJson(line.slice(line.indexOf("{"))));
    if (!parsed.success) {
      throw new ConfigError(
        `${source}:${index + 1}: not a readable audit anchor (expected {"event":"audit.anchor","at","entries","lastId","lastHash","keyId"})`,
      );
    }
    anchors.push(parsed.data);
  }
  if (!anchors.length) throw new ConfigError(`${source}: no audit anchor in it`);
  return anchors;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export type AnchorState =
  /** The entry at the anchor's position carries its hash. */
  | "holds"
  /** The chain is shorter than the anchor: entries were removed from the end. */
  | "cut"
  /** The entry at the anchor's position carries another hash: entries were removed or re-sealed. */
  | "rewritten"
  /** The chain breaks before the anchor's position, so it was not compared. */
  | "unchecked";

export interface AnchorCheck {
  anchor: AuditAnchor;
  state: AnchorState;
  /** What the chain has at the anchor's position, when it reaches it. */
  found?: { id: number; hash: string };
}

/**
 * Compares anchors with the chain: `at(position)` is the entry the walk saw there (undefined
 * beyond the end), `reached` the number of entries that held.
 */
export function compareAnchors(
  anchors: readonly AuditAnchor[],
  reached: number,
  chainLength: number,
  at: (position: number) => { id: number; hash: string } | undefined,
): AnchorCheck[] {
  return anchors.map((anchor): AnchorCheck => {
    if (anchor.entries > chainLength) return { anchor, state: "cut" };
    if (anchor.entries > reached) return { anchor, state: "unchecked" };
    const found = at(anchor.entries);
    const holds = found
      ? found.hash === anchor.lastHash && found.id === anchor.lastId
      : anchor.entries === 0 && anchor.lastHash === GENESIS_HASH;
    return { anchor, state: holds ? "holds" : "rewritten", ...(found ? { found } : {}) };
  });
}
