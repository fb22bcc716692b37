import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "../../config/env.js";
import { startServer } from "../../server.js";
import {
  buildTestApp,
  fakeClock,
  SHIPPED_TENANTS_DIR,
  type TestApp,
} from "../../test/build-test-app.js";
import { testEngines } from "../../test/engines.js";
import { seedApiKey, seedUser } from "../../test/staff-kit.js";
import { createLogger } from "../log.js";
import {
  INSTANCE_PERMISSIONS,
  PERMISSIONS,
  registerAccessControl,
  ROLE_PERMISSIONS,
  ROLES,
  type DeclaredRoute,
  type Permission,
  type Role,
  type RouteAccess,
} from "./access.js";

/**
 * The authorization matrix, generated from the app's own route table and the role table: every
 * /api/ route × every kind of caller, the expected answer derived from what the route declares.
 * A route added later is in the table, so it is covered without touching this file.
 */
const HOME = "concorezzo";
const OTHER = "casale-marittimo";

type Caller =
  | { kind: "anonymous" }
  | { kind: "role"; role: Role }
  | { kind: "other-comune-owner" }
  | { kind: "instance-admin" }
  | { kind: "api-key"; permission: Permission };

type Expected = "allowed" | 401 | 403;

function expected(access: RouteAccess, caller: Caller): Expected {
  if (access === "public") return "allowed";
  if (caller.kind === "anonymous") return 401;
  if (access === "authenticated") return caller.kind === "api-key" ? 403 : "allowed";
  if (INSTANCE_PERMISSIONS.has(access)) return caller.kind === "instance-admin" ? "allowed" : 403;
  switch (caller.kind) {
    case "role":
      return ROLE_PERMISSIONS[caller.role].includes(access) ? "allowed" : 403;
    case "api-key":
      return caller.permission === access ? "allowed" : 403;
    case "other-comune-owner":
    case "instance-admin":
      return 403;
  }
}

const KEY_PERMISSIONS = PERMISSIONS.filter(
  (p) => !INSTANCE_PERMISSIONS.has(p) && p !== "users.manage" && p !== "apikeys.manage",
);

const CALLERS: Caller[] = [
  { kind: "anonymous" },
  ...ROLES.map((role) => ({ kind: "role" as const, role })),
  { kind: "other-comune-owner" },
  { kind: "instance-admin" },
  ...KEY_PERMISSIONS.map((permission) => ({ kind: "api-key" as const, permission })),
];

const label = (c: Caller) =>
  c.kind === "role" ? c.role : c.kind === "api-key" ? `api key [${c.permission}]` : c.kind;

/** A concrete URL for a route: the home comune, and ids that exist nowhere. */
function urlOf(route: DeclaredRoute): string {
  return route.url
    .replace(":tenant", HOME)
    .replace(":slug", HOME)
    .replace(/:[A-Za-z]+/g, "999999");
}

describe.each(testEngines())("the authorization matrix on %s", (engine) => {
  let t: TestApp;
  const headers = new Map<Caller, () => Promise<Record<string, string>>>();
  const clock = fakeClock();

  beforeAll(async () => {
    t = await buildTestApp({ engine, clock });
    const db = t.database.db;
    let n = 0;
    for (const caller of CALLERS) {
      n += 1;
      const email = `caller${n}@example.it`;
      if (caller.kind === "anonymous") headers.set(caller, () => Promise.resolve({}));
      else if (caller.kind === "role") {
        const user = await seedUser(db, clock, {
          email,
          roles: { [HOME]: [caller.role] },
          totp: true,
        });
        headers.set(caller, user.session);
      } else if (caller.kind === "other-comune-owner") {
        const user = await seedUser(db, clock, {
          email,
          roles: { [OTHER]: ["owner"] },
          totp: true,
        });
        headers.set(caller, user.session);
      } else if (caller.kind === "instance-admin") {
        const user = await seedUser(db, clock, { email, instanceAdmin: true, totp: true });
        headers.set(caller, user.session);
      } else {
        const key = await seedApiKey(db, clock, HOME, [caller.permission]);
        headers.set(caller, () => Promise.resolve(key.headers));
      }
    }
  });
  afterAll(async () => {
    await t.close();
  });

  it("covers every /api/ route, each with a declaration", () => {
    const routes = apiRoutes(t);
    expect(routes.length).toBeGreaterThanOrEqual(20);
    for (const r of routes) expect(r.access, `${r.method} ${r.url}`).toBeDefined();
  });

  it("answers every route for every caller as the role table says", async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const route of apiRoutes(t)) {
      const access = route.access as RouteAccess;
      // Public routes: only anonymous is meaningful (and a logout with a cookie would end it).
      const callers = access === "public" ? CALLERS.slice(0, 1) : CALLERS;
      for (const caller of callers) {
        const want = expected(access, caller);
        const res = await t.app.inject({
          method: route.method as "GET",
          url: urlOf(route),
          headers: await (headers.get(caller) ?? (() => Promise.resolve({})))(),
          ...(route.method === "GET" || route.method === "DELETE" ? {} : { payload: {} }),
        });
        checked += 1;
        const ok =
          want === "allowed"
            ? res.statusCode !== 401 && res.statusCode !== 403
            : res.statusCode === want;
        if (!ok) {
          failures.push(
            `${route.method} ${route.url} as ${label(caller)}: expected ${want}, got ${res.statusCode} ${res.body.slice(0, 120)}`,
          );
        }
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(200);
  });
});

function apiRoutes(t: TestApp): DeclaredRoute[] {
  return t.app.accessRoutes.filter((r) => r.url.startsWith("/api/") && r.method !== "HEAD");
}

describe("deny by default", () => {
  it("refuses to build an app with an /api/ route that declares no permission", async () => {
    const app = Fastify();
    registerAccessControl(app, {
      tenantIds: new Set([HOME]),
      authenticate: () => Promise.resolve(undefined),
    });
    expect(() => app.get("/api/forgotten", () => "x")).toThrow(/declares no permission/);
    expect(() =>
      app.get("/api/unscoped", { config: { permission: "reports.read" } }, () => "x"),
    ).toThrow(/no :tenant parameter/);
    // Outside /api/ (health, webhooks, sandbox) routes have their own rules.
    expect(() => app.get("/healthz-like", () => "ok")).not.toThrow();
    await app.close();
  });

  it("stops the server from starting when a route declares no permission", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "banditore-deny-"));
    const env = parseEnv({
      TENANTS_DIR: SHIPPED_TENANTS_DIR,
      DATA_DIR: dataDir,
      PORT: "0",
      HOST: "127.0.0.1",
      DISPATCH: "off",
    });
    await expect(
      startServer(env, {
        log: createLogger("silent"),
        configure: (app) => {
          app.post("/api/tenants/:tenant/oops", () => "no permission");
        },
      }),
    ).rejects.toThrow(/POST \/api\/tenants\/:tenant\/oops declares no permission/);
    await rm(dataDir, { recursive: true, force: true });
  });
});
