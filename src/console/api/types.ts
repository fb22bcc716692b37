import type { components, paths } from "./schema";

/** What the comune's rules say of a broadcast (the broadcasts API's `check`). */
export type PolicyCheck = components["schemas"]["PolicyCheck"];

/** The report's counts: the dispatch's progress counters, without the failures by code. */
type ReportCounts =
  paths["/api/tenants/{tenant}/broadcasts/{id}/report"]["get"]["responses"]["200"]["content"]["application/json"]["counts"];

/**
 * A broadcast's progress (`…/progress` and the events stream), which the OpenAPI document leaves
 * open: written from the server's dispatch code.
 */
export interface Progress {
  broadcast: {
    id: number;
    status: string;
    attentionReason: string | null;
    startedAt: number | null;
    finishedAt: number | null;
  };
  counters: ReportCounts & { failedByCode: Record<string, number> };
}
