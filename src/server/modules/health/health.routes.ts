import { z } from "zod";
import type { Database } from "../../platform/db/connect.js";
import { ping, schemaState } from "../../platform/db/migrate.js";
import { zodRoutes } from "../../platform/http/zod-routes.js";
import type { Metrics } from "../../platform/metrics.js";

/** Liveness, readiness and metrics: what an orchestrator and Prometheus poll. */
export function healthRoutes(deps: { database: Database; metrics: Metrics }) {
  return zodRoutes((r) => {
    r.get(
      "/healthz",
      {
        logLevel: "warn",
        schema: {
          tags: ["health"],
          summary: "The process is up",
          response: { 200: z.object({ status: z.literal("ok") }) },
        },
      },
      () => ({ status: "ok" as const }),
    );

    const readiness = z.object({
      status: z.enum(["ready", "not_ready"]),
      database: z.object({
        engine: z.enum(["sqlite", "postgres"]),
        reachable: z.boolean(),
        migrationsApplied: z.number().int(),
        migrationsPending: z.array(z.string()),
      }),
    });
    r.get(
      "/readyz",
      {
        logLevel: "warn",
        schema: {
          tags: ["health"],
          summary: "The database answers and every migration is applied",
          response: { 200: readiness, 503: readiness },
        },
      },
      async (_request, reply) => {
        const { db, engine } = deps.database;
        let reachable = true;
        let state = { applied: 0, pending: [] as string[] };
        try {
          await ping(db);
          state = await schemaState(db);
        } catch (error) {
          reachable = false;
          r.log.warn({ err: error, event: "readiness.db_unreachable" }, "Database not reachable");
        }
        const ready = reachable && state.pending.length === 0;
        return reply.status(ready ? 200 : 503).send({
          status: ready ? "ready" : "not_ready",
          database: {
            engine,
            reachable,
            migrationsApplied: state.applied,
            migrationsPending: state.pending,
          },
        });
      },
    );

    r.get(
      "/metrics",
      {
        logLevel: "warn",
        schema: { tags: ["health"], summary: "Prometheus metrics (text exposition format)" },
      },
      async (_request, reply) => {
        const body = await deps.metrics.registry.metrics();
        return reply.type(deps.metrics.registry.contentType).send(body);
      },
    );
  });
}
