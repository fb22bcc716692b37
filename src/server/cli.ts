#!/usr/bin/env node
import { parseArgs } from "node:util";
import { parseEnv, type Env } from "./config/env.js";
import { loadTenants } from "./config/tenants.js";
import { startServer, startWorker, stopOnSignal } from "./server.js";
import { sandboxNumbersFromTenants, startStandaloneSandbox } from "./modules/sandbox/sandbox.js";
import { openDatabase } from "./platform/db/connect.js";
import { migrateToLatest } from "./platform/db/migrate.js";
import { z } from "zod";
import { verifyAuditChain } from "./modules/audit/audit.service.js";
import { SETUP_LINK_MS, Staff } from "./modules/staff/staff.service.js";
import { syncTenants } from "./modules/tenants/tenants.service.js";
import { systemClock } from "./platform/clock.js";
import { ConfigError } from "./platform/errors.js";
import { ROLES, type Role } from "./platform/http/access.js";
import { createLogger } from "./platform/log.js";
import { VERSION } from "./platform/package-info.js";

const USAGE = `Banditore ${VERSION}: the WhatsApp information channel of Italian comuni

Usage: banditore [command]

Commands:
  serve            start the server (the default)
  worker           send only (no HTTP): scale-out on PostgreSQL, with web processes on DISPATCH=off
  migrate          apply the database migrations and exit
  tenants check    validate config/tenants/*.yaml and print a summary
  users add        create a staff account (or give a role to one) and print its setup link:
                   banditore users add --email sindaco@comune.it --tenant concorezzo --role owner
                   [--name "Nome Cognome"] [--instance-admin]
  audit verify     check the audit log's hash chain; names the first broken entry (exit 1)
  sandbox          run the WhatsApp Cloud API sandbox alone (for benchmarks):
                   banditore sandbox --port 9090 --webhook http://127.0.0.1:8080/webhooks/whatsapp

Options:
  -h, --help       show this help
  -v, --version    print the version

Configuration comes from environment variables; see the README.`;

type Exit = number;

const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

async function main(argv: string[]): Promise<Exit> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
      port: { type: "string" },
      webhook: { type: "string" },
      email: { type: "string" },
      tenant: { type: "string" },
      role: { type: "string" },
      name: { type: "string" },
      "instance-admin": { type: "boolean" },
    },
  });
  if (values.help) return print(USAGE);
  if (values.version) return print(VERSION);

  const command = positionals.join(" ") || "serve";
  const env = parseEnv(process.env);
  switch (command) {
    case "serve":
      return serve(env);
    case "migrate":
      return migrate(env);
    case "worker": {
      const log = createLogger(env.LOG_LEVEL);
      return stopOnSignal(await startWorker(env, { log }), log, env.SHUTDOWN_TIMEOUT_MS);
    }
    case "tenants check":
      return checkTenants(env);
    case "sandbox":
      return runSandbox(env, values.port, values.webhook);
    case "users add":
      return addUser(env, {
        email: values.email,
        tenant: values.tenant,
        role: values.role,
        name: values.name,
        instanceAdmin: values["instance-admin"] ?? false,
      });
    case "audit verify":
      return verifyAudit(env);
    default:
      process.stderr.write(`Unknown command "${command}".\n\n${USAGE}\n`);
      return 2;
  }
}

function print(text: string): Exit {
  process.stdout.write(`${text}\n`);
  return 0;
}

async function serve(env: Env): Promise<Exit> {
  const log = createLogger(env.LOG_LEVEL);
  const server = await startServer(env, { log });
  return stopOnSignal(server, log, env.SHUTDOWN_TIMEOUT_MS);
}

async function runSandbox(
  env: Env,
  port: string | undefined,
  webhook: string | undefined,
): Promise<Exit> {
  const portNumber = Number(port ?? "9090");
  if (!Number.isInteger(portNumber) || portNumber < 0 || portNumber > 65535) {
    throw new ConfigError(`--port: "${port}" is not a port number (0–65535)`);
  }
  if (!webhook || !/^https?:\/\//.test(webhook)) {
    throw new ConfigError(
      "--webhook: the URL the sandbox posts webhooks to is required, e.g. --webhook http://127.0.0.1:8080/webhooks/whatsapp",
    );
  }
  const log = createLogger(env.LOG_LEVEL);
  const { tenants } = await loadTenants(env);
  const sandbox = await startStandaloneSandbox({
    port: portNumber,
    host: env.HOST,
    webhookUrl: webhook,
    numbers: sandboxNumbersFromTenants(tenants),
    log,
  });
  log.info(
    { event: "sandbox.started", url: sandbox.url },
    `Sandbox serving the Graph API at ${sandbox.url}/sandbox/graph`,
  );
  return new Promise<Exit>((resolve) => {
    const stop = () => {
      void sandbox.close().then(() => resolve(0));
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
}

async function migrate(env: Env): Promise<Exit> {
  const log = createLogger(env.LOG_LEVEL);
  const database = openDatabase({ url: env.DATABASE_URL, dataDir: env.dataDir, log });
  try {
    const results = await migrateToLatest(database.db);
    const names = results.map((r) => r.migrationName);
    process.stdout.write(
      names.length
        ? `Applied ${names.length} migration(s) to ${database.engine} at ${database.location}: ${names.join(", ")}\n`
        : `Nothing to apply: ${database.engine} at ${database.location} is up to date.\n`,
    );
    return 0;
  } finally {
    await database.close();
  }
}

async function checkTenants(env: Env): Promise<Exit> {
  const { tenants, mode } = await loadTenants(env);
  const lines = [
    `${tenants.length} comuni in ${env.tenantsDir} are valid (WhatsApp ${mode} mode):`,
    "",
  ];
  for (const t of tenants) {
    const hours = t.serviceHours?.description.it ?? "no stated hours";
    lines.push(
      `${t.slug}  ${t.name} — ${t.serviceName}`,
      `  number +${t.whatsapp.displayNumber} (phone-number id ${t.whatsapp.phoneNumberId}), ${t.whatsapp.ratePerSecond} msg/s`,
      `  subscribe ${t.keywords.subscribe.map((k) => `"${k}"`).join(", ")} / unsubscribe ${t.keywords.unsubscribe.map((k) => `"${k}"`).join(", ")} (${t.keywords.form})${t.subscription.confirmationStep ? ", with confirmation" : ""}`,
      `  hours: ${hours}; topics: ${t.topics.length ? t.topics.map((x) => x.id).join(", ") : "none"}`,
      `  regulation v${t.documents.regulation.version} (${t.documents.regulation.date}), privacy notice v${t.documents.privacyNotice.version} (${t.documents.privacyNotice.date})`,
      `  secrets from ${Object.values(t.whatsapp.secretsFromEnv).join(", ")}${mode === "sandbox" ? " (sandbox values where unset)" : ""}`,
      "",
    );
  }
  process.stdout.write(lines.join("\n"));
  return 0;
}

/** The database as the server would open it: migrated, the comuni's rows written. */
async function openPrepared(env: Env) {
  const log = createLogger("silent");
  const { tenants } = await loadTenants(env);
  const database = openDatabase({ url: env.DATABASE_URL, dataDir: env.dataDir, log });
  try {
    await migrateToLatest(database.db);
    await syncTenants(database.db, tenants, systemClock, log);
  } catch (error) {
    await database.close();
    throw error;
  }
  return { database, tenants, log };
}

async function addUser(
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
  if (problems.length) throw new ConfigError("banditore users add:", problems);
  const { database, tenants, log } = await openPrepared(env);
  try {
    if (options.tenant && !tenants.some((t) => t.slug === options.tenant)) {
      throw new ConfigError(
        `--tenant: no comune "${options.tenant}" (known: ${tenants.map((t) => t.slug).join(", ")})`,
      );
    }
    const staff = new Staff({
      db: database.db,
      clock: systemClock,
      log,
      publicUrl: env.publicUrl,
      sessionIdleMs: env.SESSION_IDLE_MINUTES * 60_000,
      sessionMaxMs: env.SESSION_MAX_HOURS * 3_600_000,
    });
    const result = await staff.addUserFromCommandLine({
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
        "",
        "The console page reads the token after #token= and sends it with the new password to",
        "POST /api/auth/setup; then POST /api/auth/totp/enrol and /api/auth/totp/confirm enable TOTP.",
      );
    } else {
      lines.push("The account already has a password: no setup link was made.");
    }
    return print(lines.join("\n"));
  } finally {
    await database.close();
  }
}

async function verifyAudit(env: Env): Promise<Exit> {
  const log = createLogger("silent");
  const database = openDatabase({ url: env.DATABASE_URL, dataDir: env.dataDir, log });
  try {
    const result = await verifyAuditChain(database.db);
    if (result.broken) {
      process.stderr.write(
        `Audit chain BROKEN at entry ${result.broken.id}: ${result.broken.reason}.\n` +
          `${result.checked - 1} entries before it hold.\n`,
      );
      return 1;
    }
    return print(
      `Audit chain intact: ${result.checked} entries, last hash ${result.lastHash}.\n` +
        "Keep the last hash elsewhere: a later check that does not reach it shows entries removed from the end.",
    );
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`Banditore cannot start. ${error.message}\n`);
    } else {
      process.stderr.write(
        `Banditore failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
    }
    process.exit(1);
  },
);
