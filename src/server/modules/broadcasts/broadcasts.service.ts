import type { Tenant } from "../../config/tenants.js";
import type { Clock } from "../../platform/clock.js";
import type { Db } from "../../platform/db/schema.js";
import { AppError, invalid, notFound, type FieldProblem } from "../../platform/errors.js";
import type { Actor, Permission } from "../../platform/http/access.js";
import { currentLocale } from "../../platform/http/locale.js";
import { nextDay, startOfLocalDay } from "../../platform/local-days.js";
import { recordAudit } from "../audit/audit.service.js";
import { audienceOf } from "../citizens/audience.js";
import { canMove } from "../dispatch/broadcast-status.js";
import { mediaFileOf } from "../media/media.service.js";
import { messagingLimitPlan, moveBroadcast, type TierPlan } from "../dispatch/dispatch.service.js";
import {
  findBroadcastOf,
  insertDraft,
  broadcastAuthorsOf,
  listBroadcastsOf,
  updateDraftFields,
  type Broadcast,
  type BroadcastFields,
  type BroadcastFilter,
  type ListedBroadcast,
} from "./broadcasts.repository.js";
import { checkBroadcast, type PolicyCheck } from "./policy/index.js";
import { policySettingsOf } from "./settings.js";
import { statusLabel } from "./status-labels.js";

/**
 * The communication office's broadcasts: drafts written, edited and checked against the
 * comune's rules (policy/). Approval, scheduling and sending build on the lifecycle table.
 */
export interface BroadcastsDeps {
  db: Db;
  clock: Clock;
}

/** Who acts: the audit's actor, the staff member's id when a person (not a key) acts, and what they may do in the comune. */
export interface Caller {
  actor: Actor;
  userId?: number;
  permissions: ReadonlySet<Permission>;
}

/** The states in which the text and the settings may still change. */
const EDITABLE = ["draft"] as const;

const say = (text: { it: string; en: string }) => text[currentLocale()];

/** The checks no schema can make: the comune's own topics, a send time still to come. */
function problemsOf(
  tenant: Tenant,
  fields: BroadcastFields,
  now: number,
  /** An edit judges the send time only when it changes it. */
  sendAtGiven = true,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (fields.topics !== "all") {
    const known = new Set(tenant.topics.map((t) => t.id));
    if (known.size === 0) {
      problems.push({
        field: "body.topics",
        problem: say({
          it: 'questo comune non ha argomenti: la comunicazione va a tutti ("all")',
          en: 'this comune has no topics: the broadcast goes to everyone ("all")',
        }),
      });
    } else {
      fields.topics.forEach((id, i) => {
        if (known.has(id)) return;
        problems.push({
          field: `body.topics.${i}`,
          problem: say({
            it: `argomento sconosciuto: ${id} (sono: ${[...known].join(", ")})`,
            en: `unknown topic: ${id} (the topics are: ${[...known].join(", ")})`,
          }),
        });
      });
    }
  }
  if (sendAtGiven && fields.sendAt !== null && fields.sendAt <= now) {
    problems.push({
      field: "body.sendAt",
      problem: say({
        it: "è già passata: indica una data e un'ora future, o nessuna per inviare appena approvata",
        en: "is in the past: give a future date and time, or none to send once approved",
      }),
    });
  }
  return problems;
}

/** A file the broadcast names must be one the comune uploaded. */
async function mediaProblems(
  db: Db,
  tenant: Tenant,
  mediaId: number | null,
): Promise<FieldProblem[]> {
  if (mediaId === null || (await mediaFileOf(db, tenant.slug, mediaId))) return [];
  return [
    {
      field: "body.mediaId",
      problem: say({
        it: `nessun file ${mediaId} per questo comune: caricalo prima (POST /api/tenants/${tenant.slug}/media)`,
        en: `no file ${mediaId} for this comune: upload it first (POST /api/tenants/${tenant.slug}/media)`,
      }),
    },
  ];
}

export function broadcastNotFound(): AppError {
  return notFound("Comunicazione non trovata", "Broadcast not found");
}

/**
 * Records in the audit log what the caller did to one broadcast of the comune (the broadcast is
 * the target), in `db`, the transaction of the change when there is one.
 */
export function auditBroadcast(
  db: Db,
  tenant: Tenant,
  caller: Caller,
  now: number,
  entry: { action: string; id: number; summary: Record<string, unknown> },
): Promise<number> {
  const { action, id, summary } = entry;
  const target = { type: "broadcast", id: String(id) };
  return recordAudit(
    db,
    { tenantId: tenant.slug, actor: caller.actor, action, target, summary },
    now,
  );
}

export async function createBroadcast(
  deps: BroadcastsDeps,
  tenant: Tenant,
  fields: BroadcastFields,
  caller: Caller,
): Promise<Broadcast> {
  const now = deps.clock.now();
  const problems = [
    ...problemsOf(tenant, fields, now),
    ...(await mediaProblems(deps.db, tenant, fields.mediaId)),
  ];
  if (problems.length > 0) throw invalid(problems);
  return deps.db.transaction().execute(async (trx) => {
    const created = await insertDraft(trx, {
      tenantId: tenant.slug,
      fields,
      createdBy: caller.userId ?? null,
      now,
    });
    await auditBroadcast(trx, tenant, caller, now, {
      action: "broadcast.created",
      id: created.id,
      summary: { title: created.title, urgent: created.urgent, topics: created.topics },
    });
    return created;
  });
}

/**
 * Changes a draft's fields. A broadcast submitted, approved or rejected goes back to draft (its
 * approval gone); one scheduled or further on is a 409 with its current status.
 */
export async function editBroadcast(
  deps: BroadcastsDeps,
  tenant: Tenant,
  id: number,
  changes: Partial<BroadcastFields>,
  caller: Caller,
): Promise<Broadcast> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const before = await findBroadcastOf(trx, tenant.slug, id);
    if (!before) throw broadcastNotFound();
    const fields: BroadcastFields = {
      title: changes.title ?? before.title,
      text: changes.text ?? before.text,
      topics: changes.topics ?? before.topics,
      urgent: changes.urgent ?? before.urgent,
      public: changes.public ?? before.public,
      sendAt: changes.sendAt !== undefined ? changes.sendAt : before.sendAt,
      mediaId: changes.mediaId !== undefined ? changes.mediaId : before.mediaId,
    };
    // Changed after submission (or a rejection): back to draft, the approval gone.
    const revised = canMove("revise", before.status);
    if (!revised && !(EDITABLE as readonly string[]).includes(before.status)) {
      throw notEditable(before.status);
    }
    const problems = [
      ...problemsOf(tenant, fields, now, changes.sendAt !== undefined),
      ...(changes.mediaId !== undefined ? await mediaProblems(trx, tenant, fields.mediaId) : []),
    ];
    if (problems.length > 0) throw invalid(problems);
    if (revised) await moveBroadcast(trx, { broadcastId: id, move: "revise", now });
    const edited = await updateDraftFields(trx, {
      tenantId: tenant.slug,
      id,
      fields,
      editable: EDITABLE,
      now,
    });
    if (!edited) throw notEditable(before.status);
    const changed = (Object.keys(fields) as (keyof BroadcastFields)[]).filter(
      (k) => JSON.stringify(before[k]) !== JSON.stringify(edited[k]),
    );
    await auditBroadcast(trx, tenant, caller, now, {
      action: "broadcast.edited",
      id,
      summary: revised ? { changed, revisedFrom: before.status } : { changed },
    });
    return edited;
  });
}

export function notEditable(status: string): AppError {
  const label = statusLabel(status);
  return new AppError(
    409,
    "BROADCAST_NOT_EDITABLE",
    `La comunicazione non si può modificare: è ${label.it}`,
    undefined,
    { en: `The broadcast cannot be edited: it is ${label.en}`, currentStatus: status },
  );
}

export async function getBroadcast(
  deps: BroadcastsDeps,
  tenant: Tenant,
  id: number,
): Promise<Broadcast> {
  const found = await findBroadcastOf(deps.db, tenant.slug, id);
  if (!found) throw broadcastNotFound();
  return found;
}

/** The list's filters as staff give them: calendar days in the comune's time zone. */
export interface ListQuery {
  statuses?: readonly string[];
  topic?: string;
  author?: number;
  /** YYYY-MM-DD, both included. */
  from?: string;
  to?: string;
  before?: number;
  limit: number;
}

/**
 * One page of a comune's broadcasts, newest first, and the id to ask `before` for the next page
 * (null on the last). A topic the comune does not have is refused, naming its topics.
 */
export async function listBroadcasts(
  deps: BroadcastsDeps,
  tenant: Tenant,
  query: ListQuery,
): Promise<{ broadcasts: ListedBroadcast[]; next: number | null }> {
  if (query.topic !== undefined && !tenant.topics.some((t) => t.id === query.topic)) {
    const known = tenant.topics.map((t) => t.id).join(", ");
    throw invalid([
      {
        field: "querystring.topic",
        problem: say(
          known
            ? {
                it: `argomento sconosciuto: ${query.topic} (sono: ${known})`,
                en: `unknown topic: ${query.topic} (the topics are: ${known})`,
              }
            : {
                it: "questo comune non ha argomenti",
                en: "this comune has no topics",
              },
        ),
      },
    ]);
  }
  const timeZone = policySettingsOf(tenant).timeZone;
  const filter: BroadcastFilter = {
    ...(query.statuses ? { statuses: query.statuses } : {}),
    ...(query.topic !== undefined ? { topic: query.topic } : {}),
    ...(query.author !== undefined ? { createdBy: query.author } : {}),
    ...(query.from !== undefined ? { createdFrom: startOfLocalDay(query.from, timeZone) } : {}),
    ...(query.to !== undefined
      ? { createdBefore: startOfLocalDay(nextDay(query.to), timeZone) }
      : {}),
    ...(query.before !== undefined ? { before: query.before } : {}),
    // One more than asked: whether a next page exists, without a second query.
    limit: query.limit + 1,
  };
  const rows = await listBroadcastsOf(deps.db, tenant.slug, filter);
  const page = rows.slice(0, query.limit);
  return {
    broadcasts: page,
    next: rows.length > query.limit ? (page.at(-1)?.id ?? null) : null,
  };
}

/** Who wrote the comune's broadcasts: the list's author filter offers them. */
export function broadcastAuthors(
  deps: BroadcastsDeps,
  tenant: Tenant,
): Promise<{ id: number; name: string }[]> {
  return broadcastAuthorsOf(deps.db, tenant.slug);
}

/** What the policy judges of a broadcast as it stands: its fields, its file, the people it reaches now. */
export async function policyDraftOf(deps: BroadcastsDeps, tenant: Tenant, broadcast: Broadcast) {
  const now = deps.clock.now();
  const audience = await audienceOf(deps.db, tenant.slug, broadcast.topics, now);
  const media =
    broadcast.mediaId === null
      ? undefined
      : await mediaFileOf(deps.db, tenant.slug, broadcast.mediaId);
  return {
    text: broadcast.text,
    topics: broadcast.topics,
    urgent: broadcast.urgent,
    ...(broadcast.sendAt !== null ? { sendAt: broadcast.sendAt } : {}),
    ...(media
      ? { media: { kind: media.kind, mimeType: media.mimeType, sizeBytes: media.sizeBytes } }
      : {}),
    audience,
  };
}

/**
 * The comune's rules applied to a broadcast as it stands, for the people it would reach now:
 * what blocks it, what the approver must acknowledge, when it would start, what it would cost.
 */
export async function checkOf(
  deps: BroadcastsDeps,
  tenant: Tenant,
  broadcast: Broadcast,
): Promise<
  PolicyCheck & { audience: { recipients: number; inWindow: number }; messagingLimit: TierPlan }
> {
  const draft = await policyDraftOf(deps, tenant, broadcast);
  const check = checkBroadcast(draft, policySettingsOf(tenant), deps.clock.now());
  return {
    ...check,
    audience: draft.audience,
    messagingLimit: await messagingLimitOf(deps, tenant, draft.audience),
  };
}

/**
 * Meta's messaging limit for the broadcast's people outside their 24-hour window (those inside
 * it do not spend it): how many go today, how many later, by when.
 */
export function messagingLimitOf(
  deps: BroadcastsDeps,
  tenant: Tenant,
  audience: { recipients: number; inWindow: number },
): Promise<TierPlan> {
  return messagingLimitPlan(deps.db, {
    tenantId: tenant.slug,
    recipients: Math.max(0, audience.recipients - audience.inWindow),
    now: deps.clock.now(),
  });
}
