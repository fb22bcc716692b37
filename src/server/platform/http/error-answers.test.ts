import type { InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BODY_LIMIT_BYTES } from "../../app.js";
import { useTestApp } from "../../test/build-test-app.js";
import { testEngines } from "../../test/engines.js";
import { startInProcessServer, type InProcessServer } from "../../test/in-process-server.js";
import type { ErrorBody } from "./error-handler.js";

/**
 * What a client reads when the request is wrong in the ways a careless integrator gets it wrong:
 * always `{ error: { code, message, details } }`, Italian unless Accept-Language asks for
 * English, the field at fault named. Fastify's and zod's English never reach the client.
 */

const json = { "content-type": "application/json" };

interface Case {
  name: string;
  request: InjectOptions;
  status: number;
  code: string;
  message: { it: string; en: string };
  details?: { field: string; problem: { it: string; en: string } }[];
}

/** The refusals the cases expect, each with its code and message in both languages. */
const INVALID_BODY = {
  status: 400,
  code: "INVALID_BODY",
  message: { it: "Il corpo della richiesta non è valido", en: "The request body is not valid" },
};
const VALIDATION_FAILED = {
  status: 400,
  code: "VALIDATION_FAILED",
  message: { it: "Richiesta non valida", en: "Invalid request" },
};
const NOT_FOUND = {
  status: 404,
  code: "NOT_FOUND",
  message: { it: "Risorsa non trovata", en: "Resource not found" },
};

/** The field at fault and its problem, in Italian and in English. */
const problem = (field: string, it: string, en: string) => ({ field, problem: { it, en } });

/** A login attempt with the payload, declared JSON unless other headers are given. */
const login = (payload: InjectOptions["payload"], headers: Record<string, string> = json) =>
  ({ method: "POST", url: "/api/auth/login", headers, payload }) as const;

const CASES: Case[] = [
  {
    name: "an empty body declared as JSON",
    request: login(""),
    ...INVALID_BODY,
    details: [
      problem(
        "body",
        "è vuoto, ma Content-Type dichiara JSON: inviare un oggetto JSON o togliere l'intestazione",
        "is empty but Content-Type says JSON: send a JSON object or leave the header out",
      ),
    ],
  },
  {
    name: "a body that is not JSON",
    request: login('{"email":'),
    ...INVALID_BODY,
    details: [problem("body", "non è JSON valido", "is not valid JSON")],
  },
  {
    name: "a malformed %-encoding in the URL",
    request: { method: "GET", url: "/%" },
    status: 400,
    code: "BAD_URL",
    message: { it: "Indirizzo non valido", en: "Malformed URL" },
    details: [
      problem("url", "contiene una codifica con % non valida", "has a malformed %-encoding"),
    ],
  },
  {
    name: "a path parameter longer than the router takes",
    request: { method: "GET", url: `/api/tenants/${"a".repeat(200)}` },
    status: 414,
    code: "URL_TOO_LONG",
    message: { it: "Indirizzo troppo lungo", en: "URL too long" },
    details: [problem("url", "una sua parte è troppo lunga", "has a part that is too long")],
  },
  { name: "an unknown path", request: { method: "GET", url: "/nowhere" }, ...NOT_FOUND },
  {
    name: "a method the path does not serve",
    request: { method: "DELETE", url: "/healthz" },
    ...NOT_FOUND,
  },
  {
    name: "a field of the wrong type and a missing one",
    request: login({ email: 42 }),
    ...VALIDATION_FAILED,
    details: [
      problem(
        "body.email",
        "deve essere un testo, non un numero",
        "must be a string, not a number",
      ),
      problem("body.password", "è obbligatorio", "is required"),
    ],
  },
  {
    name: "a field too short",
    request: login({ email: "ab", password: "x" }),
    ...VALIDATION_FAILED,
    details: [
      problem("body.email", "deve avere almeno 3 caratteri", "must be at least 3 characters long"),
    ],
  },
  {
    name: "no body at all where one is required",
    request: { method: "POST", url: "/api/auth/login" },
    ...VALIDATION_FAILED,
    details: [problem("body", "è obbligatorio", "is required")],
  },
  {
    name: "a field the schema does not have",
    request: {
      method: "POST",
      url: "/sandbox/api/phones",
      headers: json,
      payload: { waId: "393331234567", name: "Anna", role: "admin" },
    },
    ...VALIDATION_FAILED,
    details: [problem("body.role", "non è un campo previsto", "is not an expected field")],
  },
  {
    name: "a body over the limit",
    request: login(JSON.stringify({ email: "a@b.it", password: "x".repeat(BODY_LIMIT_BYTES) })),
    status: 413,
    code: "BODY_TOO_LARGE",
    message: {
      it: "Il corpo della richiesta è troppo grande",
      en: "The request body is too large",
    },
    details: [
      problem(
        "body",
        `supera il limite di ${BODY_LIMIT_BYTES} byte`,
        `is larger than ${BODY_LIMIT_BYTES} bytes`,
      ),
    ],
  },
  {
    name: "a content type no route reads",
    request: login("<login/>", { "content-type": "application/xml" }),
    status: 415,
    code: "UNSUPPORTED_MEDIA_TYPE",
    message: { it: "Tipo di contenuto non supportato", en: "Unsupported content type" },
    details: [
      problem(
        "headers.content-type",
        "non è accettato qui: inviare application/json",
        "is not accepted here: send application/json",
      ),
    ],
  },
  {
    name: "an unknown comune (the service's own refusal)",
    request: { method: "GET", url: "/api/tenants/milano" },
    status: 404,
    code: "NOT_FOUND",
    message: { it: "Comune non trovato", en: "Comune not found" },
  },
];

const LANGUAGES = [
  { locale: "it", acceptLanguage: undefined },
  { locale: "it", acceptLanguage: "it-IT,it;q=0.9,en;q=0.8" },
  { locale: "en", acceptLanguage: "en" },
  { locale: "en", acceptLanguage: "en-GB,en;q=0.9,it;q=0.5" },
] as const;

describe.each(LANGUAGES)("refusals for Accept-Language $acceptLanguage", (language) => {
  const t = useTestApp();

  it.each(CASES)("$name", async (c) => {
    const headers = {
      ...(c.request.headers as Record<string, string> | undefined),
      ...(language.acceptLanguage ? { "accept-language": language.acceptLanguage } : {}),
    };
    const res = await t.app.inject({ ...c.request, headers });
    expect(res.statusCode).toBe(c.status);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.json<ErrorBody>()).toEqual({
      error: {
        code: c.code,
        message: c.message[language.locale],
        ...(c.details
          ? {
              details: c.details.map((d) => ({
                field: d.field,
                problem: d.problem[language.locale],
              })),
            }
          : {}),
      },
    });
    // Neither Fastify's nor zod's wording leaks.
    expect(res.body).not.toMatch(/FST_ERR|Invalid input|expected string|received/);
  });
});

describe("the language of a refusal", () => {
  const t = useTestApp();

  it("is stated in Content-Language", async () => {
    const it = await t.app.inject({ method: "GET", url: "/nowhere" });
    expect(it.headers["content-language"]).toBe("it");
    const en = await t.app.inject({
      method: "GET",
      url: "/nowhere",
      headers: { "accept-language": "en-US" },
    });
    expect(en.headers["content-language"]).toBe("en");
  });

  it("keeps a schema's own Italian message when it has no English one", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: "/sandbox/api/phones",
      headers: { ...json, "accept-language": "en" },
      payload: { waId: "393331234567", name: "" },
    });
    expect(res.json<ErrorBody>().error).toMatchObject({
      message: "Invalid request",
      details: [{ field: "body.name", problem: "non deve essere vuoto" }],
    });
  });
});

/** The running server, where a broadcast id that does not exist is looked up for real. */
describe.each(testEngines())("a broadcast that does not exist, on %s", (engine) => {
  const TOKEN = "admin-token-for-the-tests-0123456789";
  let s: InProcessServer;
  beforeAll(async () => {
    s = await startInProcessServer({ engine, env: { ADMIN_TOKEN: TOKEN } });
  }, 60_000);
  afterAll(async () => {
    await s.close();
  });

  it("is «non trovata», a feminine noun (and «not found» in English)", async () => {
    const url = `${s.baseUrl}/api/tenants/concorezzo/broadcasts/999/progress`;
    const it = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(it.status).toBe(404);
    expect(await it.json()).toEqual({
      error: { code: "NOT_FOUND", message: "Comunicazione non trovata" },
    });
    const en = await fetch(url, {
      headers: { authorization: `Bearer ${TOKEN}`, "accept-language": "en" },
    });
    expect(await en.json()).toEqual({
      error: { code: "NOT_FOUND", message: "Broadcast not found" },
    });
  });
});
