import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/*
 * The repository explains itself: a person who clones it can follow every link in its Markdown
 * and every document a comment cites. Nothing may point to a folder beside the checkout, where
 * the project's notes once lived and a clone does not have them.
 */

const root = fileURLToPath(new URL("../../", import.meta.url));
const self = path.relative(root, fileURLToPath(import.meta.url));

/** Folders that are built, installed or local data, never part of a clone. */
const SKIPPED_DIRS = new Set([".git", "node_modules", "dist", "data", "coverage"]);
const CODE_EXTENSIONS = [".ts", ".js", ".mjs", ".cjs", ".css", ".html", ".yml", ".yaml"];

/**
 * Tracked files plus new ones not ignored (so a page added in a worktree is checked before its
 * commit); a walk of the tree where there is no git (a tarball).
 */
function repositoryFiles(): string[] {
  try {
    const out = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
      cwd: root,
      encoding: "utf8",
    });
    return out
      .split("\n")
      .filter((file) => file !== "" && existsSync(path.join(root, file)))
      .filter((file) => !file.split("/").some((part) => SKIPPED_DIRS.has(part)));
  } catch {
    return walk("");
  }
}

function walk(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : walk(relative);
    return entry.isFile() ? [relative] : [];
  });
}

const files = repositoryFiles();
const markdownFiles = files.filter((file) => file.endsWith(".md"));
const codeFiles = files.filter(
  (file) => file !== self && CODE_EXTENSIONS.some((extension) => file.endsWith(extension)),
);
const read = (file: string) => readFileSync(path.join(root, file), "utf8");

const blank = (text: string) => text.replace(/[^\n]/g, " ");

/** Fenced blocks blanked out (line count kept): a `#` line in a shell example is no heading. */
function withoutFences(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, blank);
}

/** Fenced blocks and inline code spans blanked out, so the text in them is not a link. */
function withoutCode(markdown: string): string {
  return withoutFences(markdown).replace(/(`+)[^`\n][\s\S]*?\1/g, blank);
}

interface Link {
  line: number;
  target: string;
}

/** Inline links and images `[text](target "title")` and reference definitions `[id]: target`. */
function linksOf(markdown: string): Link[] {
  const text = withoutCode(markdown);
  const lineAt = (index: number) => text.slice(0, index).split("\n").length;
  const links: Link[] = [];
  for (const match of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    links.push({ line: lineAt(match.index), target: match[1] ?? "" });
  }
  for (const match of text.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)) {
    links.push({ line: lineAt(match.index), target: match[1] ?? "" });
  }
  return links;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[`*]/g, "")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** Every anchor a page offers: its headings (duplicates numbered as GitHub does) and HTML ids. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of withoutFences(markdown).matchAll(/^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(match[1] ?? "");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  for (const match of markdown.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1] ?? "");
  return anchors;
}

/** Where a link goes wrong, or undefined when it resolves inside the repository. */
function problemOf(from: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//")) return undefined;
  const [rawPath = "", anchor] = target.split("#", 2);
  const filePath = decodeURIComponent(rawPath);
  const resolved =
    filePath === ""
      ? from
      : path.posix.normalize(path.posix.join(path.posix.dirname(from), filePath));
  if (resolved.startsWith("../") || path.posix.isAbsolute(resolved)) return "leaves the repository";
  const absolute = path.join(root, resolved);
  if (!existsSync(absolute)) return `${resolved} does not exist`;
  if (anchor === undefined || anchor === "" || !resolved.endsWith(".md")) return undefined;
  if (statSync(absolute).isDirectory()) return undefined;
  return anchorsOf(read(resolved)).has(decodeURIComponent(anchor).toLowerCase())
    ? undefined
    : `${resolved} has no heading #${anchor}`;
}

/**
 * A path to the sibling folder of notes: `../shared/…` at any depth, or a bare `shared/…` at the
 * start of a path (not `src/shared/`, which would be ours and is checked by existence).
 */
const OUTSIDE_NOTES = /(?:(?:\.\.\/)+|(?<![\w./-]))shared\/[\w./-]*/g;

function outsideMentions(file: string, text = read(file)): string[] {
  return [...text.matchAll(OUTSIDE_NOTES)]
    .filter((match) => !existsSync(path.join(root, path.posix.dirname(file), match[0])))
    .map((match) => `${file}:${text.slice(0, match.index).split("\n").length}: ${match[0]}`);
}

/**
 * A page named by its file name alone (`performance-baseline.md §2.3`, `DESIGN.md §4`): some file
 * of the repository must have that name, or the reader has nowhere to look.
 */
function unknownPages(file: string): string[] {
  const names = new Set(files.map((name) => path.posix.basename(name)));
  const text = read(file);
  return [...text.matchAll(/(?<![\w.-])[\w-]+\.md\b/g)]
    .filter((match) => !names.has(match[0]))
    .map((match) => `${file}:${text.slice(0, match.index).split("\n").length}: ${match[0]}`);
}

/** `docs/<page>.md §3.4` in a comment or page: the page exists and has a heading numbered so. */
const SECTION_CITATION = /\b(docs\/[\w-]+\.md) (?:§\s?([0-9]+[a-z]?(?:\.[0-9]+)*)|(R[0-9]+)\b)/g;

function headingNumbers(markdown: string): Set<string> {
  const numbers = new Set<string>();
  for (const match of withoutFences(markdown).matchAll(
    /^ {0,3}#{1,6}\s+§?([0-9]+[a-z]?(?:\.[0-9]+)*)[.\s]/gm,
  )) {
    numbers.add(match[1] ?? "");
  }
  // Requirement ids (R1…R14) are rows of DESIGN's table, cited like sections.
  for (const match of markdown.matchAll(/^\|\s*(R[0-9]+)\s*\|/gm)) numbers.add(match[1] ?? "");
  return numbers;
}

function brokenCitations(file: string, text = read(file)): string[] {
  return [...text.matchAll(SECTION_CITATION)].flatMap((match) => {
    const [, page = "", number, requirement] = match;
    const section = number ?? requirement ?? "";
    const where = `${file}:${text.slice(0, match.index).split("\n").length}: ${page} §${section}`;
    if (!existsSync(path.join(root, page))) return [`${where} (no such page)`];
    return headingNumbers(read(page)).has(section) ? [] : [`${where} (no such section)`];
  });
}

describe("the repository stands alone", () => {
  it("finds the Markdown it checks", () => {
    expect(markdownFiles).toEqual(expect.arrayContaining(["README.md", "docs/ARCHITECTURE.md"]));
    expect(codeFiles.length).toBeGreaterThan(100);
  });

  it("every relative link in its Markdown resolves to a file (and heading) inside it", () => {
    const broken = markdownFiles.flatMap((file) =>
      linksOf(read(file)).flatMap(({ line, target }) => {
        const problem = problemOf(file, target);
        return problem === undefined ? [] : [`${file}:${line}: (${target}) ${problem}`];
      }),
    );
    expect(broken).toEqual([]);
  });

  it("no page or source file points to the notes folder beside the checkout", () => {
    const mentions = [...markdownFiles, ...codeFiles].flatMap((file) => outsideMentions(file));
    expect(mentions).toEqual([]);
  });

  it("every page a file names by its file name is in the repository", () => {
    const unknown = [...markdownFiles, ...codeFiles].flatMap((file) => unknownPages(file));
    expect(unknown).toEqual([]);
  });

  it("every `docs/… §n` citation names a section the page has", () => {
    const broken = [...markdownFiles, ...codeFiles].flatMap((file) => brokenCitations(file));
    expect(broken).toEqual([]);
  });
});

describe("the link checker itself", () => {
  it("reads inline, titled and reference links, not code", () => {
    const page = [
      'See [a](docs/a.md) and ![img](img.png "title").',
      "`[not](a link)` and",
      "```",
      "[nor](this)",
      "```",
      "[ref]: ../outside.md",
    ].join("\n");
    expect(linksOf(page)).toEqual([
      { line: 1, target: "docs/a.md" },
      { line: 1, target: "img.png" },
      { line: 6, target: "../outside.md" },
    ]);
  });

  it("finds a missing file, a path out of the repository and a missing heading", () => {
    expect(problemOf("README.md", "docs/ARCHITECTURE.md")).toBeUndefined();
    expect(problemOf("README.md", "https://example.org/x.md")).toBeUndefined();
    expect(problemOf("README.md", "docs/nothing-here.md")).toBe(
      "docs/nothing-here.md does not exist",
    );
    expect(problemOf("docs/CONTEXT.md", "../../shared/DESIGN.md")).toBe("leaves the repository");
    expect(problemOf("README.md", "docs/ARCHITECTURE.md#no-such-heading")).toBe(
      "docs/ARCHITECTURE.md has no heading #no-such-heading",
    );
  });

  it("finds paths to the notes beside the checkout, not paths of ours", () => {
    const text =
      "see ../shared/DESIGN.md, `../../../shared/x.md`, shared/STYLE.md; src/shared/y.ts";
    expect(outsideMentions("src/a.ts", text)).toEqual([
      "src/a.ts:1: ../shared/DESIGN.md",
      "src/a.ts:1: ../../../shared/x.md",
      "src/a.ts:1: shared/STYLE.md",
    ]);
  });

  it("finds a cited section or requirement the page does not have", () => {
    const text = [
      "docs/whatsapp-cloud-api.md §3.4 and docs/whatsapp-cloud-api.md §3.99",
      "docs/DESIGN.md R9 and docs/DESIGN.md R99, docs/nothing.md §1",
    ].join("\n");
    expect(brokenCitations("src/a.ts", text)).toEqual([
      "src/a.ts:1: docs/whatsapp-cloud-api.md §3.99 (no such section)",
      "src/a.ts:2: docs/DESIGN.md §R99 (no such section)",
      "src/a.ts:2: docs/nothing.md §1 (no such page)",
    ]);
  });

  it("makes GitHub's anchors, numbering repeated headings", () => {
    const anchors = anchorsOf("# §3.4 Statuses (`statuses[]`)\n## Notes\n## Notes\n");
    expect([...anchors]).toEqual(["34-statuses-statuses", "notes", "notes-1"]);
  });
});
