import type { paths } from "./schema";

/**
 * Shapes the OpenAPI document leaves open (`check` and the progress answer are free-form
 * there): what the console reads of them, written from the server's policy and dispatch code.
 */
export interface Localized {
  it: string;
  en: string;
}

export interface PolicyNote {
  id: string;
  rule: string;
  source: string;
  why: Localized;
  todo: Localized;
}

export interface PolicyWarning extends PolicyNote {
  term: string;
  excerpt: string;
  occurrences: number;
  acknowledged: boolean;
}

export interface PolicyCheck {
  blocks: PolicyNote[];
  warnings: PolicyWarning[];
  advice: {
    schedule: PolicyNote & { decision: string; startAt: number; startAtLocal: Localized };
    election: PolicyNote & { outcome: string; period?: { name: string; from: string; to: string } };
    readability?: PolicyNote & {
      gulpease: { index: number; band: string; reading: Localized };
    };
    category: { category: string; why: Localized };
  };
  estimate: { recipients: number; total: Localized; display: Localized };
  mayApprove: boolean;
  audience: { recipients: number; inWindow: number };
  /** Meta's messaging limit for those outside their 24-hour window: sent today, and later. */
  messagingLimit?: {
    limit: number | null;
    spentToday: number;
    now: number;
    later: number;
    lastBy: number | null;
  };
}

/** The report's counts: the dispatch's progress counters, without the failures by code. */
type ReportCounts =
  paths["/api/tenants/{tenant}/broadcasts/{id}/report"]["get"]["responses"]["200"]["content"]["application/json"]["counts"];

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
