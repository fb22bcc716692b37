/**
 * `banditore users add`: a staff account (or a role for one) and its one-time setup link. The
 * accounts service comes from wiring.ts (wireStaff) on the database as the server would open it.
 */
import { z } from "zod";
import type { Env } from "../config/env.js";
import { SETUP_LINK_MS } from "../modules/staff/accounts.service.js";
import { hasForbiddenCharacter } from "../modules/staff/names.js";
import { ConfigError } from "../platform/errors.js";
import { ROLES, type Role } from "../platform/http/access.js";
import { createLogger } from "../platform/log.js";
import { prepareFoundation, wireStaff } from "../wiring.js";
import { print, type Exit } from "./output.js";

const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

export async function addUser(
  env: Env,
  options: {
    email: string | undefined;
    tenant: string | undefined;
    role: string | undefined;
    name: string | undefined;
    instanceAdmin: boolean;
  },
): Promise<Exit> {
  const problems: string[] = [];
  const email = options.email?.trim() ?? "";
  if (!z.email().safeParse(email).success) problems.push("--email: an e-mail address is required");
  if (!options.instanceAdmin && (!options.tenant || !options.role)) {
    problems.push("--tenant and --role: required (unless --instance-admin)");
  }
  if ((options.tenant === undefined) !== (options.role === undefined)) {
    problems.push("--tenant and --role: give both or neither");
  }
  const role = options.role;
  if (role !== undefined && !isRole(role)) problems.push(`--role: one of ${ROLES.join(", ")}`);
  if (options.name !== undefined && hasForbiddenCharacter(options.name)) {
    problems.push("--name: must not contain control characters (new lines, tabs) or bidi controls");
  }
  if (problems.length) throw new ConfigError("banditore users add:", problems);
  // The database as the server would open it: migrated, the comuni's rows written.
  const foundation = await prepareFoundation(env, createLogger("silent"));
  const { database, tenants } = foundation;
  try {
    if (options.tenant && !tenants.some((t) => t.slug === options.tenant)) {
      throw new ConfigError(
        `--tenant: no comune "${options.tenant}" (known: ${tenants.map((t) => t.slug).join(", ")})`,
      );
    }
    const { accounts } = wireStaff(foundation);
    const result = await accounts.addUserFromCommandLine({
      email,
      displayName: options.name?.trim() || email,
      tenantId: options.tenant,
      role: role !== undefined && isRole(role) ? role : undefined,
      instanceAdmin: options.instanceAdmin,
    });
    const what = [
      options.tenant ? `${options.role} of ${options.tenant}` : undefined,
      options.instanceAdmin ? "instance administrator" : undefined,
    ]
      .filter(Boolean)
      .join(" and ");
    const lines = [`User ${email.toLowerCase()} (id ${result.userId}) is now ${what}.`];
    if (result.setupLink) {
      lines.push(
        "",
        `One-time setup link (valid ${SETUP_LINK_MS / 3_600_000} hours; give it to the person only):`,
        result.setupLink,
        ...setupLinkNote(env),
        "",
        "Opened in a browser, the link lets the person choose a password, set up an authenticator",
        "app (two-factor login) and save the recovery codes; then they log in at /console/.",
      );
    } else {
      lines.push("The account already has a password: no setup link was made.");
    }
    return print(lines.join("\n"));
  } finally {
    await database.close();
  }
}

/**
 * Where the link's address came from, when it is a guess: PUBLIC_URL is the address staff open;
 * without it the link assumes this machine on the configured PORT, which is right only on the
 * server itself.
 */
function setupLinkNote(env: Env): string[] {
  if (env.PUBLIC_URL !== undefined) return [];
  const example = "PUBLIC_URL=https://banditore.comune.example.it";
  if (env.PORT === 0) {
    return [
      "",
      "PORT=0 lets the system pick the port at start, so this link cannot name it: set",
      `PUBLIC_URL to the address staff reach the server at (e.g. ${example}) and run this again.`,
    ];
  }
  if (env.vars.PORT) {
    return [
      "",
      `PUBLIC_URL is not set: the link assumes the server is reached at ${env.publicUrl} (PORT=${env.PORT}).`,
      `If staff reach it at another address, set PUBLIC_URL (e.g. ${example}) and run this again.`,
    ];
  }
  return [
    "",
    `Address assumed: neither PUBLIC_URL nor PORT is set, so the link uses ${env.publicUrl}, the default.`,
    `Set PUBLIC_URL to the address staff reach the server at (e.g. ${example}), or PORT if the`,
    "server listens on another port, and run this again for a link that works.",
  ];
}
