/** `banditore tenants check`: every comune's file validated, and a summary of each. */
import type { Env } from "../config/env.js";
import { loadTenants } from "../config/tenants.js";
import type { Exit } from "./output.js";

export async function checkTenants(env: Env): Promise<Exit> {
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
