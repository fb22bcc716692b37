import rateLimit, { normalizeIP } from "@fastify/rate-limit";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { requireCsrf, unauthorized } from "../../platform/http/access.js";
import { localized } from "../../platform/http/locale.js";
import { clearSessionCookie, readCookie, SESSION_COOKIE, setSessionCookie } from "./cookies.js";
import { PASSWORD_MAX_LENGTH } from "./passwords.js";
import { AppError } from "../../platform/errors.js";
import { LoginThrottled, waitText } from "./login-throttle.js";
import { csrfTokenOf, type LoginResult, type Sessions } from "./sessions.service.js";
import type { TwoFactor } from "./two-factor.service.js";

const loginAnswer = z.object({
  stage: z.enum(["totp", "active"]),
  /** Send it back in X-CSRF-Token on every write (only once the stage is "active"). */
  csrfToken: z.string().optional(),
});
const codeSchema = z.string().regex(
  /^\d{6}$/,
  localized({
    it: "deve essere il codice di 6 cifre mostrato dall'app",
    en: "must be the 6 digits shown by the app",
  }),
);
const recoveryCodes = z.object({ recoveryCodes: z.array(z.string()) });

/**
 * Per client address, across accounts (`@fastify/rate-limit`, in each process's memory): one
 * address trying many e-mail addresses, or making the server hash passwords all day. The login
 * and the TOTP step share one budget (a login with TOTP takes two); generous enough for an
 * office behind one address logging in at nine. The per-account waits are login-throttle.ts.
 */
export const ATTEMPTS_PER_ADDRESS = {
  login: { max: 100, timeWindow: 10 * 60_000, groupId: "login" },
  setup: { max: 30, timeWindow: 10 * 60_000, groupId: "setup" },
} as const;

/** The client address as the throttle keys it: an IPv6 client counts by its /64, as one host. */
export const clientAddress = (request: FastifyRequest) => normalizeIP(request.ip, 64);

/** Runs a login step; a throttled one answers Retry-After as well as the message. */
async function throttled<T>(reply: FastifyReply, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof LoginThrottled) void reply.header("retry-after", error.retryAfterSeconds);
    throw error;
  }
}

/**
 * Staff login and the account's own settings. The session lives in an HttpOnly SameSite=Strict
 * cookie; every cookie-authenticated write must send the session's CSRF token (returned at
 * login and by /api/auth/me) in the X-CSRF-Token header.
 */
export function authRoutes(deps: { sessions: Sessions; twoFactor: TwoFactor }) {
  const { sessions, twoFactor } = deps;
  return async (app: FastifyInstance) => {
    // Only the routes that ask for it (config.rateLimit) are limited, within this plugin.
    await app.register(rateLimit, {
      global: false,
      errorResponseBuilder: (_request, context) =>
        new AppError(
          429,
          "TOO_MANY_ATTEMPTS",
          `Troppi tentativi da questo indirizzo: riprovare tra ${waitText(context.ttl)}`,
        ),
    });
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
        config: { permission: "public", rateLimit: { ...ATTEMPTS_PER_ADDRESS.login } },
        schema: {
          tags: ["auth"],
          summary: "Log in with e-mail and password (then the TOTP step, if the account has it)",
          description:
            "Failures slow further attempts down (429 LOGIN_THROTTLED with Retry-After): per account and client address, and per account from addresses it never logged in from; 429 TOO_MANY_ATTEMPTS past the limit per client address.",
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
        answer(
          request,
          reply,
          await throttled(reply, () =>
            sessions.login({ ...request.body, address: clientAddress(request) }),
          ),
        ),
    );

    r.post(
      "/api/auth/totp",
      {
        config: { permission: "public", rateLimit: { ...ATTEMPTS_PER_ADDRESS.login } },
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
        const result = await throttled(reply, () =>
          sessions.completeSecondFactor(readCookie(request, SESSION_COOKIE), {
            code: "code" in body ? body.code : undefined,
            recoveryCode: "recoveryCode" in body ? body.recoveryCode : undefined,
            address: clientAddress(request),
          }),
        );
        return answer(request, reply, result);
      },
    );

    r.post(
      "/api/auth/setup",
      {
        config: { permission: "public", rateLimit: { ...ATTEMPTS_PER_ADDRESS.setup } },
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
      async (request, reply) =>
        answer(
          request,
          reply,
          await sessions.completeSetup({ ...request.body, address: clientAddress(request) }),
        ),
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
          await sessions.logout(token);
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
        const sessionsEnded = await sessions.logoutEverywhere(userId(request));
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
        ...(await sessions.describe(userId(request))),
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
      async (request) => twoFactor.startTotpEnrolment(userId(request)),
    );

    /** A route that takes a current TOTP code and answers new recovery codes, shown only now. */
    const recoveryCodesRoute = (
      path: string,
      summary: string,
      issue: (user: number, code: string) => Promise<string[]>,
    ) =>
      r.post(
        path,
        {
          config: { permission: "authenticated" },
          schema: {
            tags: ["auth"],
            summary,
            body: z.object({ code: codeSchema }),
            response: { 200: recoveryCodes },
          },
        },
        async (request) => ({ recoveryCodes: await issue(userId(request), request.body.code) }),
      );
    recoveryCodesRoute(
      "/api/auth/totp/confirm",
      "Enable TOTP with a first code; answers the recovery codes, shown only now",
      (user, code) => twoFactor.confirmTotp(user, code),
    );
    recoveryCodesRoute(
      "/api/auth/recovery-codes",
      "New recovery codes (the old ones stop working), with a current TOTP code",
      (user, code) => twoFactor.regenerateRecoveryCodes(user, code),
    );
  };
}
