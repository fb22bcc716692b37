import type { Locale } from "../../platform/http/locale.js";

/** A label the comune's file gives in Italian and, optionally, English. */
export function pick(label: { it: string; en?: string | undefined }, locale: Locale): string {
  return locale === "en" ? (label.en ?? label.it) : label.it;
}

/** The words of the public pages, in both languages. The comune's own texts come from its file. */
const IT = {
  skipToContent: "Vai al contenuto",
  breadcrumbs: "Percorso di navigazione",
  mainMenu: "Menu del servizio",
  languages: "Lingua",
  website: "Sito del Comune",
  home: "Iscriviti",
  archive: "Notizie",
  regulation: "Regolamento",
  privacy: "Privacy",
  poster: "Locandina",
  contacts: "Contatti",
  email: "E-mail",
  pec: "PEC",
  phone: "Telefono",
  feeds: "Ricevi le notizie con un lettore di feed",
  footerNote:
    "Questo servizio si aggiunge ai canali di sempre del Comune (albo pretorio, sito, bacheche) e non li sostituisce.",
  subscribeButton: "Iscriviti su WhatsApp",
  subscribeTitle: "Come iscriversi",
  orWrite: "Oppure salva il numero {number} in rubrica e scrivi su WhatsApp il messaggio:",
  nameForm:
    "Scrivi il tuo nome e cognome al posto di «Nome, Cognome». Per esempio: «Maria, Bianchi + {keyword}».",
  confirmStep: "Ti risponderemo chiedendo di confermare: tocca «{button}» e l'iscrizione è attiva.",
  qrTitle: "Inquadra il codice con il telefono",
  qrAlt: "Codice QR: apre WhatsApp con il messaggio «{message}» per il numero {number}",
  qrDownload: "Scarica il codice QR (PNG)",
  qrDownloadSvg: "Scarica il codice QR (SVG)",
  posterLink: "Stampa la locandina per la bacheca",
  age: "Il servizio è per chi ha almeno {age} anni; chi ne ha meno si iscrive con il consenso di un genitore.",
  topicsTitle: "Gli argomenti",
  topicsIntro:
    "All'inizio ricevi tutti gli argomenti. Per sceglierne solo alcuni, dopo l'iscrizione scrivi «{keyword}».",
  unsubscribeTitle: "Come cancellarsi",
  unsubscribeText: "In qualsiasi momento scrivi allo stesso numero il messaggio «{message}».",
  oneWayTitle: "Un canale solo informativo",
  oneWayText:
    "I messaggi inviati a questo numero non vengono letti e le chiamate non ricevono risposta. Per scrivere al Comune usa i canali di sempre: {channels}.",
  latestTitle: "Le ultime notizie",
  allNews: "Tutte le notizie",
  noNews: "Non ci sono ancora notizie pubblicate.",
  documentsTitle: "Regolamento e privacy",
  documentsText: "Iscrivendoti accetti il regolamento del servizio e l'informativa sulla privacy.",
  withoutHours: "senza orari prestabiliti",
  free: "Il servizio è gratuito.",
  privateList:
    "Ogni messaggio arriva a ciascun iscritto singolarmente: nessuno vede il tuo numero né quello degli altri iscritti.",
  version: "Versione {version} del {date}",
  inForce: "in vigore",
  earlierVersions: "Versioni precedenti",
  notInForce: "Versione non più in vigore",
  earlierNotice:
    "Questa è la versione {version}, in vigore dal {date}. Non è più in vigore: la versione attuale è la {current}.",
  readCurrent: "Leggi la versione in vigore",
  fullText: "Il testo completo sul sito del Comune",
  archiveTitle: "Le notizie di {service}",
  archiveIntro: "Le comunicazioni che il Comune ha inviato agli iscritti e ha reso pubbliche.",
  search: "Cerca",
  searchLabel: "Cerca nelle notizie",
  topicLabel: "Argomento",
  allTopics: "Tutti gli argomenti",
  results: "{count} notizie",
  oneResult: "1 notizia",
  noResults: "Nessuna notizia corrisponde alla ricerca.",
  pagination: "Pagine delle notizie",
  previous: "Precedenti",
  next: "Successive",
  pageOf: "Pagina {page} di {pages}",
  urgent: "Urgente",
  sentOn: "Inviata il {date}",
  readMore: "Leggi la notizia",
  backToArchive: "Torna alle notizie",
  pictureOf: "Immagine della notizia: {title}",
  downloadDocument: "Scarica il documento «{name}» ({size})",
  embedTitle: "Le notizie sul sito del Comune",
  embedText:
    "Per mostrare le ultime notizie su un'altra pagina, incolla questo codice dove devono comparire:",
  widgetTitle: "Ultime notizie da {service}",
  posterHeadline: "Le notizie del Comune su WhatsApp",
  posterHow: "Inquadra il codice QR oppure salva il numero e scrivi:",
  posterHours: "Attivo {hours}.",
  posterFree: "Gratuito. Nessuno vede il tuo numero.",
  posterName: "Al posto di «Nome, Cognome» scrivi il tuo nome e cognome.",
  posterLeave: "Per cancellarti scrivi «{message}».",
  posterPdf: "Scarica la locandina in PDF (A4)",
  posterPrint: "Per stamparla usa il comando Stampa del browser: occupa un foglio A4.",
  notFoundTitle: "Pagina non trovata",
  notFoundText: "La pagina che cerchi non esiste o è stata spostata.",
  intro: "Con {service} ricevi su WhatsApp le informazioni di pubblica utilità del Comune: {what}.",
  introWhatDefault: "avvisi, scadenze, eventi e notizie sui servizi comunali",
  hours: "Il servizio è attivo {hours}; in caso di necessità anche fuori orario.",
  noHours: "I messaggi arrivano quando il Comune ha qualcosa da comunicare.",
};

type Texts = typeof IT;

const EN: Texts = {
  skipToContent: "Skip to content",
  breadcrumbs: "You are here",
  mainMenu: "Service menu",
  languages: "Language",
  website: "The Comune's website",
  home: "Subscribe",
  archive: "News",
  regulation: "Service rules",
  privacy: "Privacy",
  poster: "Poster",
  contacts: "Contacts",
  email: "E-mail",
  pec: "Certified e-mail (PEC)",
  phone: "Phone",
  feeds: "Follow the news with a feed reader",
  footerNote:
    "This service adds to the Comune's usual channels (official notice board, website, notice boards) and does not replace them.",
  subscribeButton: "Subscribe on WhatsApp",
  subscribeTitle: "How to subscribe",
  orWrite: "Or save the number {number} in your contacts and send this WhatsApp message:",
  nameForm:
    "Write your first name and surname instead of «Nome, Cognome». For example: «Maria, Bianchi + {keyword}».",
  confirmStep: "We will ask you to confirm: tap «{button}» and you are subscribed.",
  qrTitle: "Scan the code with your phone",
  qrAlt: "QR code: opens WhatsApp with the message «{message}» to the number {number}",
  qrDownload: "Download the QR code (PNG)",
  qrDownloadSvg: "Download the QR code (SVG)",
  posterLink: "Print the poster for the notice board",
  age: "The service is for people aged {age} or over; younger people subscribe with a parent's consent.",
  topicsTitle: "Topics",
  topicsIntro:
    "At first you receive every topic. To choose only some, send «{keyword}» after subscribing.",
  unsubscribeTitle: "How to unsubscribe",
  unsubscribeText: "At any time, send the message «{message}» to the same number.",
  oneWayTitle: "A one-way channel",
  oneWayText:
    "Messages sent to this number are not read and calls are not answered. To contact the Comune, use the usual channels: {channels}.",
  latestTitle: "Latest news",
  allNews: "All news",
  noNews: "No news has been published yet.",
  documentsTitle: "Rules and privacy",
  documentsText: "By subscribing you accept the service rules and the privacy notice.",
  withoutHours: "without fixed hours",
  free: "The service is free.",
  privateList:
    "Each subscriber gets every message individually: nobody sees your number or anyone else's.",
  version: "Version {version} of {date}",
  inForce: "in force",
  earlierVersions: "Earlier versions",
  notInForce: "No longer in force",
  earlierNotice:
    "This is version {version}, in force from {date}. It is no longer in force: the current version is {current}.",
  readCurrent: "Read the version in force",
  fullText: "The full text on the Comune's website",
  archiveTitle: "News from {service}",
  archiveIntro: "The messages the Comune sent to its subscribers and made public.",
  search: "Search",
  searchLabel: "Search the news",
  topicLabel: "Topic",
  allTopics: "All topics",
  results: "{count} news items",
  oneResult: "1 news item",
  noResults: "No news matches your search.",
  pagination: "News pages",
  previous: "Newer",
  next: "Older",
  pageOf: "Page {page} of {pages}",
  urgent: "Urgent",
  sentOn: "Sent on {date}",
  readMore: "Read the news",
  backToArchive: "Back to the news",
  pictureOf: "Picture of the news item: {title}",
  downloadDocument: "Download the document “{name}” ({size})",
  embedTitle: "The news on the Comune's website",
  embedText: "To show the latest news on another page, paste this code where it should appear:",
  widgetTitle: "Latest news from {service}",
  posterHeadline: "News from the Comune on WhatsApp",
  posterHow: "Scan the QR code, or save the number and send:",
  posterHours: "Runs {hours}.",
  posterFree: "Free. Nobody sees your number.",
  posterName: "Write your first name and surname instead of «Nome, Cognome».",
  posterLeave: "To unsubscribe, send «{message}».",
  posterPdf: "Download the poster as a PDF (A4)",
  posterPrint: "To print it, use your browser's Print command: it fills one A4 sheet.",
  notFoundTitle: "Page not found",
  notFoundText: "The page you are looking for does not exist or has moved.",
  intro: "With {service} you get the Comune's public-interest information on WhatsApp: {what}.",
  introWhatDefault: "notices, deadlines, events and news about municipal services",
  hours: "The service runs {hours}; when necessary, also outside these hours.",
  noHours: "Messages arrive when the Comune has something to tell.",
};

export type TextKey = keyof Texts;

/** A text of the pages with its {placeholders} filled. */
export function t(
  locale: Locale,
  key: TextKey,
  vars: Record<string, string | number> = {},
): string {
  const text = (locale === "en" ? EN : IT)[key];
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

/** "15 gennaio 2024" / "15 January 2024", in the comune's time zone. */
export function formatDate(instant: number | string, locale: Locale, timeZone: string): string {
  const date = typeof instant === "string" ? new Date(`${instant}T12:00:00Z`) : new Date(instant);
  return new Intl.DateTimeFormat(locale === "en" ? "en-GB" : "it-IT", {
    day: "numeric",
    month: "long",
    year: "numeric",
    timeZone,
  }).format(date);
}
