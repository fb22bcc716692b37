import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { ConfigError, notFound } from "../platform/errors.js";
import type { Env } from "./env.js";
import { SECRET_KEY_PATTERN, tenantFileSchema, type TenantFile } from "./tenant-schema.js";

export interface TenantSecrets {
  accessToken: string;
  appSecret: string;
  verifyToken: string;
}

/** A comune as the running service knows it: its validated file plus its secrets. */
export interface Tenant extends TenantFile {
  /** The file it came from, relative to the working directory, for messages. */
  file: string;
  secrets: TenantSecrets;
}

export type WhatsAppMode = "sandbox" | "cloud";

/** docs/DESIGN.md §4: what a comune uses in sandbox mode when its secrets are unset. */
export const SANDBOX_SECRETS: TenantSecrets = Object.freeze({
  accessToken: "sandbox-access-token",
  appSecret: "sandbox-app-secret",
  verifyToken: "sandbox-verify-token",
});

interface ParsedFile {
  file: string;
  data?: TenantFile;
  problems: string[];
}

const SECRET_NAMES = ["accessToken", "appSecret", "verifyToken"] as const;

/**
 * Reads and validates every `*.yaml` / `*.yml` file in the tenants directory, then resolves
 * secrets for the mode. Throws one `ConfigError` listing every problem in every file, each as
 * "file: field.path: problem".
 */
export async function loadTenants(env: Env): Promise<{ tenants: Tenant[]; mode: WhatsAppMode }> {
  const files = await listTenantFiles(env.tenantsDir);
  const parsed = await Promise.all(files.map((f) => parseTenantFile(f)));
  const problems = parsed.flatMap((p) => p.problems);
  const valid = parsed.flatMap((p) => (p.data ? [{ file: p.file, data: p.data }] : []));
  problems.push(...crossFileProblems(valid));
  if (problems.length) throw new ConfigError("Invalid tenant configuration:", problems);

  const mode = resolveMode(
    env,
    valid.map((v) => v.data),
  );
  const secretProblems: string[] = [];
  const tenants = valid.map(({ file, data }) => {
    const secrets = { ...SANDBOX_SECRETS };
    for (const name of SECRET_NAMES) {
      const variable = data.whatsapp.secretsFromEnv[name];
      const value = env.vars[variable];
      if (value) secrets[name] = value;
      else if (mode === "cloud") {
        secretProblems.push(
          `${file}: whatsapp.secretsFromEnv.${name}: the environment variable ${variable} is not set (required outside sandbox mode)`,
        );
      }
    }
    // Not frozen: the settings saved from the console replace some sections of this object in
    // place (modules/tenants/settings.service.ts), so every part holding it reads them at once.
    return { ...data, file, secrets };
  });
  if (secretProblems.length) throw new ConfigError("Missing secrets:", secretProblems);
  return { tenants, mode };
}

async function listTenantFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new ConfigError(`Cannot read the tenants directory ${dir}: ${(error as Error).message}`);
  }
  const files = names.filter((n) => /\.ya?ml$/.test(n)).sort();
  if (!files.length) {
    throw new ConfigError(
      `No tenant files (*.yaml) in ${dir}: the service needs at least one comune.`,
    );
  }
  return files.map((n) => path.join(dir, n));
}

/**
 * YAML aliases (`*name`) a file may expand. The demo files use none; the yaml package's own
 * bound, stated here so that a nested alias bomb is refused, and quickly, whatever its default.
 */
const MAX_ALIAS_COUNT = 100;

export async function parseTenantFile(filePath: string): Promise<ParsedFile> {
  const file = path.relative(process.cwd(), filePath) || filePath;
  const source = await readFile(filePath, "utf8");
  const doc = parseDocument(source, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    return {
      file,
      problems: doc.errors.map((e) => `${file}: YAML syntax: ${e.message.split("\n")[0]}`),
    };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // An alias bomb ("billion laughs") stops here, named, before it expands.
    return { file, problems: [`${file}: YAML: ${(error as Error).message}`] };
  }
  const secretPaths = findWrittenSecrets(raw);
  const problems = secretPaths.map(
    (p) =>
      `${file}: ${p}: a secret must not be written in a tenant file; put it in an environment variable and write the variable's name under whatsapp.secretsFromEnv`,
  );

  // The input stays on each issue so that a value of the wrong type is told from a missing one;
  // formatIssue names only its type (a misplaced secret must not be echoed).
  const result = tenantFileSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (isAboutReportedSecret(issue, secretPaths)) continue;
      problems.push(`${file}: ${formatIssue(issue)}`);
    }
  }
  const expectedSlug = path.basename(filePath).replace(/\.ya?ml$/, "");
  if (result.success && result.data.slug !== expectedSlug) {
    problems.push(
      `${file}: slug: is "${result.data.slug}" but the file is named ${expectedSlug}.yaml; they must match`,
    );
  }
  return problems.length || !result.success
    ? { file, problems }
    : { file, data: result.data, problems };
}

export function formatIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length ? issue.path.map(String).join(".") : "(top level)";
  if (issue.code === "unrecognized_keys") {
    return `${where}: unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}`;
  }
  if (issue.code === "invalid_type") {
    // `ratePerSecond: fast` is a string where a number belongs, not a missing field.
    if (issue.input === undefined) return `${where}: is required`;
    const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
    if (issue.input === null) return `${where}: is empty; it must be ${expected}`;
    const found = typeNameOf(issue.input);
    // 1.5 where a whole number belongs: "not a number" would be wrong.
    if (issue.expected === "int" && found === "a number") return `${where}: must be ${expected}`;
    return `${where}: must be ${expected}, not ${found}`;
  }
  return `${where}: ${issue.message}`;
}

const TYPE_NAMES: Record<string, string> = {
  string: "text",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "a mapping (key: value lines)",
};

function typeNameOf(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return "text";
  if (typeof value === "number") return "a number";
  if (typeof value === "boolean") return "true or false";
  if (typeof value === "object") return "a mapping";
  return typeof value;
}

/** Paths of values that look like secrets written straight into the file. Values never echoed. */
function findWrittenSecrets(value: unknown, at: string[] = []): string[] {
  if (typeof value !== "object" || value === null) return [];
  const found: string[] = [];
  const inSecretsFromEnv = at.join(".") === "whatsapp.secretsFromEnv";
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const here = [...at, key];
    if (inSecretsFromEnv) {
      // Here a value must be a variable's name; anything else is probably the secret itself.
      if (typeof child === "string" && !/^[A-Z][A-Z0-9_]{2,}$/.test(child))
        found.push(here.join("."));
    } else if (SECRET_KEY_PATTERN.test(key)) {
      found.push(here.join("."));
    } else {
      found.push(...findWrittenSecrets(child, here));
    }
  }
  return found;
}

function isAboutReportedSecret(issue: z.core.$ZodIssue, secretPaths: string[]): boolean {
  const where = issue.path.map(String).join(".");
  if (secretPaths.includes(where)) return true;
  if (issue.code === "unrecognized_keys") {
    return issue.keys.every((k) => secretPaths.includes(where ? `${where}.${k}` : k));
  }
  return false;
}

function crossFileProblems(valid: { file: string; data: TenantFile }[]): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const { file, data } of valid) {
    for (const [field, value] of [
      ["whatsapp.phoneNumberId", data.whatsapp.phoneNumberId],
      ["whatsapp.displayNumber", data.whatsapp.displayNumber],
    ] as const) {
      const key = `${field}=${value}`;
      const other = seen.get(key);
      if (other)
        problems.push(`${file}: ${field}: is the same as in ${other}; each comune needs its own`);
      else seen.set(key, file);
    }
  }
  return problems;
}

function resolveMode(env: Env, files: TenantFile[]): WhatsAppMode {
  if (env.WHATSAPP_MODE !== "auto") return env.WHATSAPP_MODE;
  const anyToken = files.some((f) => Boolean(env.vars[f.whatsapp.secretsFromEnv.accessToken]));
  return anyToken ? "cloud" : "sandbox";
}

/** Finds the comune of the path, or 404 (the same answer as for a subscriber of another one). */
export function tenantFinder(tenants: readonly Tenant[]) {
  const bySlug = new Map(tenants.map((t) => [t.slug, t]));
  return (slug: string): Tenant => {
    const tenant = bySlug.get(slug);
    if (!tenant) throw notFound("Comune non trovato", "Comune not found");
    return tenant;
  };
}
