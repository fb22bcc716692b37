import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// A room of a readable size: a production file under src/ over 400 lines says why in its
// opening comment ("Over 400 lines for a reason: …"), so a long file is a decision, not drift.

const LIMIT = 400;
const REASON = "Over 400 lines for a reason";

/** Every file under src/, by a walk of the tree: CI's Node 24 run works in a copy without git. */
function productionFiles(): string[] {
  const listed = readdirSync("src", { recursive: true, encoding: "utf8" }).map((f) =>
    path.posix.join("src", f.split(path.sep).join("/")),
  );
  return listed.filter(
    (f) =>
      /\.tsx?$/.test(f) &&
      !/\.test\.tsx?$/.test(f) &&
      !f.startsWith("src/server/test/") &&
      // Generated from the OpenAPI document (npm run console:api).
      f !== "src/console/api/schema.d.ts",
  );
}

/** The file's first block comment: its opening comment, wherever the imports end. */
function openingComment(text: string): string {
  const start = text.indexOf("/**");
  return start < 0 ? "" : text.slice(start, text.indexOf("*/", start));
}

describe("file sizes", () => {
  it(`gives a reason in the opening comment of every production file over ${LIMIT} lines`, () => {
    const unexplained = productionFiles().filter((file) => {
      const text = readFileSync(file, "utf8");
      return text.split("\n").length > LIMIT && !openingComment(text).includes(REASON);
    });
    expect(unexplained).toEqual([]);
  });
});
