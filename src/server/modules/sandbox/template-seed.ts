import { newNumericId } from "./ids.js";
import type { Template } from "./templates.js";

/** What the seed needs to know about a WhatsApp Business Account and its comune. */
export interface SeedAccount {
  wabaId: string;
  tenant: string;
  /** "Comune di Concorezzo". */
  name: string;
}

/**
 * The approved templates every demo WABA starts with, in Italian: the broadcasts a comune sends
 * (docs/whatsapp-cloud-api.md §6.1 on categories: alerts are UTILITY, news and events MARKETING).
 * Texts never start or end with a variable, as Meta requires at creation.
 */
export function seedTemplates(accounts: readonly SeedAccount[]): Template[] {
  const seen = new Set<string>();
  const templates: Template[] = [];
  for (const account of accounts) {
    // Several numbers may share a WABA: its templates exist once.
    if (seen.has(account.wabaId)) continue;
    seen.add(account.wabaId);
    templates.push(...templatesFor(account));
  }
  return templates;
}

/** The bodies of the broadcasts' templates: the office's text, then what the citizen may do. */
const NEWS =
  "Notizie dal Comune:\n{{1}}\nPer non ricevere più questi messaggi tocca «Annulla iscrizione».";
const NOTICE =
  "Avviso del Comune:\n{{1}}\nSegui gli aggiornamenti sui canali ufficiali del Comune.";

function templatesFor(account: SeedAccount): Template[] {
  const footer = account.name.slice(0, 60);
  const base = {
    wabaId: account.wabaId,
    language: "it",
    status: "APPROVED",
    parameter_format: "POSITIONAL",
  } as const;
  return [
    {
      ...base,
      id: newNumericId(),
      name: "avviso_protezione_civile",
      category: "UTILITY",
      components: [
        {
          type: "HEADER",
          format: "TEXT",
          text: "Protezione civile: {{1}} in corso",
          example: { header_text: ["allerta meteo"] },
        },
        {
          type: "BODY",
          text: "Il Comune informa: {{1}}.\nIndicazioni per la popolazione: {{2}}.\nSegui gli aggiornamenti sui canali ufficiali del Comune.",
          example: {
            body_text: [
              [
                "allerta arancione per temporali fino alle 24 di oggi",
                "evitare sottopassi e zone allagabili",
              ],
            ],
          },
        },
        { type: "FOOTER", text: footer },
      ],
    },
    {
      ...base,
      id: newNumericId(),
      name: "notizia_comune",
      category: "MARKETING",
      components: [
        {
          type: "BODY",
          text: "Notizie dal Comune:\n{{1}}\nPer non ricevere più questi messaggi tocca «Annulla iscrizione».",
          example: { body_text: [["da lunedì riapre la biblioteca civica con orario esteso"]] },
        },
        { type: "FOOTER", text: footer },
        { type: "BUTTONS", buttons: [{ type: "QUICK_REPLY", text: "Annulla iscrizione" }] },
      ],
    },
    {
      ...base,
      id: newNumericId(),
      name: "evento_comune",
      category: "MARKETING",
      components: [
        {
          type: "HEADER",
          format: "IMAGE",
          example: { header_handle: ["4::aW1hZ2UvanBlZw==:sandbox"] },
        },
        {
          type: "BODY",
          text: "Ti segnaliamo l'evento {{1}}, in programma {{2}}.\nTi aspettiamo!",
          example: { body_text: [["«Festa d'autunno»", "sabato 10 ottobre in piazza"]] },
        },
        { type: "FOOTER", text: footer },
        {
          type: "BUTTONS",
          buttons: [
            {
              type: "URL",
              text: "Dettagli",
              url: `https://${account.tenant}.example.it/eventi/{{1}}`,
              example: [`https://${account.tenant}.example.it/eventi/festa-autunno`],
            },
          ],
        },
      ],
    },
    {
      ...base,
      id: newNumericId(),
      name: "chiusura_strada",
      category: "UTILITY",
      components: [
        {
          type: "BODY",
          text: "Avviso viabilità: {{1}} sarà chiusa {{2}} per {{3}}.\nSi consiglia di seguire i percorsi alternativi indicati.",
          example: {
            body_text: [["via Roma", "dalle 8 alle 18 di martedì", "lavori di asfaltatura"]],
          },
        },
        { type: "FOOTER", text: footer },
      ],
    },
    {
      ...base,
      id: newNumericId(),
      name: "conferma_iscrizione",
      category: "UTILITY",
      components: [
        {
          type: "BODY",
          text: "Gentile {{1}}, la tua iscrizione al servizio è attiva.\nPer annullarla scrivi in qualsiasi momento la parola indicata nel regolamento.",
          example: { body_text: [["Mario Rossi"]] },
        },
        { type: "FOOTER", text: footer },
      ],
    },
    // The broadcasts' templates by kind (the comune's file names them: broadcasts.templates):
    // news with a picture or a document, and service notices (civil protection, traffic) as
    // text or with a picture. Each takes the office's text as its one body parameter.
    ...(
      [
        ["notizia_immagine", "MARKETING", "IMAGE", NEWS],
        ["notizia_documento", "MARKETING", "DOCUMENT", NEWS],
        ["avviso_comune", "UTILITY", undefined, NOTICE],
        ["avviso_immagine", "UTILITY", "IMAGE", NOTICE],
      ] as const
    ).map(([name, category, header, body]): Template => ({
      ...base,
      id: newNumericId(),
      name,
      category,
      components: [
        ...(header
          ? [
              {
                type: "HEADER" as const,
                format: header,
                example: { header_handle: ["4::aW1hZ2UvanBlZw==:sandbox"] },
              },
            ]
          : []),
        {
          type: "BODY" as const,
          text: body,
          example: { body_text: [["da lunedì riapre la biblioteca civica con orario esteso"]] },
        },
        { type: "FOOTER" as const, text: footer },
        ...(category === "MARKETING"
          ? [
              {
                type: "BUTTONS" as const,
                buttons: [{ type: "QUICK_REPLY" as const, text: "Annulla iscrizione" }],
              },
            ]
          : []),
      ],
    })),
    {
      // Meta gives every test number this template; clients written against Meta's tutorial use it.
      ...base,
      id: newNumericId(),
      name: "hello_world",
      language: "en_US",
      category: "UTILITY",
      components: [
        { type: "HEADER", format: "TEXT", text: "Hello World" },
        {
          type: "BODY",
          text: "Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification from the Cloud API, hosted by Meta. Thank you for taking the time to test with us.",
        },
        { type: "FOOTER", text: "WhatsApp Business Platform sample message" },
      ],
    },
  ];
}
