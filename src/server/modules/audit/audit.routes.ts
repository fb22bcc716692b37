import { Readable } from "node:stream";
import type { Kysely } from "kysely";
import { z } from "zod";
import type { Clock } from "../../platform/clock.js";
import type { DB } from "../../platform/db/schema.js";
import { tenantParams } from "../../platform/http/params.js";
import { zodRoutes } from "../../platform/http/zod-routes.js";
import { auditEntryOut, tenantChainCheckOut } from "./audit.schemas.js";
import { auditCsv, listAudit, recordAudit, verifyForTenant } from "./audit.service.js";
import { actorOf } from "../../platform/http/access.js";
import { localized } from "../../platform/http/locale.js";

/** Who may have done something, as entries name it (platform/http/access.ts, Actor). */
const ACTOR_TYPES = ["admin-token", "user", "api-key", "citizen", "system", "anonymous"] as const;
const ACTION = /^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/;
const KIND = /^[a-z0-9_-]+$/;
const actionProblem = localized({
  it: "deve essere il nome di un'azione del registro (es. user.disabled) o la sua prima parte",
  en: "must be an action of the log (e.g. user.disabled) or its first part",
});
const instant = z.coerce
  .number()
  .int()
  .nonnegative(
    localized({
      it: "deve essere un istante in millisecondi",
      en: "must be an instant in milliseconds",
    }),
  );

/** A comune's audit log: listed for the owner, exported as CSV (the export is audited too). */
export function auditRoutes(deps: { db: Kysely<DB>; clock: Clock }) {
  return zodRoutes((r) => {
    r.get(
      "/api/tenants/:tenant/audit",
      {
        config: { permission: "audit.read" },
        schema: {
          tags: ["audit"],
          summary: "The comune's audit log, newest first (page with ?before=<nextBefore>)",
          description:
            "Filters (all optional, all must hold): `action` (exact, e.g. user.disabled), `kind` (the action's part before the first dot, e.g. user), `actorType` and `actorId` (who), `from` and `to` (epoch milliseconds, `from` included, `to` excluded).",
          params: tenantParams,
          querystring: z
            .object({
              before: z.coerce.number().int().positive().optional(),
              limit: z.coerce.number().int().min(1).max(200).default(50),
              action: z.string().regex(ACTION, actionProblem).max(100).optional(),
              kind: z.string().regex(KIND, actionProblem).max(50).optional(),
              actorType: z.enum(ACTOR_TYPES).optional(),
              actorId: z.string().max(50).optional(),
              from: instant.optional(),
              to: instant.optional(),
            })
            .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, {
              path: ["to"],
              ...localized({ it: "deve essere successiva a from", en: "must be later than from" }),
            }),
          response: {
            200: z.object({ entries: z.array(auditEntryOut), nextBefore: z.number().nullable() }),
          },
        },
      },
      async (request) => {
        const { before, limit, ...filter } = request.query;
        return listAudit(deps.db, request.params.tenant, { before, limit }, filter);
      },
    );

    r.get(
      "/api/tenants/:tenant/audit/verify",
      {
        config: { permission: "audit.read" },
        schema: {
          tags: ["audit"],
          summary: "Check the audit chain, as `banditore audit verify` does (without anchors)",
          description:
            "The chain is one for the whole deployment: it holds or breaks for every comune. `broken` names the first entry that does not hold; its time and action only when it is the comune's own entry.",
          params: tenantParams,
          response: {
            200: tenantChainCheckOut,
          },
        },
      },
      async (request) => verifyForTenant(deps.db, request.params.tenant, deps.clock.now()),
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
  });
}
