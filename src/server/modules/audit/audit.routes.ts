import { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Kysely } from "kysely";
import { z } from "zod";
import type { Clock } from "../../platform/clock.js";
import type { DB } from "../../platform/db/schema.js";
import { tenantParams } from "../../platform/http/params.js";
import { auditCsv, listAudit, recordAudit } from "./audit.service.js";
import { actorOf } from "../../platform/http/access.js";

const entry = z.object({
  id: z.number(),
  at: z.number(),
  actor: z.object({ type: z.string(), id: z.string().nullable() }),
  action: z.string(),
  target: z.object({ type: z.string(), id: z.string() }).nullable(),
  summary: z.unknown(),
});

/** A comune's audit log: listed for the owner, exported as CSV (the export is audited too). */
export function auditRoutes(deps: { db: Kysely<DB>; clock: Clock }) {
  return (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      "/api/tenants/:tenant/audit",
      {
        config: { permission: "audit.read" },
        schema: {
          tags: ["audit"],
          summary: "The comune's audit log, newest first (page with ?before=<nextBefore>)",
          params: tenantParams,
          querystring: z.object({
            before: z.coerce.number().int().positive().optional(),
            limit: z.coerce.number().int().min(1).max(200).default(50),
          }),
          response: {
            200: z.object({ entries: z.array(entry), nextBefore: z.number().nullable() }),
          },
        },
      },
      async (request) => listAudit(deps.db, request.params.tenant, request.query),
    );

    r.get(
      "/api/tenants/:tenant/audit.csv",
      {
        config: { permission: "audit.export" },
        schema: {
          tags: ["audit"],
          summary: "The comune's whole audit log as CSV, oldest first, with the chain's hashes",
          params: tenantParams,
        },
      },
      async (request, reply) => {
        const tenant = request.params.tenant;
        await recordAudit(
          deps.db,
          {
            tenantId: tenant,
            actor: actorOf(request),
            action: "audit.exported",
            target: { type: "tenant", id: tenant },
          },
          deps.clock.now(),
        );
        return reply
          .header("content-type", "text/csv; charset=utf-8")
          .header("content-disposition", `attachment; filename="audit-${tenant}.csv"`)
          .send(Readable.from(auditCsv(deps.db, tenant)));
      },
    );
  };
}
