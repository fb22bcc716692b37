import { beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "../../config/env.js";
import { loadTenants, type Tenant } from "../../config/tenants.js";
import { SHIPPED_TENANTS_DIR } from "../../test/build-test-app.js";
import {
  readCitizenMessage,
  readCitizenText,
  readConfirmation,
  titleCase,
  typoDistance,
  type CitizenCommand,
  type CitizenIntent,
  type KeywordSettings,
} from "./grammar.js";

/** A message and what the grammar must read in it. */
type Case = [text: string, expected: CitizenIntent];

const subscribe = (firstName?: string, lastName?: string): CitizenIntent =>
  firstName || lastName ? { action: "subscribe", firstName, lastName } : { action: "subscribe" };
const UNSUBSCRIBE: CitizenIntent = { action: "unsubscribe" };
const OTHER: CitizenIntent = { action: "other" };
const command = (c: CitizenCommand): CitizenIntent => ({ action: "command", command: c });

/** The demo comuni's real settings, loaded with the service's own loader. */
let shipped: Record<"concorezzo" | "casale", KeywordSettings>;
beforeAll(async () => {
  const { tenants } = await loadTenants(parseEnv({ TENANTS_DIR: SHIPPED_TENANTS_DIR }));
  const keywordsOf = (slug: string) => {
    const tenant: Tenant | undefined = tenants.find((t) => t.slug === slug);
    if (!tenant) throw new Error(`the demo comune ${slug} is missing`);
    return tenant.keywords;
  };
  shipped = { concorezzo: keywordsOf("concorezzo"), casale: keywordsOf("casale-marittimo") };
});

const withSynonyms = (k: KeywordSettings): KeywordSettings => ({ ...k, commonSynonyms: true });

// Concorezzo, art. 3: "ATTIVA ISCRIZIONE" / "DISATTIVA ISCRIZIONE"; no name is asked or kept.
const concorezzoCases: Case[] = [
  // the phrase, however it is typed
  ["ATTIVA ISCRIZIONE", subscribe()],
  ["attiva iscrizione", subscribe()],
  ["Attiva Iscrizione", subscribe()],
  ["  ATTIVA    ISCRIZIONE  ", subscribe()],
  ["ATTIVA ISCRIZIONE!!!", subscribe()],
  ["*ATTIVA ISCRIZIONE*", subscribe()],
  ["“ATTIVA ISCRIZIONE”", subscribe()],
  ["attivà iscrizione", subscribe()],
  ["ATTIVA-ISCRIZIONE", subscribe()],
  ["ATTIVA\nISCRIZIONE", subscribe()],
  ["👍 ATTIVA ISCRIZIONE 👍", subscribe()],
  ["Buongiorno, ATTIVA ISCRIZIONE", subscribe()],
  ["Salve! attiva iscrizione grazie", subscribe()],
  ["ATTIVA ISCRIZIONE grazie mille 🙏", subscribe()],
  ["Buonasera ATTIVA ISCRIZIONE per favore", subscribe()],
  ["Buon giorno. Attiva iscrizione. Cordiali saluti", subscribe()],
  // one typo in the long word
  ["ATTIVA ISCRIZONE", subscribe()],
  ["attiva iscrizinoe", subscribe()],
  ["Attiva iscrizzione", subscribe()],
  // a name around the phrase is accepted, not kept
  ["Mario Rossi ATTIVA ISCRIZIONE", subscribe()],
  ["Ciao, sono Giulia Bianchi: attiva iscrizione", subscribe()],
  ["ATTIVA ISCRIZIONE, Paolo Verdi", subscribe()],
  // leaving
  ["DISATTIVA ISCRIZIONE", UNSUBSCRIBE],
  ["disattiva iscrizione grazie", UNSUBSCRIBE],
  ["DISATIVA ISCRIZIONE", UNSUBSCRIBE],
  ["Disattiva iscrizione?", UNSUBSCRIBE],
  ["Mario Rossi DISATTIVA ISCRIZIONE", UNSUBSCRIBE],
  ["STOP", UNSUBSCRIBE],
  ["stop", UNSUBSCRIBE],
  ["Stop. 🛑", UNSUBSCRIBE],
  ["STOP!!! grazie", UNSUBSCRIBE],
  // commands
  ["AIUTO", command("help")],
  ["info", command("help")],
  ["Info?", command("help")],
  ["ARGOMENTI", command("topics")],
  ["argomenti 📋", command("topics")],
  ["ARGOMNETI", command("topics")],
  ["DATI", command("data")],
  ["dati grazie", command("data")],
  ["CANCELLA DATI", command("erase")],
  ["Cancela dati", command("erase")],
  // not a keyword
  ["ATTIVA", OTHER],
  ["ISCRIZIONE", OTHER],
  ["ATIVA ISCRIZIONE", OTHER],
  ["ATTIVA ISCRIZZIONI", OTHER],
  ["ATTIVA ISCRIZIONE?", OTHER],
  ["Come attivo l'iscrizione a scuola?", OTHER],
  ["Vorrei disattivare la TARI", OTHER],
  ["Ciao, a che ora apre l'anagrafe?", OTHER],
  ["vorrei ATTIVA ISCRIZIONE per mio figlio", OTHER],
  ["L'iscrizione è attiva?", OTHER],
  ["Ho già fatto ATTIVA ISCRIZIONE", OTHER],
  ["stop ai messaggi di notte", OTHER],
  ["ISCRIVIMI", OTHER],
  ["CANCELLAMI", OTHER],
  ["DATI personali", OTHER],
  ["", OTHER],
  ["🙏🙏", OTHER],
  ["grazie", OTHER],
];

// Casale: "Nome, Cognome + ATTIVA" / "Nome, Cognome + DISATTIVA" (also with "-"); the name is kept.
const casaleCases: Case[] = [
  // name and keyword, as the comune's page writes it and as people actually type it
  ["Mario, Rossi + ATTIVA", subscribe("Mario", "Rossi")],
  ["Mario Rossi + ATTIVA", subscribe("Mario", "Rossi")],
  ["Mario Rossi - ATTIVA", subscribe("Mario", "Rossi")],
  ["Mario Rossi ATTIVA", subscribe("Mario", "Rossi")],
  ["Mario Rossi-ATTIVA", subscribe("Mario", "Rossi")],
  ["mario rossi attiva", subscribe("Mario", "Rossi")],
  ["MARIO ROSSI ATTIVA", subscribe("Mario", "Rossi")],
  ["Mario Rossi attivà", subscribe("Mario", "Rossi")],
  ["Giovanni De Luca + ATTIVA", subscribe("Giovanni", "De Luca")],
  ["Maria Grazia Bianchi + ATTIVA", subscribe("Maria Grazia", "Bianchi")],
  ["anna maria della valle attiva", subscribe("Anna Maria", "Della Valle")],
  ["Giuseppe D’Amico + ATTIVA", subscribe("Giuseppe", "D'Amico")],
  ["giuseppe d' amico, attiva", subscribe("Giuseppe", "D'Amico")],
  ["Lucia Rossi-Bianchi + ATTIVA", subscribe("Lucia", "Rossi-Bianchi")],
  ["Niccolò Cantù + ATTIVA", subscribe("Niccolò", "Cantù")],
  ["Buongiorno, sono Marco Neri + ATTIVA grazie", subscribe("Marco", "Neri")],
  ["Salve, Paola Gialli ATTIVA 😊", subscribe("Paola", "Gialli")],
  ["Mi chiamo Sara Conti, ATTIVA", subscribe("Sara", "Conti")],
  ["Sig.ra Franca Sala + ATTIVA", subscribe("Franca", "Sala")],
  ["ATTIVA Mario Rossi", subscribe("Mario", "Rossi")],
  ["ATTIVA: Elena McDonald", subscribe("Elena", "McDonald")],
  // the keyword alone, or the instructions copied literally: subscribe, the name is asked next
  ["ATTIVA", subscribe()],
  ["attiva 👍", subscribe()],
  ["Nome, Cognome + ATTIVA", subscribe()],
  // leaving
  ["Mario, Rossi + DISATTIVA", UNSUBSCRIBE],
  ["Mario Rossi - DISATTIVA", UNSUBSCRIBE],
  ["DISATTIVA", UNSUBSCRIBE],
  ["disativa", UNSUBSCRIBE],
  ["Mario Rossi disattivà grazie", UNSUBSCRIBE],
  ["Stop", UNSUBSCRIBE],
  // commands
  ["AIUTO", command("help")],
  ["Argomenti", command("topics")],
  ["Dati?", command("data")],
  ["CANCELLA DATI 🗑️", command("erase")],
  // sentences, half names, typos in a short keyword
  ["la carta è attiva?", OTHER],
  ["Come attivo l'iscrizione a scuola?", OTHER],
  ["vorrei disattivare la TARI", OTHER],
  ["Ho attivato la carta d'identità?", OTHER],
  ["il servizio è attivo?", OTHER],
  ["Attiva la newsletter", OTHER],
  ["È attiva la linea?", OTHER],
  ["Mario ATTIVA", OTHER],
  ["Mario Rossi ATTIVA?", OTHER],
  ["ATIVA", OTHER],
  ["Mario Rossi ATIVA", OTHER],
  ["Mario Rossi ATTIVA ISCRIZIONE", OTHER],
  ["DISATTIVA ATTIVA", OTHER],
  ["Mario Rossi 3331234567 ATTIVA", OTHER],
  ["De Luca ATTIVA", OTHER],
  ["Mario Rossi DATI", OTHER],
  ["Mario Rossi iscrivimi", OTHER],
];

// The optional synonyms (docs/DESIGN.md §7), switched on in a copy of each comune's settings.
const concorezzoSynonymCases: Case[] = [
  ["ISCRIVIMI", subscribe()],
  ["Mi iscrivo", subscribe()],
  ["iscrivmi grazie", subscribe()],
  ["Mario Rossi iscrivimi", subscribe()],
  ["CANCELLAMI", UNSUBSCRIBE],
  ["mi cancello grazie", UNSUBSCRIBE],
  ["CANCELLA DATI", command("erase")],
  ["Cancellami dalla lista", OTHER],
  ["Mi iscrivo?", OTHER],
  ["ATTIVA ISCRIZIONE", subscribe()],
];
const casaleSynonymCases: Case[] = [
  ["Mario Rossi iscrivimi", subscribe("Mario", "Rossi")],
  ["Iscrivimi + Mario Rossi", subscribe("Mario", "Rossi")],
  ["mi iscrivo, anna verdi", subscribe("Anna", "Verdi")],
  ["ISCRIVIMI", subscribe()],
  ["Anna Verdi mi cancello", UNSUBSCRIBE],
  ["cancelami", UNSUBSCRIBE],
  ["come mi iscrivo?", OTHER],
];

// A comune's own opt-out words and command words.
const customized = (base: KeywordSettings): KeywordSettings => ({
  ...base,
  extraOptOut: ["BASTA", "Non inviate più"],
  commands: { help: ["AIUTAMI"], topics: ["TEMI"], data: ["I MIEI DATI"], erase: ["OBLIO"] },
});
const customCases: Case[] = [
  ["Basta!", UNSUBSCRIBE],
  ["basta grazie", UNSUBSCRIBE],
  ["NON INVIATE PIU", UNSUBSCRIBE],
  ["STOP", UNSUBSCRIBE],
  ["BASTA così", OTHER],
  ["aiutami", command("help")],
  ["temi", command("topics")],
  ["I miei dati", command("data")],
  ["oblio", command("erase")],
  ["AIUTO", OTHER],
  ["DATI", OTHER],
];

describe("Concorezzo (phrase form)", () => {
  it.each(concorezzoCases)("%j → %j", (text, expected) => {
    expect(readCitizenText(text, shipped.concorezzo)).toStrictEqual(expected);
  });
  it.each(concorezzoSynonymCases)("with synonyms on: %j → %j", (text, expected) => {
    expect(readCitizenText(text, withSynonyms(shipped.concorezzo))).toStrictEqual(expected);
  });
  it.each(customCases)("with its own opt-out and command words: %j → %j", (text, expected) => {
    expect(readCitizenText(text, customized(shipped.concorezzo))).toStrictEqual(expected);
  });
});

describe("Casale Marittimo (name-and-keyword form)", () => {
  it.each(casaleCases)("%j → %j", (text, expected) => {
    expect(readCitizenText(text, shipped.casale)).toStrictEqual(expected);
  });
  it.each(casaleSynonymCases)("with synonyms on: %j → %j", (text, expected) => {
    expect(readCitizenText(text, withSynonyms(shipped.casale))).toStrictEqual(expected);
  });
});

describe("the grammar table", () => {
  it("holds at least 80 real-looking messages across both comuni", () => {
    const total = [
      concorezzoCases,
      casaleCases,
      concorezzoSynonymCases,
      casaleSynonymCases,
      customCases,
    ].reduce((n, table) => n + table.length, 0);
    expect(total).toBeGreaterThanOrEqual(80);
  });
});

describe("readCitizenText is total", () => {
  it.each([
    ["a lone surrogate", "\uD800 ATTIVA"],
    ["control characters", "\u0000\u0007ATTIVA\u0000"],
    ["only punctuation", "?!.,;:+-*/"],
    ["a very long text", "ATTIVA ".repeat(2000)],
    ["zero-width joiners and variation selectors", "👨\u200D👩\u200D👧 \uFE0F"],
    ["combining accents", "attiva\u0300 iscrizione"],
  ])("accepts %s", (_what, text) => {
    expect(() => readCitizenText(text, shipped.casale)).not.toThrow();
    expect(() => readCitizenText(text, shipped.concorezzo)).not.toThrow();
  });

  it("reads decomposed accents like composed ones", () => {
    expect(readCitizenText("attiva\u0300 iscrizione", shipped.concorezzo)).toStrictEqual(
      subscribe(),
    );
  });

  it("uses the Italian command words when the settings give none", () => {
    const { commands: _omitted, ...withoutCommands } = shipped.concorezzo;
    expect(readCitizenText("CANCELLA DATI", withoutCommands)).toStrictEqual(command("erase"));
  });
});

describe("the keyword for the consent ledger (§5)", () => {
  it.each([
    ["concorezzo", "Buongiorno, sono Luca Neri: ATTIVA ISCRIZIONE", "ATTIVA ISCRIZIONE"],
    ["concorezzo", "attiva iscrizone grazie", "ATTIVA ISCRIZIONE"],
    ["concorezzo", "Stop. 🛑", "STOP"],
    ["concorezzo", "cancela dati", "CANCELLA DATI"],
    ["casale", "Luca,Neri+ATTIVA", "ATTIVA"],
    ["casale", "Luca Neri - disattivà", "DISATTIVA"],
    ["casale", "Nome, Cognome + ATTIVA", "ATTIVA"],
  ] as const)("%s: %j → %j, never the name", (comune, text, keyword) => {
    const read = readCitizenMessage(text, shipped[comune]);
    expect(read.keyword).toBe(keyword);
    expect(read.keyword).not.toMatch(/luca|neri/i);
  });

  it("gives no keyword for anything else", () => {
    expect(readCitizenMessage("Luca Neri, il lampione è rotto", shipped.casale)).toStrictEqual({
      intent: OTHER,
    });
    expect(readCitizenMessage("ATTIVA ISCRIZIONE?", shipped.concorezzo).keyword).toBeUndefined();
  });
});

describe("names never carry control or direction characters (§4)", () => {
  it.each([
    "Lu\u0000ca, Neri + ATTIVA",
    "Luca\u0007 Neri ATTIVA",
    "Luca, \u202ENeri + ATTIVA",
    "\u2066Luca Neri\u2069 + ATTIVA",
    "Luca Neri\u200F + ATTIVA",
  ])("%j subscribes without a name (it is asked for again)", (text) => {
    expect(readCitizenText(text, shipped.casale)).toStrictEqual(subscribe());
  });

  it("zero-width characters inside a word are dropped, not kept in the name", () => {
    expect(readCitizenText("Lu\u200Bca, Neri + ATTIVA", shipped.casale)).toStrictEqual(
      subscribe("Luca", "Neri"),
    );
  });
});

describe("typed answers to the confirmation (§6)", () => {
  const buttons = { confirm: ["Confermo", "I confirm"], cancel: ["Annulla", "Cancel"] };
  it.each([
    ["Confermo", "confirm"],
    ["confermo.", "confirm"],
    ["CONFERMÒ!!", "confirm"],
    ["*Confermo*", "confirm"],
    ["Ok confermo, grazie", "confirm"],
    ["Sì, confermo", "confirm"],
    ["comfermo", "confirm"],
    ["conferma", "confirm"],
    ["I confirm", "confirm"],
    ["Annulla", "cancel"],
    ["annulla!", "cancel"],
    ["No, annulla", "cancel"],
    ["Annulla?", "cancel"],
    ["cancel", "cancel"],
    ["Confermo?", undefined],
    ["confermo e annulla", undefined],
    ["non confermo", undefined],
    ["conferm", "confirm"],
    ["confe", undefined],
    ["anulla", undefined],
    ["Confermo la mia iscrizione al servizio", undefined],
    ["", undefined],
  ] as const)("%j → %s", (text, expected) => {
    expect(readConfirmation(text, buttons)).toBe(expected);
  });

  it("accepts the comune's own button titles", () => {
    expect(readConfirmation("Va bene", { confirm: ["Va bene"], cancel: ["Lascia stare"] })).toBe(
      "confirm",
    );
    expect(
      readConfirmation("lascia stare", { confirm: ["Va bene"], cancel: ["Lascia stare"] }),
    ).toBe("cancel");
  });
});

describe("typoDistance", () => {
  it.each([
    ["iscrizione", "iscrizione", 0],
    ["iscrizione", "iscrizone", 1],
    ["iscrizione", "iscrizionee", 1],
    ["iscrizione", "iscrizoine", 1],
    ["iscrizione", "iscrixione", 1],
    ["iscrizione", "iscriziuone", 1],
    ["iscrizione", "iscrizoen", 2],
    ["disattiva", "attiva", 2],
  ])("%s / %s → %i", (a, b, expected) => {
    expect(typoDistance(a, b)).toBe(expected);
  });
});

describe("titleCase", () => {
  it.each([
    ["mario", "Mario"],
    ["ROSSI", "Rossi"],
    ["d'amico", "D'Amico"],
    ["DELL'ACQUA", "Dell'Acqua"],
    ["rossi-bianchi", "Rossi-Bianchi"],
    ["McDonald", "McDonald"],
    ["niccolò", "Niccolò"],
  ])("%s → %s", (raw, expected) => {
    expect(titleCase(raw)).toBe(expected);
  });
});
