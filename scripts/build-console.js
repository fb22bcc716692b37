#!/usr/bin/env node
// Builds the staff console (vite.config.ts → dist/console/) when the build is missing or older
// than any of its sources, so `npm start` builds it once and a second start costs a few
// milliseconds. `--force` builds anyway. Plain JavaScript: it runs before anything is compiled.
import path from "node:path";
import { isRunDirectly, isStale, root, tookSince } from "./stale-build.js";

const built = path.join(root, "dist/console/index.html");
const sources = ["src/console", "vite.config.ts", "package-lock.json"];

export function consoleBuildIsStale() {
  return isStale(built, sources);
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
  if (!quiet) console.log(`console built in ${tookSince(started)}`);
  return true;
}

if (isRunDirectly(import.meta.url)) {
  await buildConsole({ force: process.argv.includes("--force") });
}
