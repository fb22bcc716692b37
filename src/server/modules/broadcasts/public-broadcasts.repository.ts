import { sql } from "kysely";
import type { Db } from "../../platform/db/schema.js";
import { textOf } from "./broadcasts.repository.js";

/**
 * The broadcasts a comune's public pages show: marked public by the office and gone out
 * (sending or sent). Only what the archive prints leaves this file: no author, no approver,
 * no audience, no cost.
 */
export interface PublicBroadcast {
  id: number;
  title: string;
  text: string;
  /** The topic ids it was sent to; empty: every subscriber. */
  topics: string[];
  urgent: boolean;
  /** When it went out. */
  publishedAt: number;
  /** The picture, video or document it carried (its bytes: `publicBroadcastFile`). */
  media?: {
    kind: "image" | "video" | "document";
    mimeType: string;
    sizeBytes: number;
    filename: string | null;
  };
}

/** The statuses of a broadcast that has gone out to the subscribers. */
export const PUBLISHED_STATUSES = ["sending", "sent"] as const;

export interface PublicBroadcastFilter {
  /** Only those sent to this topic. */
  topic?: string;
  /** Words the title or the text contains (case-insensitive for Latin letters). */
  query?: string;
}

/** `%`, `_` and the escape character itself are literal in a search. */
function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function published(db: Db, tenantId: string, filter: PublicBroadcastFilter) {
  let q = db
    .selectFrom("broadcasts")
    .where("tenant_id", "=", tenantId)
    .where("public", "=", 1)
    .where("status", "in", [...PUBLISHED_STATUSES])
    .where("started_at", "is not", null);
  if (filter.topic) q = q.where("topics", "like", `%${JSON.stringify(filter.topic)}%`);
  const words = (filter.query ?? "").trim().split(/\s+/).filter(Boolean).slice(0, 8);
  for (const word of words) {
    const pattern = likePattern(word);
    q = q.where((eb) =>
      eb.or([
        eb(sql`lower(title)`, "like", sql`${pattern} escape '\\'`),
        eb(sql`lower(content)`, "like", sql`${pattern} escape '\\'`),
      ]),
    );
  }
  return q;
}

/** One page of a comune's public broadcasts, newest first, and how many there are in all. */
export async function listPublicBroadcasts(
  db: Db,
  tenantId: string,
  filter: PublicBroadcastFilter & { offset: number; limit: number },
): Promise<{ items: PublicBroadcast[]; total: number }> {
  const rows = await published(db, tenantId, filter)
    .select(["id", "title", "content", "topics", "priority", "started_at", "media_id"])
    .orderBy("started_at", "desc")
    .orderBy("id", "desc")
    .offset(filter.offset)
    .limit(filter.limit)
    .execute();
  const count = await published(db, tenantId, filter)
    .select((eb) => eb.fn.countAll().as("n"))
    .executeTakeFirstOrThrow();
  const media = await mediaOf(db, tenantId, rows);
  return { items: rows.map((r) => toPublic(r, media)), total: Number(count.n) };
}

/** One public broadcast of a comune; undefined when it does not exist or is not public. */
export async function findPublicBroadcast(
  db: Db,
  tenantId: string,
  id: number,
): Promise<PublicBroadcast | undefined> {
  const row = await published(db, tenantId, {})
    .select(["id", "title", "content", "topics", "priority", "started_at", "media_id"])
    .where("id", "=", id)
    .executeTakeFirst();
  return row ? toPublic(row, await mediaOf(db, tenantId, [row])) : undefined;
}

type MediaInfo = NonNullable<PublicBroadcast["media"]>;

/** What the archive shows of the files of these broadcasts, by file id. */
async function mediaOf(
  db: Db,
  tenantId: string,
  rows: readonly { media_id: number | null }[],
): Promise<Map<number, MediaInfo>> {
  const ids = [...new Set(rows.flatMap((r) => (r.media_id === null ? [] : [Number(r.media_id)])))];
  if (ids.length === 0) return new Map();
  const files = await db
    .selectFrom("media_files")
    .select(["id", "kind", "mime_type", "size_bytes", "filename"])
    .where("tenant_id", "=", tenantId)
    .where("id", "in", ids)
    .execute();
  return new Map(
    files.map((f) => [
      Number(f.id),
      {
        kind: f.kind as MediaInfo["kind"],
        mimeType: f.mime_type,
        sizeBytes: Number(f.size_bytes),
        filename: f.filename,
      },
    ]),
  );
}

/** The bytes of a public broadcast's file; undefined when it is not public or has none. */
export async function publicBroadcastFile(
  db: Db,
  tenantId: string,
  id: number,
): Promise<{ mimeType: string; filename: string | null; bytes: Buffer } | undefined> {
  const row = await published(db, tenantId, {})
    .select("media_id")
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row || row.media_id === null) return undefined;
  const file = await db
    .selectFrom("media_files")
    .select(["mime_type", "filename", "bytes"])
    .where("tenant_id", "=", tenantId)
    .where("id", "=", Number(row.media_id))
    .executeTakeFirst();
  return file
    ? { mimeType: file.mime_type, filename: file.filename, bytes: Buffer.from(file.bytes) }
    : undefined;
}

function toPublic(
  row: {
    id: number | bigint | string;
    title: string;
    content: string;
    topics: string;
    priority: string;
    started_at: number | string | null;
    media_id: number | null;
  },
  media: ReadonlyMap<number, MediaInfo>,
): PublicBroadcast {
  const ids = JSON.parse(row.topics) as unknown;
  const file = row.media_id === null ? undefined : media.get(Number(row.media_id));
  return {
    ...(file ? { media: file } : {}),
    id: Number(row.id),
    title: row.title,
    text: textOf(row.content),
    topics: Array.isArray(ids) ? ids.map(String) : [],
    urgent: row.priority === "urgent",
    publishedAt: Number(row.started_at),
  };
}
