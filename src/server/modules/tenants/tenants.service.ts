import { createHash } from "node:crypto";
import type { Kysely } from "kysely";
import type { Tenant } from "../../config/tenants.js";
import type { Clock } from "../../platform/clock.js";
import type { DB } from "../../platform/db/schema.js";
import { ConfigError } from "../../platform/errors.js";
import type { Actor } from "../../platform/http/access.js";
import type { Locale } from "../../platform/http/locale.js";
import { maskPhone, type Logger } from "../../platform/log.js";
import { recordAudit } from "../audit/audit.service.js";
import { applySavedSettings } from "./settings.service.js";
import {
  findSenderNumberOwner,
  findTwoFactorSetting,
  saveTwoFactorSetting,
  listTenantIds,
  upsertSenderNumber,
  upsertTenant,
} from "./tenants.repository.js";

/**
 * The tenant files are the source of a comune's settings; the database keeps the rows that its
 * data hangs from, and the sections staff saved from the console over the file. At start each
 * comune and its number are written (or updated), then its saved settings applied; a comune
 * whose file was removed keeps its data and is reported, never deleted.
 */
export async function syncTenants(
  db: Kysely<DB>,
  tenants: readonly Tenant[],
  clock: Clock,
  log: Logger,
): Promise<void> {
  const now = clock.now();
  for (const tenant of tenants) {
    const owner = await findSenderNumberOwner(db, tenant.whatsapp.phoneNumberId);
    if (owner && owner !== tenant.slug) {
      throw new ConfigError(
        `${tenant.file}: whatsapp.phoneNumberId: already belongs to the comune "${owner}" in the database; a number cannot move between comuni`,
      );
    }
  }
  await db.transaction().execute(async (trx) => {
    for (const tenant of tenants) {
      const change = await upsertTenant(
        trx,
        {
          id: tenant.slug,
          name: tenant.name,
          serviceName: tenant.serviceName,
          configHash: configHash(tenant),
        },
        now,
      );
      await upsertSenderNumber(
        trx,
        {
          tenantId: tenant.slug,
          phoneNumberId: tenant.whatsapp.phoneNumberId,
          displayNumber: tenant.whatsapp.displayNumber,
          wabaId: tenant.whatsapp.wabaId ?? null,
          ratePerSecond: tenant.whatsapp.ratePerSecond,
          messagingLimitTier: tenant.whatsapp.messagingLimitTier ?? null,
        },
        now,
      );
      log.info(
        {
          event: "tenant.loaded",
          tenant: tenant.slug,
          serviceName: tenant.serviceName,
          number: maskPhone(tenant.whatsapp.displayNumber),
          topics: tenant.topics.length,
          config: change,
        },
        `Comune loaded: ${tenant.name} (${tenant.serviceName}, ${maskPhone(tenant.whatsapp.displayNumber)})`,
      );
    }
  });
  // The settings saved from the console, over the files just loaded (settings.service.ts).
  await applySavedSettings(db, tenants, log);
  const configured = new Set(tenants.map((t) => t.slug));
  for (const id of await listTenantIds(db)) {
    if (!configured.has(id)) {
      log.warn(
        { event: "tenant.config_missing", tenant: id },
        `The database holds the comune "${id}" but no tenant file names it; its data is kept and it receives nothing`,
      );
    }
  }
}

/** Secrets excluded: the hash says "the file changed", never anything about a token. */
function configHash(tenant: Tenant): string {
  const { secrets: _secrets, file: _file, ...config } = tenant;
  return createHash("sha256").update(JSON.stringify(config)).digest("hex");
}

/**
 * What anyone may know about a comune's channel: all of it is printed in its regulation. The
 * topics and the hours in the reader's language, Italian where the comune gave no English.
 */
export function publicTenantInfo(tenant: Tenant, locale: Locale = "it") {
  const inLocale = (label: { it: string; en?: string }) =>
    (locale === "en" ? label.en : undefined) ?? label.it;
  return {
    slug: tenant.slug,
    name: tenant.name,
    serviceName: tenant.serviceName,
    displayNumber: tenant.whatsapp.displayNumber,
    subscribeKeywords: tenant.keywords.subscribe,
    unsubscribeKeywords: tenant.keywords.unsubscribe,
    keywordForm: tenant.keywords.form,
    minimumAge: tenant.subscription.minimumAge,
    serviceHours: tenant.serviceHours ? inLocale(tenant.serviceHours.description) : null,
    topics: tenant.topics.map((t) => ({ id: t.id, label: inLocale(t.label) })),
    contacts: tenant.contacts,
    documents: {
      regulation: documentInfo(tenant.documents.regulation),
      privacyNotice: documentInfo(tenant.documents.privacyNotice),
    },
  };
}

function documentInfo(d: Tenant["documents"]["regulation"]) {
  return { title: d.title, version: d.version, date: d.date, url: d.url ?? null };
}

/** Whether each comune asks TOTP of its owners, approvers and technicians (the default). */
export function twoFactorSettings(
  db: Kysely<DB>,
  tenantIds: readonly string[],
): Promise<Map<string, "required" | "off">> {
  return findTwoFactorSetting(db, tenantIds);
}

/** Changes a comune's two-factor requirement, audited in the same transaction. */
export async function changeTwoFactorSetting(
  db: Kysely<DB>,
  input: { tenantId: string; required: boolean; actor: Actor },
  clock: Clock,
): Promise<void> {
  const now = clock.now();
  const value = input.required ? "required" : "off";
  await db.transaction().execute(async (trx) => {
    const before = (await findTwoFactorSetting(trx, [input.tenantId])).get(input.tenantId);
    if (before === value) return;
    await saveTwoFactorSetting(trx, input.tenantId, value, now);
    await recordAudit(
      trx,
      {
        tenantId: input.tenantId,
        actor: input.actor,
        action: "settings.changed",
        target: { type: "tenant", id: input.tenantId },
        summary: { twoFactor: { from: before, to: value } },
      },
      now,
    );
  });
}
