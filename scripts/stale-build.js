// What scripts/build.js and scripts/build-console.js share: whether an output is older than its
// sources, and whether a script was run itself rather than imported. Plain JavaScript: it runs
// before anything is compiled.
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** The newest modification time under `file`, passing over what `skip` names. */
export function newestIn(file, skip = () => false) {
  const stat = statSync(file, { throwIfNoEntry: false });
  if (!stat || skip(file, stat)) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(file)) {
    newest = Math.max(newest, newestIn(path.join(file, entry), skip));
  }
  return newest;
}

/**
 * Whether `output` is missing or older than any file under `sources` (paths from the repository's
 * root) but those `skip` names.
 */
export function isStale(output, sources, skip) {
  const built = statSync(output, { throwIfNoEntry: false });
  if (!built) return true;
  return Math.max(...sources.map((s) => newestIn(path.join(root, s), skip))) > built.mtimeMs;
}

/** Whether the module at `moduleUrl` (its import.meta.url) is the script node was asked to run. */
export function isRunDirectly(moduleUrl) {
  return !!process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(moduleUrl);
}

/** "… in 1.2 s", the time since `started` (a Date.now()). */
export function tookSince(started) {
  return `${((Date.now() - started) / 1000).toFixed(1)} s`;
}
