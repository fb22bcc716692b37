import type { ReplyTexts } from "../../config/tenant-schema.js";
import type { Tenant } from "../../config/tenants.js";

/**
 * What a citizen reads: the comune's texts from its file, in the citizen's language, with the
 * placeholders filled. Texts added after the first tenant files (the commands of issue #5 item 8)
 * are optional in the file; these are their defaults.
 */
export type TextKey = keyof ReplyTexts;
export type Locale = "it" | "en";

type CommandTextKey =
  | "help"
  | "topicsPrompt"
  | "topicsButton"
  | "topicsChosen"
  | "topicsNone"
  | "subscribeFirst"
  | "dataIntro"
  | "erased";

export const DEFAULT_TEXTS: Record<Locale, Record<CommandTextKey, string>> = {
  it: {
    help: [
      "*{serviceName}*: ecco cosa puoi scrivere.",
      "",
      "- *{subscribeKeyword}*: iscriviti",
      "- *{unsubscribeKeyword}*: cancella l'iscrizione",
      "- *{topicsKeyword}*: scegli gli argomenti che ti interessano",
      "- *{dataKeyword}*: ricevi i dati che conserviamo su di te",
      "- *{eraseKeyword}*: cancella tutti i tuoi dati e l'iscrizione",
      "- *{helpKeyword}*: questo elenco",
      "",
      "Questo canale è solo informativo: per richieste e segnalazioni scrivi a {email} o visita {website}.",
      "Regolamento: {regulationUrl}",
      "Privacy: {privacyUrl}",
    ].join("\n"),
    topicsPrompt: [
      "Scegli gli argomenti di *{serviceName}* che ti interessano: apri la lista e tocca un argomento per aggiungerlo o toglierlo. Puoi ripetere per sceglierne altri.",
      "",
      "Ora ricevi: {topics}.",
    ].join("\n"),
    topicsButton: "Scegli argomenti",
    topicsChosen: [
      "Fatto. Ora ricevi: {topics}.",
      "",
      "Per aggiungere o togliere un argomento tocca di nuovo la lista, oppure scrivi *{topicsKeyword}*.",
    ].join("\n"),
    topicsNone:
      "*{serviceName}* invia a tutti gli iscritti le stesse comunicazioni: non ci sono argomenti da scegliere.",
    subscribeFirst:
      "Questo numero non risulta iscritto a *{serviceName}*. Per iscriverti scrivi *{subscribeKeyword}*.",
    dataIntro: [
      "Ecco i dati che *{serviceName}* conserva su di te: li trovi nel documento qui sotto (formato JSON, leggibile anche da altri programmi).",
      "",
      "Per cancellarli tutti scrivi *{eraseKeyword}*. Per domande sul trattamento dei dati: {email}.",
    ].join("\n"),
    erased: [
      "Fatto: abbiamo cancellato i tuoi dati e la tua iscrizione a *{serviceName}*. Resta soltanto, senza il tuo numero in chiaro, la registrazione di quando hai dato e revocato il consenso, come richiede la legge.",
      "",
      "Se cambi idea, scrivi *{subscribeKeyword}*.",
    ].join("\n"),
  },
  en: {
    help: [
      "*{serviceName}*: here is what you can send.",
      "",
      "- *{subscribeKeyword}*: subscribe",
      "- *{unsubscribeKeyword}*: unsubscribe",
      "- *{topicsKeyword}*: choose the topics you are interested in",
      "- *{dataKeyword}*: receive the data we keep about you",
      "- *{eraseKeyword}*: erase all your data and your subscription",
      "- *{helpKeyword}*: this list",
      "",
      "This channel only sends information: for requests and reports write to {email} or visit {website}.",
      "Rules: {regulationUrl}",
      "Privacy: {privacyUrl}",
    ].join("\n"),
    topicsPrompt: [
      "Choose the topics of *{serviceName}* you are interested in: open the list and tap a topic to add or remove it. Repeat to choose more.",
      "",
      "You now receive: {topics}.",
    ].join("\n"),
    topicsButton: "Choose topics",
    topicsChosen: [
      "Done. You now receive: {topics}.",
      "",
      "To add or remove a topic, tap the list again or send *{topicsKeyword}*.",
    ].join("\n"),
    topicsNone:
      "*{serviceName}* sends the same messages to every subscriber: there are no topics to choose.",
    subscribeFirst:
      "This number is not subscribed to *{serviceName}*. To subscribe, send *{subscribeKeyword}*.",
    dataIntro: [
      "Here is the data *{serviceName}* keeps about you, in the document below (JSON, readable by other programs too).",
      "",
      "To erase it all, send *{eraseKeyword}*. Questions about your data: {email}.",
    ].join("\n"),
    erased: [
      "Done: your data and your subscription to *{serviceName}* are erased. Only the record of when you gave and withdrew consent remains, without your number in clear, as the law requires.",
      "",
      "If you change your mind, send *{subscribeKeyword}*.",
    ].join("\n"),
  },
};

/** Labels that are not reply texts but still read by citizens. */
export const LABELS: Record<Locale, { allTopics: string; allTopicsRow: string; document: string }> =
  {
    it: {
      allTopics: "tutti gli argomenti",
      allTopicsRow: "Tutti gli argomenti",
      document: "I tuoi dati",
    },
    en: { allTopics: "all topics", allTopicsRow: "All topics", document: "Your data" },
  };

/** The comune's text in `locale`, else its Italian text, else the default. */
export function textOf(tenant: Tenant, locale: Locale, key: TextKey): string {
  const own = locale === "en" ? tenant.texts.en?.[key] : undefined;
  if (own) return own;
  if (locale === "en" && key in DEFAULT_TEXTS.en) {
    return keywordForm(tenant, DEFAULT_TEXTS.en[key as CommandTextKey], "en");
  }
  const italian = tenant.texts.it[key];
  if (italian) return italian;
  return keywordForm(tenant, DEFAULT_TEXTS.it[key as CommandTextKey], "it");
}

/**
 * {subscribeKeyword} is the keyword alone: a comune's own texts write the name form around it
 * ("Nome, Cognome + {subscribeKeyword}"); the defaults here do the same when the comune uses it.
 */
function keywordForm(tenant: Tenant, text: string, locale: Locale): string {
  if (tenant.keywords.form !== "name-and-keyword") return text;
  const name = locale === "en" ? "First name, Surname" : "Nome, Cognome";
  return text.replace(/\*\{(subscribeKeyword|unsubscribeKeyword)\}\*/g, `*${name} + {$1}*`);
}

export type TextVars = Partial<Record<string, string>>;

/** Fills `{placeholder}`s; an unknown or unset one is left as written (the schema checks names). */
export function fill(text: string, vars: TextVars): string {
  return text.replace(/\{([A-Za-z]+)\}/g, (whole, name: string) => vars[name] ?? whole);
}

export interface Placeholders {
  publicBaseUrl: string;
  locale: Locale;
  name?: string | null;
  /** The citizen's topic ids; empty = every topic. */
  topics?: readonly string[];
}

/** The values of every placeholder for a comune and a citizen. */
export function placeholders(tenant: Tenant, p: Placeholders): TextVars {
  const { locale } = p;
  const base = `${p.publicBaseUrl}/c/${tenant.slug}`;
  const hours = tenant.serviceHours
    ? locale === "en"
      ? (tenant.serviceHours.description.en ?? tenant.serviceHours.description.it)
      : tenant.serviceHours.description.it
    : locale === "en"
      ? "without fixed hours"
      : "senza orari prestabiliti";
  const commands = tenant.keywords.commands;
  return {
    comune: tenant.name,
    serviceName: tenant.serviceName,
    subscribeKeyword: tenant.keywords.subscribe[0] ?? "",
    unsubscribeKeyword: tenant.keywords.unsubscribe[0] ?? "",
    // Always the versioned pages: the version a citizen accepts stays readable there, and each
    // links the comune's own full text (`documents.*.url`) when it has one.
    regulationUrl: `${base}/regolamento`,
    privacyUrl: `${base}/privacy`,
    website: tenant.contacts.website,
    email: tenant.contacts.email,
    phone: tenant.contacts.phone ?? tenant.contacts.email,
    hours,
    minimumAge: String(tenant.subscription.minimumAge),
    name: p.name ?? "",
    topics: topicsText(tenant, p.topics ?? [], locale),
    allTopics: tenant.topics.map((t) => `- ${topicLabel(tenant, t.id, locale)}`).join("\n"),
    helpKeyword: commands.help[0] ?? "AIUTO",
    topicsKeyword: commands.topics[0] ?? "ARGOMENTI",
    dataKeyword: commands.data[0] ?? "DATI",
    eraseKeyword: commands.erase[0] ?? "CANCELLA DATI",
  };
}

export function topicLabel(tenant: Tenant, id: string, locale: Locale): string {
  const topic = tenant.topics.find((t) => t.id === id);
  if (!topic) return id;
  return locale === "en" ? (topic.label.en ?? topic.label.it) : topic.label.it;
}

function topicsText(tenant: Tenant, ids: readonly string[], locale: Locale): string {
  const known = ids.filter((id) => tenant.topics.some((t) => t.id === id));
  if (known.length === 0) return LABELS[locale].allTopics;
  return known.map((id) => topicLabel(tenant, id, locale)).join(", ");
}

/** A reply ready to send: the comune's text in the citizen's language with everything filled. */
export function render(tenant: Tenant, key: TextKey, p: Placeholders): string {
  let text = textOf(tenant, p.locale, key);
  if (key === "help" && tenant.topics.length === 0) {
    // A comune without topics has nothing to choose: leave the line about choosing them out.
    text = text
      .split("\n")
      .filter((line) => !line.includes("{topicsKeyword}"))
      .join("\n");
  }
  return fill(text, placeholders(tenant, p));
}

export function localeOf(tenant: Tenant, stored?: string | null): Locale {
  if (stored === "it" || stored === "en") return stored;
  return tenant.defaultLocale;
}
