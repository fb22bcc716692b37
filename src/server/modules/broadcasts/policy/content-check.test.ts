import { describe, expect, it } from "vitest";
import { checkContent, fold, hostOf, wordsFor, type ContentSettings } from "./content-check.js";

const settings: ContentSettings = {
  people: ["Mauro Capitanio", "Giulia Bianchi"],
  allowedDomains: ["comune.concorezzo.mb.it", "gov.it"],
};
const outside = { electionPeriod: false };
const ids = (text: string, s: ContentSettings = settings, o = outside) =>
  checkContent(text, s, o).map((f) => f.id);

describe("content check", () => {
  it("flags 'votate' as a whole word, in any case and accent, but not inside 'devotate'", () => {
    expect(ids("Domenica VOTATE al seggio n. 3!")).toEqual(["content.propaganda:votate"]);
    expect(ids("Votàte presto")).toEqual(["content.propaganda:votate"]);
    expect(ids("Le suore devotate alla cura degli anziani")).toEqual([]);
    expect(ids("Ci sono tanti devoti")).toEqual([]);
  });

  it("explains a finding with its rule, an excerpt and what to do, in Italian", () => {
    const [finding] = checkContent(
      "Il comune ricorda a tutti i cittadini che domenica si tengono le elezioni regionali e i seggi aprono alle 7.",
      settings,
      outside,
    );
    expect(finding).toMatchObject({
      id: "content.propaganda:elezioni",
      rule: "content.propaganda",
      term: "elezioni",
      occurrences: 1,
      source: "Concorezzo art. 4",
      excerpt: "…che domenica si tengono le elezioni regionali e i seggi aprono…",
    });
    expect(finding?.message.it).toBe(
      "«elezioni» è un termine di propaganda elettorale: il regolamento vieta la propaganda politica e sindacale.",
    );
    expect(finding?.todo.it).toContain("per esempio gli orari dei seggi");
  });

  it("finds party names of several words, with typographic apostrophes, once per term", () => {
    const found = checkContent(
      "Incontro con Fratelli d’Italia e il Partito democratico; poi ancora Fratelli d'Italia.",
      settings,
      outside,
    );
    expect(found.map((f) => [f.id, f.occurrences])).toEqual([
      ["content.party:fratelli d'italia", 2],
      ["content.party:partito democratico", 1],
    ]);
    expect(found[0]?.message.it).toBe(
      "«Fratelli d’Italia» è il nome di un partito politico: il regolamento vieta la propaganda politica e sindacale.",
    );
    expect(ids("Il PD e la Lega")).toEqual(["content.party:pd", "content.party:lega"]);
    expect(ids("Lavori in via Lega Lombarda? no: Legamento")).toEqual(["content.party:lega"]);
  });

  it("matches the endings of a term written with a final star", () => {
    expect(ids("I candidati e la candidata")).toEqual(["content.propaganda:candidat*"]);
    expect(checkContent("I candidati e la candidata", settings, outside)[0]?.occurrences).toBe(2);
  });

  it("flags profanity and blasphemy, also run together", () => {
    expect(ids("Che merda di strada")).toEqual(["content.profanity:merda"]);
    expect(ids("porco dio e porcodio")).toEqual([
      "content.profanity:porco dio",
      "content.profanity:porcodio",
    ]);
  });

  it("flags commercial and fundraising terms", () => {
    expect(ids("Sconto del 20% e raccolta fondi per la sagra")).toEqual([
      "content.commercial:sconto",
      "content.commercial:raccolta fondi",
    ]);
    expect(ids("Una donazione alla Protezione civile")).toEqual(["content.commercial:donazione"]);
  });

  it("flags the administrators' names and event promotion only in an election period", () => {
    const text =
      "Il sindaco Mauro Capitanio vi aspettiamo alla Sagra del paese; firmato Bianchi Giulia.";
    expect(ids(text)).toEqual([]);
    const found = checkContent(text, settings, { electionPeriod: true });
    expect(found.map((f) => f.id)).toEqual([
      "election.person:mauro capitanio",
      "election.person:giulia bianchi",
      "election.event-promotion:vi aspettiamo",
      "election.event-promotion:sagra",
    ]);
    expect(found[0]?.source).toBe("L. 28/2000 art. 9");
    expect(found[2]?.message.it).toContain("delibera 175/24/CONS");
  });

  it("flags links outside the allowed domains, subdomains of an allowed one pass", () => {
    const text =
      "Info su https://www.comune.concorezzo.mb.it/avvisi, www.inps.gov.it e https://bit.ly/x1, oppure scrivi a protocollo@pec.example.com o visita negozio-online.com.";
    const found = checkContent(text, settings, outside);
    expect(found.map((f) => f.id)).toEqual([
      "content.link:bit.ly",
      "content.link:negozio-online.com",
    ]);
    expect(found[0]?.message.it).toBe(
      "Il testo contiene un collegamento a «bit.ly», che non è tra i domini ammessi dal comune (comune.concorezzo.mb.it, gov.it).",
    );
    expect(ids("Vedi example.org", {})).toEqual(["content.link:example.org"]);
    expect(hostOf("HTTPS://Example.com:8080/a?b")).toBe("example.com");
  });

  it("lets a comune replace or edit a list", () => {
    expect(wordsFor("party", { party: ["Lista Civica Concorezzo"] })).toEqual([
      "Lista Civica Concorezzo",
    ]);
    const edited = { lists: { commercial: { remove: ["Offerta"], add: ["biglietti"] } } };
    expect(ids("Offerta formativa e biglietti", edited)).toEqual(["content.commercial:biglietti"]);
  });

  it("folds case, accents and apostrophes", () => {
    expect(fold("Più Ò’")).toBe("piu o'");
  });
});
