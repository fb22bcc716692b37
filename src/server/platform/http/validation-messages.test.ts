import { describe, expect, it } from "vitest";
import { z } from "zod";
import { localized } from "./locale.js";
import { fieldProblems } from "./validation-messages.js";

const problems = (schema: z.ZodType, input: unknown, locale: "it" | "en" = "it") =>
  fieldProblems(schema, input, "body", locale);

describe("what a refused field says", () => {
  it.each([
    [
      z.object({ n: z.number().int() }),
      { n: 1.5 },
      "deve essere un numero intero",
      "must be a whole number",
    ],
    [z.object({ n: z.coerce.number() }), { n: "tre" }, "deve essere un numero", "must be a number"],
    [
      z.object({ n: z.number().positive() }),
      { n: 0 },
      "deve essere maggiore di 0",
      "must be greater than 0",
    ],
    [
      z.object({ n: z.number().max(500) }),
      { n: 501 },
      "può essere al massimo 500",
      "must be at most 500",
    ],
    [
      z.object({ n: z.string().max(5) }),
      { n: "troppo" },
      "può avere al massimo 5 caratteri",
      "must be at most 5 characters long",
    ],
    [z.object({ n: z.string().min(1) }), { n: "" }, "non può essere vuoto", "must not be empty"],
    [
      z.object({ n: z.string().length(6) }),
      { n: "12" },
      "deve avere esattamente 6 caratteri",
      "must be exactly 6 characters long",
    ],
    [
      z.object({ n: z.array(z.string()).min(1) }),
      { n: [] },
      "deve contenere almeno 1 elemento",
      "must contain at least 1 item",
    ],
    [
      z.object({ n: z.enum(["owner", "editor"]) }),
      { n: "boss" },
      "deve essere uno tra: owner, editor",
      "must be one of: owner, editor",
    ],
    [z.object({ n: z.literal(true) }), { n: false }, "deve essere true", "must be true"],
    [
      z.object({ n: z.email() }),
      { n: "nope" },
      "deve essere un indirizzo e-mail",
      "must be an e-mail address",
    ],
    [
      z.object({ n: z.boolean() }),
      { n: "yes" },
      "deve essere true o false, non un testo",
      "must be true or false, not a string",
    ],
    [
      z.object({ n: z.object({}) }),
      { n: [1] },
      "deve essere un oggetto, non un elenco",
      "must be an object, not a list",
    ],
    [z.object({ n: z.string() }), { n: null }, "è obbligatorio", "is required"],
    [
      z.object({ n: z.string().regex(/^\d+$/) }),
      { n: "x" },
      "non ha il formato richiesto",
      "is not in the expected format",
    ],
    [
      z.object({ n: z.number().multipleOf(5) }),
      { n: 3 },
      "deve essere un multiplo di 5",
      "must be a multiple of 5",
    ],
  ])("%#: %j → %s", (schema, input, it, en) => {
    expect(problems(schema, input)).toEqual([{ field: "body.n", problem: it }]);
    expect(problems(schema, input, "en")).toEqual([{ field: "body.n", problem: en }]);
  });

  it("names nested fields and array items by their path", () => {
    const schema = z.object({ topics: z.array(z.object({ id: z.string() })) });
    expect(problems(schema, { topics: [{ id: "a" }, {}] })).toEqual([
      { field: "body.topics.1.id", problem: "è obbligatorio" },
    ]);
  });

  it("lists each unknown field, cut short when a client sends a very long name", () => {
    const long = "k".repeat(500);
    const found = problems(z.strictObject({}), { extra: 1, [long]: 2 });
    expect(found).toEqual([
      { field: "body.extra", problem: "non è un campo previsto" },
      { field: `body.${"k".repeat(64)}…`, problem: "non è un campo previsto" },
    ]);
  });

  it("answers at most 50 problems, however many items are wrong", () => {
    const found = problems(
      z.array(z.string()),
      Array.from({ length: 10_000 }, (_, i) => i),
    );
    expect(found).toHaveLength(50);
  });

  it("keeps a schema's own message", () => {
    const schema = z.object({ n: z.string("deve indicare il motivo") });
    expect(problems(schema, {}, "en")).toEqual([
      { field: "body.n", problem: "deve indicare il motivo" },
    ]);
  });

  it("is undefined for an input that is valid", () => {
    expect(problems(z.object({ n: z.string() }), { n: "x" })).toBeUndefined();
  });
});

describe("a schema's own message in both languages", () => {
  it("comes out in the locale asked for", () => {
    const schema = z.object({
      n: z.string().max(2, localized({ it: "troppo lungo", en: "too long" })),
    });
    expect(problems(schema, { n: "abc" })).toEqual([{ field: "body.n", problem: "troppo lungo" }]);
    expect(problems(schema, { n: "abc" }, "en")).toEqual([
      { field: "body.n", problem: "too long" },
    ]);
  });
});
