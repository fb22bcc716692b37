import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInProcessServer, type InProcessServer } from "../../test/in-process-server.js";
import { GOOD_PASSWORD, sessionCookieOf, totpCode } from "../../test/staff-kit.js";
import { Accounts } from "./accounts.service.js";

/**
 * A new owner's first day over real HTTP: the setup link from `banditore users add`, the
 * password, TOTP enrolment, logout, and a login with the second factor.
 */
describe("staff login on the real server", () => {
  let s: InProcessServer;
  let setupToken: string;
  beforeAll(async () => {
    s = await startInProcessServer();
    const accounts = new Accounts({
      db: s.server.database.db,
      clock: { now: () => Date.now() },
      publicUrl: s.baseUrl,
    });
    const { setupLink } = await accounts.addUserFromCommandLine({
      email: "sindaco@comune.concorezzo.mb.it",
      displayName: "Il Sindaco",
      tenantId: "concorezzo",
      role: "owner",
      instanceAdmin: false,
    });
    setupToken = setupLink?.split("#token=")[1] ?? "";
  });
  afterAll(async () => {
    await s.close();
  });

  const call = async (
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ) => {
    const res = await fetch(`${s.baseUrl}${path}`, {
      method,
      headers: {
        ...(options.body !== undefined ? { "content-type": "application/json" } : {}),
        ...options.headers,
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await res.text();
    return {
      status: res.status,
      setCookie: res.headers.get("set-cookie") ?? undefined,
      json: (text ? JSON.parse(text) : undefined) as Record<string, unknown> & {
        error?: { code: string; details?: { field: string; problem: string }[] };
      },
    };
  };

  it("sets the password from the setup link, enrols TOTP, and logs in with it", async () => {
    expect(setupToken.length).toBeGreaterThan(20);

    // The password rules answer field by field.
    const weak = await call("POST", "/api/auth/setup", {
      body: { token: setupToken, password: "short" },
    });
    expect(weak.status).toBe(400);
    expect(weak.json.error?.details?.[0]?.field).toBe("body.password");
    const own = await call("POST", "/api/auth/setup", {
      body: { token: setupToken, password: "sindaco@comune.concorezzo.mb.it!!" },
    });
    expect(own.json.error?.details?.[0]?.problem).toContain("e-mail");

    const setup = await call("POST", "/api/auth/setup", {
      body: { token: setupToken, password: GOOD_PASSWORD },
    });
    expect(setup.status).toBe(200);
    expect(setup.json.stage).toBe("active");
    expect(setup.setCookie).toMatch(/HttpOnly; SameSite=Strict/);
    let cookie = sessionCookieOf(setup.setCookie);
    let csrf = setup.json.csrfToken as string;

    // The link works once.
    const again = await call("POST", "/api/auth/setup", {
      body: { token: setupToken, password: GOOD_PASSWORD },
    });
    expect(again.json.error?.code).toBe("SETUP_LINK_INVALID");

    // An owner without TOTP holds no owner permission until it is on.
    const me = await call("GET", "/api/auth/me", { headers: { cookie } });
    expect(me.status).toBe(200);
    expect(me.json.twoFactor).toEqual({
      enabled: false,
      recoveryCodesLeft: 0,
      requiredIn: ["concorezzo"],
    });
    const blocked = await call("GET", "/api/tenants/concorezzo/settings", { headers: { cookie } });
    expect(blocked.status).toBe(403);
    expect(blocked.json.error?.code).toBe("TWO_FACTOR_REQUIRED");

    // A cookie write without the CSRF header is refused.
    const noCsrf = await call("POST", "/api/auth/totp/enrol", { headers: { cookie } });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.json.error?.code).toBe("CSRF_TOKEN_INVALID");

    const enrol = await call("POST", "/api/auth/totp/enrol", {
      headers: { cookie, "x-csrf-token": csrf },
    });
    expect(enrol.status).toBe(200);
    const secret = enrol.json.secret as string;
    expect(enrol.json.uri).toMatch(/^otpauth:\/\/totp\/Banditore:/);
    const wrong = await call("POST", "/api/auth/totp/confirm", {
      headers: { cookie, "x-csrf-token": csrf },
      body: { code: "000000" === (await totpCode(secret, Date.now())) ? "111111" : "000000" },
    });
    expect(wrong.status).toBe(401);
    const confirm = await call("POST", "/api/auth/totp/confirm", {
      headers: { cookie, "x-csrf-token": csrf },
      body: { code: await totpCode(secret, Date.now()) },
    });
    expect(confirm.status).toBe(200);
    const recovery = confirm.json.recoveryCodes as string[];
    expect(recovery).toHaveLength(10);

    const allowed = await call("GET", "/api/tenants/concorezzo/settings", { headers: { cookie } });
    expect(allowed.status).toBe(200);
    expect(allowed.json.twoFactor).toBe("required");

    // Logout needs the CSRF header too, then the cookie is worthless.
    expect((await call("POST", "/api/auth/logout", { headers: { cookie } })).status).toBe(403);
    expect(
      (await call("POST", "/api/auth/logout", { headers: { cookie, "x-csrf-token": csrf } }))
        .status,
    ).toBe(204);
    expect((await call("GET", "/api/auth/me", { headers: { cookie } })).status).toBe(401);

    // Password, then TOTP. The code of the step used to enrol is spent: the next one is due.
    const first = await call("POST", "/api/auth/login", {
      body: { email: "Sindaco@Comune.Concorezzo.MB.it", password: GOOD_PASSWORD },
    });
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ stage: "totp" });
    const halfway = sessionCookieOf(first.setCookie);
    expect((await call("GET", "/api/auth/me", { headers: { cookie: halfway } })).status).toBe(401);
    const second = await call("POST", "/api/auth/totp", {
      headers: { cookie: halfway },
      body: { code: await totpCode(secret, Date.now() + 30_000) },
    });
    expect(second.status).toBe(200);
    expect(second.json.stage).toBe("active");
    cookie = sessionCookieOf(second.setCookie);
    csrf = second.json.csrfToken as string;
    expect(cookie).not.toBe(halfway);
    const meAfter = await call("GET", "/api/auth/me", { headers: { cookie } });
    expect(meAfter.json.twoFactor).toMatchObject({ enabled: true, recoveryCodesLeft: 10 });
    expect(meAfter.json.comuni).toEqual([
      expect.objectContaining({ tenant: "concorezzo", roles: ["owner"] }),
    ]);

    // A recovery code works once, in place of the app.
    const viaRecovery = await call("POST", "/api/auth/login", {
      body: { email: "sindaco@comune.concorezzo.mb.it", password: GOOD_PASSWORD },
    });
    const recovered = await call("POST", "/api/auth/totp", {
      headers: { cookie: sessionCookieOf(viaRecovery.setCookie) },
      body: { recoveryCode: (recovery[0] ?? "").toUpperCase() },
    });
    expect(recovered.status).toBe(200);

    // Logout everywhere ends both sessions.
    const all = await call("POST", "/api/auth/logout-all", {
      headers: { cookie, "x-csrf-token": csrf },
    });
    expect(all.json).toEqual({ sessionsEnded: 2 });
    expect((await call("GET", "/api/auth/me", { headers: { cookie } })).status).toBe(401);

    // Nothing secret reached the log.
    const log = s.log();
    expect(log).not.toContain(GOOD_PASSWORD);
    expect(log).not.toContain(secret);
    expect(log).not.toContain(setupToken);
    expect(log).not.toContain(recovery[1] ?? "never");
  });
});
