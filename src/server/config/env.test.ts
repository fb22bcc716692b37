import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../platform/errors.js";
import { parseEnv } from "./env.js";

describe("parseEnv", () => {
  it("has defaults that run the demo: port 8080, SQLite under ./data, sandbox auto-detected", () => {
    const env = parseEnv({}, "/srv/banditore");
    expect(env).toMatchObject({
      PORT: 8080,
      dataDir: "/srv/banditore/data",
      tenantsDir: path.join("/srv/banditore", "config/tenants"),
      WHATSAPP_MODE: "auto",
      LOG_LEVEL: "info",
      TRUST_PROXY: false,
    });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(Object.isFrozen(env)).toBe(true);
  });

  it("resends in-flight messages after 30 s by default, never sooner than 1 s", () => {
    expect(parseEnv({}).DISPATCH_IN_FLIGHT_GRACE_MS).toBe(30_000);
    expect(parseEnv({ DISPATCH_IN_FLIGHT_GRACE_MS: "8000" }).DISPATCH_IN_FLIGHT_GRACE_MS).toBe(
      8_000,
    );
    expect(() => parseEnv({ DISPATCH_IN_FLIGHT_GRACE_MS: "500" })).toThrow(
      /DISPATCH_IN_FLIGHT_GRACE_MS: /,
    );
  });

  it("limits slow clients by default: 10 s for headers, 30 s a request, 72 s kept alive, 60 s idle", () => {
    expect(parseEnv({})).toMatchObject({
      HTTP_HEADERS_TIMEOUT_MS: 10_000,
      HTTP_REQUEST_TIMEOUT_MS: 30_000,
      HTTP_KEEP_ALIVE_TIMEOUT_MS: 72_000,
      HTTP_IDLE_TIMEOUT_MS: 60_000,
    });
    expect(
      parseEnv({ HTTP_HEADERS_TIMEOUT_MS: "2000", HTTP_REQUEST_TIMEOUT_MS: "5000" }),
    ).toMatchObject({ HTTP_HEADERS_TIMEOUT_MS: 2_000, HTTP_REQUEST_TIMEOUT_MS: 5_000 });
  });

  it("refuses no limit (0), and a header limit longer than the request's", () => {
    for (const name of [
      "HTTP_HEADERS_TIMEOUT_MS",
      "HTTP_REQUEST_TIMEOUT_MS",
      "HTTP_KEEP_ALIVE_TIMEOUT_MS",
      "HTTP_IDLE_TIMEOUT_MS",
    ]) {
      expect(() => parseEnv({ [name]: "0" })).toThrow(new RegExp(`${name}: `));
    }
    expect(() => parseEnv({ HTTP_HEADERS_TIMEOUT_MS: "40000" })).toThrow(
      /HTTP_HEADERS_TIMEOUT_MS: must not be longer than HTTP_REQUEST_TIMEOUT_MS/,
    );
  });

  it("takes an audit key of at least 16 characters and an optional anchor file", () => {
    expect(parseEnv({}).AUDIT_KEY_SECRET).toBeUndefined();
    expect(parseEnv({}).AUDIT_ANCHOR_FILE).toBeUndefined();
    const env = parseEnv({
      AUDIT_KEY_SECRET: "0123456789abcdef",
      AUDIT_ANCHOR_FILE: "/mnt/elsewhere/anchors.jsonl",
    });
    expect(env).toMatchObject({
      AUDIT_KEY_SECRET: "0123456789abcdef",
      AUDIT_ANCHOR_FILE: "/mnt/elsewhere/anchors.jsonl",
    });
    expect(() => parseEnv({ AUDIT_KEY_SECRET: "short" })).toThrow(
      /AUDIT_KEY_SECRET: must be at least 16 characters/,
    );
  });

  it("takes TRUST_PROXY as true, false or the proxies' addresses and ranges", () => {
    expect(parseEnv({ TRUST_PROXY: "true" }).TRUST_PROXY).toBe(true);
    expect(parseEnv({ TRUST_PROXY: "0" }).TRUST_PROXY).toBe(false);
    expect(
      parseEnv({ TRUST_PROXY: "10.0.0.1, 192.168.0.0/16,::1,fd00::/8,loopback" }).TRUST_PROXY,
    ).toEqual(["10.0.0.1", "192.168.0.0/16", "::1", "fd00::/8", "loopback"]);
    for (const bad of ["yes", "10.0.0.300", "10.0.0.0/33", "10.0.0.1,", "proxy.example.it"]) {
      expect(() => parseEnv({ TRUST_PROXY: bad }), bad).toThrow(
        /TRUST_PROXY: must be true, false, or a comma-separated list of proxy addresses/,
      );
    }
  });

  it("waits 5 minutes after a restart before resending what an earlier process left in flight", () => {
    expect(parseEnv({}).DISPATCH_RESTART_GRACE_MS).toBe(300_000);
    expect(parseEnv({ DISPATCH_RESTART_GRACE_MS: "20000" }).DISPATCH_RESTART_GRACE_MS).toBe(20_000);
    for (const bad of ["500", "86400001", "soon"])
      expect(() => parseEnv({ DISPATCH_RESTART_GRACE_MS: bad })).toThrow(
        /DISPATCH_RESTART_GRACE_MS: /,
      );
  });

  it("treats an empty variable as unset", () => {
    expect(parseEnv({ PORT: "", DATABASE_URL: "" }).PORT).toBe(8080);
  });

  it("accepts a PostgreSQL URL and refuses anything else", () => {
    expect(parseEnv({ DATABASE_URL: "postgres://u@db:5432/banditore" }).DATABASE_URL).toBe(
      "postgres://u@db:5432/banditore",
    );
    expect(() => parseEnv({ DATABASE_URL: "mysql://u@db/x" })).toThrow(
      /DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/,
    );
  });

  it("names every bad variable at once", () => {
    let error: unknown;
    try {
      parseEnv({ PORT: "eighty", LOG_LEVEL: "loud" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(/^PORT: /) as string,
      expect.stringMatching(/^LOG_LEVEL: /) as string,
    ]);
  });
});
