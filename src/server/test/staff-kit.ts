import { generate } from "otplib";
import type { Kysely } from "kysely";
import { insertApiKey } from "../modules/staff/api-keys.repository.js";
import { hashPassword } from "../modules/staff/passwords.js";
import { API_KEY_PREFIX, newToken, tokenHash } from "../modules/staff/secrets.js";
import {
  insertSession,
  insertUser,
  replaceRoles,
  updateUser,
} from "../modules/staff/staff.repository.js";
import { csrfTokenOf } from "../modules/staff/staff.service.js";
import { newTotpSecret } from "../modules/staff/totp.js";
import type { Clock } from "../platform/clock.js";
import type { DB } from "../platform/db/schema.js";
import type { Permission, Role } from "../platform/http/access.js";

/** A strong password the rules accept. */
export const GOOD_PASSWORD = "correct horse battery staple";

export interface SeededUser {
  id: number;
  email: string;
  totpSecret: string | undefined;
  /** A fresh logged-in session: cookie and CSRF headers for inject() or fetch(). */
  session: () => Promise<Record<string, string>>;
}

/**
 * A staff member straight in the database (no HTTP): roles per comune, optionally TOTP enabled,
 * a password, the instance role. For tests of who may do what; the login tests go over HTTP.
 */
export async function seedUser(
  db: Kysely<DB>,
  clock: Clock,
  spec: {
    email: string;
    roles?: Record<string, Role[]>;
    totp?: boolean;
    password?: string;
    instanceAdmin?: boolean;
  },
): Promise<SeededUser> {
  const now = clock.now();
  const id = await insertUser(
    db,
    {
      email: spec.email,
      displayName: spec.email,
      instanceRole: spec.instanceAdmin ? "admin" : null,
    },
    now,
  );
  for (const [tenant, roles] of Object.entries(spec.roles ?? {})) {
    await replaceRoles(db, tenant, id, roles, now);
  }
  const totpSecret = spec.totp ? newTotpSecret() : undefined;
  await updateUser(
    db,
    id,
    {
      ...(spec.password ? { passwordHash: await hashPassword(spec.password) } : {}),
      ...(totpSecret ? { totpSecret, totpConfirmedAt: now } : {}),
    },
    now,
  );
  return {
    id,
    email: spec.email,
    totpSecret,
    session: async () => {
      const token = newToken();
      const at = clock.now();
      await insertSession(db, {
        id: tokenHash(token),
        userId: id,
        stage: "active",
        createdAt: at,
        lastSeenAt: at,
        expiresAt: at + 3_600_000,
      });
      return { cookie: `banditore_session=${token}`, "x-csrf-token": csrfTokenOf(token) };
    },
  };
}

/** An API key of a comune straight in the database; returns the Authorization header. */
export async function seedApiKey(
  db: Kysely<DB>,
  clock: Clock,
  tenantId: string,
  permissions: Permission[],
): Promise<{ id: number; headers: Record<string, string> }> {
  const key = newToken(API_KEY_PREFIX);
  const row = await insertApiKey(
    db,
    {
      tenantId,
      name: `test key ${permissions.join(" ")}`,
      tokenHash: tokenHash(key),
      tokenPrefix: key.slice(0, 10),
      permissions,
      createdBy: "test",
    },
    clock.now(),
  );
  return { id: row.id, headers: { authorization: `Bearer ${key}` } };
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
