#!/usr/bin/env node
// `npm start` and `npm run build`: compiles the server (tsc → dist/server/) and builds the
// console (vite → dist/console/), each only when its output is missing or older than any of its
// sources, so a second start skips both (tsc alone costs about 15 s and half a gigabyte).
// `--force` builds both anyway. Plain JavaScript: it runs before anything is compiled.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { buildConsole } from "./build-console.js";
import { isRunDirectly, isStale, root, tookSince } from "./stale-build.js";

// Written after a successful compile: tsc leaves unchanged outputs' times alone in some modes,
// and a failed compile must not look like a finished one.
const stamp = path.join(root, "dist/server/.built");
const sources = ["src/server", "tsconfig.json", "tsconfig.build.json", "package-lock.json"];

/** Tests are left out of the build: changing one needs no compile. */
const isTest = (file, stat) =>
  stat.isDirectory() ? path.basename(file) === "test" : file.endsWith(".test.ts");

export function serverBuildIsStale() {
  return isStale(stamp, sources, isTest);
}

export function buildServer({ force = false } = {}) {
  if (!force && !serverBuildIsStale()) return false;
  const started = Date.now();
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", path.join(root, "tsconfig.build.json")], {
    stdio: "inherit",
  });
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
  console.log(`server compiled in ${tookSince(started)}`);
  return true;
}

if (isRunDirectly(import.meta.url)) {
  const force = process.argv.includes("--force");
  try {
    buildServer({ force });
  } catch {
    // tsc printed what is wrong.
    process.exit(1);
  }
  await buildConsole({ force });
}
