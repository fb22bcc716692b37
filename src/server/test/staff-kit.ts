import { generate } from "otplib";
import type { Kysely } from "kysely";
import { beforeAll, beforeEach } from "vitest";
import { hashPassword } from "../modules/staff/passwords.js";
import { API_KEY_PREFIX, newToken, tokenHash } from "../modules/staff/secrets.js";
import { csrfTokenOf } from "../modules/staff/sessions.service.js";
import { newTotpSecret } from "../modules/staff/totp.js";
import type { Clock } from "../platform/clock.js";
import type { DB } from "../platform/db/schema.js";
import { ROLES_REQUIRING_TOTP, type Permission, type Role } from "../platform/http/access.js";
import type { TestApp } from "./build-test-app.js";

/** A strong password the rules accept. */
export const GOOD_PASSWORD = "correct horse battery staple";

export interface SeededUser {
  id: number;
  email: string;
  totpSecret: string | undefined;
  /** A fresh logged-in session: cookie and CSRF headers for inject() or fetch(). */
  session: () => Promise<Record<string, string>>;
}

/** Who `seedUser` writes: roles per comune, two-factor, a password, the instance role. */
export interface UserSpec {
  email: string;
  roles?: Record<string, Role[]>;
  totp?: boolean;
  password?: string;
  instanceAdmin?: boolean;
}

/**
 * A staff member straight in the database (no HTTP): roles per comune, optionally TOTP enabled,
 * a password, the instance role. For tests of who may do what; the login tests go over HTTP.
 * The rows are written here with plain SQL: nothing outside modules/staff calls its repositories.
 */
export async function seedUser(db: Kysely<DB>, clock: Clock, spec: UserSpec): Promise<SeededUser> {
  const now = clock.now();
  const totpSecret = spec.totp ? newTotpSecret() : undefined;
  const inserted = await db
    .insertInto("users")
    .values({
      email: spec.email,
      display_name: spec.email,
      password_hash: spec.password ? await hashPassword(spec.password) : null,
      totp_secret: totpSecret ?? null,
      totp_confirmed_at: totpSecret ? now : null,
      totp_last_step: null,
      recovery_codes: null,
      instance_role: spec.instanceAdmin ? "admin" : null,
      disabled_at: null,
      created_at: now,
      updated_at: now,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const id = Number(inserted.id);
  for (const [tenant, roles] of Object.entries(spec.roles ?? {})) {
    if (!roles.length) continue;
    await db
      .insertInto("user_roles")
      .values(roles.map((role) => ({ tenant_id: tenant, user_id: id, role, created_at: now })))
      .execute();
  }
  return {
    id,
    email: spec.email,
    totpSecret,
    session: async () => {
      const token = newToken();
      const at = clock.now();
      await db
        .insertInto("sessions")
        .values({
          id: tokenHash(token),
          user_id: id,
          stage: "active",
          created_at: at,
          last_seen_at: at,
          expires_at: at + 3_600_000,
        })
        .execute();
      return { cookie: `banditore_session=${token}`, "x-csrf-token": csrfTokenOf(token) };
    },
  };
}

/**
 * The headers of a fresh logged-in session of a staff member with `roles` per comune, for the
 * tests that only act as them: seeded as `seedUser` does, with two-factor on when one of the
 * roles requires it (as the console makes such a holder turn it on), unless `more` says.
 */
export async function seedSession(
  db: Kysely<DB>,
  clock: Clock,
  email: string,
  roles: Record<string, Role[]>,
  more: Omit<UserSpec, "email" | "roles"> = {},
): Promise<Record<string, string>> {
  const totp = Object.values(roles).some((rs) => rs.some((r) => ROLES_REQUIRING_TOTP.has(r)));
  return (await seedUser(db, clock, { email, roles, totp, ...more })).session();
}

/** Who a test acts as: the email, the roles per comune, and whatever else `seedSession` takes. */
export type SessionSpec = [
  email: string,
  roles: Record<string, Role[]>,
  more?: Omit<UserSpec, "email" | "roles">,
];

/**
 * The staff members of `specs` logged in to the test app `t` (from `useTestApp`, called
 * before this), by name: seeded by `seedSession` before each test, or once for the block with
 * `scope: "all"` (as the app is). The object is filled in by the hook.
 */
export function useSessions<Name extends string>(
  t: TestApp,
  specs: Record<Name, SessionSpec>,
  scope: "all" | "each" = "each",
): Record<Name, Record<string, string>> {
  const sessions = {} as Record<Name, Record<string, string>>;
  (scope === "each" ? beforeEach : beforeAll)(async () => {
    for (const [name, [email, roles, more]] of Object.entries(specs) as [Name, SessionSpec][]) {
      sessions[name] = await seedSession(t.database.db, t.clock, email, roles, more);
    }
  });
  return sessions;
}

/** An API key of a comune straight in the database; returns the Authorization header. */
export async function seedApiKey(
  db: Kysely<DB>,
  clock: Clock,
  tenantId: string,
  permissions: Permission[],
): Promise<{ id: number; headers: Record<string, string> }> {
  const key = newToken(API_KEY_PREFIX);
  const row = await db
    .insertInto("api_keys")
    .values({
      tenant_id: tenantId,
      name: `test key ${permissions.join(" ")}`,
      token_hash: tokenHash(key),
      token_prefix: key.slice(0, 10),
      permissions: JSON.stringify(permissions),
      created_by: "test",
      created_at: clock.now(),
      last_used_at: null,
      revoked_at: null,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return { id: Number(row.id), headers: { authorization: `Bearer ${key}` } };
}

/** The TOTP code an authenticator app shows at `at` (epoch ms). */
export function totpCode(secret: string, at: number): Promise<string> {
  return generate({ secret, epoch: Math.floor(at / 1000) });
}

/** The Set-Cookie session token of a response, as a Cookie header. */
export function sessionCookieOf(setCookie: string | string[] | undefined): string {
  const header = Array.isArray(setCookie) ? setCookie.join(";") : (setCookie ?? "");
  const match = /banditore_session=([^;]*)/.exec(header);
  if (!match?.[1]) throw new Error(`no session cookie in ${header}`);
  return `banditore_session=${match[1]}`;
}

/**
 * A comune's communication office as the broadcast tests need it: logged-in sessions of an
 * editor (writes), an approver (approves, with TOTP as the role requires) and a viewer (reads).
 */
export async function seedOffice(
  db: Kysely<DB>,
  clock: Clock,
  tenant: string,
): Promise<{
  office: Record<string, string>;
  mayor: Record<string, string>;
  viewer: Record<string, string>;
}> {
  const seed = (email: string, role: Role) => seedSession(db, clock, email, { [tenant]: [role] });
  return {
    office: await seed(`ufficio@${tenant}.example.it`, "editor"),
    mayor: await seed(`sindaco@${tenant}.example.it`, "approver"),
    viewer: await seed(`revisore@${tenant}.example.it`, "viewer"),
  };
}
