/** `banditore sandbox`: the WhatsApp Cloud API sandbox alone, for benchmarks. */
import type { Env } from "../config/env.js";
import { loadTenants } from "../config/tenants.js";
import { sandboxNumbersFromTenants, startStandaloneSandbox } from "../modules/sandbox/sandbox.js";
import { ConfigError } from "../platform/errors.js";
import { createLogger } from "../platform/log.js";
import type { Exit } from "./output.js";

export async function runSandbox(
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
