import { describe, expect, it } from "vitest";
import { hashPassword, passwordProblems, verifyPassword } from "./passwords.js";

const problems = (password: string) =>
  passwordProblems(password, "mario.rossi@comune.it", "body.password").map((p) => p.problem);

describe("password rules (NIST SP 800-63B rev. 4)", () => {
  it.each([
    ["correct horse battery staple", []],
    ["ogni mattina un gatto", []],
    ["Città di Concorezzo 2026 ✓", []],
    ["troppo corta", ["deve contenere almeno 15 caratteri"]],
    ["x".repeat(129), ["può contenere al massimo 128 caratteri"]],
    ["mario.rossi@comune.it-2026", ["non deve contenere il proprio indirizzo e-mail"]],
    // A word of the address is named as such, not as "the address".
    [
      "la mia password è Mario.Rossi",
      ['non deve contenere "mario", una parola del proprio indirizzo e-mail'],
    ],
    [
      "il signor rossi va in bicicletta",
      ['non deve contenere "rossi", una parola del proprio indirizzo e-mail'],
    ],
    [
      "lavoro al comune dal 2019 felice",
      ['non deve contenere "comune", una parola del proprio indirizzo e-mail'],
    ],
    ["passwordpassword", ["è una password troppo comune: sceglierne un'altra"]],
    ["123456789012345", ["è una password troppo comune: sceglierne un'altra"]],
    ["zzzzzzzzzzzzzzzzzzzz", ["è una password troppo comune: sceglierne un'altra"]],
  ])("%s → %j", (password, expected) => {
    expect(problems(password)).toEqual(expected);
  });

  it("allows 64 characters and more, with no composition rules", () => {
    expect(problems("tutte minuscole e spazi ".repeat(3).slice(0, 70))).toEqual([]);
  });

  it("hashes with argon2id and compares after NFKC normalisation", async () => {
    const stored = await hashPassword("ﬁnestra sul cortile");
    expect(stored).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(stored, "finestra sul cortile")).toBe(true);
    expect(await verifyPassword(stored, "finestra sul cortil")).toBe(false);
  });
});
