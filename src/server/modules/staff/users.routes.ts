import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { ROLES } from "../../platform/http/access.js";
import { idSchema, tenantParams } from "../../platform/http/params.js";
import type { Staff } from "./staff.service.js";

const roles = z.array(z.enum(ROLES)).max(ROLES.length);
const user = z.object({
  id: z.number(),
  email: z.string(),
  displayName: z.string(),
  roles: z.array(z.string()),
  passwordSet: z.boolean(),
  twoFactor: z.boolean(),
});
const userParams = tenantParams.extend({ userId: idSchema });

/** The people of a comune and their roles: the owner (the Mayor or a delegate) assigns them. */
export function usersRoutes(deps: { staff: Staff }) {
  const { staff } = deps;
  return (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();

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
      async (request) => ({ users: await staff.listUsers(request.params.tenant) }),
    );

    r.post(
      "/api/tenants/:tenant/users",
      {
        config: { permission: "users.manage" },
        schema: {
          tags: ["users"],
          summary:
            "Give a person roles in the comune (a new account gets a one-time setup link, shown once)",
          params: tenantParams,
          body: z.object({
            email: z.email("must be an e-mail address").max(254),
            displayName: z.string().trim().min(1).max(120),
            roles: roles.min(1, "at least one role"),
          }),
          response: {
            201: z.object({
              userId: z.number(),
              created: z.boolean(),
              setupLink: z.string().nullable(),
            }),
          },
        },
      },
      async (request, reply) => {
        const result = await staff.addUser({
          tenantId: request.params.tenant,
          ...request.body,
          actor: request.actor ?? { type: "system" },
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
        await staff.setRoles({
          tenantId: request.params.tenant,
          userId: request.params.userId,
          roles: request.body.roles,
          actor: request.actor ?? { type: "system" },
        });
        return reply.status(204).send();
      },
    );

    r.post(
      "/api/tenants/:tenant/users/:userId/setup-link",
      {
        config: { permission: "users.manage" },
        schema: {
          tags: ["users"],
          summary: "A new one-time link to set the password (earlier links stop working)",
          params: userParams,
          response: { 200: z.object({ setupLink: z.string() }) },
        },
      },
      async (request) => ({
        setupLink: await staff.issueSetupLink({
          tenantId: request.params.tenant,
          userId: request.params.userId,
          actor: request.actor ?? { type: "system" },
        }),
      }),
    );
  };
}
