import type { Selectable } from "kysely";
import type { BroadcastsTable, Db } from "../../platform/db/schema.js";
import { FIRST_BROADCAST_STATUS } from "../dispatch/broadcast-status.js";

/**
 * The broadcast rows, as the broadcasts module reads and writes them. Rows leave this file as
 * `Broadcast` (camelCase, topics and text parsed). The status is written here only at creation
 * (`draft`); every later change goes through the lifecycle's guarded update.
 */

/** What staff write: the parts of a broadcast a draft's edit may change. */
export interface BroadcastFields {
  title: string;
  text: string;
  /** Every subscriber, or those who chose one of these topics (or none). */
  topics: "all" | string[];
  /** Civil protection: goes first, also out of hours and in an election period. */
  urgent: boolean;
  /** Listed in the comune's public archive once sent. */
  public: boolean;
  /** When to start; null: as soon as it is approved. */
  sendAt: number | null;
  /** The stored file (media_files) shown in the message's header, or null. */
  mediaId: number | null;
}

export interface Broadcast extends BroadcastFields {
  id: number;
  tenantId: string;
  status: string;
  createdBy: number | null;
  approvedBy: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  attentionReason: string | null;
  /** The policy's answer the approver accepted (audience and cost estimate included), parsed. */
  approvalCheck: unknown;
  createdAt: number;
  updatedAt: number;
}

type Row = Selectable<BroadcastsTable>;

/** What a broadcast sends, until templates are chosen: its text, free-form. */
function contentOf(text: string): string {
  return JSON.stringify({ type: "text", body: text });
}

/** The text staff wrote, from a free-form body, a caption or a template's one body parameter. */
export function textOf(content: string): string {
  const parsed = JSON.parse(content) as { type?: string; body?: unknown; caption?: unknown };
  if (typeof parsed.body === "string") return parsed.body;
  if (Array.isArray(parsed.body)) {
    const first = parsed.body[0] as { text?: unknown } | undefined;
    if (typeof first?.text === "string") return first.text;
  }
  return typeof parsed.caption === "string" ? parsed.caption : "";
}

function topicsOf(json: string): "all" | string[] {
  const ids = JSON.parse(json) as unknown;
  return Array.isArray(ids) && ids.length > 0 ? ids.map(String) : "all";
}

function toBroadcast(row: Row): Broadcast {
  return {
    id: Number(row.id),
    tenantId: row.tenant_id,
    title: row.title,
    status: row.status,
    text: textOf(row.content),
    topics: topicsOf(row.topics),
    urgent: row.priority === "urgent",
    public: Number(row.public) === 1,
    sendAt: row.scheduled_at === null ? null : Number(row.scheduled_at),
    mediaId: row.media_id === null ? null : Number(row.media_id),
    createdBy: row.created_by === null ? null : Number(row.created_by),
    approvedBy: row.approved_by === null ? null : Number(row.approved_by),
    startedAt: row.started_at === null ? null : Number(row.started_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
    attentionReason: row.attention_reason,
    approvalCheck: row.approval_check === null ? null : (JSON.parse(row.approval_check) as unknown),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function columnsOf(fields: BroadcastFields) {
  return {
    title: fields.title,
    content: contentOf(fields.text),
    topics: JSON.stringify(fields.topics === "all" ? [] : fields.topics),
    priority: fields.urgent ? "urgent" : "normal",
    public: fields.public ? 1 : 0,
    scheduled_at: fields.sendAt,
    media_id: fields.mediaId,
  };
}

/** A new draft; returns it as stored. */
export async function insertDraft(
  db: Db,
  input: { tenantId: string; fields: BroadcastFields; createdBy: number | null; now: number },
): Promise<Broadcast> {
  const row = await db
    .insertInto("broadcasts")
    .values({
      tenant_id: input.tenantId,
      status: FIRST_BROADCAST_STATUS,
      ...columnsOf(input.fields),
      created_by: input.createdBy,
      created_at: input.now,
      updated_at: input.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toBroadcast(row);
}

/**
 * A draft's fields replaced, only while it is still one of `editable` (a concurrent
 * submission wins); returns the row as stored, or undefined when it was not editable.
 */
export async function updateDraftFields(
  db: Db,
  input: {
    tenantId: string;
    id: number;
    fields: BroadcastFields;
    editable: readonly string[];
    now: number;
  },
): Promise<Broadcast | undefined> {
  const row = await db
    .updateTable("broadcasts")
    .set({ ...columnsOf(input.fields), updated_at: input.now })
    .where("tenant_id", "=", input.tenantId)
    .where("id", "=", input.id)
    .where("status", "in", [...input.editable])
    .returningAll()
    .executeTakeFirst();
  return row ? toBroadcast(row) : undefined;
}

/** One broadcast of a comune; undefined when it does not exist there. */
export async function findBroadcastOf(
  db: Db,
  tenantId: string,
  id: number,
): Promise<Broadcast | undefined> {
  const row = await db
    .selectFrom("broadcasts")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
  return row ? toBroadcast(row) : undefined;
}

/** What the list of a comune's broadcasts may be narrowed to; every part optional but `limit`. */
export interface BroadcastFilter {
  statuses?: readonly string[];
  /** Broadcasts to the people of this topic (a broadcast to everyone names no topic). */
  topic?: string;
  /** Written by this staff member. */
  createdBy?: number;
  /** Created at or after this instant. */
  createdFrom?: number;
  /** Created before this instant. */
  createdBefore?: number;
  /** Pages by id: only broadcasts older than this one. */
  before?: number;
  limit: number;
}

/** A broadcast as the list shows it: with its author's name (null for an API key's). */
export type ListedBroadcast = Broadcast & { authorName: string | null };

/** A comune's broadcasts, newest first, narrowed by `filter`. */
export async function listBroadcastsOf(
  db: Db,
  tenantId: string,
  filter: BroadcastFilter,
): Promise<ListedBroadcast[]> {
  const rows = await db
    .selectFrom("broadcasts")
    .leftJoin("users", "users.id", "broadcasts.created_by")
    .selectAll("broadcasts")
    .select("users.display_name as author_name")
    .where("broadcasts.tenant_id", "=", tenantId)
    .$if(filter.statuses !== undefined && filter.statuses.length > 0, (q) =>
      q.where("broadcasts.status", "in", [...(filter.statuses ?? [])]),
    )
    // The topics column is a JSON array of the comune's topic ids (slugs: no LIKE wildcard).
    .$if(filter.topic !== undefined, (q) =>
      q.where("broadcasts.topics", "like", `%${JSON.stringify(filter.topic ?? "")}%`),
    )
    .$if(filter.createdBy !== undefined, (q) =>
      q.where("broadcasts.created_by", "=", filter.createdBy ?? 0),
    )
    .$if(filter.createdFrom !== undefined, (q) =>
      q.where("broadcasts.created_at", ">=", filter.createdFrom ?? 0),
    )
    .$if(filter.createdBefore !== undefined, (q) =>
      q.where("broadcasts.created_at", "<", filter.createdBefore ?? 0),
    )
    .$if(filter.before !== undefined, (q) => q.where("broadcasts.id", "<", filter.before ?? 0))
    .orderBy("broadcasts.id", "desc")
    .limit(filter.limit)
    .execute();
  return rows.map(({ author_name, ...row }) => ({
    ...toBroadcast(row),
    authorName: author_name ?? null,
  }));
}

/** The staff members who wrote a broadcast of the comune, by name: the list's author choice. */
export async function broadcastAuthorsOf(
  db: Db,
  tenantId: string,
): Promise<{ id: number; name: string }[]> {
  const rows = await db
    .selectFrom("users")
    .select(["users.id", "users.display_name"])
    .where(
      "users.id",
      "in",
      db
        .selectFrom("broadcasts")
        .select("broadcasts.created_by")
        .where("broadcasts.tenant_id", "=", tenantId)
        .where("broadcasts.created_by", "is not", null),
    )
    .orderBy("users.display_name")
    .orderBy("users.id")
    .execute();
  return rows.map((r) => ({ id: Number(r.id), name: r.display_name }));
}

/**
 * At approval: what the dispatcher will send (the template filled in), the category Meta bills
 * it in, and the policy's answer the approver accepted.
 */
export async function setSendContent(
  db: Db,
  input: { id: number; content: string; category: string; approvalCheck: string; now: number },
): Promise<void> {
  await db
    .updateTable("broadcasts")
    .set({
      content: input.content,
      category: input.category,
      approval_check: input.approvalCheck,
      updated_at: input.now,
    })
    .where("id", "=", input.id)
    .execute();
}

/**
 * The broadcasts of a comune in `statuses` whose send content is the template `name` in
 * `language` (the content's JSON writes `"name":…,"language":…` in that order, templates.ts).
 */
export async function broadcastIdsUsingTemplate(
  db: Db,
  input: { tenantId: string; name: string; language: string; statuses: readonly string[] },
): Promise<number[]> {
  const rows = await db
    .selectFrom("broadcasts")
    .select("id")
    .where("tenant_id", "=", input.tenantId)
    .where("status", "in", [...input.statuses])
    .where(
      "content",
      "like",
      `%${JSON.stringify({ name: input.name, language: input.language }).slice(1, -1)}%`,
    )
    .execute();
  return rows.map((r) => Number(r.id));
}
