import { describe, expect, it } from "vitest";
import {
  ERROR_TABLE,
  SYNTHETIC_CODES,
  classifyError,
  errorMeaning,
  httpError,
  networkError,
} from "./send-errors.js";
import type { ErrorClass } from "./types.js";

/**
 * The spec: every code of the table in docs/whatsapp-cloud-api.md §4.2, with the class the issue
 * gives its action (BACKOFF → backoff, "not now" → retry_later, FIX/HALT → fatal_config, DROP →
 * permanent). Written from that page, not from the implementation.
 */
const EXPECTED: [code: number, cls: ErrorClass, meaning: string][] = [
  [0, "fatal_config", "auth failed: HALT, new token"],
  [1, "backoff", "invalid request / downtime: BACKOFF"],
  [2, "backoff", "downtime: BACKOFF"],
  [3, "fatal_config", "capability/permission: HALT/FIX"],
  [4, "retry_later", "app API call rate limit"],
  [10, "fatal_config", "permission not granted: HALT/FIX"],
  [100, "fatal_config", "invalid parameter: FIX"],
  [190, "fatal_config", "token expired: HALT"],
  [200, "fatal_config", "permission (no token sent): HALT/FIX"],
  [368, "fatal_config", "WABA restricted: HALT"],
  [80007, "retry_later", "WABA rate limit"],
  [130403, "permanent", "you blocked the user: DROP"],
  [130429, "retry_later", "per-number throughput"],
  [130472, "permanent", "user in experiment: DROP"],
  [130497, "permanent", "country restricted: DROP"],
  [131000, "backoff", "unknown send error: BACKOFF few attempts"],
  [131005, "fatal_config", "permission: HALT/FIX"],
  [131008, "fatal_config", "required parameter missing: FIX"],
  [131009, "fatal_config", "invalid parameter value: FIX"],
  [131016, "backoff", "service unavailable: BACKOFF"],
  [131021, "permanent", "sender = recipient: DROP"],
  [131026, "permanent", "undeliverable: DROP"],
  [131031, "fatal_config", "account locked: HALT"],
  [131042, "fatal_config", "payment problem: HALT"],
  [131045, "fatal_config", "registration error: HALT/FIX"],
  [131047, "permanent", "outside the 24 h window: permanent for this recipient (issue)"],
  [131048, "retry_later", "spam rate limit: LATER"],
  [131049, "retry_later", "per-user marketing limit: LATER ≥ 24 h"],
  [131050, "permanent", "user stopped marketing: DROP"],
  [131051, "fatal_config", "unsupported message type: FIX"],
  [131052, "permanent", "inbound media download failed: ask user to resend"],
  [131053, "fatal_config", "media upload/fetch: FIX media"],
  [131056, "retry_later", "pair rate limit"],
  [131057, "retry_later", "maintenance ~1 min"],
  [131063, "fatal_config", "marketing disabled on Cloud API: FIX"],
  [131064, "retry_later", "template misclassification limit: LATER"],
  [132000, "fatal_config", "parameter count: FIX"],
  [132001, "fatal_config", "template missing in language: FIX"],
  [132005, "fatal_config", "hydrated text too long: FIX"],
  [132007, "fatal_config", "template policy: FIX"],
  [132012, "fatal_config", "parameter format: FIX"],
  [132015, "fatal_config", "template paused: HALT this template"],
  [132016, "fatal_config", "template disabled: FIX"],
  [132018, "fatal_config", "newline/tab/>4 spaces in parameter: FIX"],
  [133010, "fatal_config", "number not registered: HALT/FIX"],
  [135000, "fatal_config", "unknown parameter error: FIX"],
];

describe("classifyError", () => {
  it.each(EXPECTED)("%i → %s (%s)", (code, cls) => {
    expect(classifyError({ code }).class).toBe(cls);
  });

  it("has a spec row for every code in the table, and no spec code left to the fallback", () => {
    const tableCodes = ERROR_TABLE.flatMap((r) => (typeof r.code === "number" ? [r.code] : []));
    const specCodes = EXPECTED.map(([code]) => code).filter((c) => c < 200 || c > 299);
    expect(tableCodes.filter((c) => !specCodes.includes(c))).toEqual([]);
    expect(specCodes.filter((c) => !tableCodes.includes(c))).toEqual([]);
  });

  it.each([200, 201, 250, 299])("treats %i in the 200–299 range as fatal_config", (code) => {
    expect(classifyError({ code }).class).toBe("fatal_config");
  });

  it("keeps the range closed: 199 and 300 are not permission errors", () => {
    expect(classifyError({ code: 199 })).toMatchObject({ class: "backoff", maxAttempts: 3 });
    expect(classifyError({ code: 300 })).toMatchObject({ class: "backoff", maxAttempts: 3 });
  });

  it("backs off an unknown code a few times before giving up", () => {
    expect(classifyError({ code: 987654 })).toEqual({
      code: 987654,
      title: "Unknown error 987654",
      class: "backoff",
      maxAttempts: 3,
    });
  });

  it("gives code 1 a few attempts as a bad request (4xx, or a webhook), the full backoff as a 5xx", () => {
    expect(classifyError({ code: 1 }).maxAttempts).toBe(3);
    expect(classifyError({ code: 1, httpStatus: 400 }).maxAttempts).toBe(3);
    expect(classifyError({ code: 1, httpStatus: 500 })).toMatchObject({ class: "backoff" });
    expect(classifyError({ code: 1, httpStatus: 503 }).maxAttempts).toBeUndefined();
    // Only code 1 is ambiguous: 131000 keeps its few attempts whatever the status.
    expect(classifyError({ code: 131000, httpStatus: 500 }).maxAttempts).toBe(3);
  });

  it("gives 131000 a few attempts", () => {
    expect(classifyError({ code: 131000 }).maxAttempts).toBe(3);
  });

  it("waits a day after the per-user marketing limit and a minute after maintenance", () => {
    expect(classifyError({ code: 131049 }).retryAfterMs).toBeGreaterThanOrEqual(86_400_000);
    expect(classifyError({ code: 131057 }).retryAfterMs).toBe(60_000);
  });

  it("gives no attempt limit or delay where the reference implies none", () => {
    const error = classifyError({ code: 130429 });
    expect(error.maxAttempts).toBeUndefined();
    expect(error.retryAfterMs).toBeUndefined();
  });

  it("prefers Meta's title, then its message, then the table's meaning", () => {
    const base = { code: 131026 };
    expect(classifyError({ ...base, title: "Message undeliverable", message: "x" }).title).toBe(
      "Message undeliverable",
    );
    expect(classifyError({ ...base, message: "(#131026) Message undeliverable" }).title).toBe(
      "(#131026) Message undeliverable",
    );
    expect(classifyError(base).title).toMatch(/undeliverable/i);
  });

  it("carries subcode, details and HTTP status through", () => {
    expect(
      classifyError({
        code: 130429,
        subcode: 2494055,
        message: "(#130429) Rate limit hit",
        details: "Cloud API message throughput has been reached.",
        httpStatus: 400,
      }),
    ).toEqual({
      code: 130429,
      subcode: 2494055,
      title: "(#130429) Rate limit hit",
      details: "Cloud API message throughput has been reached.",
      class: "retry_later",
      httpStatus: 400,
    });
  });
});

describe("networkError", () => {
  it("is a backoff with a negative synthetic code", () => {
    expect(networkError("timeout", "no answer in 200 ms")).toMatchObject({
      code: SYNTHETIC_CODES.timeout,
      class: "backoff",
      details: "no answer in 200 ms",
    });
    expect(networkError("connection", "ECONNREFUSED")).toMatchObject({
      code: SYNTHETIC_CODES.connection,
      class: "backoff",
    });
    expect(networkError("aborted", "shutdown").code).toBe(SYNTHETIC_CODES.aborted);
    expect(Object.values(SYNTHETIC_CODES).every((c) => c < 0)).toBe(true);
  });
});

describe("httpError", () => {
  it.each([
    [500, "backoff"],
    [502, "backoff"],
    [503, "backoff"],
    [408, "backoff"],
    [429, "retry_later"],
    [400, "fatal_config"],
    [401, "fatal_config"],
    [404, "fatal_config"],
    [301, "fatal_config"],
  ] as const)("HTTP %i → %s", (status, cls) => {
    expect(httpError(status, "<html>Bad Gateway</html>")).toMatchObject({
      code: SYNTHETIC_CODES.http,
      class: cls,
      httpStatus: status,
    });
  });

  it("keeps a short, single-line excerpt with long digit runs masked", () => {
    const error = httpError(502, `<h1>Bad\n gateway</h1> for 393331234567 ${"x".repeat(500)}`);
    expect(error.details).toMatch(/^<h1>Bad gateway<\/h1> for \[digits\] x+$/);
    expect(error.details?.length).toBeLessThanOrEqual(160);
    expect(httpError(500, "").details).toBeUndefined();
  });
});

describe("errorMeaning", () => {
  it("says every listed code in Italian and English, and names one it does not know", () => {
    for (const rule of ERROR_TABLE) {
      const code = typeof rule.code === "number" ? rule.code : rule.code[0];
      const meaning = errorMeaning(code);
      expect(meaning.en).toBe(rule.meaning);
      expect(meaning.it.length).toBeGreaterThan(10);
      expect(meaning.it).not.toBe(meaning.en);
    }
    expect(errorMeaning(131026).it).toBe(
      "Non recapitabile (numero non su WhatsApp, app non aggiornata, …)",
    );
    expect(errorMeaning(250)).toEqual(errorMeaning(200));
    expect(errorMeaning(SYNTHETIC_CODES.timeout).it).toBe(
      "Nessuna risposta in tempo: esito sconosciuto",
    );
    expect(errorMeaning(null)).toEqual({ it: "Motivo non registrato", en: "No reason recorded" });
    expect(errorMeaning(999_999)).toEqual({
      it: "Errore 999999 non documentato",
      en: "Undocumented error 999999",
    });
  });
});
