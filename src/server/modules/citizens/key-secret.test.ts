import { describe, expect, it } from "vitest";
import { parseEnv } from "../../config/env.js";
import { ConfigError } from "../../platform/errors.js";
import { resolveSubscriberKeySecret, SANDBOX_SUBSCRIBER_KEY_SECRET } from "./key-secret.js";

describe("SUBSCRIBER_KEY_SECRET", () => {
  it("is required outside sandbox mode, and the refusal names the variable", () => {
    expect(() => resolveSubscriberKeySecret(parseEnv({}), "cloud")).toThrow(ConfigError);
    expect(() => resolveSubscriberKeySecret(parseEnv({}), "cloud")).toThrow(
      /SUBSCRIBER_KEY_SECRET: is not set \(required outside sandbox mode\)/,
    );
  });

  it("uses the development value in sandbox mode, and the variable when set", () => {
    expect(resolveSubscriberKeySecret(parseEnv({}), "sandbox")).toBe(SANDBOX_SUBSCRIBER_KEY_SECRET);
    const env = parseEnv({ SUBSCRIBER_KEY_SECRET: "a-long-enough-secret-value" });
    expect(resolveSubscriberKeySecret(env, "cloud")).toBe("a-long-enough-secret-value");
  });

  it("PUBLIC_URL must be an http(s) URL; a trailing slash is dropped", () => {
    expect(parseEnv({ PUBLIC_URL: "https://whatsapp.comune.example.it/" }).publicUrl).toBe(
      "https://whatsapp.comune.example.it",
    );
    expect(() => parseEnv({ PUBLIC_URL: "ftp://x" })).toThrow(/PUBLIC_URL: /);
  });
});
