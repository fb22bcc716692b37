import { describe, expect, it } from "vitest";
import { checkText, countCharacters, TEXT_LIMITS } from "./text-limits.js";

describe("text limits", () => {
  it("names the template's limit and how many characters over, in Italian and English", () => {
    const [note, ...rest] = checkText("a".repeat(1061), ["template-parameter"]);
    expect(rest).toEqual([]);
    expect(note?.rule).toBe("text.too-long");
    expect(note?.why.it).toBe("Il testo supera di 37 caratteri il limite di 1.024 del modello.");
    expect(note?.why.en).toBe("The text is 37 characters over the limit of 1,024 of the template.");
    expect(note?.todo.it).toBe("Accorcia il testo di almeno 37 caratteri (ora ne conta 1.061).");
  });

  it("accepts a text exactly at the limit and says '1 carattere' one over", () => {
    expect(checkText("a".repeat(1024), ["template-parameter"])).toEqual([]);
    expect(checkText("a".repeat(1025), ["caption"])[0]?.why.it).toBe(
      "Il testo supera di 1 carattere il limite di 1.024 della didascalia di un'immagine, un video o un documento.",
    );
  });

  it("allows 4,096 characters in a free-form message", () => {
    expect(TEXT_LIMITS["free-form"]).toBe(4096);
    expect(checkText("a".repeat(4096), ["free-form"])).toEqual([]);
    expect(checkText("a".repeat(5000), ["free-form"])[0]?.why.it).toBe(
      "Il testo supera di 904 caratteri il limite di 4.096 di un messaggio di testo.",
    );
  });

  it("reports only the tightest limit a text exceeds", () => {
    const notes = checkText("a".repeat(5000), ["free-form", "template-parameter"]);
    expect(notes.map((n) => n.id)).toEqual(["text.too-long:template-parameter"]);
  });

  it("counts an emoji as one character, as the sender's own check does", () => {
    expect("🚧".length).toBe(2);
    expect(countCharacters("🚧")).toBe(1);
    expect(checkText("🚧".repeat(1024), ["template-parameter"])).toEqual([]);
    expect(checkText("🚧".repeat(1025), ["template-parameter"])).toHaveLength(1);
  });

  it("refuses line breaks in a template's text (Meta's 132018) but not in a free-form one", () => {
    const notes = checkText("Strada chiusa.\nPasso carraio libero.", ["template-parameter"]);
    expect(notes.map((n) => n.rule)).toEqual(["text.template-parameter"]);
    expect(notes[0]?.why.it).toContain("errore 132018");
    expect(checkText("Strada chiusa.\nPasso carraio libero.", ["free-form"])).toEqual([]);
    expect(checkText("uno     cinque spazi", ["template-parameter"])).toHaveLength(1);
  });

  it("refuses an empty text", () => {
    expect(checkText("  ", ["free-form"])[0]?.why.it).toBe("Il testo è vuoto.");
  });
});
