import { describe, expect, it } from "vitest";
import { gulpease, readabilityAdvice } from "./gulpease.js";

describe("Gulpease index", () => {
  it("matches the hand count of a plain notice", () => {
    // Domani(6) la(2) strada(6) sarà(4) chiusa(6). Usate(5) il(2) parcheggio(10) della(5)
    // scuola(6).  → words 10, letters 52, sentences 2.
    // G = 89 + (300 × 2 − 10 × 52) / 10 = 89 + (600 − 520) / 10 = 89 + 8 = 97.
    const g = gulpease("Domani la strada sarà chiusa. Usate il parcheggio della scuola.");
    expect(g).toMatchObject({ words: 10, letters: 52, sentences: 2, exact: 97, index: 97 });
    expect(g?.band).toBe("easy");
  });

  it("matches the hand count of a bureaucratic sentence, below 40", () => {
    // Si(2) comunica(8) che(3) a(1) seguito(7) dell(4) ordinanza(9) sindacale(9) la(2)
    // circolazione(12) veicolare(9) è(1) interdetta(10) in(2) conseguenza(11) dei(3) lavori(6)
    // di(2) manutenzione(12) straordinaria(13) dell(4) infrastruttura(14) fognaria(8)
    // comunale(8).  → words 24 ("dell'" is a word of its own), letters 160, sentences 1.
    // G = 89 + (300 × 1 − 10 × 160) / 24 = 89 − 1300 / 24 = 89 − 54.17 = 34.83 → 35.
    const g = gulpease(
      "Si comunica che, a seguito dell'ordinanza sindacale, la circolazione veicolare è interdetta in conseguenza dei lavori di manutenzione straordinaria dell'infrastruttura fognaria comunale.",
    );
    expect(g).toMatchObject({ words: 24, letters: 160, sentences: 1, index: 35 });
    expect(g?.exact).toBeCloseTo(34.8333, 4);
    expect(g?.band).toBe("upper-secondary-hard");
    expect(g?.reading.it).toBe(
      "difficile da leggere anche per chi ha un diploma di scuola superiore",
    );
  });

  it("counts a final sentence without a full stop, and no sentence in a number's dot", () => {
    // Apertura(8) alle(4) 9.30(0) oggi(4) → 4 words, 16 letters, 1 sentence:
    // 89 + (300 − 160) / 4 = 124 → kept at 100.
    expect(gulpease("Apertura alle 9.30 oggi")).toMatchObject({
      words: 4,
      letters: 16,
      sentences: 1,
      exact: 124,
      index: 100,
    });
    // "?!" and "..." end one sentence each; an empty stretch ends none.
    expect(gulpease("Davvero?! Sì... . Bene")?.sentences).toBe(3);
  });

  it("counts a decomposed accent as one letter", () => {
    expect(gulpease("sare\u0300")?.letters).toBe(4);
  });

  it("has no index for a text without words", () => {
    expect(gulpease(" … ")).toBeUndefined();
  });

  it("gives advice, below 60 with how to simplify", () => {
    const easy = readabilityAdvice(
      "Domani la strada sarà chiusa. Usate il parcheggio della scuola.",
    );
    expect(easy?.why.it).toBe(
      "Indice Gulpease 97 su 100: facile da leggere anche per chi ha la licenza elementare.",
    );
    const hard = readabilityAdvice(
      "Si comunica che, a seguito dell'ordinanza sindacale, la circolazione veicolare è interdetta in conseguenza dei lavori di manutenzione straordinaria dell'infrastruttura fognaria comunale.",
    );
    expect(hard?.why.it).toContain("Indice Gulpease 35 su 100");
    expect(hard?.todo.it).toContain("Usa frasi più brevi");
    // Il(2) servizio(8) comunale(8) di(2) raccolta(8) differenziata(13) cambia(6)
    // calendario(10) durante(7) dicembre(8) → 10 words, 72 letters, 1 sentence:
    // 89 + (300 − 720) / 10 = 47: hard with a lower-secondary education.
    const middle = readabilityAdvice(
      "Il servizio comunale di raccolta differenziata cambia calendario durante dicembre.",
    );
    expect(middle?.gulpease).toMatchObject({ index: 47, band: "lower-secondary-hard" });
    expect(middle?.why.it).toBe(
      "Indice Gulpease 47 su 100: difficile da leggere per chi ha la licenza media.",
    );
  });
});
