import { describe, expect, it } from "vitest";
import { forbidden, invalid, notFound } from "./errors.js";

describe("the shared refusals", () => {
  it("say «non trovato» in the noun's gender and number, because callers write the whole phrase", () => {
    expect(notFound("Comunicazione non trovata").message).toBe("Comunicazione non trovata");
    expect(notFound("Messaggi di questo iscritto non trovati").message).toBe(
      "Messaggi di questo iscritto non trovati",
    );
    // @ts-expect-error a bare noun does not compile: it was once completed as "Comunicazione non trovato"
    expect(notFound("Comunicazione").message).toBe("Comunicazione");
  });

  it("carry an English message for requests that ask for English", () => {
    expect(notFound("Chiave API non trovata", "API key not found")).toMatchObject({
      status: 404,
      code: "NOT_FOUND",
      message: "Chiave API non trovata",
      messageEn: "API key not found",
    });
    expect(notFound("Comune non trovato").messageEn).toBeUndefined();
    expect(forbidden().messageEn).toBe("Operation not permitted");
    expect(invalid([]).messageEn).toBe("Invalid request");
  });
});
