#!/usr/bin/env node
// Builds the staff console (vite.config.ts → dist/console/) when the build is missing or older
// than any of its sources, so `npm start` builds it once and a second start costs a few
// milliseconds. `--force` builds anyway. Plain JavaScript: it runs before anything is compiled.
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const built = path.join(root, "dist/console/index.html");
const sources = [
  path.join(root, "src/console"),
  path.join(root, "vite.config.ts"),
  path.join(root, "package-lock.json"),
];

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

export function consoleBuildIsStale() {
  const output = statSync(built, { throwIfNoEntry: false });
  if (!output) return true;
  return Math.max(...sources.map((s) => newestIn(s))) > output.mtimeMs;
}

export async function buildConsole({ force = false, quiet = false } = {}) {
  if (!force && !consoleBuildIsStale()) return false;
  const started = Date.now();
  // The production build whatever the caller's NODE_ENV (a test runner sets "test", which
  // would give React's development build).
  process.env.NODE_ENV = "production";
  const { build } = await import("vite");
  await build({
    configFile: path.join(root, "vite.config.ts"),
    mode: "production",
    logLevel: quiet ? "silent" : "warn",
  });
  if (!quiet) console.log(`console built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildConsole({ force: process.argv.includes("--force") });
}
