import type { FastifyRequest } from "fastify";
import type { Kysely } from "kysely";
import { z } from "zod";
import { tenantFinder, type Tenant } from "../../config/tenants.js";
import type { Clock } from "../../platform/clock.js";
import type { DB } from "../../platform/db/schema.js";
import { invalid } from "../../platform/errors.js";
import { actorOf, type Actor } from "../../platform/http/access.js";
import { localized, requestLocale, type Locale } from "../../platform/http/locale.js";
import { tenantParams } from "../../platform/http/params.js";
import { zodRoutes } from "../../platform/http/zod-routes.js";
import {
  editableSettings,
  restoreSettings,
  saveSettings,
  settingVersion,
} from "./settings.service.js";
import { effectiveTenant, SECTION_NAMES } from "./settings.sections.js";
import { changeTwoFactorSetting, twoFactorSettings } from "./tenants.service.js";
import { tryKeyword } from "./try-keyword.js";

const SECTION_HELP: Record<(typeof SECTION_NAMES)[number], string> = {
  texts: "texts: the replies citizens read, `it` and optional `en` (the file's `texts`)",
  keywords:
    "keywords: subscribe, unsubscribe, extraOptOut, commonSynonyms, commands (the file's `keywords` but its `form`)",
  serviceHours: "serviceHours: timeZone, weekly, description; null for none",
  closedDays: "closedDays: { patronDay: MM-DD or null } (the public holidays always count)",
  electionPeriods: "electionPeriods: [{ name, from, to }]",
  topics: "topics: [{ id, label: { it, en } }]",
  contentWords:
    "contentWords: administrators, allowedLinkDomains, wordLists ({ rule: { add, remove } })",
  pricing: "pricing: currency, marketing, utility, authentication, service, validFrom (optional)",
};

/** Each section whole, shaped as the tenant file writes it (tenant-schema.ts). */
const sectionValues = z.object(
  Object.fromEntries(
    SECTION_NAMES.map((n) => [n, z.unknown().describe(SECTION_HELP[n])]),
  ) as Record<(typeof SECTION_NAMES)[number], z.ZodUnknown>,
);
const sectionChanges = z.strictObject(
  Object.fromEntries(
    SECTION_NAMES.map((n) => [n, z.unknown().optional().describe(SECTION_HELP[n])]),
  ) as Record<(typeof SECTION_NAMES)[number], z.ZodOptional<z.ZodUnknown>>,
);
const sectionName = z.enum(SECTION_NAMES);

const versionOut = z.object({
  version: z.number(),
  savedAt: z.string(),
  /** The person's display name for a staff member; null for a key or the break-glass token. */
  savedBy: z.object({ type: z.string(), name: z.string().nullable() }),
  note: z.string(),
  changed: z.array(sectionName),
  restoredFrom: z.number().nullable(),
});

const settings = z.object({
  tenant: z.string(),
  name: z.string(),
  serviceName: z.string(),
  displayNumber: z.string(),
  phoneNumberId: z.string(),
  ratePerSecond: z.number(),
  messagingLimitTier: z.string().nullable(),
  defaultLocale: z.string(),
  /** "name-and-keyword" or "phrase": stays in the tenant file. */
  keywordForm: z.string(),
  /** "required": owners, approvers and technicians must log in with TOTP (the default). */
  twoFactor: z.enum(["required", "off"]),
  /** The sections staff may change here, as in force. */
  editable: z.object({
    /** The version in force; 0 when the comune runs on its file alone. */
    version: z.number(),
    sections: sectionValues,
    /** What the tenant file alone says of each section. */
    fileSections: sectionValues,
    sources: z.record(sectionName, z.enum(["file", "saved"])),
    /** Newest first. */
    versions: z.array(versionOut),
  }),
});

const saved = z.object({ version: z.number(), settings });

const versionParams = tenantParams.extend({
  version: z.coerce
    .number()
    .int()
    .min(0, localized({ it: "deve essere 0 o più", en: "must be 0 or more" })),
});

const trial = z.object({
  action: z.enum(["subscribe", "unsubscribe", "command", "other"]),
  command: z.enum(["help", "topics", "data", "erase"]).optional(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  keyword: z.string().optional(),
  reading: z.string(),
  reply: z.string(),
});

/**
 * A comune's settings as staff see them: the tenant file's technical facts, the two-factor
 * requirement, and the sections staff change from the console over the file, versioned
 * (settings.service.ts).
 */
export function settingsRoutes(deps: { db: Kysely<DB>; tenants: readonly Tenant[]; clock: Clock }) {
  const tenantOf = tenantFinder(deps.tenants);
  const present = async (slug: string) => {
    const t = tenantOf(slug);
    const twoFactor = (await twoFactorSettings(deps.db, [slug])).get(slug) ?? "required";
    return {
      tenant: t.slug,
      name: t.name,
      serviceName: t.serviceName,
      displayNumber: t.whatsapp.displayNumber,
      phoneNumberId: t.whatsapp.phoneNumberId,
      ratePerSecond: t.whatsapp.ratePerSecond,
      messagingLimitTier: t.whatsapp.messagingLimitTier ?? null,
      defaultLocale: t.defaultLocale,
      keywordForm: t.keywords.form,
      twoFactor,
      editable: await editableSettings(deps.db, t),
    };
  };
  /** Saves (a new version) as the caller, in their language; answers it with the settings now. */
  const answerSaved = async (
    slug: string,
    request: FastifyRequest,
    save: (tenant: Tenant, caller: { actor: Actor; locale: Locale }) => Promise<number>,
  ) => {
    const tenant = tenantOf(slug);
    const version = await save(tenant, {
      actor: actorOf(request),
      locale: requestLocale(request.headers["accept-language"]),
    });
    return { version, settings: await present(tenant.slug) };
  };
  return zodRoutes((r) => {
    r.get(
      "/api/tenants/:tenant/settings",
      {
        config: { permission: "settings.read" },
        schema: {
          tags: ["settings"],
          summary: "The comune's settings, where each comes from, and the versions saved",
          params: tenantParams,
          response: { 200: settings },
        },
      },
      async (request) => present(request.params.tenant),
    );

    r.put(
      "/api/tenants/:tenant/settings",
      {
        config: { permission: "settings.write" },
        schema: {
          tags: ["settings"],
          summary:
            "Save sections of the comune's settings over its file: a new version, validated and audited, in force at once",
          params: tenantParams,
          body: z.object({
            /** Why: shown in the version history. */
            note: z.string().trim().min(1).max(300),
            /** The version the form was loaded at: refused (409) if someone saved since. */
            baseVersion: z.number().int().min(0).optional(),
            sections: sectionChanges,
          }),
          response: { 200: saved },
        },
      },
      async (request) =>
        answerSaved(request.params.tenant, request, (tenant, caller) =>
          saveSettings(deps, tenant, {
            sections: request.body.sections,
            note: request.body.note,
            baseVersion: request.body.baseVersion,
            ...caller,
          }),
        ),
    );

    r.get(
      "/api/tenants/:tenant/settings/versions/:version",
      {
        config: { permission: "settings.read" },
        schema: {
          tags: ["settings"],
          summary: "One saved version: the sections it held over the file",
          params: versionParams,
          response: {
            200: versionOut.extend({ sections: z.partialRecord(sectionName, z.unknown()) }),
          },
        },
      },
      async (request) =>
        settingVersion(deps.db, tenantOf(request.params.tenant), request.params.version),
    );

    r.post(
      "/api/tenants/:tenant/settings/versions/:version/restore",
      {
        config: { permission: "settings.write" },
        schema: {
          tags: ["settings"],
          summary:
            "Put an earlier version back in force (as a new version with its content; 0 is the file alone)",
          params: versionParams,
          body: z.object({ note: z.string().trim().min(1).max(300).optional() }).optional(),
          response: { 200: saved },
        },
      },
      async (request) =>
        answerSaved(request.params.tenant, request, (tenant, caller) =>
          restoreSettings(deps, tenant, {
            version: request.params.version,
            note: request.body?.note,
            ...caller,
          }),
        ),
    );

    r.post(
      "/api/tenants/:tenant/settings/try-keyword",
      {
        config: { permission: "settings.read" },
        schema: {
          tags: ["settings"],
          summary:
            "What the citizens' grammar reads in a message, with the keywords in force or the ones given (not saved)",
          params: tenantParams,
          body: z.object({
            text: z.string().max(1000),
            keywords: z.unknown().optional().describe(SECTION_HELP.keywords),
          }),
          response: { 200: trial },
        },
      },
      (request) => {
        const tenant = tenantOf(request.params.tenant);
        const locale = requestLocale(request.headers["accept-language"]);
        let keywords = tenant.keywords;
        if (request.body.keywords !== undefined) {
          const effective = effectiveTenant(
            tenant,
            { keywords: request.body.keywords },
            locale,
            "body",
          );
          if (!effective.ok) throw invalid(effective.problems);
          keywords = effective.data.keywords;
        }
        return tryKeyword(request.body.text, { ...tenant, keywords }, locale);
      },
    );

    // Who must use a second factor is a decision about the staff's accounts, so it is the
    // owner's (users.manage), not the technician's (settings.write).
    r.put(
      "/api/tenants/:tenant/settings/two-factor",
      {
        config: { permission: "users.manage" },
        schema: {
          tags: ["settings"],
          summary: "Require TOTP for owners, approvers and technicians (the default), or not",
          params: tenantParams,
          body: z.object({ required: z.boolean() }),
          response: { 200: settings },
        },
      },
      async (request) => {
        await changeTwoFactorSetting(
          deps.db,
          {
            tenantId: request.params.tenant,
            required: request.body.required,
            actor: actorOf(request),
          },
          deps.clock,
        );
        return present(request.params.tenant);
      },
    );
  });
}
