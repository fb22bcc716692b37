import { z } from "zod";
import { waIdString } from "../platform/phone-number.js";
import { DEFAULT_COMMANDS, findKeywordConflicts, keywordWords } from "./keyword-words.js";

/**
 * The shape of a comune's file in `config/tenants/*.yaml`.
 *
 * Every object is strict: a misspelt key is an error, not a silently ignored setting. Secrets
 * never live here; the file names the environment variables that hold them.
 *
 * Over 400 lines for a reason: the whole file's schema is here, in the order the YAML reads, so
 * what a comune may write is found in one place; each part is a few lines.
 */

/** A template by name and language, as Meta lists it. */
const templateRef = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9_]{1,512}$/, "must be a template name: lower-case letters, digits, _"),
  language: z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, "must be a language code like it"),
});

/** The kinds of template a broadcast goes out through (broadcasts/templates.ts chooses). */
export const TEMPLATE_KINDS = [
  "text",
  "image",
  "video",
  "document",
  "alert",
  "alertImage",
  "alertVideo",
  "alertDocument",
] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];

const nonEmpty = z.string().trim().min(1, "must not be empty");

/** The rules of the broadcasts' content check that have a word list. */
export const WORD_RULES = [
  "propaganda",
  "party",
  "profanity",
  "commercial",
  "event-promotion",
] as const;
export type WordRule = (typeof WORD_RULES)[number];

/** A word list as the comune edits it: words added to the default list, words taken out. */
const wordListEdit = z.strictObject({
  add: z.array(nonEmpty).default([]),
  remove: z.array(nonEmpty).default([]),
});

/** A keyword or command word as the grammar reads it: it needs a letter or digit to match. */
const keywordPhrase = nonEmpty.refine(
  (s) => keywordWords(s).length > 0,
  "must contain a letter or a digit (emoji and punctuation are ignored when matching)",
);
const commandWords = (defaults: readonly string[]) =>
  z
    .array(keywordPhrase)
    .min(1, "needs at least one word")
    .default([...defaults]);

/** Keys that would hold a secret if someone wrote it into the file. */
export const SECRET_KEY_PATTERN =
  /^(access_?token|app_?secret|verify_?token|token|secret|password|api_?key)$/i;

const envVarName = z
  .string()
  .regex(
    /^[A-Z][A-Z0-9_]{2,}$/,
    "must be the NAME of an environment variable (capital letters, digits, _), not the secret itself",
  );

const digits = (what: string) =>
  waIdString(`must be ${what}: digits only, country code first, no +`);

const slug = z
  .string()
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "must be lower-case letters, digits and single dashes");

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date written YYYY-MM-DD")
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)), "is not a real date");

const httpsUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });

/** Placeholders a reply text may use; anything else in braces is a typo. */
export const TEXT_PLACEHOLDERS = [
  "comune",
  "serviceName",
  "subscribeKeyword",
  "unsubscribeKeyword",
  "regulationUrl",
  "privacyUrl",
  "website",
  "email",
  "phone",
  "hours",
  "minimumAge",
  "name",
  "topics",
  "allTopics",
  "helpKeyword",
  "topicsKeyword",
  "dataKeyword",
  "eraseKeyword",
] as const;

const replyText = nonEmpty
  .max(4096, "is longer than WhatsApp's 4,096 characters")
  .superRefine((text, ctx) => {
    for (const match of text.matchAll(/\{([^{}]*)\}/g)) {
      const name = match[1] ?? "";
      if (!(TEXT_PLACEHOLDERS as readonly string[]).includes(name)) {
        ctx.addIssue({
          code: "custom",
          message: `uses the unknown placeholder {${name}}; known ones: ${TEXT_PLACEHOLDERS.map((p) => `{${p}}`).join(", ")}`,
        });
      }
    }
  });

/** The texts a citizen reads. Italian is required; English is optional, key by key. */
const replyTextsShape = {
  /** Confirmation after subscribing: what is sent, when, how to leave, links, age rule. */
  subscribed: replyText,
  /** Casale's confirmation step: the question shown with the two buttons. */
  confirmPrompt: replyText,
  confirmButton: nonEmpty.max(20, "is longer than a reply button's 20 characters"),
  cancelButton: nonEmpty.max(20, "is longer than a reply button's 20 characters"),
  confirmCancelled: replyText,
  alreadySubscribed: replyText,
  unsubscribed: replyText,
  notSubscribed: replyText,
  /** Someone used the subscribe form without the name the comune asks for. */
  nameMissing: replyText,
  /** Anything else a citizen writes: this channel is one-way, here are the official ones. */
  autoReply: replyText,
  /** Added to the auto-reply outside service hours. */
  outsideHours: replyText,
};
/**
 * Texts of the citizens' commands (issue #5 item 8), added later: optional in both languages,
 * with Italian and English defaults in modules/citizens/texts.ts.
 */
const commandTextsShape = {
  /** "AIUTO"/"INFO": the commands a citizen can send. */
  help: replyText.optional(),
  /** "ARGOMENTI": the body of the list of topics. */
  topicsPrompt: replyText.optional(),
  /** The label of the button that opens the list. */
  topicsButton: nonEmpty.max(20, "is longer than a list button's 20 characters").optional(),
  /** After a tap on a topic: the current choice ({topics}). */
  topicsChosen: replyText.optional(),
  /** "ARGOMENTI" in a comune without topics. */
  topicsNone: replyText.optional(),
  /** A subscribers-only command from someone not subscribed. */
  subscribeFirst: replyText.optional(),
  /** "DATI": the text sent with the JSON document. */
  dataIntro: replyText.optional(),
  /** "CANCELLA DATI": done. */
  erased: replyText.optional(),
  /**
   * The opening paragraph of the public page /c/{slug}/, in the comune's own words. Absent: a
   * sentence made from the service's name, its topics and hours.
   */
  publicIntro: replyText.optional(),
};
const italianTexts = z.strictObject({ ...replyTextsShape, ...commandTextsShape });
const englishTexts = z.strictObject({ ...replyTextsShape, ...commandTextsShape }).partial();

const localizedLabel = z.strictObject({ it: nonEmpty, en: nonEmpty.optional() });

const timeRange = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/, 'must be a range like "09:00-13:00"')
  .refine((r) => {
    const [from, to] = r.split("-");
    return (from ?? "") < (to ?? "");
  }, "must end after it starts");

const dayHours = z.array(timeRange);

const timeZone = nonEmpty.refine((tz) => {
  try {
    new Intl.DateTimeFormat("it-IT", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, "is not a time zone known to this system (e.g. Europe/Rome)");

/**
 * A version of a document as the public pages show it. The version is part of a URL
 * (/c/{slug}/regolamento/versione/{version}), so it is kept to letters, digits, dots and dashes.
 */
const documentVersion = nonEmpty
  .max(40)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "must be letters, digits, dots and dashes, like 1.0");

/** A version no longer in force: still readable, since a citizen may have accepted it. */
const earlierDocument = z.strictObject({
  title: nonEmpty.optional(),
  version: documentVersion,
  date: isoDate,
  text: nonEmpty,
});

const document = z
  .strictObject({
    title: nonEmpty,
    version: documentVersion,
    /** The date this version took effect. */
    date: isoDate,
    url: httpsUrl.optional(),
    text: nonEmpty,
    /**
     * The versions before this one, each with its own text: the consent ledger records the
     * version a citizen accepted, and that version stays readable on the public pages at
     * /c/{slug}/regolamento/versione/{version} (or /privacy/…). Never drop one that was in force.
     */
    earlier: z.array(earlierDocument).default([]),
  })
  .superRefine((doc, ctx) => {
    const seen = new Set([doc.version]);
    doc.earlier.forEach((e, i) => {
      if (seen.has(e.version)) {
        ctx.addIssue({
          code: "custom",
          path: ["earlier", i, "version"],
          message: `version ${e.version} is listed twice`,
        });
      }
      seen.add(e.version);
      if (e.date > doc.date) {
        ctx.addIssue({
          code: "custom",
          path: ["earlier", i, "date"],
          message: "an earlier version must not be dated after the version in force",
        });
      }
    });
  });

const person = z.strictObject({
  name: nonEmpty,
  address: nonEmpty.optional(),
  email: z.email("must be an e-mail address").optional(),
  pec: z.email("must be an e-mail address").optional(),
  phone: nonEmpty.optional(),
});

export const tenantFileSchema = z.strictObject({
  /** Must match the file name (concorezzo.yaml → concorezzo). Used in URLs: /c/{slug}/. */
  slug,
  /** "Comune di Concorezzo". */
  name: nonEmpty,
  /** The channel's own name, e.g. WhatsConcorezzo. */
  serviceName: nonEmpty,
  /** The language citizens are addressed in by default. */
  defaultLocale: z.enum(["it", "en"]).default("it"),
  whatsapp: z.strictObject({
    phoneNumberId: z.string().regex(/^[0-9]{6,20}$/, "must be Meta's numeric phone-number id"),
    displayNumber: digits("the number citizens write to"),
    wabaId: z
      .string()
      .regex(/^[0-9]{6,20}$/, "must be Meta's numeric account id")
      .optional(),
    /** Messages per second this number may send (Meta: 80 by default, up to 1,000). */
    ratePerSecond: z.number().int().min(1).max(1000).default(80),
    /**
     * Meta's messaging-limit tier (unique people reached by templates outside their 24-hour window
     * per rolling 24 hours, per business portfolio), until Meta reports it by webhook.
     */
    messagingLimitTier: z
      .enum(["TIER_250", "TIER_2K", "TIER_10K", "TIER_100K", "TIER_UNLIMITED"])
      .optional(),
    /** Names of the environment variables that hold this comune's secrets. */
    secretsFromEnv: z.strictObject({
      accessToken: envVarName,
      appSecret: envVarName,
      verifyToken: envVarName,
    }),
  }),
  keywords: z
    .strictObject({
      /**
       * phrase: the whole message is the keyword ("ATTIVA ISCRIZIONE").
       * name-and-keyword: "Nome, Cognome + ATTIVA", the name is captured.
       */
      form: z.enum(["phrase", "name-and-keyword"]),
      subscribe: z.array(keywordPhrase).min(1, "needs at least one keyword"),
      unsubscribe: z.array(keywordPhrase).min(1, "needs at least one keyword"),
      /** Extra words that always unsubscribe; STOP always does. */
      extraOptOut: z.array(keywordPhrase).default([]),
      /** Accept ISCRIVIMI / MI ISCRIVO / CANCELLAMI / MI CANCELLO as well. */
      commonSynonyms: z.boolean().default(false),
      /**
       * The citizen's commands (issue #5 item 8): the whole message is one of the words.
       * Defaults: AIUTO / INFO, ARGOMENTI, DATI, CANCELLA DATI.
       */
      commands: z
        .strictObject({
          /** Lists the commands. */
          help: commandWords(DEFAULT_COMMANDS.help),
          /** Choose topics from an interactive list. */
          topics: commandWords(DEFAULT_COMMANDS.topics),
          /** What is stored about the citizen, also as a JSON document. */
          data: commandWords(DEFAULT_COMMANDS.data),
          /** Erase everything and unsubscribe. */
          erase: commandWords(DEFAULT_COMMANDS.erase),
        })
        .prefault({}),
    })
    .superRefine((keywords, ctx) => {
      // A word may do only one thing: "INFO" cannot both subscribe and list the commands.
      for (const { path, message } of findKeywordConflicts(keywords)) {
        ctx.addIssue({ code: "custom", path, message });
      }
    }),
  subscription: z
    .strictObject({
      /** Ask "Confermo" / "Annulla" (with the age declaration) before activating. */
      confirmationStep: z.boolean().default(false),
      minimumAge: z.number().int().min(13).max(18).default(14),
      /** Keep the WhatsApp profile name: only if the privacy notice lists it. */
      storeProfileName: z.boolean().default(false),
    })
    .prefault({}),
  /**
   * The automatic reply to anything that is not a command (R6). Since October 2026 Meta charges
   * free-form replies at the utility rate, so a comune may switch it off or cap it.
   */
  autoReply: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Per person per rolling 24 hours. */
      maxPerPersonPerDay: z.number().int().min(1).max(10).default(1),
    })
    .prefault({}),
  /**
   * Citizens' messages are not kept (docs/DESIGN.md §6) unless the comune enables the moderation
   * inbox; kept messages are purged after `retentionDays`.
   */
  moderation: z
    .strictObject({
      inbox: z.boolean().default(false),
      retentionDays: z.number().int().min(1).max(365).default(30),
    })
    .prefault({}),
  /** More than `maxMessages` in `windowMinutes` mutes the auto-reply and flags the person. */
  flood: z
    .strictObject({
      maxMessages: z.number().int().min(2).max(1000).default(20),
      windowMinutes: z.number().int().min(1).max(1440).default(10),
    })
    .prefault({}),
  /** When absent, the service has no stated hours. */
  serviceHours: z
    .strictObject({
      timeZone: timeZone.default("Europe/Rome"),
      weekly: z
        .strictObject({
          mon: dayHours.optional(),
          tue: dayHours.optional(),
          wed: dayHours.optional(),
          thu: dayHours.optional(),
          fri: dayHours.optional(),
          sat: dayHours.optional(),
          sun: dayHours.optional(),
        })
        .refine((w) => Object.values(w).some((d) => d.length > 0), "needs at least one day"),
      /** How the hours read in a reply ({hours}), e.g. "dal lunedì al venerdì, 9-13". */
      description: localizedLabel,
    })
    .optional(),
  topics: z
    .array(z.strictObject({ id: slug, label: localizedLabel }))
    .default([])
    .refine((ts) => new Set(ts.map((t) => t.id)).size === ts.length, "topic ids must be unique"),
  contacts: z.strictObject({
    email: z.email("must be an e-mail address"),
    website: httpsUrl,
    phone: nonEmpty.optional(),
    pec: z.email("must be an e-mail address").optional(),
  }),
  dataController: person,
  dpo: person.partial({ name: true }).refine((d) => d.email ?? d.pec, "needs an email or pec"),
  documents: z.strictObject({ regulation: document, privacyNotice: document }),
  texts: z.strictObject({ it: italianTexts, en: englishTexts.optional() }),
  /**
   * How the communication office's broadcasts are checked and approved (the broadcasts
   * module's policy layer): the four-eyes rule, the days the office is closed besides the
   * public holidays, the election periods (law 28/2000 art. 9), the names and links the
   * content check flags.
   */
  broadcasts: z
    .strictObject({
      /** The approver cannot be the author; off only for a one-person office. */
      fourEyes: z.boolean().default(true),
      /** Inside a recipient's 24-hour window, a free-form message instead of the template. */
      freeFormInWindow: z.boolean().default(false),
      /** The patron saint's day, MM-DD: the office is closed. */
      patronDay: z
        .string()
        .regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/, "must be a day written MM-DD")
        .optional(),
      electionPeriods: z
        .array(z.strictObject({ name: nonEmpty, from: isoDate, to: isoDate }))
        .default([])
        .refine((ps) => ps.every((p) => p.from <= p.to), "a period must not end before it starts"),
      /** The mayor's and councillors' names, flagged in a broadcast during an election period. */
      administrators: z.array(nonEmpty).default([]),
      /** Where links in a broadcast may point without a warning (subdomains included). */
      allowedLinkDomains: z.array(nonEmpty).default([]),
      /**
       * The content check's word lists (broadcasts/policy/content-words.ts), each rule's default
       * list with the comune's own words added and some removed.
       */
      wordLists: z
        .strictObject(
          Object.fromEntries(WORD_RULES.map((rule) => [rule, wordListEdit.optional()])) as Record<
            WordRule,
            z.ZodOptional<typeof wordListEdit>
          >,
        )
        .prefault({}),
      /**
       * The comune's WhatsApp templates by kind: outside a person's 24-hour window WhatsApp
       * delivers only an approved template. Each takes the broadcast's text as its one body
       * parameter, {{1}}; `image`, `video` and `document` show the broadcast's file in their
       * header. The `alert…` kinds (UTILITY templates) carry civil-protection and service notices:
       * urgent broadcasts and those whose topics are all service topics; without one, the
       * kind without `alert` is used.
       */
      templates: z
        .strictObject(
          Object.fromEntries(
            TEMPLATE_KINDS.map((kind) => [kind, templateRef.optional()]),
          ) as Record<TemplateKind, z.ZodOptional<typeof templateRef>>,
        )
        .prefault({}),
    })
    .prefault({}),
  /**
   * Per delivered message, for the cost estimate and the statistics (Meta's rate card for
   * Italy in EUR, VAT excluded). Meta's status webhooks say whether a message is charged and in
   * which category; these are the rates of the categories. `service` is the rate of free-form
   * messages inside the 24-hour window, charged since 2026-10-01 at the utility rate.
   */
  pricing: z
    .strictObject({
      currency: z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code like EUR"),
      marketing: z.number().nonnegative(),
      utility: z.number().nonnegative(),
      authentication: z.number().nonnegative(),
      service: z.number().nonnegative(),
      /** The day these rates took effect, shown with every estimate; absent: not stated. */
      validFrom: isoDate.optional(),
    })
    .default({
      currency: "EUR",
      marketing: 0.0658,
      utility: 0.0248,
      authentication: 0.0248,
      service: 0.0248,
    }),
});

export type TenantFile = z.infer<typeof tenantFileSchema>;
export type ReplyTexts = z.infer<typeof italianTexts>;
