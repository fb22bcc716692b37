#!/usr/bin/env node
/**
 * The `banditore` command: parses argv and hands the command to its file in cli/ (one per
 * group: serve/worker, migrate, tenants, users, audit, sandbox). bin/banditore.js and the npm
 * scripts run this file (dist/server/cli.js once built), so it stays here, next to its folder.
 */
import { parseArgs } from "node:util";
import { parseEnv } from "./config/env.js";
import { anchorAudit, verifyAudit } from "./cli/audit.js";
import { migrate } from "./cli/migrate.js";
import { print, type Exit } from "./cli/output.js";
import { runSandbox } from "./cli/sandbox.js";
import { serve, worker } from "./cli/serve.js";
import { checkTenants } from "./cli/tenants.js";
import { addUser } from "./cli/users.js";
import { ConfigError } from "./platform/errors.js";
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
  audit verify     check the audit log's keyed hash chain (AUDIT_KEY_SECRET); names the first
                   broken or forged entry. --anchor FILE also checks the chain against the
                   anchors in FILE (a cut tail, a rewritten chain). Exit 0 intact, 1 tampered,
                   3 AUDIT_KEY_SECRET is not the key that sealed the log
  audit anchor     check the chain and print its anchor (entries, last id, last hash) as a JSON
                   line; --out FILE checks the anchors already in FILE, then appends it. Keep
                   anchors where the database's writers cannot reach them
  sandbox          run the WhatsApp Cloud API sandbox alone (for benchmarks):
                   banditore sandbox --port 9090 --webhook http://127.0.0.1:8080/webhooks/whatsapp

Options:
  -h, --help       show this help
  -v, --version    print the version

Configuration comes from environment variables; see the README.`;

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
      anchor: { type: "string" },
      out: { type: "string" },
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
    case "worker":
      return worker(env);
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
      return verifyAudit(env, values.anchor);
    case "audit anchor":
      return anchorAudit(env, values.out);
    default:
      process.stderr.write(`Unknown command "${command}".\n\n${USAGE}\n`);
      return 2;
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
