import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The fitness tests of the lifecycle tables (citizens/subscriber-status.test.ts,
 * dispatch/broadcast-status.test.ts): where production code writes a table's `status` column.
 */

/** src/server/, whose production files the fitness tests read. */
export const SERVER_DIR = fileURLToPath(new URL("../", import.meta.url));

/** The server's production files under `dir`: no tests, nothing under a `test` folder. */
export function productionFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "test" ? [] : productionFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

/** A key of `.set({…})` / `.values({…})`, a column of `.columns([…])`, or SQL's `SET … status =`. */
const NAMES_STATUS = [
  /\bstatus\s*:/,
  /columns\(\s*\[[^\]]*["'`]status["'`]/,
  /\bset\b(?:(?!\bwhere\b)[\s\S])*\bstatus\s*=/i,
];

/**
 * Where `source` writes `table`.status: the enclosing function of each write. A write is an
 * UPDATE or INSERT of the table (Kysely or SQL text) that names `status` before it executes.
 */
export function statusWrites(source: string, table: string): string[] {
  const write = new RegExp(
    `(?:updateTable|insertInto)\\(\\s*["'\`]${table}(?:\\s+as\\s+\\w+)?["'\`]|\\b(?:update|insert\\s+into)\\s+"?${table}\\b`,
    "gi",
  );
  const found: string[] = [];
  for (const match of source.matchAll(write)) {
    const rest = source.slice(match.index, match.index + 2000);
    const end = rest.search(/\.execute\w*\(|;\s*$/m);
    const statement = end === -1 ? rest : rest.slice(0, end);
    if (!NAMES_STATUS.some((pattern) => pattern.test(statement))) continue;
    const before = source.slice(0, match.index);
    const names = [...before.matchAll(/function\s+(\w+)/g)];
    found.push(names.at(-1)?.[1] ?? "(top level)");
  }
  return found;
}

/**
 * The writes of `table`.status in the server's production code that `allowed` does not list
 * (file relative to src/server/ → enclosing functions), each as `file: function`.
 */
export function unlistedStatusWrites(table: string, allowed: Record<string, string[]>): string[] {
  const offending: string[] = [];
  for (const file of productionFiles(SERVER_DIR)) {
    const name = relative(SERVER_DIR, file).split("\\").join("/");
    const listed = allowed[name] ?? [];
    for (const where of statusWrites(readFileSync(file, "utf8"), table)) {
      if (!listed.includes(where)) offending.push(`${name}: ${where}`);
    }
  }
  return offending;
}
