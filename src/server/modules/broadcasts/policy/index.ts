import { checkContent, type ContentFinding, type ContentSettings } from "./content-check.js";
import {
  categoryOf,
  estimateCost,
  META_ITALY_USD,
  type CategoryChoice,
  type CostEstimate,
  type DatedPriceList,
  type TemplateCategory,
} from "./cost-estimate.js";
import {
  electionGate,
  type ElectionDeclaration,
  type ElectionGate,
  type ElectionPeriod,
} from "./election-periods.js";
import { readabilityAdvice, type Gulpease } from "./gulpease.js";
import { checkMedia, type MediaFile } from "./media-check.js";
import { serviceWindowGate, type ScheduleDecision, type Weekday } from "./service-window.js";
import { checkText, type TextUse } from "./text-limits.js";
import type { Localized, PolicyNote } from "./types.js";

/**
 * The broadcasts' policy layer in one call: every gate on a draft, as the broadcasts API returns
 * it and stores it with the broadcast. Pure: the service maps the tenant file onto
 * `PolicySettings`, counts the recipients, and passes the clock's `at`.
 */

export type { Lang, Localized, PolicyNote } from "./types.js";
export type { ContentFinding, ContentSettings, WordList, WordRule } from "./content-check.js";
export type { CostEstimate, CostLine, DatedPriceList, TemplateCategory } from "./cost-estimate.js";
export type { ElectionDeclaration, ElectionPeriod } from "./election-periods.js";
export type { Gulpease } from "./gulpease.js";
export type { BroadcastMediaKind, MediaFile } from "./media-check.js";
export type { ScheduleDecision, ServiceCalendar, Weekday } from "./service-window.js";
export { META_ITALY_USD, categoryOf, formatMoney } from "./cost-estimate.js";
export { nextWindowStart, isInServiceWindow } from "./service-window.js";
export { MIN_JUSTIFICATION_CHARS } from "./election-periods.js";

/** What the policy needs of a comune: its tenant file's settings, in plain types. */
export interface PolicySettings {
  timeZone: string;
  /** Absent: the comune states no hours and broadcasts go when due. */
  serviceHours?: { weekly: Partial<Record<Weekday, readonly string[]>>; description?: Localized };
  /** MM-DD. */
  patronDay?: string;
  skipPublicHolidays?: boolean;
  electionPeriods?: readonly ElectionPeriod[];
  content?: ContentSettings;
  /** Topic id → category, over the defaults of `DEFAULT_TOPIC_CATEGORIES`. */
  topicCategories?: Readonly<Record<string, TemplateCategory>>;
  /** Dated lists; Meta's Italian USD rates when absent. */
  priceLists?: readonly DatedPriceList[];
  /** Inside a recipient's 24-hour window, send a free-form message instead of the template. */
  freeFormInWindow?: boolean;
  /** The comune's regulation, named as the source of the hours and content rules. */
  regulation?: string;
}

export interface BroadcastDraft {
  text: string;
  media?: MediaFile;
  topics: "all" | readonly string[];
  /** Civil protection: out of hours and in an election period it goes at once. */
  urgent: boolean;
  /** Absent or past: as soon as possible. */
  sendAt?: number;
  /** The chosen template's category, when known: Meta bills by it. */
  templateCategory?: TemplateCategory;
  declaration?: ElectionDeclaration;
  /** Warning ids the approver acknowledged. */
  acknowledged?: readonly string[];
  audience: { recipients: number; inWindow?: number };
}

export interface PolicyWarning extends PolicyNote {
  term: string;
  excerpt: string;
  occurrences: number;
  acknowledged: boolean;
}

export interface PolicyCheck {
  /** Nothing can be submitted or approved while one remains. */
  blocks: PolicyNote[];
  /** Each must be acknowledged, by id, before approval. */
  warnings: PolicyWarning[];
  advice: {
    /** When it will start and by which rule (urgent, inside the hours, next window). */
    schedule: ScheduleDecision;
    /** The election gate's answer, also when it passes (the rule that let it through). */
    election: ElectionGate;
    readability?: PolicyNote & { gulpease: Gulpease };
    category: CategoryChoice;
  };
  estimate: CostEstimate;
  /** No block and every warning acknowledged. */
  mayApprove: boolean;
}

/** The uses the text will be sent as: always a template's parameter for those outside the window. */
function textUses(draft: BroadcastDraft, settings: PolicySettings): TextUse[] {
  const uses: TextUse[] = ["template-parameter"];
  if (settings.freeFormInWindow) uses.push(draft.media ? "caption" : "free-form");
  return uses;
}

function warningOf(finding: ContentFinding, acknowledged: ReadonlySet<string>): PolicyWarning {
  return {
    id: finding.id,
    rule: finding.rule,
    source: finding.source,
    why: finding.message,
    todo: finding.todo,
    term: finding.term,
    excerpt: finding.excerpt,
    occurrences: finding.occurrences,
    acknowledged: acknowledged.has(finding.id),
  };
}

export function checkBroadcast(
  draft: BroadcastDraft,
  settings: PolicySettings,
  at: number,
): PolicyCheck {
  const due = Math.max(at, draft.sendAt ?? at);
  const schedule = serviceWindowGate(
    due,
    {
      timeZone: settings.timeZone,
      ...(settings.serviceHours ?? {}),
      ...(settings.patronDay !== undefined ? { patronDay: settings.patronDay } : {}),
      ...(settings.skipPublicHolidays !== undefined
        ? { skipPublicHolidays: settings.skipPublicHolidays }
        : {}),
      ...(settings.regulation !== undefined ? { regulation: settings.regulation } : {}),
    },
    { urgent: draft.urgent },
  );
  // The election gate judges the moment it will really start: a wait may move it into a period.
  const election = electionGate(schedule.startAt, settings.electionPeriods ?? [], {
    timeZone: settings.timeZone,
    urgent: draft.urgent,
    ...(draft.declaration ? { declaration: draft.declaration } : {}),
  });
  const { outcome: _outcome, period: _period, ...electionNote } = election;
  const blocks = [
    ...checkText(draft.text, textUses(draft, settings)),
    ...(draft.media ? checkMedia(draft.media) : []),
    ...(election.outcome === "refused" ? [electionNote] : []),
  ];
  const acknowledged = new Set(draft.acknowledged ?? []);
  const warnings = checkContent(
    draft.text,
    {
      ...settings.content,
      ...(settings.regulation !== undefined ? { regulation: settings.regulation } : {}),
    },
    { electionPeriod: election.period !== undefined },
  ).map((f) => warningOf(f, acknowledged));
  const category = categoryOf(draft.topics, {
    urgent: draft.urgent,
    ...(draft.templateCategory ? { templateCategory: draft.templateCategory } : {}),
    ...(settings.topicCategories ? { topicCategories: settings.topicCategories } : {}),
  });
  const estimate = estimateCost({
    recipients: draft.audience.recipients,
    inWindow: draft.audience.inWindow ?? 0,
    freeFormInWindow: settings.freeFormInWindow ?? false,
    category: category.category,
    at: schedule.startAt,
    priceLists: settings.priceLists ?? META_ITALY_USD,
  });
  const readability = readabilityAdvice(draft.text);
  return {
    blocks,
    warnings,
    advice: { schedule, election, ...(readability ? { readability } : {}), category },
    estimate,
    mayApprove: blocks.length === 0 && warnings.every((w) => w.acknowledged),
  };
}
