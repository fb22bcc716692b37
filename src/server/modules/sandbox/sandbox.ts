import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import type { Tenant } from "../../config/tenants.js";
import { systemClock, type Clock } from "../../platform/clock.js";
import { registerErrorHandling } from "../../platform/http/error-handler.js";
import type { Logger } from "../../platform/log.js";
import { phonesRoutes } from "./api.routes.js";
import type { SandboxContext, SandboxNumber } from "./context.js";
import { controlRoutes } from "./control.routes.js";
import { graphAccountRoutes } from "./graph-account.routes.js";
import { graphRoutes, mediaDownloadRoutes } from "./graph.routes.js";
import { SandboxState } from "./sandbox-state.js";
import {
  applySettingsUpdate,
  defaultSettings,
  type SandboxSettings,
  type SandboxSettingsUpdate,
} from "./settings.js";
import { seedTemplates } from "./template-seed.js";
import { TemplateRegistry } from "./templates.js";
import { WebhookPoster } from "./webhook-poster.js";

export type { SandboxNumber } from "./context.js";
export type { SandboxSettings, SandboxSettingsUpdate } from "./settings.js";
export type { PhoneMessage } from "./sandbox-state.js";

export interface SandboxDeps {
  numbers: SandboxNumber[];
  /** Where webhooks go; a function because the service's port is known only once it listens. */
  webhookUrl: () => string;
  log: Logger;
  clock?: Clock;
  /** Starting settings (validated; a wrong value throws). Partial, faults key by key. */
  settings?: SandboxSettingsUpdate;
}

export interface Sandbox {
  /** Phones, conversations, windows, blocks, media, counters: for tests to look at. */
  state: SandboxState;
  templates: TemplateRegistry;
  settings(): SandboxSettings;
  /** Cancels scheduled webhooks and held answers, waits for posts in flight. Idempotent. */
  close(): Promise<void>;
}

/** The sandbox's view of the configured comuni; a missing WABA id is derived from the number's id. */
export function sandboxNumbersFromTenants(tenants: readonly Tenant[]): SandboxNumber[] {
  return tenants.map((t) => ({
    tenant: t.slug,
    name: t.name,
    serviceName: t.serviceName,
    phoneNumberId: t.whatsapp.phoneNumberId,
    displayNumber: t.whatsapp.displayNumber,
    wabaId: t.whatsapp.wabaId ?? `2${t.whatsapp.phoneNumberId.slice(1)}`,
    accessToken: t.secrets.accessToken,
    appSecret: t.secrets.appSecret,
    ratePerSecond: t.whatsapp.ratePerSecond,
  }));
}

function createContext(deps: SandboxDeps): SandboxContext {
  if (deps.numbers.length === 0) throw new Error("The sandbox needs at least one number");
  const byPhoneNumberId = new Map(deps.numbers.map((n) => [n.phoneNumberId, n]));
  const byDisplay = new Map(deps.numbers.map((n) => [n.displayNumber, n]));
  if (byPhoneNumberId.size !== deps.numbers.length || byDisplay.size !== deps.numbers.length) {
    throw new Error(
      "The sandbox's numbers must have distinct phone-number ids and display numbers",
    );
  }
  const initial = applySettingsUpdate(
    defaultSettings(
      Object.fromEntries(deps.numbers.map((n) => [n.phoneNumberId, n.ratePerSecond])),
    ),
    deps.settings ?? {},
  );
  if (!initial.ok) {
    throw new Error(
      `Invalid sandbox settings: ${initial.problems.map((p) => `${p.field}: ${p.problem}`).join("; ")}`,
    );
  }
  let settings = initial.settings;
  return {
    numbers: deps.numbers,
    byPhoneNumberId,
    byDisplay,
    state: new SandboxState(),
    templates: new TemplateRegistry(() =>
      seedTemplates(
        deps.numbers.map((n) => ({ wabaId: n.wabaId, tenant: n.tenant, name: n.name })),
      ),
    ),
    settings: () => settings,
    setSettings: (next) => void (settings = next),
    poster: new WebhookPoster({ url: deps.webhookUrl, log: deps.log }),
    clock: deps.clock ?? systemClock,
    random: Math.random,
    log: deps.log,
  };
}

/**
 * Mounts the sandbox under `/sandbox` on `app`: the Graph API emulation at `/sandbox/graph/…`
 * (Meta-shaped errors), media downloads at `/sandbox/media/…`, and the JSON control and phones
 * API at `/sandbox/api/…` (the service's error shape). State lives in memory: a restart clears it.
 */
export async function registerSandbox(app: FastifyInstance, deps: SandboxDeps): Promise<Sandbox> {
  const ctx = createContext(deps);
  await app.register(
    async (sandbox) => {
      sandbox.setValidatorCompiler(validatorCompiler);
      sandbox.setSerializerCompiler(serializerCompiler);
      await sandbox.register(
        (graph) => {
          graphRoutes(ctx)(graph);
          graphAccountRoutes(ctx)(graph);
        },
        { prefix: "/graph" },
      );
      await sandbox.register(mediaDownloadRoutes(ctx), { prefix: "/media" });
      await sandbox.register(
        (api) => {
          phonesRoutes(ctx)(api);
          controlRoutes(ctx)(api);
        },
        { prefix: "/api" },
      );
    },
    { prefix: "/sandbox" },
  );
  const close = () => ctx.poster.close();
  // Held answers (timeout fault) and scheduled webhooks must not keep the server from closing.
  app.addHook("preClose", async () => close());
  deps.log.info(
    { event: "sandbox.started", numbers: deps.numbers.map((n) => n.tenant) },
    "Sandbox: Meta's Cloud API is emulated at /sandbox/graph",
  );
  return { state: ctx.state, templates: ctx.templates, settings: () => ctx.settings(), close };
}

export interface StandaloneSandboxOptions {
  port: number;
  host?: string;
  webhookUrl: string;
  numbers: SandboxNumber[];
  log: Logger;
  settings?: SandboxSettingsUpdate;
  /** For tests that move time (24-hour windows, pair rate). */
  clock?: Clock;
}

export interface StandaloneSandbox {
  /** Base URL, e.g. http://127.0.0.1:43123 (the Graph API is at `${url}/sandbox/graph`). */
  url: string;
  sandbox: Sandbox;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** A server with only the sandbox: `banditore sandbox --port N --webhook URL`, tests, benchmarks. */
export async function startStandaloneSandbox(
  options: StandaloneSandboxOptions,
): Promise<StandaloneSandbox> {
  const app = Fastify({
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: options.log as FastifyBaseLogger,
    forceCloseConnections: "idle",
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  const sandbox = await registerSandbox(app, {
    numbers: options.numbers,
    webhookUrl: () => options.webhookUrl,
    log: options.log,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.settings ? { settings: options.settings } : {}),
  });
  const host = options.host ?? "127.0.0.1";
  await app.listen({ port: options.port, host });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  const shownHost =
    host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${port}`,
    sandbox,
    app,
    close: () => (closing ??= app.close()),
  };
}
