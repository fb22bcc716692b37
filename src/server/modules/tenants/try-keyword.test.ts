import { beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "../../config/env.js";
import { loadTenants, type Tenant } from "../../config/tenants.js";
import { SHIPPED_TENANTS_DIR } from "../../test/build-test-app.js";
import { tryKeyword } from "./try-keyword.js";

/** "Prova un messaggio" on the two demo comuni: what the grammar reads, told in plain words. */
describe("trying a message", () => {
  let casale: Tenant;
  let concorezzo: Tenant;
  beforeAll(async () => {
    const { tenants } = await loadTenants(parseEnv({ TENANTS_DIR: SHIPPED_TENANTS_DIR }));
    const find = (slug: string) => tenants.find((t) => t.slug === slug) as Tenant;
    casale = find("casale-marittimo");
    concorezzo = find("concorezzo");
  });

  it("reads Casale's name form, with or without the name", () => {
    expect(tryKeyword("Anna, Bianchi + ATTIVA", casale, "it")).toEqual({
      action: "subscribe",
      firstName: "Anna",
      lastName: "Bianchi",
      keyword: "ATTIVA",
      reading: "Iscrizione, nome: Anna, cognome: Bianchi",
      reply: "Chiederebbe la conferma (età e regolamento) prima di iscrivere.",
    });
    expect(tryKeyword("ATTIVA", casale, "it")).toMatchObject({
      action: "subscribe",
      reading: "Iscrizione",
      reply: "Chiederebbe nome e cognome.",
    });
  });

  it("never returns a name in Concorezzo's phrase form", () => {
    const trial = tryKeyword("Mario Rossi ATTIVA ISCRIZIONE", concorezzo, "en");
    expect(trial).toMatchObject({ action: "subscribe", reading: "Subscription" });
    expect(trial.firstName).toBeUndefined();
  });

  it("names the commands and what they would do", () => {
    expect(tryKeyword("AIUTO", concorezzo, "it")).toMatchObject({
      action: "command",
      command: "help",
      reading: "Comando: Aiuto",
      reply: "Risponderebbe con l'elenco dei comandi.",
    });
    expect(tryKeyword("cancella dati", concorezzo, "it")).toMatchObject({
      command: "erase",
      reading: "Comando: Cancellazione dei dati",
    });
    expect(tryKeyword("STOP?", casale, "it")).toMatchObject({
      action: "unsubscribe",
      keyword: "STOP",
    });
  });

  it("reads an ordinary sentence, or a question, as no command: the automatic reply", () => {
    for (const text of ["ho attivato la carta d'identità?", "ATTIVA ISCRIZIONE?"]) {
      expect(tryKeyword(text, concorezzo, "it")).toEqual({
        action: "other",
        reading: "Nessun comando riconosciuto",
        reply: "Risponderebbe con il messaggio automatico (i canali ufficiali e come iscriversi).",
      });
    }
    const silent = { ...concorezzo, autoReply: { enabled: false, maxPerPersonPerDay: 1 } };
    expect(tryKeyword("buongiorno", silent, "en").reply).toBe(
      "It would not answer: the automatic reply is off.",
    );
  });
});
