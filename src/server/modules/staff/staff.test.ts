import { describe, expect, it } from "vitest";
import { buildTestApp, fakeClock, useTestApp } from "../../test/build-test-app.js";
import { testEngines } from "../../test/engines.js";
import { buildSubscriber } from "../../test/factories.js";
import { GOOD_PASSWORD, seedApiKey, seedUser, sessionCookieOf } from "../../test/staff-kit.js";

const HOME = "concorezzo";
const OTHER = "casale-marittimo";

/**
 * The comune routes a user of one comune must not reach in another. Each is reachable by its own
 * comune's owner. The citizens' routes (subscribers) join this list when they are merged.
 */
const TENANT_ROUTES: { method: "GET" | "PUT" | "POST"; path: string; body?: unknown }[] = [
  { method: "GET", path: "/api/tenants/:tenant/settings" },
  { method: "GET", path: "/api/tenants/:tenant/audit" },
  { method: "GET", path: "/api/tenants/:tenant/audit.csv" },
  { method: "GET", path: "/api/tenants/:tenant/users" },
  { method: "GET", path: "/api/tenants/:tenant/api-keys" },
  { method: "PUT", path: "/api/tenants/:tenant/settings/two-factor", body: { required: true } },
  // Citizens' personal data and figures.
  { method: "GET", path: "/api/tenants/:tenant/stats/subscribers" },
  { method: "GET", path: "/api/tenants/:tenant/stats/subscriptions?from=2026-11-01&to=2026-11-22" },
  { method: "GET", path: "/api/tenants/:tenant/moderation/flagged" },
];

describe.each(testEngines())("staff access on %s", (engine) => {
  const clock = fakeClock();
  const t = useTestApp({ engine, clock }, "each");
  /** Concorezzo's owner, with two-factor on as the role requires. */
  const seedHomeOwner = () =>
    seedUser(t.database.db, clock, {
      email: "sindaco@concorezzo.it",
      roles: { [HOME]: ["owner"] },
      totp: true,
    });

  it("gives a user with roles in two comuni each comune's data under that comune's role only", async () => {
    const db = t.database.db;
    const both = await seedUser(db, clock, {
      email: "doppio@example.it",
      roles: { [HOME]: ["owner"], [OTHER]: ["viewer"] },
      totp: true,
    });
    const otherOwner = await seedUser(db, clock, {
      email: "sindaco@casale.it",
      roles: { [OTHER]: ["owner"] },
      totp: true,
    });
    // Something in each comune's audit log.
    const homeHeaders = await both.session();
    const otherHeaders = await otherOwner.session();
    const put = (headers: Record<string, string>, tenant: string, required: boolean) =>
      t.app.inject({
        method: "PUT",
        url: `/api/tenants/${tenant}/settings/two-factor`,
        headers,
        payload: { required },
      });
    expect((await put(homeHeaders, HOME, false)).statusCode).toBe(200);
    expect((await put(otherHeaders, OTHER, false)).statusCode).toBe(200);

    const get = (headers: Record<string, string>, url: string) =>
      t.app.inject({ method: "GET", url, headers });
    const homeAudit = await get(homeHeaders, `/api/tenants/${HOME}/audit`);
    expect(homeAudit.statusCode).toBe(200);
    const entries = homeAudit.json<{ entries: { action: string; target: { id: string } }[] }>()
      .entries;
    expect(entries.map((e) => e.target.id)).toEqual([HOME]);
    // Viewer in the other comune: reports only.
    expect((await get(homeHeaders, `/api/tenants/${OTHER}/audit`)).statusCode).toBe(403);
    expect((await get(homeHeaders, `/api/tenants/${OTHER}/settings`)).statusCode).toBe(403);
    expect((await put(homeHeaders, OTHER, true)).statusCode).toBe(403);
    const otherAudit = await get(otherHeaders, `/api/tenants/${OTHER}/audit`);
    expect(
      otherAudit.json<{ entries: { target: { id: string } }[] }>().entries.map((e) => e.target.id),
    ).toEqual([OTHER]);

    // Every comune route: the other comune's owner is refused in this one, allowed in theirs.
    for (const route of TENANT_ROUTES) {
      for (const [tenant, want] of [
        [HOME, 403],
        [OTHER, 200],
      ] as const) {
        const res = await t.app.inject({
          method: route.method,
          url: route.path.replace(":tenant", tenant),
          headers: await otherOwner.session(),
          ...(route.body ? { payload: route.body } : {}),
        });
        expect(res.statusCode, `${route.method} ${route.path} in ${tenant}`).toBe(want);
      }
    }

    // Objects of one comune addressed under the other: not found there.
    const homeKey = await seedApiKey(db, clock, HOME, ["reports.read"]);
    const revoke = await t.app.inject({
      method: "DELETE",
      url: `/api/tenants/${OTHER}/api-keys/${homeKey.id}`,
      headers: otherHeaders,
    });
    expect(revoke.statusCode).toBe(404);
    const homeOnly = await seedUser(db, clock, {
      email: "solo@concorezzo.it",
      roles: { [HOME]: ["editor"] },
    });
    const roles = await t.app.inject({
      method: "PUT",
      url: `/api/tenants/${OTHER}/users/${homeOnly.id}/roles`,
      headers: otherHeaders,
      payload: { roles: ["owner"] },
    });
    expect(roles.statusCode).toBe(404);
    const foreign = await t.app.inject({
      method: "POST",
      url: `/api/tenants/${OTHER}/users/${homeOnly.id}/setup-link`,
      headers: otherHeaders,
    });
    expect(foreign.statusCode).toBe(404);

    // A subscriber of one comune: seen by its owner there, not found under the other comune.
    const { id: subscriberId } = await buildSubscriber(db, {
      tenant_id: HOME,
      wa_id: "393331234567",
      status: "active",
      subscribed_at: null,
      created_at: clock.now(),
      updated_at: clock.now(),
    });
    const subscriberUnder = (tenant: string, headers: Record<string, string>) =>
      get(headers, `/api/tenants/${tenant}/subscribers/${subscriberId}`);
    expect((await subscriberUnder(HOME, homeHeaders)).statusCode).toBe(200);
    expect((await subscriberUnder(OTHER, otherHeaders)).statusCode).toBe(404);
    expect((await subscriberUnder(HOME, otherHeaders)).statusCode).toBe(403);
  });

  it("an API key scoped to one permission does that and nothing else; revoked, it stops", async () => {
    const owner = await seedHomeOwner();
    const headers = await owner.session();
    const create = (permissions: string[]) =>
      t.app.inject({
        method: "POST",
        url: `/api/tenants/${HOME}/api-keys`,
        headers,
        payload: { name: "protezione civile", permissions },
      });
    const notForKeys = await create(["users.manage"]);
    expect(notForKeys.statusCode).toBe(400);
    expect(notForKeys.json()).toMatchObject({
      error: { details: [{ field: "body.permissions" }] },
    });

    const created = await create(["settings.read"]);
    expect(created.statusCode).toBe(201);
    const { key, apiKey } = created.json<{ key: string; apiKey: { id: number; prefix: string } }>();
    expect(key).toMatch(/^bnd_/);
    expect(key.startsWith(apiKey.prefix)).toBe(true);
    const stored = await t.database.db.selectFrom("api_keys").selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(key);

    const bearer = { authorization: `Bearer ${key}` };
    const as = (method: "GET" | "PUT", url: string, payload?: unknown) =>
      t.app.inject({ method, url, headers: bearer, ...(payload ? { payload } : {}) });
    expect((await as("GET", `/api/tenants/${HOME}/settings`)).statusCode).toBe(200);
    expect((await as("GET", `/api/tenants/${OTHER}/settings`)).statusCode).toBe(403);
    expect((await as("GET", `/api/tenants/${HOME}/audit`)).statusCode).toBe(403);
    expect((await as("GET", `/api/tenants/${HOME}/users`)).statusCode).toBe(403);
    expect((await as("GET", `/api/tenants/${HOME}/api-keys`)).statusCode).toBe(403);
    expect(
      (await as("PUT", `/api/tenants/${HOME}/settings/two-factor`, { required: false })).statusCode,
    ).toBe(403);
    expect((await as("GET", "/api/auth/me")).statusCode).toBe(403);

    const list = await t.app.inject({
      method: "GET",
      url: `/api/tenants/${HOME}/api-keys`,
      headers,
    });
    expect(list.json<{ apiKeys: { lastUsedAt: number | null }[] }>().apiKeys[0]?.lastUsedAt).toBe(
      clock.now(),
    );
    const revoke = await t.app.inject({
      method: "DELETE",
      url: `/api/tenants/${HOME}/api-keys/${apiKey.id}`,
      headers,
    });
    expect(revoke.statusCode).toBe(204);
    expect((await as("GET", `/api/tenants/${HOME}/settings`)).statusCode).toBe(401);

    // A technician may make keys, never with more than their own permissions.
    const tech = await seedUser(t.database.db, clock, {
      email: "it@concorezzo.it",
      roles: { [HOME]: ["technician"] },
      totp: true,
    });
    const techKey = await t.app.inject({
      method: "POST",
      url: `/api/tenants/${HOME}/api-keys`,
      headers: await tech.session(),
      payload: { name: "troppo", permissions: ["settings.read", "subscribers.export"] },
    });
    expect(techKey.statusCode).toBe(403);
    expect(techKey.json()).toMatchObject({ error: { code: "PERMISSION_NOT_HELD" } });
  });

  it("owners add people with a setup link, change roles, and cannot remove the last owner", async () => {
    const owner = await seedHomeOwner();
    const headers = await owner.session();
    const add = await t.app.inject({
      method: "POST",
      url: `/api/tenants/${HOME}/users`,
      headers,
      payload: { email: "Redazione@Concorezzo.it", displayName: "Redazione", roles: ["editor"] },
    });
    expect(add.statusCode).toBe(201);
    const { userId, setupLink, setupLinkExpiresAt } = add.json<{
      userId: number;
      setupLink: string;
      setupLinkExpiresAt: number;
    }>();
    expect(setupLink).toMatch(/^http:\/\/localhost:8080\/console\/setup#token=/);
    // The console tells how long the link lasts: 72 hours.
    expect(setupLinkExpiresAt).toBe(clock.now() + 72 * 3_600_000);
    const token = setupLink.split("#token=")[1] ?? "";
    const tokens = await t.database.db.selectFrom("user_tokens").selectAll().execute();
    expect(JSON.stringify(tokens)).not.toContain(token);

    const setup = await t.app.inject({
      method: "POST",
      url: "/api/auth/setup",
      payload: { token, password: GOOD_PASSWORD },
    });
    expect(setup.statusCode).toBe(200);
    const editorCookie = sessionCookieOf(setup.headers["set-cookie"]);
    const me = await t.app.inject({
      method: "GET",
      url: "/api/auth/me",
      headers: { cookie: editorCookie },
    });
    expect(me.json()).toMatchObject({
      user: { email: "redazione@concorezzo.it" },
      comuni: [{ tenant: HOME, roles: ["editor"] }],
    });

    const demote = await t.app.inject({
      method: "PUT",
      url: `/api/tenants/${HOME}/users/${owner.id}/roles`,
      headers,
      payload: { roles: ["editor"] },
    });
    expect(demote.statusCode).toBe(409);
    expect(demote.json()).toMatchObject({ error: { code: "LAST_OWNER" } });
    const promote = await t.app.inject({
      method: "PUT",
      url: `/api/tenants/${HOME}/users/${userId}/roles`,
      headers,
      payload: { roles: ["editor", "approver"] },
    });
    expect(promote.statusCode).toBe(204);
    const list = await t.app.inject({ method: "GET", url: `/api/tenants/${HOME}/users`, headers });
    expect(list.json<{ users: { email: string; roles: string[] }[] }>().users).toEqual([
      expect.objectContaining({ email: "redazione@concorezzo.it", roles: ["approver", "editor"] }),
      expect.objectContaining({ email: "sindaco@concorezzo.it", roles: ["owner"] }),
    ]);
    // The new approver role waits for TOTP; the editor role works at once.
    const meAgain = await t.app.inject({
      method: "GET",
      url: "/api/auth/me",
      headers: { cookie: editorCookie },
    });
    expect(meAgain.json()).toMatchObject({ twoFactor: { requiredIn: [HOME] } });

    const audit = await t.app.inject({ method: "GET", url: `/api/tenants/${HOME}/audit`, headers });
    expect(audit.json<{ entries: { action: string }[] }>().entries.map((e) => e.action)).toEqual([
      "user.roles_changed",
      "user.added",
    ]);
  });

  it("shows the instance administrator the comuni, with TOTP, and no comune's data", async () => {
    const db = t.database.db;
    await seedUser(db, clock, { email: "a@concorezzo.it", roles: { [HOME]: ["owner", "editor"] } });
    await seedUser(db, clock, { email: "b@concorezzo.it", roles: { [HOME]: ["viewer"] } });
    const withoutTotp = await seedUser(db, clock, { email: "noc@hosting.it", instanceAdmin: true });
    const admin = await seedUser(db, clock, {
      email: "admin@hosting.it",
      instanceAdmin: true,
      totp: true,
    });
    const list = (headers: Record<string, string>) =>
      t.app.inject({ method: "GET", url: "/api/instance/tenants", headers });
    const refused = await list(await withoutTotp.session());
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ error: { code: "TWO_FACTOR_REQUIRED" } });
    const headers = await admin.session();
    const res = await list(headers);
    expect(res.statusCode).toBe(200);
    expect(
      res
        .json<{ tenants: { slug: string; staff: number }[] }>()
        .tenants.map((x) => [x.slug, x.staff]),
    ).toEqual([
      [OTHER, 0],
      [HOME, 2],
    ]);
    const settings = await t.app.inject({
      method: "GET",
      url: `/api/tenants/${HOME}/settings`,
      headers,
    });
    expect(settings.statusCode).toBe(403);
  });

  it("lets a comune turn the two-factor requirement off, and logs sessions out when idle", async () => {
    const owner = await seedHomeOwner();
    const tech = await seedUser(t.database.db, clock, {
      email: "it@concorezzo.it",
      roles: { [HOME]: ["technician"] },
    });
    const techHeaders = await tech.session();
    const settings = () =>
      t.app.inject({ method: "GET", url: `/api/tenants/${HOME}/settings`, headers: techHeaders });
    expect((await settings()).json()).toMatchObject({ error: { code: "TWO_FACTOR_REQUIRED" } });
    const off = await t.app.inject({
      method: "PUT",
      url: `/api/tenants/${HOME}/settings/two-factor`,
      headers: await owner.session(),
      payload: { required: false },
    });
    expect(off.json()).toMatchObject({ twoFactor: "off" });
    expect((await settings()).statusCode).toBe(200);

    clock.advance(31 * 60_000);
    const idle = await settings();
    expect(idle.statusCode).toBe(401);
    expect(idle.json()).toMatchObject({ error: { code: "SESSION_EXPIRED" } });
  });
});

describe("the session cookie", () => {
  it("is Secure when the request came over HTTPS through a trusted proxy, and only then", async () => {
    const clock = fakeClock();
    const t = await buildTestApp({ clock, env: { TRUST_PROXY: "192.0.2.10" } });
    try {
      await seedUser(t.database.db, clock, {
        email: "ufficio@concorezzo.it",
        roles: { [HOME]: ["editor"] },
        password: GOOD_PASSWORD,
      });
      const login = (remoteAddress: string) =>
        t.app.inject({
          method: "POST",
          url: "/api/auth/login",
          headers: { "x-forwarded-proto": "https" },
          remoteAddress,
          payload: { email: "ufficio@concorezzo.it", password: GOOD_PASSWORD },
        });
      const proxied = await login("192.0.2.10");
      expect(proxied.statusCode).toBe(200);
      expect(proxied.headers["set-cookie"]).toMatch(
        /^banditore_session=[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure$/,
      );
      // A client that is not the proxy cannot claim HTTPS (nor an address).
      const direct = await login("203.0.113.9");
      expect(direct.statusCode).toBe(200);
      expect(direct.headers["set-cookie"]).toMatch(/Max-Age=43200$/);
    } finally {
      await t.close();
    }
  });
});
