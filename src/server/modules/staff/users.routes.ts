import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { actorOf, ROLES, unauthorized, type Principal } from "../../platform/http/access.js";
import { localized } from "../../platform/http/locale.js";
import { idSchema, tenantParams } from "../../platform/http/params.js";
import { zodRoutes, type ZodRoutes } from "../../platform/http/zod-routes.js";
import { staffName } from "./names.js";
import type { Accounts } from "./accounts.service.js";

const roles = z.array(z.enum(ROLES)).max(ROLES.length);
/** An account's state, shown only to whoever may manage the account (see account-access.ts). */
export const accountStateSchema = z.object({
  passwordSet: z.boolean(),
  twoFactor: z.boolean(),
  disabled: z.boolean(),
});
const user = z.object({
  id: z.number(),
  email: z.string(),
  displayName: z.string(),
  roles: z.array(z.string()),
  /** null: the person also works for a comune the caller does not administer. */
  account: accountStateSchema.nullable(),
});
const userParams = tenantParams.extend({ userId: idSchema });

export const principalOf = (request: FastifyRequest): Principal => {
  if (!request.principal) throw unauthorized();
  return request.principal;
};

/**
 * The people of a comune and their roles: the owner (the Mayor or a delegate) assigns them.
 * The routes under `/users/:userId/` other than `roles` act on the person's account, which may
 * be shared with other comuni: the service checks the account rule (account-access.ts), and the
 * instance administrator has the same actions under /api/instance/users/:userId/.
 */
export function usersRoutes(deps: { accounts: Accounts }) {
  const { accounts } = deps;
  return zodRoutes((r) => {
    r.get(
      "/api/tenants/:tenant/users",
      {
        config: { permission: "users.manage" },
        schema: {
          tags: ["users"],
          summary: "The people with a role in the comune",
          params: tenantParams,
          response: { 200: z.object({ users: z.array(user) }) },
        },
      },
      async (request) => ({
        users: await accounts.listUsers(request.params.tenant, principalOf(request)),
      }),
    );

    r.post(
      "/api/tenants/:tenant/users",
      {
        config: { permission: "users.manage" },
        schema: {
          tags: ["users"],
          summary:
            "Give a person roles in the comune (a new account gets a one-time setup link, shown once; an existing one keeps its password and gets none)",
          params: tenantParams,
          body: z.object({
            email: z.email().max(254),
            displayName: staffName(120),
            roles: roles.min(
              1,
              localized({ it: "deve indicare almeno un ruolo", en: "at least one role" }),
            ),
          }),
          response: {
            201: z.object({
              userId: z.number(),
              created: z.boolean(),
              setupLink: z.string().nullable(),
              /** When the setup link stops working (epoch ms); null with no link. */
              setupLinkExpiresAt: z.number().nullable(),
            }),
          },
        },
      },
      async (request, reply) => {
        const result = await accounts.addUser({
          tenantId: request.params.tenant,
          ...request.body,
          actor: actorOf(request),
        });
        return reply.status(201).send(result);
      },
    );

    r.put(
      "/api/tenants/:tenant/users/:userId/roles",
      {
        config: { permission: "users.manage" },
        schema: {
          tags: ["users"],
          summary: "Replace a person's roles in the comune (none removes them from it)",
          params: userParams,
          body: z.object({ roles }),
        },
      },
      async (request, reply) => {
        await accounts.setRoles({
          tenantId: request.params.tenant,
          userId: request.params.userId,
          roles: request.body.roles,
          actor: actorOf(request),
        });
        return reply.status(204).send();
      },
    );

    accountRoutes(r, accounts, {
      prefix: "/api/tenants/:tenant/users/:userId",
      permission: "users.manage",
      params: userParams,
      tags: ["users"],
    });
  });
}

/**
 * The actions on a person's account, mounted under a comune (for its owner) and under the
 * instance (for the hosting provider's administrator): the same three routes, one rule.
 */
export function accountRoutes(
  t: ZodRoutes,
  accounts: Accounts,
  mount: {
    prefix: string;
    permission: "users.manage" | "instance.manage";
    params: z.ZodObject;
    tags: string[];
  },
): void {
  const action = (request: FastifyRequest) => {
    const params = request.params as { tenant?: string; userId: number };
    return { tenantId: params.tenant, userId: params.userId, by: principalOf(request) };
  };
  const rule =
    "Only for a person whose every comune the caller administers (otherwise 403 ACCOUNT_MANAGED_ELSEWHERE), or by the instance administrator";
  /** What the three routes declare alike: the mount's permission, tags and params, the rule. */
  const options = <S extends object>(summary: string, schema: S) => ({
    config: { permission: mount.permission },
    schema: { tags: mount.tags, summary, description: rule, params: mount.params, ...schema },
  });

  t.post(
    `${mount.prefix}/setup-link`,
    options("A new one-time link to set the password (earlier links stop working)", {
      response: { 200: z.object({ setupLink: z.string(), expiresAt: z.number() }) },
    }),
    async (request) => accounts.issueSetupLink(action(request)),
  );

  t.delete(
    `${mount.prefix}/two-factor`,
    options("Turn the person's two-factor off (a lost phone): they enrol again", {}),
    async (request, reply) => {
      await accounts.resetTwoFactor(action(request));
      return reply.status(204).send();
    },
  );

  t.put(
    `${mount.prefix}/disabled`,
    options("Disable the account (no login; its sessions end) or enable it again", {
      body: z.object({ disabled: z.boolean() }),
    }),
    async (request, reply) => {
      await accounts.setDisabled({ ...action(request), disabled: request.body.disabled });
      return reply.status(204).send();
    },
  );
}
