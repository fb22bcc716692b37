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
   * How long a message may stay "in flight" (its request left, no answer and no status webhook
   * naming it) before it is sent again: after a crash, or an answer lost to a timeout. It must be
   * longer than Meta takes to deliver a status webhook, retries included, or a message Meta did
   * accept could go out twice; the default leaves a wide margin.
   */
  DISPATCH_IN_FLIGHT_GRACE_MS: z.coerce.number().int().min(1_000).default(30_000),
  /** A Graph API request with no complete answer after this long counts as "outcome unknown". */
  WHATSAPP_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** How long a shutdown may wait for in-flight work before giving up. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /**
   * The key of the keyed hash that stands for a citizen's number in the consent ledger and in
   * exact-match lookups (modules/citizens/subscriber-key.ts). Required outside sandbox mode;
   * changing it makes earlier ledger entries unmatchable, so keep it with the backups.
   */
  SUBSCRIBER_KEY_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
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
  /** Set behind a reverse proxy so client addresses and HTTPS are read from its headers. */
  TRUST_PROXY: z
    .enum(["true", "false", "1", "0"])
    .default("false")
    .transform((v) => v === "true" || v === "1"),
});

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
