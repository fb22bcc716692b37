import { z } from "zod";
import { currentLocale, localized } from "../../platform/http/locale.js";
import { idSchema, tenantParams } from "../../platform/http/params.js";
import { isCalendarDay } from "../../platform/local-days.js";
import type { MediaFileInfo } from "../media/media.service.js";
import type { Broadcast } from "./broadcasts.repository.js";
import { policyCheckOut } from "./check.schemas.js";
import { STATUS_LABELS, statusLabel } from "./status-labels.js";

/** The broadcasts API's request and answer shapes, with Italian and English field messages. */

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/u;

const title = z
  .string()
  .trim()
  .min(1, localized({ it: "non deve essere vuoto", en: "must not be empty" }))
  .max(120, localized({ it: "può avere al massimo 120 caratteri", en: "is over 120 characters" }))
  .refine(
    (t) => !CONTROL.test(t) && !t.includes("\n"),
    localized({
      it: "deve stare su una riga, senza caratteri di controllo",
      en: "must be one line",
    }),
  );

/** The hard cap of what is stored; WhatsApp's own limits are the check's blocks, shown to staff. */
const text = z
  .string()
  .trim()
  .min(1, localized({ it: "non deve essere vuoto", en: "must not be empty" }))
  .max(
    10_000,
    localized({ it: "può avere al massimo 10.000 caratteri", en: "is over 10,000 characters" }),
  )
  .refine(
    (t) => !CONTROL.test(t),
    localized({ it: "contiene caratteri di controllo", en: "contains control characters" }),
  );

const topics = z.union([
  z.literal("all"),
  z
    .array(z.string().min(1).max(63))
    .min(
      1,
      localized({
        it: 'deve indicare almeno un argomento, o "all" per tutti',
        en: 'must name at least one topic, or "all"',
      }),
    )
    .max(50)
    .refine(
      (ids) => new Set(ids).size === ids.length,
      localized({ it: "ripete un argomento", en: "repeats a topic" }),
    ),
]);

const sendAt = z
  .string()
  .datetime({
    offset: true,
    error: localized({
      it: "deve essere una data e ora ISO 8601 con fuso, es. 2026-12-03T09:00:00+01:00",
      en: "must be an ISO 8601 date and time with an offset, e.g. 2026-12-03T09:00:00+01:00",
    }).error,
  })
  .nullable();

const fieldsShape = {
  title,
  text,
  topics,
  urgent: z.boolean(),
  public: z.boolean(),
  sendAt,
  /** A file uploaded with POST /api/tenants/:tenant/media, shown in the message's header. */
  mediaId: idSchema.nullable(),
};

export const createBody = z.object({
  ...fieldsShape,
  topics: topics.default("all"),
  urgent: z.boolean().default(false),
  public: z.boolean().default(false),
  sendAt: sendAt.default(null),
  mediaId: idSchema.nullable().default(null),
});
export const editBody = z.object(fieldsShape).partial();

export const broadcastOut = z.object({
  id: z.number(),
  title: z.string(),
  status: z.string(),
  /** The status as staff read it, in the request's language. */
  statusLabel: z.string(),
  text: z.string(),
  topics: z.union([z.literal("all"), z.array(z.string())]),
  urgent: z.boolean(),
  public: z.boolean(),
  sendAt: z.string().nullable(),
  mediaId: z.number().nullable(),
  createdBy: z.number().nullable(),
  approvedBy: z.number().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  attentionReason: z.string().nullable(),
  /** What the approver saw and accepted: the check at approval, with the audience and the cost. */
  approvalCheck: z.unknown(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
/** A file uploaded for broadcasts (media.routes.ts), as its broadcast and the upload answer show it. */
export const mediaOut = z.object({
  id: z.number(),
  kind: z.enum(["image", "video", "document"]),
  mimeType: z.string(),
  sizeBytes: z.number(),
  filename: z.string().nullable(),
  sha256: z.string(),
  createdAt: z.string(),
});

export function presentMedia(m: MediaFileInfo): z.infer<typeof mediaOut> {
  return {
    id: m.id,
    kind: m.kind,
    mimeType: m.mimeType,
    sizeBytes: m.sizeBytes,
    filename: m.filename,
    sha256: m.sha256,
    createdAt: new Date(m.createdAt).toISOString(),
  };
}

export const withCheck = z.object({
  broadcast: broadcastOut,
  check: policyCheckOut,
  /** The file the broadcast carries (`mediaId`), or null. */
  media: mediaOut.nullable(),
});

const statuses = Object.keys(STATUS_LABELS).join(", ");

const day = (name: { it: string; en: string }) =>
  z
    .string()
    .refine(
      isCalendarDay,
      localized({
        it: `deve essere una data del calendario scritta AAAA-MM-GG (${name.it}), es. 2026-12-03`,
        en: `must be a calendar date written YYYY-MM-DD (${name.en}), e.g. 2026-12-03`,
      }),
    )
    .optional();

/** The list's filters; `from` and `to` are the comune's calendar days, both included. */
export const listQuery = z
  .object({
    status: z
      .string()
      .optional()
      .refine(
        (s) => s === undefined || s.split(",").every((x) => x in STATUS_LABELS),
        localized({
          it: `deve essere uno o più stati separati da virgole: ${statuses}`,
          en: `must be one or more comma-separated statuses: ${statuses}`,
        }),
      ),
    topic: z
      .string()
      .max(63, localized({ it: "può avere al massimo 63 caratteri", en: "is over 63 characters" }))
      .optional(),
    author: idSchema.optional(),
    from: day({ it: "il primo giorno", en: "the first day" }),
    to: day({ it: "l'ultimo giorno, compreso", en: "the last day, included" }),
    before: idSchema.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    path: ["to"],
    ...localized({
      it: "non può venire prima del primo giorno (from)",
      en: "cannot come before the first day (from)",
    }),
  });

export const listOut = z.object({
  broadcasts: z.array(
    broadcastOut.extend({
      /** The author's name as staff know it; null when an API key wrote it. */
      authorName: z.string().nullable(),
    }),
  ),
  /** Ask `before` this id for the next page; null on the last one. */
  next: z.number().nullable(),
});

/** The report's language, for a download link that cannot send Accept-Language. */
export const reportQuery = z.object({ lang: z.enum(["it", "en"]).optional() });

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function present(b: Broadcast): z.infer<typeof broadcastOut> {
  return {
    id: b.id,
    title: b.title,
    status: b.status,
    statusLabel: statusLabel(b.status)[currentLocale()],
    text: b.text,
    topics: b.topics,
    urgent: b.urgent,
    public: b.public,
    sendAt: iso(b.sendAt),
    mediaId: b.mediaId,
    createdBy: b.createdBy,
    approvedBy: b.approvedBy,
    startedAt: iso(b.startedAt),
    finishedAt: iso(b.finishedAt),
    attentionReason: b.attentionReason,
    approvalCheck: b.approvalCheck,
    createdAt: iso(b.createdAt) ?? "",
    updatedAt: iso(b.updatedAt) ?? "",
  };
}

export const params = tenantParams.extend({ id: idSchema });

export const approveBody = z.object({
  /** The ids of the check's warnings the approver read and accepts. */
  acknowledged: z.array(z.string().max(200)).max(200).default([]),
  /** In an election period: the broadcast is impersonal and indispensable, and why. */
  declaration: z
    .object({
      impersonal: z.boolean(),
      indispensable: z.boolean(),
      justification: z.string().trim().max(2000),
    })
    .optional(),
});

export const rejectBody = z.object({
  reason: z
    .string()
    .trim()
    .min(
      3,
      localized({
        it: "deve dire a chi l'ha scritta cosa cambiare",
        en: "must tell the author what to change",
      }),
    )
    .max(
      1000,
      localized({ it: "può avere al massimo 1.000 caratteri", en: "is over 1,000 characters" }),
    ),
});
