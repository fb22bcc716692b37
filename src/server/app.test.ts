import { describe, expect, it } from "vitest";
import { buildTestApp, useTestApp } from "./test/build-test-app.js";
import { testEngines } from "./test/engines.js";
import { migrations } from "./platform/db/migrations/index.js";

describe.each(testEngines())("the HTTP app on %s", (engine) => {
  const t = useTestApp({ engine }, "each");

  it("answers /healthz", async () => {
    const res = await t.app.inject({ method: "GET", url: "/healthz" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ok" });
  });

  it("answers /readyz with the engine and the applied migrations", async () => {
    const res = await t.app.inject({ method: "GET", url: "/readyz" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: "ready",
      database: {
        engine,
        reachable: true,
        migrationsApplied: Object.keys(migrations).length,
        migrationsPending: [],
      },
    });
  });

  it("lists the demo comuni with their public facts", async () => {
    const res = await t.app.inject({ method: "GET", url: "/api/tenants" });
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      tenants: { slug: string; displayNumber: string; serviceName: string }[];
    }>();
    expect(body.tenants.map((x) => [x.slug, x.displayNumber])).toEqual([
      ["casale-marittimo", "393760088777"],
      ["concorezzo", "393665784663"],
    ]);
    expect(JSON.stringify(body)).not.toMatch(/sandbox-(app-secret|access-token|verify-token)/);
  });

  it("names a comune's topics in the reader's language, Italian by default", async () => {
    const topicsIn = async (language?: string) => {
      const res = await t.app.inject({
        method: "GET",
        url: "/api/tenants/casale-marittimo",
        headers: language ? { "accept-language": language } : {},
      });
      return res.json<{ topics: { id: string; label: string }[] }>().topics.slice(0, 2);
    };
    expect(await topicsIn()).toEqual([
      { id: "news", label: "News dal Comune" },
      { id: "eventi-culturali", label: "Eventi culturali" },
    ]);
    expect(await topicsIn("en-GB,en;q=0.9")).toEqual([
      { id: "news", label: "News from the Comune" },
      { id: "eventi-culturali", label: "Cultural events" },
    ]);
  });
});

describe("the HTTP app", () => {
  const t = useTestApp({}, "each");

  it("answers /readyz with 503 when the database is gone", async () => {
    await t.database.close();
    const res = await t.app.inject({ method: "GET", url: "/readyz" });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: "not_ready", database: { reachable: false } });
  });

  it("explains a bad request naming the field and the problem, in Italian or English", async () => {
    const res = await t.app.inject({ method: "GET", url: "/api/tenants/Concorezzo_MB" });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: {
        code: "VALIDATION_FAILED",
        message: "Richiesta non valida",
        details: [
          {
            field: "params.slug",
            problem:
              "deve essere lo slug di un Comune: lettere minuscole, cifre e trattini singoli",
          },
        ],
      },
    });
    const en = await t.app.inject({
      method: "GET",
      url: "/api/tenants/Concorezzo_MB",
      headers: { "accept-language": "en" },
    });
    expect(en.json()).toEqual({
      error: {
        code: "VALIDATION_FAILED",
        message: "Invalid request",
        details: [
          {
            field: "params.slug",
            problem: "must be a comune's slug: lower-case letters, digits and single dashes",
          },
        ],
      },
    });
  });

  it("answers an unknown comune and an unknown path with a JSON 404", async () => {
    const tenant = await t.app.inject({ method: "GET", url: "/api/tenants/milano" });
    expect(tenant.statusCode).toBe(404);
    expect(tenant.json()).toEqual({ error: { code: "NOT_FOUND", message: "Comune non trovato" } });
    const path = await t.app.inject({ method: "GET", url: "/nowhere" });
    expect(path.statusCode).toBe(404);
    expect(path.json()).toEqual({ error: { code: "NOT_FOUND", message: "Risorsa non trovata" } });
  });

  it("serves Prometheus metrics, counting requests by route template", async () => {
    await t.app.inject({ method: "GET", url: "/api/tenants/concorezzo" });
    const res = await t.app.inject({ method: "GET", url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toContain("banditore_tenants_loaded 2");
    expect(res.body).toMatch(
      /banditore_http_request_duration_seconds_count\{method="GET",route="\/api\/tenants\/:slug",status_code="200"\} 1/,
    );
    expect(res.body).toContain("banditore_process_cpu_seconds_total");
  });

  it("describes its API in OpenAPI at /api/openapi.json", async () => {
    const res = await t.app.inject({ method: "GET", url: "/api/openapi.json" });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{
      openapi: string;
      info: { version: string };
      paths: Record<string, unknown>;
    }>();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        "/api/tenants",
        "/api/tenants/{slug}",
        "/healthz",
        "/metrics",
        "/readyz",
        "/webhooks/whatsapp",
        "/api/tenants/{tenant}/broadcasts/{id}/progress",
        "/api/tenants/{tenant}/broadcasts/{id}/reject",
        "/api/tenants/{tenant}/broadcasts/{id}/resume",
        "/api/tenants/{tenant}/broadcasts/{id}/submit",
        "/api/tenants/{tenant}/broadcasts",
        "/api/tenants/{tenant}/broadcasts/authors",
        "/api/tenants/{tenant}/broadcasts/{id}",
        "/api/tenants/{tenant}/broadcasts/{id}/approve",
        "/api/tenants/{tenant}/broadcasts/{id}/cancel",
        "/api/tenants/{tenant}/broadcasts/{id}/events",
        "/api/tenants/{tenant}/broadcasts/{id}/pause",
        "/api/tenants/{tenant}/media",
        "/api/tenants/{tenant}/media/{id}",
        "/api/tenants/{tenant}/templates",
        "/api/tenants/{tenant}/templates/sync",
        "/api/tenants/{tenant}/broadcasts/{id}/report",
        "/api/tenants/{tenant}/broadcasts/{id}/report.csv",
        "/api/auth/login",
        "/api/auth/totp",
        "/api/auth/setup",
        "/api/auth/logout",
        "/api/auth/logout-all",
        "/api/auth/me",
        "/api/auth/totp/enrol",
        "/api/auth/totp/confirm",
        "/api/auth/recovery-codes",
        "/api/instance/tenants",
        "/api/instance/users",
        "/api/instance/users/{userId}/setup-link",
        "/api/instance/users/{userId}/two-factor",
        "/api/instance/users/{userId}/disabled",
        "/api/tenants/{tenant}/settings",
        "/api/tenants/{tenant}/settings/two-factor",
        "/api/tenants/{tenant}/users",
        "/api/tenants/{tenant}/users/{userId}/roles",
        "/api/tenants/{tenant}/users/{userId}/setup-link",
        "/api/tenants/{tenant}/users/{userId}/two-factor",
        "/api/tenants/{tenant}/users/{userId}/disabled",
        "/api/tenants/{tenant}/api-keys",
        "/api/tenants/{tenant}/api-keys/{keyId}",
        "/api/tenants/{tenant}/audit",
        "/api/tenants/{tenant}/audit.csv",
        "/api/tenants/{tenant}/broadcast-template",
        "/api/tenants/{tenant}/subscribers/lookup",
        "/api/tenants/{tenant}/subscribers/{id}",
        "/api/tenants/{tenant}/subscribers/{id}/export",
        "/api/tenants/{tenant}/subscribers/{id}/block",
        "/api/tenants/{tenant}/moderation/flagged",
        "/api/tenants/{tenant}/moderation/report",
        "/api/tenants/{tenant}/stats/subscribers",
        "/api/tenants/{tenant}/stats/subscriptions",
        "/api/tenants/{tenant}/stats/replies",
        "/api/tenants/{tenant}/audit/verify",
        "/api/tenants/{tenant}/moderation/messages",
        "/api/tenants/{tenant}/overview",
        "/api/tenants/{tenant}/settings/templates",
        "/api/tenants/{tenant}/settings/templates/sync",
        "/api/tenants/{tenant}/settings/try-keyword",
        "/api/tenants/{tenant}/settings/versions/{version}",
        "/api/tenants/{tenant}/settings/versions/{version}/restore",
        "/api/tenants/{tenant}/subscribers",
      ].sort(),
    );
    expect(JSON.stringify(doc.paths["/api/tenants/{slug}"])).toContain(
      '"pattern":"^[a-z0-9]+(?:-[a-z0-9]+)*$"',
    );
  });
});

describe("the HTTP app with Meta credentials (cloud mode)", () => {
  it("does not mount the sandbox", async () => {
    const env: Record<string, string> = {};
    for (const prefix of ["CONCOREZZO", "CASALE_MARITTIMO"]) {
      for (const name of ["ACCESS_TOKEN", "APP_SECRET", "VERIFY_TOKEN"]) {
        env[`${prefix}_WA_${name}`] = `${prefix}-${name}-value`;
      }
    }
    const t = await buildTestApp({ env });
    try {
      for (const url of [
        "/sandbox",
        "/sandbox/api/numbers",
        "/sandbox/graph/v25.0/100000000000001/messages",
      ]) {
        const res = await t.app.inject({ method: url.endsWith("messages") ? "POST" : "GET", url });
        expect(res.statusCode, url).toBe(404);
      }
      expect((await t.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});
