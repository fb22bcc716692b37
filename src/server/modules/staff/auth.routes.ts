import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { requireCsrf, unauthorized } from "../../platform/http/access.js";
import { clearSessionCookie, readCookie, SESSION_COOKIE, setSessionCookie } from "./cookies.js";
import { PASSWORD_MAX_LENGTH } from "./passwords.js";
import { csrfTokenOf, type LoginResult, type Staff } from "./staff.service.js";

const loginAnswer = z.object({
  stage: z.enum(["totp", "active"]),
  /** Send it back in X-CSRF-Token on every write (only once the stage is "active"). */
  csrfToken: z.string().optional(),
});
const codeSchema = z.string().regex(/^\d{6}$/, "must be the 6 digits shown by the app");
const recoveryCodes = z.object({ recoveryCodes: z.array(z.string()) });

/**
 * Staff login and the account's own settings. The session lives in an HttpOnly SameSite=Strict
 * cookie; every cookie-authenticated write must send the session's CSRF token (returned at
 * login and by /api/auth/me) in the X-CSRF-Token header.
 */
export function authRoutes(deps: { staff: Staff }) {
  const { staff } = deps;
  return (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const answer = (request: FastifyRequest, reply: FastifyReply, result: LoginResult) => {
      setSessionCookie(request, reply, result.token, result.maxAgeMs);
      return result.stage === "active"
        ? { stage: result.stage, csrfToken: csrfTokenOf(result.token) }
        : { stage: result.stage };
    };
    const userId = (request: FastifyRequest) => {
      if (request.principal?.userId === undefined) throw unauthorized();
      return request.principal.userId;
    };

    r.post(
      "/api/auth/login",
      {
        config: { permission: "public" },
        schema: {
          tags: ["auth"],
          summary: "Log in with e-mail and password (then the TOTP step, if the account has it)",
          body: z.object({
            email: z.string().trim().min(3).max(254),
            password: z
              .string()
              .min(1)
              .max(PASSWORD_MAX_LENGTH * 4),
          }),
          response: { 200: loginAnswer },
        },
      },
      async (request, reply) =>
        answer(request, reply, await staff.login({ ...request.body, address: request.ip })),
    );

    r.post(
      "/api/auth/totp",
      {
        config: { permission: "public" },
        schema: {
          tags: ["auth"],
          summary: "Second login step: a TOTP code, or one of the recovery codes",
          body: z.union([
            z.object({ code: codeSchema }),
            z.object({ recoveryCode: z.string().min(8).max(40) }),
          ]),
          response: { 200: loginAnswer },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const result = await staff.completeSecondFactor(readCookie(request, SESSION_COOKIE), {
          code: "code" in body ? body.code : undefined,
          recoveryCode: "recoveryCode" in body ? body.recoveryCode : undefined,
          address: request.ip,
        });
        return answer(request, reply, result);
      },
    );

    r.post(
      "/api/auth/setup",
      {
        config: { permission: "public" },
        schema: {
          tags: ["auth"],
          summary: "Set the password from a one-time setup link, and log in",
          body: z.object({
            token: z.string().min(20).max(200),
            password: z.string().max(PASSWORD_MAX_LENGTH * 4),
          }),
          response: { 200: loginAnswer },
        },
      },
      async (request, reply) => answer(request, reply, await staff.completeSetup(request.body)),
    );

    r.post(
      "/api/auth/logout",
      {
        config: { permission: "public" },
        schema: { tags: ["auth"], summary: "End this session" },
      },
      async (request, reply) => {
        const token = readCookie(request, SESSION_COOKIE);
        if (token) {
          // A write with the cookie: the CSRF rule holds here too, or any page could log us out.
          requireCsrf(request, csrfTokenOf(token));
          await staff.logout(token);
        }
        clearSessionCookie(request, reply);
        return reply.status(204).send();
      },
    );

    r.post(
      "/api/auth/logout-all",
      {
        config: { permission: "authenticated" },
        schema: {
          tags: ["auth"],
          summary: "End every session of this account, on every device",
          response: { 200: z.object({ sessionsEnded: z.number() }) },
        },
      },
      async (request, reply) => {
        const sessionsEnded = await staff.logoutEverywhere(userId(request));
        clearSessionCookie(request, reply);
        return { sessionsEnded };
      },
    );

    r.get(
      "/api/auth/me",
      {
        config: { permission: "authenticated" },
        schema: {
          tags: ["auth"],
          summary: "The logged-in user, their roles and permissions per comune",
          response: {
            200: z.object({
              user: z.object({ id: z.number(), email: z.string(), displayName: z.string() }),
              instanceAdmin: z.boolean(),
              twoFactor: z.object({
                enabled: z.boolean(),
                recoveryCodesLeft: z.number(),
                /** Comuni whose roles wait for TOTP to be enabled. */
                requiredIn: z.array(z.string()),
              }),
              comuni: z.array(
                z.object({
                  tenant: z.string(),
                  roles: z.array(z.string()),
                  permissions: z.array(z.string()),
                }),
              ),
              csrfToken: z.string(),
            }),
          },
        },
      },
      async (request) => ({
        ...(await staff.describe(userId(request))),
        csrfToken: request.principal?.csrfToken ?? "",
      }),
    );

    r.post(
      "/api/auth/totp/enrol",
      {
        config: { permission: "authenticated" },
        schema: {
          tags: ["auth"],
          summary: "Start enabling TOTP: a new secret and its otpauth:// URI for the app",
          response: { 200: z.object({ secret: z.string(), uri: z.string() }) },
        },
      },
      async (request) => staff.startTotpEnrolment(userId(request)),
    );

    r.post(
      "/api/auth/totp/confirm",
      {
        config: { permission: "authenticated" },
        schema: {
          tags: ["auth"],
          summary: "Enable TOTP with a first code; answers the recovery codes, shown only now",
          body: z.object({ code: codeSchema }),
          response: { 200: recoveryCodes },
        },
      },
      async (request) => ({
        recoveryCodes: await staff.confirmTotp(userId(request), request.body.code),
      }),
    );

    r.post(
      "/api/auth/recovery-codes",
      {
        config: { permission: "authenticated" },
        schema: {
          tags: ["auth"],
          summary: "New recovery codes (the old ones stop working), with a current TOTP code",
          body: z.object({ code: codeSchema }),
          response: { 200: recoveryCodes },
        },
      },
      async (request) => ({
        recoveryCodes: await staff.regenerateRecoveryCodes(userId(request), request.body.code),
      }),
    );
  };
}
