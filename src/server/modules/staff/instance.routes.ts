import { z } from "zod";
import type { Tenant } from "../../config/tenants.js";
import { idSchema } from "../../platform/http/params.js";
import { zodRoutes } from "../../platform/http/zod-routes.js";
import type { Accounts } from "./accounts.service.js";
import { accountRoutes, accountStateSchema, principalOf } from "./users.routes.js";

/**
 * The hosting provider's view: the comuni this deployment serves, and the staff accounts. It
 * holds no comune permission: an instance administrator sees a comune's citizens only with a
 * role there. Accounts are theirs to manage because one account may serve several comuni, and
 * no single comune's owner may then change it (see account-access.ts).
 */
export function instanceRoutes(deps: { accounts: Accounts; tenants: readonly Tenant[] }) {
  return zodRoutes((r) => {
    r.get(
      "/api/instance/tenants",
      {
        config: { permission: "instance.manage" },
        schema: {
          tags: ["instance"],
          summary: "The comuni served here, with how many staff each has",
          response: {
            200: z.object({
              tenants: z.array(
                z.object({
                  slug: z.string(),
                  name: z.string(),
                  serviceName: z.string(),
                  file: z.string(),
                  staff: z.number(),
                }),
              ),
            }),
          },
        },
      },
      async () => {
        const counts = await deps.accounts.countUsersByTenant();
        return {
          tenants: deps.tenants.map((t) => ({
            slug: t.slug,
            name: t.name,
            serviceName: t.serviceName,
            file: t.file,
            staff: counts.get(t.slug) ?? 0,
          })),
        };
      },
    );

    r.get(
      "/api/instance/users",
      {
        config: { permission: "instance.manage" },
        schema: {
          tags: ["instance"],
          summary: "Every staff account (or the one with this e-mail), its state and its comuni",
          querystring: z.object({ email: z.string().trim().max(254).optional() }),
          response: {
            200: z.object({
              users: z.array(
                z.object({
                  id: z.number(),
                  email: z.string(),
                  displayName: z.string(),
                  instanceAdmin: z.boolean(),
                  account: accountStateSchema,
                  comuni: z.array(z.object({ tenant: z.string(), roles: z.array(z.string()) })),
                }),
              ),
            }),
          },
        },
      },
      async (request) => ({
        users: await deps.accounts.listAccounts(principalOf(request), request.query.email),
      }),
    );

    accountRoutes(r, deps.accounts, {
      prefix: "/api/instance/users/:userId",
      permission: "instance.manage",
      params: z.object({ userId: idSchema }),
      tags: ["instance"],
    });
  });
}
