import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { AppError } from "../errors.js";

/**
 * Who may call what. Every route under /api/ declares, in its route options, the one permission
 * it needs (`config: { permission: "subscribers.read" }`) or `"public"`; routes of a comune take
 * the comune from the `:tenant` path parameter. The permission catalogue below is the single
 * list: roles (issue #6) are sets of these.
 *
 * Until staff accounts exist (issue #6), the only credential is the deployment's admin token
 * (`ADMIN_TOKEN`, sent as `Authorization: Bearer …`), which holds every permission in every
 * comune. Without ADMIN_TOKEN every protected route answers 401.
 */
export const PERMISSIONS = [
  // A comune's configuration and public facts beyond what the public pages show.
  "settings.read",
  "settings.write",
  // Subscribers: counts and statistics (no personal data) …
  "reports.read",
  // … personal data: find by number, see names and unmasked numbers, export one person's data.
  "subscribers.reveal",
  "subscribers.export",
  "subscribers.erase",
  "subscribers.block",
  // The moderation inbox and the report of flagged messages for the authorities.
  "moderation.read",
  "moderation.report",
  // Broadcasts (the broadcasts issue builds the routes; the permissions exist now).
  "broadcasts.read",
  "broadcasts.write",
  "broadcasts.approve",
  "broadcasts.urgent",
  // Accounts, roles, API keys and the audit log of a comune.
  "users.manage",
  "apikeys.manage",
  "audit.read",
  "audit.export",
  // The hosting provider's instance administration: comuni, not their citizens.
  "instance.manage",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Who did something, as the audit log records it. */
export interface Actor {
  type: "admin-token" | "user" | "api-key" | "citizen" | "system";
  /** The user id, the API key id, or undefined for the admin token and the system. */
  id?: string;
}

declare module "fastify" {
  interface FastifyContextConfig {
    /** What a caller needs to reach this route; "public" for no credential at all. */
    permission?: Permission | "public";
  }
  interface FastifyRequest {
    /** Set by the access check on protected routes. */
    actor?: Actor;
  }
}

export const unauthorized = () =>
  new AppError(401, "UNAUTHENTICATED", "Accesso richiesto: credenziali mancanti o non valide");

export interface AccessOptions {
  /** The deployment's admin token; undefined turns it off. */
  adminToken: string | undefined;
}

/** Checks every protected route's caller before its handler runs. */
export function registerAccessControl(app: FastifyInstance, options: AccessOptions): void {
  app.decorateRequest("actor", undefined);
  app.addHook("preHandler", (request, _reply, done) => {
    const permission = request.routeOptions.config.permission;
    if (permission === undefined || permission === "public") return done();
    try {
      request.actor = authenticate(request, options);
      done();
    } catch (error) {
      done(error as Error);
    }
  });
}

function authenticate(request: FastifyRequest, options: AccessOptions): Actor {
  const header = request.headers.authorization;
  const token = header?.startsWith("Bearer ") ? header.slice("Bearer ".length).trim() : undefined;
  if (!token || !options.adminToken || !sameSecret(token, options.adminToken)) throw unauthorized();
  return { type: "admin-token" };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
