import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Tenant } from "../../config/tenants.js";
import type { Staff } from "./staff.service.js";

/**
 * The hosting provider's view: the comuni this deployment serves. It holds no comune
 * permission: an instance administrator sees a comune's citizens only with a role there.
 */
export function instanceRoutes(deps: { staff: Staff; tenants: readonly Tenant[] }) {
  return (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
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
        const counts = await deps.staff.countUsersByTenant();
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
  };
}
