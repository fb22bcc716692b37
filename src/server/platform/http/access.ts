import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { AppError, forbidden, notFound } from "../errors.js";

/**
 * Who may call what, in one place. Every route under /api/ declares, in its route options, what
 * it needs: `config: { permission: "subscribers.reveal" }`, `"authenticated"` (any logged-in staff
 * member, for their own account) or `"public"`. A route under /api/ that declares nothing stops
 * the app from being built (deny by default). Routes of a comune take the comune from the
 * `:tenant` path parameter; a comune permission on a route without one is refused too.
 *
 * Answers, in this order: no or bad credential → 401; a cookie write without the CSRF header →
 * 403 CSRF_TOKEN_INVALID; an unknown comune → 404; a comune where the caller lacks the permission
 * (including a comune where they have no role at all) → 403. Comuni are public knowledge (they
 * are listed at /api/tenants), so a 403 reveals nothing. An object that is not the path's
 * comune's (a user, an API key, a broadcast of another comune) is answered 404 by its route, as
 * if it did not exist there.
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

/** Permissions that are not a comune's: checked against the user's instance role. */
export const INSTANCE_PERMISSIONS: ReadonlySet<Permission> = new Set(["instance.manage"]);

export const ROLES = ["owner", "editor", "approver", "technician", "viewer"] as const;
export type Role = (typeof ROLES)[number];

/**
 * The roles of a comune (docs/DESIGN.md R9) as permission sets: the one table the whole API is
 * checked against, and the authorization matrix test is generated from.
 */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  // The Mayor or a delegate: everything in the comune, and assigning roles.
  owner: PERMISSIONS.filter((p) => !INSTANCE_PERMISSIONS.has(p)),
  // The communication office: writes and submits broadcasts, follows the inbox.
  editor: [
    "reports.read",
    "broadcasts.read",
    "broadcasts.write",
    "moderation.read",
    "moderation.report",
  ],
  // Publishes: approves broadcasts, including urgent (civil-protection) ones.
  approver: ["reports.read", "broadcasts.read", "broadcasts.approve", "broadcasts.urgent"],
  // IT support or a contractor: settings, numbers, templates, integrations; no personal data,
  // no content.
  technician: ["settings.read", "settings.write", "reports.read", "apikeys.manage"],
  // Reads the reports and the broadcasts, changes nothing.
  viewer: ["reports.read", "broadcasts.read"],
};

/** Roles whose holders must log in with TOTP, unless their comune turns the requirement off. */
export const ROLES_REQUIRING_TOTP: ReadonlySet<Role> = new Set(["owner", "approver", "technician"]);

export function permissionsOfRoles(roles: Iterable<Role>): Set<Permission> {
  const result = new Set<Permission>();
  for (const role of roles) for (const p of ROLE_PERMISSIONS[role]) result.add(p);
  return result;
}

/** What a route needs. */
export type RouteAccess = Permission | "public" | "authenticated";

/** Who did something, as the audit log records it. */
export interface Actor {
  type: "admin-token" | "user" | "api-key" | "citizen" | "system" | "anonymous";
  /** The user id, the API key id, or undefined for the admin token and the system. */
  id?: string;
}

/** A caller whose credential was accepted. */
export interface Principal {
  actor: Actor;
  /** Set for a staff member's session: "authenticated" routes need one. */
  userId?: number;
  /** The hosting provider's administrator (instance permissions). */
  instanceAdmin: boolean;
  /** Why an instance administrator's permissions are held back (TOTP not enabled), if so. */
  instanceWithheld?: AppError;
  /** Set when the credential came in a cookie: writes must then carry it in X-CSRF-Token. */
  csrfToken?: string;
  /** What the caller may do in a comune. */
  permissionsIn(tenantId: string): ReadonlySet<Permission>;
  /** Why permissions the caller's roles would give are held back in a comune, if they are. */
  withheldIn?(tenantId: string): AppError | undefined;
}

declare module "fastify" {
  interface FastifyContextConfig {
    /** What a caller needs to reach this route; "public" for no credential at all. */
    permission?: RouteAccess;
  }
  interface FastifyRequest {
    /** Set by the access check on protected routes. */
    actor?: Actor;
    principal?: Principal;
  }
  interface FastifyInstance {
    /** Every route with what it declared, in registration order (the matrix test reads it). */
    accessRoutes: DeclaredRoute[];
  }
}

export interface DeclaredRoute {
  method: string;
  url: string;
  access: RouteAccess | undefined;
}

export const CSRF_HEADER = "x-csrf-token";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export const unauthorized = () =>
  new AppError(401, "UNAUTHENTICATED", "Accesso richiesto: credenziali mancanti o non valide");

export const csrfRefused = () =>
  new AppError(
    403,
    "CSRF_TOKEN_INVALID",
    `Richiesta rifiutata: manca l'intestazione ${CSRF_HEADER} della sessione`,
  );

export interface AccessOptions {
  /** The comuni served: an unknown `:tenant` is a 404. */
  tenantIds: ReadonlySet<string>;
  /**
   * Who is calling, from the request's credentials: undefined when it carries none; throws
   * `unauthorized()` when it carries one that is not valid.
   */
  authenticate(request: FastifyRequest): Promise<Principal | undefined>;
}

/** Refuses routes that declare nothing, and checks every protected route's caller. */
export function registerAccessControl(app: FastifyInstance, options: AccessOptions): void {
  const routes: DeclaredRoute[] = [];
  app.decorate("accessRoutes", routes);
  app.decorateRequest("actor", undefined);
  app.decorateRequest("principal", undefined);

  app.addHook("onRoute", (route) => {
    const access = route.config?.permission;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) routes.push({ method, url: route.url, access });
    if (!route.url.startsWith("/api/")) return;
    if (access === undefined) {
      throw new Error(
        `Route ${methods.join(",")} ${route.url} declares no permission: every /api/ route must set config.permission (a permission, "authenticated" or "public")`,
      );
    }
    if (isComunePermission(access) && !route.url.includes(":tenant")) {
      throw new Error(
        `Route ${methods.join(",")} ${route.url} needs the comune permission "${access}" but has no :tenant parameter to scope it`,
      );
    }
  });

  // onRequest, before the body is parsed and validated: a caller without the right learns
  // nothing from validation errors.
  app.addHook("onRequest", async (request) => {
    const access = request.routeOptions.config?.permission;
    if (access === undefined || access === "public") return;
    const principal = await options.authenticate(request);
    if (!principal) throw unauthorized();
    request.principal = principal;
    request.actor = principal.actor;
    if (principal.csrfToken !== undefined && !SAFE_METHODS.has(request.method)) {
      requireCsrf(request, principal.csrfToken);
    }
    if (access === "authenticated") {
      if (principal.userId === undefined) throw forbidden();
      return;
    }
    if (INSTANCE_PERMISSIONS.has(access)) {
      if (!principal.instanceAdmin) throw principal.instanceWithheld ?? forbidden();
      return;
    }
    const tenant = (request.params as Record<string, string | undefined>).tenant ?? "";
    if (!options.tenantIds.has(tenant)) throw notFound("Comune non trovato", "Comune not found");
    if (!principal.permissionsIn(tenant).has(access)) {
      throw principal.withheldIn?.(tenant) ?? forbidden();
    }
  });
}

function isComunePermission(access: RouteAccess): access is Permission {
  return access !== "public" && access !== "authenticated" && !INSTANCE_PERMISSIONS.has(access);
}

/** Cookie-authenticated writes must echo the session's CSRF token in a header. */
export function requireCsrf(request: FastifyRequest, expected: string): void {
  const given = request.headers[CSRF_HEADER];
  if (typeof given !== "string" || !sameSecret(given, expected)) throw csrfRefused();
}

export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Who an audit entry made by a route is attributed to: the caller the access check
 * authenticated. A route that writes to the audit log without one (a public route, or a hook that
 * ran too early) is a programming error and fails loudly, never an entry silently attributed to
 * "system"; `{ type: "system" }` is for the command line and the server's own jobs only.
 */
export function actorOf(request: { actor?: Actor | undefined; url?: string }): Actor {
  if (!request.actor) {
    throw new Error(
      `No authenticated actor for an audit entry${request.url ? ` (${request.url})` : ""}: ` +
        'the route must declare a permission other than "public"',
    );
  }
  return request.actor;
}
