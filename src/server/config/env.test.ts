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
