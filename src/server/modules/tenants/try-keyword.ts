import type { TenantFile } from "../../config/tenant-schema.js";
import type { Locale } from "../../platform/http/locale.js";
import { readCitizenMessage, type CitizenCommand } from "../citizens/grammar.js";

/**
 * "Prova un messaggio": what the citizens' grammar (citizens/grammar.ts, the same call the
 * conversation makes) reads in a sentence with the comune's keywords, told in plain words, and
 * what the service would answer.
 */
export interface KeywordTrial {
  action: "subscribe" | "unsubscribe" | "command" | "other";
  command?: CitizenCommand;
  firstName?: string;
  lastName?: string;
  /** The configured keyword that matched, as the settings write it. */
  keyword?: string;
  /** "Iscrizione, nome: Anna, cognome: Bianchi". */
  reading: string;
  /** What the service would do next. */
  reply: string;
}

const COMMAND_NAMES: Record<CitizenCommand, Record<Locale, string>> = {
  help: { it: "Aiuto", en: "Help" },
  topics: { it: "Scelta degli argomenti", en: "Choosing topics" },
  data: { it: "Richiesta dei propri dati", en: "Asking for one's data" },
  erase: { it: "Cancellazione dei dati", en: "Erasing one's data" },
};

const COMMAND_REPLIES: Record<CitizenCommand, Record<Locale, string>> = {
  help: {
    it: "Risponderebbe con l'elenco dei comandi.",
    en: "It would answer with the list of commands.",
  },
  topics: {
    it: "Risponderebbe con l'elenco degli argomenti da scegliere.",
    en: "It would answer with the list of topics to choose from.",
  },
  data: {
    it: "Invierebbe i dati conservati sulla persona (solo a chi è iscritto).",
    en: "It would send the data kept about the person (subscribers only).",
  },
  erase: {
    it: "Cancellerebbe i dati della persona e la sua iscrizione.",
    en: "It would erase the person's data and subscription.",
  },
};

export function tryKeyword(
  text: string,
  tenant: Pick<TenantFile, "keywords" | "subscription" | "autoReply">,
  locale: Locale,
): KeywordTrial {
  const { intent, keyword } = readCitizenMessage(text, tenant.keywords);
  const en = locale === "en";
  const withKeyword = <T extends object>(trial: T) =>
    keyword === undefined ? trial : { ...trial, keyword };
  switch (intent.action) {
    case "subscribe": {
      const parts = [en ? "Subscription" : "Iscrizione"];
      if (intent.firstName) parts.push(`${en ? "first name" : "nome"}: ${intent.firstName}`);
      if (intent.lastName) parts.push(`${en ? "surname" : "cognome"}: ${intent.lastName}`);
      const nameMissing = tenant.keywords.form === "name-and-keyword" && !intent.firstName;
      const reply = nameMissing
        ? en
          ? "It would ask for the first name and surname."
          : "Chiederebbe nome e cognome."
        : tenant.subscription.confirmationStep
          ? en
            ? "It would ask to confirm (age and rules) before subscribing."
            : "Chiederebbe la conferma (età e regolamento) prima di iscrivere."
          : en
            ? "It would subscribe the person and send the confirmation."
            : "Iscriverebbe la persona e invierebbe la conferma.";
      return withKeyword({
        action: "subscribe" as const,
        ...(intent.firstName ? { firstName: intent.firstName } : {}),
        ...(intent.lastName ? { lastName: intent.lastName } : {}),
        reading: parts.join(", "),
        reply,
      });
    }
    case "unsubscribe":
      return withKeyword({
        action: "unsubscribe" as const,
        reading: en ? "Unsubscribing" : "Cancellazione dell'iscrizione",
        reply: en
          ? "It would unsubscribe the person and confirm it."
          : "Cancellerebbe l'iscrizione e lo confermerebbe.",
      });
    case "command":
      return withKeyword({
        action: "command" as const,
        command: intent.command,
        reading: `${en ? "Command" : "Comando"}: ${COMMAND_NAMES[intent.command][locale]}`,
        reply: COMMAND_REPLIES[intent.command][locale],
      });
    case "other":
      return {
        action: "other",
        reading: en ? "No command recognised" : "Nessun comando riconosciuto",
        reply: tenant.autoReply.enabled
          ? en
            ? "It would answer with the automatic reply (the official channels and how to subscribe)."
            : "Risponderebbe con il messaggio automatico (i canali ufficiali e come iscriversi)."
          : en
            ? "It would not answer: the automatic reply is off."
            : "Non risponderebbe: il messaggio automatico è spento.",
      };
  }
}
