import { describe, expect, it } from "vitest";
import { z } from "zod";
import { currentLocale, localized, requestLocale, withLocale } from "./locale.js";

describe("requestLocale", () => {
  it.each([
    [undefined, "it"],
    ["", "it"],
    ["en", "en"],
    ["EN-us", "en"],
    ["it-IT,it;q=0.9,en-US;q=0.8,en;q=0.7", "it"],
    ["en-GB,en;q=0.9,it;q=0.8", "en"],
    ["it;q=0.5, en;q=0.8", "en"],
    ["fr-FR,fr;q=0.9,en;q=0.5", "en"],
    ["fr-FR,de", "it"],
    ["*", "it"],
    ["en;q=0", "it"],
    ["en;q=0.5, it;q=0.5", "en"],
    ["de, en;q=oops", "en"],
  ] as const)("reads %j as %s", (header, locale) => {
    expect(requestLocale(header)).toBe(locale);
  });
});

describe("a schema's own message in two languages", () => {
  const slug = z.string().max(3, localized({ it: "troppo lungo", en: "too long" }));

  it("is Italian outside a request (tenant files, the environment, tests) and English when asked", () => {
    expect(currentLocale()).toBe("it");
    expect(slug.safeParse("abcd").error?.issues[0]?.message).toBe("troppo lungo");
    expect(withLocale("en", () => slug.safeParse("abcd").error?.issues[0]?.message)).toBe(
      "too long",
    );
    expect(currentLocale()).toBe("it");
  });
});
