import { isIP } from "node:net";
import path from "node:path";
import { z } from "zod";
import { ConfigError } from "../platform/errors.js";

/**
 * The process's settings, read once from the environment at start. Nothing else in the code
 * reads `process.env`: the parsed, frozen `Env` is passed down.
 */
const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default("0.0.0.0"),
  /** Where the SQLite file and media live. */
  DATA_DIR: z.string().min(1).default("./data"),
  /** A postgres:// URL selects PostgreSQL; unset means SQLite under DATA_DIR. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL (unset for SQLite)")
    .optional(),
  /** Connections per process in the PostgreSQL pool. */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  TENANTS_DIR: z.string().min(1).default("./config/tenants"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /**
   * sandbox: the built-in stand-in for Meta answers every call (no credentials needed).
   * cloud: Meta's Cloud API; every comune's secrets must be set.
   * auto (default): cloud when any comune's access-token variable is set, sandbox otherwise.
   */
  WHATSAPP_MODE: z.enum(["auto", "sandbox", "cloud"]).default("auto"),
  WHATSAPP_GRAPH_URL: z.url().default("https://graph.facebook.com"),
  WHATSAPP_API_VERSION: z
    .string()
    .regex(/^v\d+\.\d+$/, "must look like v25.0")
    .default("v25.0"),
  /**
   * on: this process sends (it takes the dispatch lease of each number it can); off: a web-only
   * process in a scale-out deployment, where `banditore worker` processes send.
   */
  DISPATCH: z.enum(["on", "off"]).default("on"),
  /**
   * Which processes handle the stored webhook events (the citizens' conversation, statuses,
   * account updates). serve (default): every `banditore serve`, right after it stored them.
   * worker: `serve` only stores them and answers Meta; `banditore worker` processes handle
   * them (polling the queue), so the process that answers Meta does nothing else. Both
   * processes must be given the same value.
   */
  INBOUND_PROCESSOR: z.enum(["serve", "worker"]).default("serve"),
  /**
   * How long a message may stay "in flight" (its request left, no answer and no status webhook
   * naming it) before it is sent again: after a crash, or an answer lost to a timeout. It must be
   * longer than Meta takes to deliver a status webhook, retries included, or a message Meta did
   * accept could go out twice; the default leaves a wide margin.
   */
  DISPATCH_IN_FLIGHT_GRACE_MS: z.coerce.number().int().min(1_000).default(30_000),
  /**
   * The same wait for the messages an earlier process left in flight (a crash, a kill, a
   * worker that died), counted from when this process took the number over. While no process
   * listened, their status webhooks could not arrive: Meta retries a webhook at once and then
   * less and less often (for up to 7 days), so after an outage of a few minutes the next retry
   * can come minutes after the restart. Longer: fewer messages sent twice after long outages;
   * shorter: a message that was truly lost at the crash (claimed, never sent) goes out sooner.
   * The default covers the outages a restart, a deploy or a reboot make. Never below
   * DISPATCH_IN_FLIGHT_GRACE_MS (the longer of the two applies).
   */
  DISPATCH_RESTART_GRACE_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(300_000),
  /**
   * Webhook events, once handled, are kept this many days and then deleted (the statuses and
   * messages they recorded live on in their own tables). At least 7: Meta redelivers a webhook
   * for up to 7 days, and a copy must still find its original to be recognised.
   */
  INBOUND_EVENTS_RETENTION_DAYS: z.coerce.number().int().min(7).max(3650).default(30),
  /** A Graph API request with no complete answer after this long counts as "outcome unknown". */
  WHATSAPP_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** How long a shutdown may wait for in-flight work before giving up. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /*
   * Slow clients (slowloris): a connection that trickles its request a byte at a time, or opens
   * and waits, holds a socket and memory for as long as the server lets it. These limits close
   * such a connection (with a 408 where a request had begun). Headers and whole requests are
   * checked every second (more often for limits under a second), so a limit may be overshot by
   * that much. Shorter limits free sockets sooner; too short ones cut off honest clients on poor
   * links (a request body is at most 1 MiB).
   */
  /** All of a request's headers must arrive within this long of its first byte. */
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** The whole request, headers and body, within this long (not the answer: a stream may last). */
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /**
   * A kept-alive connection with no request is closed after this long (Fastify's default). It
   * should be longer than the reverse proxy's idle timeout for upstream connections (nginx and
   * most load balancers: 60 s), or the proxy may send a request on a socket being closed.
   */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(72_000),
  /**
   * A connection with nothing sent either way for this long is closed, request in progress or
   * not: a client that stops reading its answer, a handler that hangs. It must be longer than
   * any answer takes to start (the live progress stream writes every second).
   */
  HTTP_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  /**
   * The key of the keyed hash that stands for a citizen's number in the consent ledger and in
   * exact-match lookups (modules/citizens/subscriber-key.ts). Required outside sandbox mode;
   * changing it makes earlier ledger entries unmatchable, so keep it with the backups.
   */
  SUBSCRIBER_KEY_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
  /**
   * The key of the audit log's hash chain (modules/audit/audit-chain.ts): each new entry is
   * sealed with an HMAC under it, so someone who can write to the database but lacks the key
   * cannot forge, edit or rewrite entries unnoticed. Required outside sandbox mode; kept apart
   * from the database and its backups (a copy beside them would hand over the key with the data),
   * yet never lost or changed, since `banditore audit verify` needs the key that sealed the log.
   */
  AUDIT_KEY_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
  /**
   * A file the server appends the audit chain's anchor to, at start and then daily (one JSON
   * line: entries, last id, last hash); it is in the log either way. Worth it only where the
   * database's writers cannot reach it (another disk, a mount of another host, a file a job
   * mails away): `banditore audit verify --anchor FILE` then shows a cut or rewritten chain.
   */
  AUDIT_ANCHOR_FILE: z.string().min(1).optional(),
  /**
   * The hosting provider's break-glass bearer token: every permission in every comune, each
   * request made with it recorded in the audit log. Unset (the default) turns it off; staff log
   * in with their accounts and machines use a comune's API keys.
   */
  ADMIN_TOKEN: z.string().min(24, "must be at least 24 characters").optional(),
  /**
   * The address this deployment is reached at: staff setup links point here, and so do the links
   * in citizens' replies to the public pages (/c/{slug}/regolamento, /c/{slug}/privacy) when a
   * comune gives no URL of its own. Default: http://localhost:{PORT}.
   */
  PUBLIC_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
  /** A staff session ends after this long without a request … */
  SESSION_IDLE_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(30),
  /** … and this long after login in any case. */
  SESSION_MAX_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 7)
    .default(12),
  /**
   * Behind a reverse proxy, whose X-Forwarded-For / -Proto headers give the client's address
   * and HTTPS. The login limits count by that address, so name the proxies: a comma-separated
   * list of addresses and CIDR ranges (or proxy-addr's `loopback`, `linklocal`, `uniquelocal`),
   * handed to Fastify's `trustProxy`; the headers of any other peer are ignored. `true` (kept
   * for older deployments) trusts every hop, so any client can claim any address and rotate it
   * past the limits; `false` (the default) ignores the headers.
   */
  TRUST_PROXY: z
    .string()
    .default("false")
    .transform((value, ctx) => {
      if (value === "true" || value === "1") return true;
      if (value === "false" || value === "0") return false;
      const entries = value.split(",").map((e) => e.trim());
      const bad = entries.filter((e) => !isProxyAddress(e));
      if (bad.length) {
        ctx.addIssue({
          code: "custom",
          message: `must be true, false, or a comma-separated list of proxy addresses or CIDR ranges (e.g. 127.0.0.1,10.0.0.0/8); not an address: ${bad.map((b) => `"${b}"`).join(", ")}`,
        });
        return z.NEVER;
      }
      return entries;
    }),
});

/** An address, a CIDR range, or one of proxy-addr's named ranges. */
function isProxyAddress(entry: string): boolean {
  if (["loopback", "linklocal", "uniquelocal"].includes(entry)) return true;
  const [address = "", prefix, ...rest] = entry.split("/");
  const family = isIP(address);
  if (!family || rest.length) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
}

export type Env = Readonly<
  z.infer<typeof envSchema> & {
    /** PUBLIC_URL, or http://localhost:PORT when unset. */
    publicUrl: string;
    /** DATA_DIR made absolute. */
    dataDir: string;
    tenantsDir: string;
    /** The full environment, for the secrets the tenant files name. */
    vars: Readonly<Record<string, string | undefined>>;
  }
>;

export function parseEnv(vars: Record<string, string | undefined>, cwd = process.cwd()): Env {
  // An empty variable means "not set", as in most deployment tools.
  const present = Object.fromEntries(Object.entries(vars).filter(([, v]) => v !== ""));
  const result = envSchema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(
      "Invalid environment:",
      result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
    );
  }
  // Node refuses a header limit beyond the request's: the request's would then never apply.
  if (result.data.HTTP_HEADERS_TIMEOUT_MS > result.data.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError("Invalid environment:", [
      "HTTP_HEADERS_TIMEOUT_MS: must not be longer than HTTP_REQUEST_TIMEOUT_MS",
    ]);
  }
  return Object.freeze({
    ...result.data,
    publicUrl: (result.data.PUBLIC_URL ?? `http://localhost:${result.data.PORT}`).replace(
      /\/+$/,
      "",
    ),
    dataDir: path.resolve(cwd, result.data.DATA_DIR),
    tenantsDir: path.resolve(cwd, result.data.TENANTS_DIR),
    vars: Object.freeze({ ...vars }),
  });
}
