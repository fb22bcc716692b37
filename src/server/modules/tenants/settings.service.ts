import type { Kysely } from "kysely";
import type { Tenant } from "../../config/tenants.js";
import type { Clock } from "../../platform/clock.js";
import type { DB } from "../../platform/db/schema.js";
import { AppError, invalid, notFound } from "../../platform/errors.js";
import type { Actor } from "../../platform/http/access.js";
import type { Locale } from "../../platform/http/locale.js";
import type { Logger } from "../../platform/log.js";
import { recordAudit } from "../audit/audit.service.js";
import {
  applyEffective,
  changedSections,
  effectiveTenant,
  fileSectionsOf,
  SECTION_NAMES,
  sectionsOf,
  type Overrides,
  type SectionName,
} from "./settings.sections.js";
import {
  findSettingVersion,
  insertSettingVersion,
  latestSettingVersion,
  latestSettingVersionNumbers,
  listSettingVersions,
  lockTenantSettings,
  type SettingVersionRow,
} from "./tenants.repository.js";

/**
 * The settings staff save from the console, over the tenant file (settings.sections.ts says
 * which). Each save is a version, audited; the latest is in force.
 *
 * The running process holds each comune as one `Tenant` object, shared by every route and
 * service (they were all handed the same array at start, and read its fields when they act).
 * A save replaces that object's sections in place, so it takes effect at once here; at start
 * (`applySavedSettings`, from syncTenants) the latest version of each comune is applied the same
 * way. Another process (a second web process, a worker) reads the new version when it starts;
 * until then, its own settings routes catch up whenever they are called (`catchUp`).
 */

/** Which version each Tenant object holds (0: the file alone). */
const applied = new WeakMap<Tenant, number>();

export function versionInForce(tenant: Tenant): number {
  return applied.get(tenant) ?? 0;
}

/**
 * Start: every comune's latest saved version over its file. A version the file no longer
 * accepts (the file changed under it) is logged and left out: the comune runs on its file.
 */
export async function applySavedSettings(
  db: Kysely<DB>,
  tenants: readonly Tenant[],
  log: Logger,
): Promise<void> {
  const latest = await latestSettingVersionNumbers(db);
  for (const tenant of tenants) {
    // Only a comune with a version newer than the one in force is read again: a worker calls
    // this before each pass over the webhook events, and most passes find nothing saved.
    const version = latest.get(tenant.slug);
    if (version !== undefined && version !== versionInForce(tenant)) {
      await catchUp(db, tenant, log);
    }
  }
}

/** Brings this process's comune to the latest saved version, if another process saved one. */
export async function catchUp(db: Kysely<DB>, tenant: Tenant, log?: Logger): Promise<void> {
  const latest = await latestSettingVersion(db, tenant.slug);
  const version = latest?.version ?? 0;
  if (version === versionInForce(tenant)) return;
  const effective = effectiveTenant(tenant, latest?.settings ?? {}, "en");
  if (!effective.ok) {
    log?.error(
      {
        event: "settings.version_invalid",
        tenant: tenant.slug,
        version,
        problems: effective.problems,
      },
      `The comune's saved settings (version ${version}) no longer fit its tenant file; it runs on the file until they are saved again`,
    );
    applied.set(tenant, version);
    return;
  }
  applyEffective(tenant, effective.data);
  applied.set(tenant, version);
}

export interface VersionView {
  version: number;
  savedAt: string;
  savedBy: { type: string; name: string | null };
  note: string;
  changed: SectionName[];
  restoredFrom: number | null;
}

function viewOf(row: SettingVersionRow): VersionView {
  return {
    version: row.version,
    savedAt: new Date(row.savedAt).toISOString(),
    savedBy: { type: row.savedBy.type, name: row.savedBy.name },
    note: row.note,
    changed: row.changed.filter((c): c is SectionName =>
      (SECTION_NAMES as readonly string[]).includes(c),
    ),
    restoredFrom: row.restoredFrom,
  };
}

/** The editable sections as in force, where each comes from, and the versions saved. */
export async function editableSettings(db: Kysely<DB>, tenant: Tenant) {
  await catchUp(db, tenant);
  const rows = await listSettingVersions(db, tenant.slug);
  const inForce = rows[0];
  const overridden = new Set(Object.keys(inForce?.settings ?? {}));
  return {
    version: versionInForce(tenant),
    sections: sectionsOf(tenant),
    fileSections: fileSectionsOf(tenant),
    sources: Object.fromEntries(
      SECTION_NAMES.map((n) => [n, overridden.has(n) ? "saved" : "file"]),
    ) as Record<SectionName, "file" | "saved">,
    versions: rows.map(viewOf),
  };
}

export async function settingVersion(db: Kysely<DB>, tenant: Tenant, version: number) {
  const row = await findSettingVersion(db, tenant.slug, version);
  if (!row) throw notFound("Versione delle impostazioni non trovata", "Settings version not found");
  return { ...viewOf(row), sections: row.settings as Overrides };
}

function unchanged(): AppError {
  return new AppError(409, "SETTINGS_UNCHANGED", "Nessuna modifica da salvare", undefined, {
    en: "Nothing to save: the settings are the same",
  });
}

function changedMeanwhile(current: number): AppError {
  return new AppError(
    409,
    "SETTINGS_CHANGED",
    "Nel frattempo qualcun altro ha salvato le impostazioni: ricarica la pagina e riprova",
    undefined,
    {
      en: "Someone else saved the settings meanwhile: reload the page and try again",
      currentStatus: String(current),
    },
  );
}

/**
 * Saves `sections` (each replacing the section whole) as a new version, if the comune they make
 * is valid; audited with the sections that changed, in the same transaction. Takes effect here
 * once committed.
 */
export async function saveSettings(
  deps: { db: Kysely<DB>; clock: Clock },
  tenant: Tenant,
  input: {
    sections: Overrides;
    note: string;
    actor: Actor;
    locale: Locale;
    /** The version the form was loaded at: a save over a newer one is refused. */
    baseVersion?: number | undefined;
    restoredFrom?: number;
  },
) {
  const now = deps.clock.now();
  const saved = await deps.db.transaction().execute(async (trx) => {
    await lockTenantSettings(trx, tenant.slug, now);
    const latest = await latestSettingVersion(trx, tenant.slug);
    const current = latest?.version ?? 0;
    if (input.baseVersion !== undefined && input.baseVersion !== current) {
      throw changedMeanwhile(current);
    }
    const overrides: Overrides =
      input.restoredFrom === undefined
        ? { ...(latest?.settings ?? {}), ...input.sections }
        : input.sections;
    const before = effectiveTenant(tenant, latest?.settings ?? {}, input.locale);
    const after = effectiveTenant(tenant, overrides, input.locale);
    if (!after.ok) throw invalid(after.problems);
    const beforeSections = before.ok ? sectionsOf(before.data) : fileSectionsOf(tenant);
    const changed = changedSections(beforeSections, sectionsOf(after.data));
    if (changed.length === 0) throw unchanged();
    // Only what differs from the file is kept: a section set back to the file's value follows
    // the file again.
    const file = fileSectionsOf(tenant);
    const afterSections = sectionsOf(after.data);
    const kept = Object.fromEntries(
      SECTION_NAMES.filter((n) => JSON.stringify(afterSections[n]) !== JSON.stringify(file[n])).map(
        (n) => [n, afterSections[n]],
      ),
    );
    const version = current + 1;
    await insertSettingVersion(trx, {
      tenantId: tenant.slug,
      version,
      settings: kept,
      changed,
      savedBy: { type: input.actor.type, id: input.actor.id ?? null },
      savedAt: now,
      note: input.note,
      restoredFrom: input.restoredFrom ?? null,
    });
    await recordAudit(
      trx,
      {
        tenantId: tenant.slug,
        actor: input.actor,
        action: "settings.saved",
        target: { type: "settings", id: String(version) },
        summary: {
          version,
          sections: changed,
          ...(input.restoredFrom !== undefined ? { restoredFrom: input.restoredFrom } : {}),
        },
      },
      now,
    );
    return { version, data: after.data };
  });
  applyEffective(tenant, saved.data);
  applied.set(tenant, saved.version);
  return saved.version;
}

/** A new version with an earlier one's content (its note says which). */
export async function restoreSettings(
  deps: { db: Kysely<DB>; clock: Clock },
  tenant: Tenant,
  input: { version: number; note?: string | undefined; actor: Actor; locale: Locale },
) {
  // Version 0 is the file alone: "back to the file".
  const earlier =
    input.version === 0
      ? { settings: {} }
      : await findSettingVersion(deps.db, tenant.slug, input.version);
  if (!earlier) {
    throw notFound("Versione delle impostazioni non trovata", "Settings version not found");
  }
  const note =
    input.note ??
    (input.version === 0
      ? input.locale === "en"
        ? "Back to the tenant file's values"
        : "Tornati ai valori del file di configurazione"
      : input.locale === "en"
        ? `Restored version ${input.version}`
        : `Ripristinata la versione ${input.version}`);
  return saveSettings(deps, tenant, {
    sections: earlier.settings,
    note,
    actor: input.actor,
    locale: input.locale,
    restoredFrom: input.version,
  });
}
