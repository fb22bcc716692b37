import type { Transaction } from "kysely";
import type { Tenant } from "../../config/tenants.js";
import type { DB } from "../../platform/db/schema.js";
import { AppError, type FieldProblem } from "../../platform/errors.js";
import { currentLocale } from "../../platform/http/locale.js";
import type { BroadcastMove } from "../dispatch/broadcast-status.js";
import { moveBroadcast } from "../dispatch/dispatch.service.js";
import { mediaFileOf } from "../media/media.service.js";
import { findBroadcastOf, setSendContent, type Broadcast } from "./broadcasts.repository.js";
import {
  auditBroadcast,
  broadcastNotFound,
  messagingLimitOf,
  policyDraftOf,
  type BroadcastsDeps,
  type Caller,
} from "./broadcasts.service.js";
import {
  checkBroadcast,
  type ElectionDeclaration,
  type PolicyCheck,
  type TemplateCategory,
} from "./policy/index.js";
import { isNotice, sendContentOf, type ContentShape, type ListTemplates } from "./templates.js";
import { policySettingsOf } from "./settings.js";
import { statusLabel } from "./status-labels.js";

/**
 * The approval workflow (issue #11 item 3): submit, approve, reject. Each move goes through the
 * lifecycle table's guarded write, in the same transaction as its audit entry, so two approvers
 * at once get one approval and one 409 naming the state the broadcast is in now.
 */

const MOVE_VERB: Record<BroadcastMove, { it: string; en: string }> = {
  submit: { it: "inviare all'approvazione", en: "submitted" },
  approve: { it: "approvare", en: "approved" },
  reject: { it: "respingere", en: "rejected" },
  revise: { it: "modificare", en: "edited" },
  schedule: { it: "programmare", en: "scheduled" },
  start: { it: "inviare", en: "sent" },
  pause: { it: "sospendere", en: "paused" },
  resume: { it: "riprendere", en: "resumed" },
  halt: { it: "fermare", en: "stopped" },
  finish: { it: "chiudere", en: "finished" },
  cancel: { it: "annullare", en: "cancelled" },
};

/** 409: the move is not allowed from the state the broadcast is in (now). */
export function stateConflict(move: BroadcastMove, status: string): AppError {
  const label = statusLabel(status);
  return new AppError(
    409,
    "BROADCAST_STATE_CHANGED",
    `Non si può ${MOVE_VERB[move].it} la comunicazione: è ${label.it}`,
    undefined,
    {
      en: `The broadcast cannot be ${MOVE_VERB[move].en}: it is ${label.en}`,
      currentStatus: status,
    },
  );
}

async function policyOf(
  deps: BroadcastsDeps,
  tenant: Tenant,
  b: Broadcast,
  approval: {
    acknowledged?: readonly string[];
    declaration?: ElectionDeclaration;
    templateCategory?: TemplateCategory;
  } = {},
): Promise<PolicyCheck & { audience: { recipients: number; inWindow: number } }> {
  const draft = await policyDraftOf(deps, tenant, b);
  const check = checkBroadcast(
    { ...draft, ...approval },
    policySettingsOf(tenant),
    deps.clock.now(),
  );
  return { ...check, audience: draft.audience };
}

/** The blocks (and the warnings not acknowledged) as field problems, in the staff's words. */
function problemsOf(check: PolicyCheck, withWarnings: boolean): FieldProblem[] {
  const lang = currentLocale();
  return [
    ...check.blocks.map((b) => ({ field: `check.blocks.${b.id}`, problem: b.why[lang] })),
    ...(withWarnings
      ? check.warnings
          .filter((w) => !w.acknowledged)
          .map((w) => ({ field: `check.warnings.${w.id}`, problem: w.why[lang] }))
      : []),
  ];
}

async function found(deps: BroadcastsDeps, tenant: Tenant, id: number): Promise<Broadcast> {
  const b = await findBroadcastOf(deps.db, tenant.slug, id);
  if (!b) throw broadcastNotFound();
  return b;
}

/** The editor hands a draft to the approvers; refused while a rule blocks it. */
export async function submitBroadcast(
  deps: BroadcastsDeps,
  tenant: Tenant,
  id: number,
  caller: Caller,
): Promise<Broadcast> {
  const before = await found(deps, tenant, id);
  const check = await policyOf(deps, tenant, before);
  // An election period is the approver's to judge: the declaration is made at approval.
  const blocks = check.blocks.filter((b) => !b.rule.startsWith("election."));
  if (blocks.length > 0) {
    throw new AppError(
      409,
      "BROADCAST_BLOCKED",
      "La comunicazione non rispetta le regole del Comune: correggila prima di inviarla all'approvazione",
      problemsOf({ ...check, blocks }, false),
      { en: "The broadcast breaks the comune's rules: fix it before submitting it" },
    );
  }
  return move(
    deps,
    tenant,
    before,
    caller,
    { move: "submit" },
    { warnings: check.warnings.length },
  );
}

/**
 * What the template is chosen by: the broadcast's text, its file, and whether it is a service
 * notice (urgent, or only service topics: the category the policy gives without a template).
 */
async function contentShapeOf(
  deps: BroadcastsDeps,
  tenant: Tenant,
  broadcast: Broadcast,
): Promise<ContentShape> {
  const notice = isNotice(tenant, broadcast);
  const media =
    broadcast.mediaId === null
      ? undefined
      : await mediaFileOf(deps.db, tenant.slug, broadcast.mediaId);
  return { text: broadcast.text, notice, ...(media ? { media } : {}) };
}

/**
 * The approver accepts it: every warning acknowledged by id, an election-period declaration when
 * one is needed, never the author's own unless the comune turned four eyes off, an urgent one
 * only with the civil-protection permission.
 */
export async function approveBroadcast(
  deps: BroadcastsDeps & { listTemplates: ListTemplates; startDue?: () => Promise<unknown> },
  tenant: Tenant,
  id: number,
  caller: Caller,
  approval: { acknowledged: readonly string[]; declaration?: ElectionDeclaration },
): Promise<Broadcast> {
  const before = await found(deps, tenant, id);
  if (before.urgent && !caller.permissions.has("broadcasts.urgent")) {
    throw new AppError(
      403,
      "URGENT_NEEDS_PERMISSION",
      "Una comunicazione urgente (protezione civile) la approva solo chi ha il permesso per le urgenze",
      undefined,
      { en: "An urgent (civil-protection) broadcast needs the urgent-approval permission" },
    );
  }
  if (
    tenant.broadcasts.fourEyes &&
    caller.userId !== undefined &&
    before.createdBy === caller.userId
  ) {
    throw new AppError(
      403,
      "FOUR_EYES",
      "Chi ha scritto la comunicazione non può anche approvarla: serve un'altra persona",
      undefined,
      { en: "The author cannot approve their own broadcast: someone else must" },
    );
  }
  // Refused while the comune's template is not usable: before any send, not at the first one.
  const send = await sendContentOf(
    tenant,
    await contentShapeOf(deps, tenant, before),
    deps.listTemplates,
  );
  const check = await policyOf(deps, tenant, before, {
    ...approval,
    templateCategory: send.category,
  });
  if (!check.mayApprove && before.status === "submitted") {
    throw new AppError(
      409,
      "BROADCAST_NOT_APPROVABLE",
      "Prima di approvare: conferma di aver letto ogni avviso, e correggi ciò che blocca la comunicazione",
      problemsOf(check, true),
      { en: "Before approving: acknowledge every warning, and fix what blocks the broadcast" },
    );
  }
  // Read before the approval's transaction: on SQLite a read outside it would wait for it.
  const messagingLimit = await messagingLimitOf(deps, tenant, check.audience);
  const declared = approval.declaration && check.advice.election.rule !== "election.outside";
  const { startAt } = check.advice.schedule;
  const approved = await move(
    deps,
    tenant,
    before,
    caller,
    { move: "approve", approvedBy: caller.userId ?? null },
    {
      acknowledged: approval.acknowledged,
      template: send.template,
      startAt: new Date(startAt).toISOString(),
      ...(declared && approval.declaration
        ? { declaration: approval.declaration.justification }
        : {}),
    },
    // Approved means on its way: the scheduler starts it at the time the check gave (now, the
    // requested time, or the office's next opening).
    async (trx) => {
      const now = deps.clock.now();
      await setSendContent(trx, {
        id: before.id,
        content: send.content,
        category: send.category,
        approvalCheck: JSON.stringify({ ...check, messagingLimit }),
        now,
      });
      await moveBroadcast(trx, { broadcastId: before.id, move: "schedule", now, startAt });
    },
  );
  if (startAt > deps.clock.now() || !deps.startDue) return approved;
  await deps.startDue();
  return (await findBroadcastOf(deps.db, tenant.slug, before.id)) ?? approved;
}

/** The approver sends it back, saying why; an edit makes it a draft again. */
export async function rejectBroadcast(
  deps: BroadcastsDeps,
  tenant: Tenant,
  id: number,
  caller: Caller,
  reason: string,
): Promise<Broadcast> {
  const before = await found(deps, tenant, id);
  return move(deps, tenant, before, caller, { move: "reject", reason }, { reason });
}

type WorkflowMove =
  | { move: "submit" }
  | { move: "approve"; approvedBy: number | null }
  | { move: "reject"; reason: string };

async function move(
  deps: BroadcastsDeps,
  tenant: Tenant,
  before: Broadcast,
  caller: Caller,
  step: WorkflowMove,
  summary: Record<string, unknown>,
  then?: (trx: Transaction<DB>) => Promise<unknown>,
): Promise<Broadcast> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const moved = await moveBroadcast(trx, { broadcastId: before.id, now, ...step });
    if (!moved.moved) throw stateConflict(step.move, moved.current ?? before.status);
    await then?.(trx);
    await auditBroadcast(trx, tenant, caller, now, {
      action: `broadcast.${step.move === "submit" ? "submitted" : step.move === "approve" ? "approved" : "rejected"}`,
      id: before.id,
      summary: { from: before.status, ...summary },
    });
    const after = await findBroadcastOf(trx, tenant.slug, before.id);
    if (!after) throw broadcastNotFound();
    return after;
  });
}

/** Before approval the office may cancel its own work; afterwards only an approver may. */
const OFFICE_MAY_CANCEL = new Set(["draft", "submitted", "rejected"]);

/**
 * Cancels a broadcast not yet over: its deliveries not yet sent are cancelled (those on the wire
 * finish). Audited with the state it was in and how many deliveries were stopped.
 */
export async function cancelBroadcastAs(
  deps: BroadcastsDeps & { cancel: (id: number) => Promise<{ cancelled: number }> },
  tenant: Tenant,
  id: number,
  caller: Caller,
): Promise<Broadcast> {
  const before = await found(deps, tenant, id);
  const may = OFFICE_MAY_CANCEL.has(before.status)
    ? caller.permissions.has("broadcasts.write") || caller.permissions.has("broadcasts.approve")
    : caller.permissions.has("broadcasts.approve");
  if (!may) {
    throw new AppError(
      403,
      "CANCEL_NEEDS_APPROVER",
      "Una comunicazione già approvata la annulla solo chi approva",
      undefined,
      { en: "Only an approver can cancel an approved broadcast" },
    );
  }
  let cancelled: number;
  try {
    ({ cancelled } = await deps.cancel(id));
  } catch (error) {
    if (!(error instanceof AppError) || error.status !== 409) throw error;
    throw stateConflict("cancel", (await found(deps, tenant, id)).status);
  }
  const now = deps.clock.now();
  await auditBroadcast(deps.db, tenant, caller, now, {
    action: "broadcast.cancelled",
    id,
    summary: { from: before.status, deliveriesCancelled: cancelled },
  });
  return found(deps, tenant, id);
}

/**
 * A civil-protection system's alert (issue #11 item 8): an urgent broadcast posted with an API
 * key holding `broadcasts.urgent` is submitted and approved at once by that key, its content
 * warnings acknowledged in its name, and starts now (urgent ignores the office hours). Each step
 * is audited with the key as actor, like a person's; a block still refuses it, and the draft
 * stays for the office to fix.
 */
export function sendsAtOnce(b: Broadcast, caller: Caller): boolean {
  return b.urgent && caller.actor.type === "api-key" && caller.permissions.has("broadcasts.urgent");
}

export async function sendUrgentAtOnce(
  deps: Parameters<typeof approveBroadcast>[0],
  tenant: Tenant,
  b: Broadcast,
  caller: Caller,
): Promise<Broadcast> {
  await submitBroadcast(deps, tenant, b.id, caller);
  const check = await policyOf(deps, tenant, b);
  return approveBroadcast(deps, tenant, b.id, caller, {
    acknowledged: check.warnings.map((w) => w.id),
  });
}

/**
 * The approver pauses a broadcast that is sending, or resumes one paused or stopped in needs
 * attention (once its cause, say a paused template, is fixed). Audited; a move no longer
 * allowed is a 409 with the state met.
 */
export async function pauseOrResume(
  deps: BroadcastsDeps & {
    pause: (id: number) => Promise<void>;
    resume: (id: number) => Promise<void>;
    start: (id: number) => Promise<unknown>;
  },
  tenant: Tenant,
  id: number,
  caller: Caller,
  step: "pause" | "resume",
): Promise<Broadcast> {
  const before = await found(deps, tenant, id);
  try {
    await (step === "pause" ? deps.pause(id) : deps.resume(id));
    // Stopped before it started (a template paused while it was scheduled): resumed, it has no
    // deliveries yet, so it starts now, to its audience as it is now.
    if (step === "resume" && before.startedAt === null) await deps.start(id);
  } catch (error) {
    if (!(error instanceof AppError) || error.status !== 409) throw error;
    throw stateConflict(step, (await found(deps, tenant, id)).status);
  }
  await auditBroadcast(deps.db, tenant, caller, deps.clock.now(), {
    action: step === "pause" ? "broadcast.paused" : "broadcast.resumed",
    id,
    summary: { from: before.status },
  });
  return found(deps, tenant, id);
}
