import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildTestApp, fakeClock, type TestApp } from "../../test/build-test-app.js";
import { testEngines } from "../../test/engines.js";
import { GOOD_PASSWORD, seedUser, sessionCookieOf } from "../../test/staff-kit.js";
import type { DeclaredRoute } from "../../platform/http/access.js";
import { NAME_PROBLEM } from "./names.js";

const HOME = "concorezzo";
const OTHER = "casale-marittimo";
const ADMIN_TOKEN = "break-glass-token-of-the-hosting-provider";

/** Routes under /users/:userId/ that change the person's roles in one comune, not the account. */
const ROLE_ROUTES = new Set(["PUT /api/tenants/:tenant/users/:userId/roles"]);
/** The body an account route needs, by method and last path segment; none otherwise. */
const BODIES: Record<string, unknown> = { "PUT disabled": { disabled: true } };

const bodyOf = (route: DeclaredRoute) => BODIES[`${route.method} ${route.url.split("/").at(-1)}`];

describe.each(testEngines())("accounts shared by several comuni on %s", (engine) => {
  let t: TestApp;
  const clock = fakeClock();
  beforeEach(async () => {
    t = await buildTestApp({ engine, clock, env: { ADMIN_TOKEN } });
  });
  afterEach(async () => {
    await t.close();
  });

  const call = (method: string, url: string, headers: Record<string, string>, payload?: unknown) =>
    t.app.inject({
      method: method as "GET",
      url,
      headers,
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
  const login = (email: string, password = GOOD_PASSWORD) =>
    t.app.inject({ method: "POST", url: "/api/auth/login", payload: { email, password } });
  /** The owner of each comune given, with two-factor on as the role requires. */
  const seedOwner = (email: string, ...tenants: string[]) =>
    seedUser(t.database.db, clock, {
      email,
      roles: Object.fromEntries(tenants.map((tenant) => [tenant, ["owner" as const]])),
      totp: true,
    });
  /** An editor of Concorezzo who logs in with the good password. */
  const seedHomeEditor = (email: string, more: { totp?: boolean } = {}) =>
    seedUser(t.database.db, clock, {
      email,
      roles: { [HOME]: ["editor"] },
      password: GOOD_PASSWORD,
      ...more,
    });
  const seedInstanceAdmin = () =>
    seedUser(t.database.db, clock, { email: "admin@hosting.it", instanceAdmin: true, totp: true });
  /** Staff of `tenant` (`headers`) add the person to it. */
  const addUser = (
    tenant: string,
    headers: Record<string, string>,
    user: { email: string; displayName: string; roles: string[] },
  ) => call("POST", `/api/tenants/${tenant}/users`, headers, user);
  const auditOf = async (tenant: string, headers: Record<string, string>) =>
    (await call("GET", `/api/tenants/${tenant}/audit`, headers)).json<{
      entries: { action: string; target: { id: string } | null; summary: unknown }[];
    }>().entries;

  it("refuses the takeover: another comune's owner adds the person, asks for a setup link, and is refused", async () => {
    const db = t.database.db;
    const homeOwner = await seedOwner("sindaco@concorezzo.it", HOME);
    const victim = await seedHomeEditor("segreteria@concorezzo.it");
    const attacker = await seedOwner("sindaco@casale.it", OTHER);
    const headers = await attacker.session();

    // Adding the person answers as for anyone: nothing about their password or two-factor.
    const added = await addUser(OTHER, headers, {
      email: "Segreteria@Concorezzo.it",
      displayName: "Chiunque",
      roles: ["viewer"],
    });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toEqual({
      userId: victim.id,
      created: false,
      setupLink: null,
      setupLinkExpiresAt: null,
    });
    const fresh = await addUser(OTHER, headers, {
      email: "nuovo@casale.it",
      displayName: "Nuovo",
      roles: ["viewer"],
    });
    expect(Object.keys(fresh.json<object>()).sort()).toEqual(
      Object.keys(added.json<object>()).sort(),
    );
    const list = await call("GET", `/api/tenants/${OTHER}/users`, headers);
    expect(list.json<{ users: { email: string; account: unknown }[] }>().users).toContainEqual(
      expect.objectContaining({ email: "segreteria@concorezzo.it", account: null }),
    );

    // The setup link, which would set the password and log in as the person: refused.
    const link = await call("POST", `/api/tenants/${OTHER}/users/${victim.id}/setup-link`, headers);
    expect(link.statusCode).toBe(403);
    expect(link.json()).toMatchObject({
      error: {
        code: "ACCOUNT_MANAGED_ELSEWHERE",
        message: expect.stringContaining("amministratore del servizio") as string,
      },
    });
    expect(await db.selectFrom("user_tokens").selectAll().execute()).toHaveLength(1); // the new person's

    // The person still logs in with their own password.
    const theirs = await login("segreteria@concorezzo.it");
    expect(theirs.statusCode).toBe(200);
    expect(theirs.json()).toMatchObject({ stage: "active" });

    // Their comune sees what happened.
    const homeAudit = await auditOf(HOME, await homeOwner.session());
    expect(homeAudit).toContainEqual(
      expect.objectContaining({
        action: "user.added_to_other_comune",
        target: { type: "user", id: String(victim.id) },
        summary: { comune: OTHER, roles: ["viewer"] },
      }),
    );
    const otherAudit = await auditOf(OTHER, headers);
    expect(otherAudit.map((e) => e.action)).not.toContain("user.setup_link_issued");
  });

  it("tries every account route: refused to the owner of either comune, done by whoever administers all of the person's comuni, the instance administrator and the admin token", async () => {
    const db = t.database.db;
    const homeOwner = await seedOwner("sindaco@concorezzo.it", HOME);
    const otherOwner = await seedOwner("sindaco@casale.it", OTHER);
    const bothOwner = await seedOwner("segretario@unione.it", HOME, OTHER);
    const admin = await seedInstanceAdmin();
    const adminToken = { authorization: `Bearer ${ADMIN_TOKEN}` };

    const routes = t.app.accessRoutes.filter(
      (r) =>
        r.url.includes(":userId") &&
        r.method !== "HEAD" &&
        !ROLE_ROUTES.has(`${r.method} ${r.url}`),
    );
    const ofComune = routes.filter((r) => r.url.startsWith("/api/tenants/:tenant/users/:userId/"));
    const ofInstance = routes.filter((r) => r.url.startsWith("/api/instance/users/:userId/"));
    expect(ofComune.length).toBeGreaterThanOrEqual(3);
    expect(ofComune.length + ofInstance.length).toBe(routes.length);
    // Each account action of a comune's owner has the instance administrator's twin.
    expect(ofInstance.map((r) => `${r.method} ${r.url.split(":userId")[1]}`).sort()).toEqual(
      ofComune.map((r) => `${r.method} ${r.url.split(":userId")[1]}`).sort(),
    );

    const failures: string[] = [];
    const expectStatus = (
      what: string,
      res: { statusCode: number; body: string },
      want: number | "2xx",
      code?: string,
    ) => {
      const ok =
        want === "2xx" ? res.statusCode >= 200 && res.statusCode < 300 : res.statusCode === want;
      if (!ok || (code && !res.body.includes(code))) {
        failures.push(`${what}: expected ${want} ${code ?? ""}, got ${res.statusCode} ${res.body}`);
      }
    };
    let n = 0;
    for (const route of ofComune) {
      n += 1;
      const shared = await seedUser(db, clock, {
        email: `condiviso${n}@example.it`,
        roles: { [HOME]: ["editor"], [OTHER]: ["viewer"] },
        password: GOOD_PASSWORD,
      });
      const adminOnly = await seedUser(db, clock, {
        email: `noc${n}@hosting.it`,
        roles: { [HOME]: ["viewer"] },
        instanceAdmin: true,
        totp: true,
      });
      const own = await seedUser(db, clock, {
        email: `solo${n}@concorezzo.it`,
        roles: { [HOME]: ["editor"] },
      });
      const url = (tenant: string, userId: number) =>
        route.url.replace(":tenant", tenant).replace(":userId", String(userId));
      const body = bodyOf(route);
      const as = async (who: { session: () => Promise<Record<string, string>> }, u: string) =>
        call(route.method, u, await who.session(), body);
      const label = `${route.method} ${route.url}`;

      expectStatus(
        `${label} by ${HOME}'s owner`,
        await as(homeOwner, url(HOME, shared.id)),
        403,
        "ACCOUNT_MANAGED_ELSEWHERE",
      );
      expectStatus(
        `${label} by ${OTHER}'s owner`,
        await as(otherOwner, url(OTHER, shared.id)),
        403,
        "ACCOUNT_MANAGED_ELSEWHERE",
      );
      expectStatus(
        `${label} on an instance administrator`,
        await as(homeOwner, url(HOME, adminOnly.id)),
        403,
        "ACCOUNT_MANAGED_ELSEWHERE",
      );
      expectStatus(
        `${label} by the owner of both`,
        await as(bothOwner, url(HOME, shared.id)),
        "2xx",
      );
      expectStatus(
        `${label} on the comune's own staff`,
        await as(homeOwner, url(HOME, own.id)),
        "2xx",
      );
      expectStatus(
        `${label} with the admin token`,
        await call(route.method, url(HOME, shared.id), adminToken, body),
        "2xx",
      );
      const twin = route.url.replace("/api/tenants/:tenant/users/", "/api/instance/users/");
      const twinUrl = twin.replace(":userId", String(shared.id));
      expectStatus(
        `${twin} by the instance administrator`,
        await call(route.method, twinUrl, await admin.session(), body),
        "2xx",
      );
      expectStatus(
        `${twin} by an owner`,
        await call(route.method, twinUrl, await bothOwner.session(), body),
        403,
      );
    }
    expect(failures).toEqual([]);
  });

  it("disables and enables an account, resets its two-factor, and keeps a comune's roles its own", async () => {
    const owner = await seedOwner("sindaco@concorezzo.it", HOME);
    const person = await seedHomeEditor("redazione@concorezzo.it", { totp: true });
    const headers = await owner.session();
    const base = `/api/tenants/${HOME}/users/${person.id}`;
    const personSession = await person.session();

    expect((await call("PUT", `${base}/disabled`, headers, { disabled: true })).statusCode).toBe(
      204,
    );
    expect((await call("GET", "/api/auth/me", personSession)).statusCode).toBe(401);
    const refused = await login("redazione@concorezzo.it");
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ error: { code: "INVALID_CREDENTIALS" } });
    const list = await call("GET", `/api/tenants/${HOME}/users`, headers);
    expect(list.json<{ users: unknown[] }>().users).toContainEqual(
      expect.objectContaining({
        email: "redazione@concorezzo.it",
        account: { passwordSet: true, twoFactor: true, disabled: true },
      }),
    );
    expect((await call("PUT", `${base}/disabled`, headers, { disabled: false })).statusCode).toBe(
      204,
    );
    expect((await login("redazione@concorezzo.it")).json()).toEqual({ stage: "totp" });

    expect((await call("DELETE", `${base}/two-factor`, headers)).statusCode).toBe(204);
    const withoutTotp = await login("redazione@concorezzo.it");
    expect(withoutTotp.json()).toMatchObject({ stage: "active" });
    const me = await call("GET", "/api/auth/me", {
      cookie: sessionCookieOf(withoutTotp.headers["set-cookie"]),
    });
    expect(me.json()).toMatchObject({ twoFactor: { enabled: false, recoveryCodesLeft: 0 } });

    const self = await call("PUT", `/api/tenants/${HOME}/users/${owner.id}/disabled`, headers, {
      disabled: true,
    });
    expect(self.statusCode).toBe(409);
    expect(self.json()).toMatchObject({ error: { code: "CANNOT_DISABLE_SELF" } });

    // Another comune adds the person, then removes them: only that comune's roles change.
    const other = await seedOwner("sindaco@casale.it", OTHER);
    const otherHeaders = await other.session();
    await addUser(OTHER, otherHeaders, {
      email: "redazione@concorezzo.it",
      displayName: "Redazione",
      roles: ["viewer"],
    });
    const removed = await call(
      "PUT",
      `/api/tenants/${OTHER}/users/${person.id}/roles`,
      otherHeaders,
      {
        roles: [],
      },
    );
    expect(removed.statusCode).toBe(204);
    const after = await login("redazione@concorezzo.it");
    const meAfter = await call("GET", "/api/auth/me", {
      cookie: sessionCookieOf(after.headers["set-cookie"]),
    });
    expect(meAfter.json()).toMatchObject({ comuni: [{ tenant: HOME, roles: ["editor"] }] });
    const homeActions = (await auditOf(HOME, headers)).map((e) => e.action);
    expect(homeActions).not.toContain("user.roles_changed");
    expect(homeActions).toEqual(
      expect.arrayContaining(["user.disabled", "user.enabled", "user.totp_reset"]),
    );
  });

  it("shows the instance administrator every account with its state and comuni", async () => {
    const db = t.database.db;
    await seedUser(db, clock, {
      email: "doppio@example.it",
      roles: { [HOME]: ["editor"], [OTHER]: ["viewer"] },
      password: GOOD_PASSWORD,
    });
    const admin = await seedInstanceAdmin();
    const res = await call(
      "GET",
      "/api/instance/users?email=Doppio@Example.it",
      await admin.session(),
    );
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      users: [
        {
          id: expect.any(Number) as number,
          email: "doppio@example.it",
          displayName: "doppio@example.it",
          instanceAdmin: false,
          account: { passwordSet: true, twoFactor: false, disabled: false },
          comuni: [
            { tenant: OTHER, roles: ["viewer"] },
            { tenant: HOME, roles: ["editor"] },
          ],
        },
      ],
    });
  });

  it("refuses control and text-direction characters in names, naming the field", async () => {
    const owner = await seedOwner("sindaco@concorezzo.it", HOME);
    const headers = await owner.session();
    for (const displayName of [
      "Mario\nRossi",
      "Mario\u0000",
      "Mario\u202Eissor",
      "a\u0085b",
      "x\u2066y",
    ]) {
      const res = await addUser(HOME, headers, {
        email: "mario@concorezzo.it",
        displayName,
        roles: ["editor"],
      });
      expect(res.statusCode, JSON.stringify(displayName)).toBe(400);
      expect(res.json()).toMatchObject({
        error: {
          code: "VALIDATION_FAILED",
          details: [{ field: "body.displayName", problem: NAME_PROBLEM }],
        },
      });
    }
    const key = await call("POST", `/api/tenants/${HOME}/api-keys`, headers, {
      name: "protezione\tcivile",
      permissions: ["reports.read"],
    });
    expect(key.statusCode).toBe(400);
    expect(key.json()).toMatchObject({
      error: { details: [{ field: "body.name", problem: NAME_PROBLEM }] },
    });
    const fine = await addUser(HOME, headers, {
      email: "mario@concorezzo.it",
      displayName: "Mario Rossi 👩‍💻",
      roles: ["editor"],
    });
    expect(fine.statusCode).toBe(201);
  });
});
