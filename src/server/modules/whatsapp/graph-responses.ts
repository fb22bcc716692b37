import { z } from "zod";
import { badResponseError, classifyError } from "./send-errors.js";
import type { BlockResult, SendOutcome, TemplateInfo, WhatsAppError } from "./types.js";

/**
 * Graph API answers (docs/whatsapp-cloud-api.md §1.9, §2, §4.1, §1b, §6.2) read with zod. Meta adds
 * fields and drops some between versions (§9: "parse leniently"), so unknown keys are ignored and
 * every field we can do without is optional; a field of the wrong type is dropped, not fatal.
 */

/** An optional field that turns into `undefined` when absent or of the wrong type. */
const lenient = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);

/** JSON text → value; `undefined` for an empty or non-JSON body (proxies answer HTML). */
export function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const errorItem = z.object({
  code: z.number().int(),
  title: lenient(z.string()),
  message: lenient(z.string()),
  error_subcode: lenient(z.number().int()),
  error_data: lenient(z.object({ details: lenient(z.string()) })),
});
type ErrorItem = z.infer<typeof errorItem>;

function toWhatsAppError(item: ErrorItem, httpStatus?: number): WhatsAppError {
  return classifyError({
    code: item.code,
    subcode: item.error_subcode,
    title: item.title,
    message: item.message,
    details: item.error_data?.details,
    httpStatus,
  });
}

const graphErrorBody = z.object({ error: errorItem });

/** §4.1: `{ error: { message, type, code, error_data: { details }, error_subcode, … } }`. */
export function parseGraphError(json: unknown, httpStatus: number): WhatsAppError | undefined {
  const parsed = graphErrorBody.safeParse(json);
  return parsed.success ? toWhatsAppError(parsed.data.error, httpStatus) : undefined;
}

type JsonRecord = Record<string, unknown>;

/** What z.object accepts: an object, not an array, not null. */
function isRecord(value: unknown): value is JsonRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A lenient string field: the string, or `undefined` when absent or of another type. */
function lenientString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/**
 * §1.9, checked by hand (it runs once per send; a zod schema cost more than the rest of reading
 * the answer), with the same rules as the module's zod schemas: `messages` is required, at least
 * one, every item an object with a non-empty string `id` (a lenient `message_status`);
 * `contacts` is lenient: dropped whole when it is not an array of objects. `undefined` when the
 * body has no message id: the caller cannot know what happened. graph-responses.test.ts checks
 * it against the equivalent zod schema.
 */
export function parseSendSuccess(json: unknown): Extract<SendOutcome, { ok: true }> | undefined {
  if (!isRecord(json)) return undefined;
  const { messages, contacts } = json;
  if (!Array.isArray(messages) || messages.length === 0) return undefined;
  for (const item of messages as unknown[]) {
    if (!isRecord(item) || typeof item.id !== "string" || item.id.length === 0) return undefined;
  }
  const message = messages[0] as JsonRecord;
  const contact =
    Array.isArray(contacts) && (contacts as unknown[]).every(isRecord)
      ? (contacts[0] as JsonRecord | undefined)
      : undefined;
  const waId = lenientString(contact?.wa_id);
  const userId = lenientString(contact?.user_id);
  const messageStatus = lenientString(message.message_status);
  return {
    ok: true,
    messageId: message.id as string,
    ...(waId !== undefined && { waId }),
    ...(userId !== undefined && { userId }),
    ...(messageStatus !== undefined && { messageStatus }),
  };
}

const markReadSuccess = z.object({ success: lenient(z.boolean()) });

/** Meta answers `{ "success": true }`; only an explicit `false` is a failure. */
export function parseMarkReadSuccess(json: unknown): true | undefined {
  const parsed = markReadSuccess.safeParse(json);
  return parsed.success && parsed.data.success !== false ? true : undefined;
}

const mediaUploaded = z.object({ id: z.string().min(1) });

export function parseMediaUpload(json: unknown): { id: string } | undefined {
  const parsed = mediaUploaded.safeParse(json);
  return parsed.success ? { id: parsed.data.id } : undefined;
}

const template = z.object({
  id: z.string(),
  name: z.string(),
  language: z.string(),
  category: z.string().catch(""),
  status: z.string().catch(""),
  components: z.array(z.unknown()).catch([]),
});
const templatesPage = z.object({
  data: z.array(z.unknown()),
  paging: lenient(z.object({ next: lenient(z.string()) })),
});

/**
 * One page of `GET /{WABA_ID}/message_templates` (§6.2). A template we cannot read is skipped
 * rather than failing the list: the others remain usable.
 */
export function parseTemplatesPage(
  json: unknown,
): { templates: TemplateInfo[]; next?: string } | undefined {
  const parsed = templatesPage.safeParse(json);
  if (!parsed.success) return undefined;
  const templates = parsed.data.data.flatMap((item) => {
    const t = template.safeParse(item);
    return t.success ? [t.data] : [];
  });
  const next = parsed.data.paging?.next;
  return next ? { templates, next } : { templates };
}

const blockedUser = z.object({ input: lenient(z.string()), wa_id: lenient(z.string()) });
const blockAnswer = z.object({
  block_users: z.object({
    added_users: lenient(z.array(blockedUser)),
    removed_users: lenient(z.array(blockedUser)),
    failed_users: lenient(z.array(blockedUser.extend({ errors: lenient(z.array(z.unknown())) }))),
  }),
});

/**
 * §1b: the call answers per user. The exact shape is unconfirmed by Meta's pages; this follows
 * Meta's examples as SDKs record them (whatsapp-api-js `ServerBlockResponse`): `added_users` on
 * block, `removed_users` on unblock, `failed_users[{ input, errors: [Graph error] }]`, possibly
 * next to a top-level `error` when some failed. Users are reported as we sent them (`input`).
 * `undefined` when there is no `block_users` object at all.
 */
export function parseBlockAnswer(json: unknown, httpStatus: number): BlockResult | undefined {
  const parsed = blockAnswer.safeParse(json);
  if (!parsed.success) return undefined;
  const answer = parsed.data.block_users;
  const userOf = (u: { input?: string; wa_id?: string }) => u.input ?? u.wa_id ?? "";
  const succeeded = [...(answer.added_users ?? []), ...(answer.removed_users ?? [])].map(userOf);
  const failed = (answer.failed_users ?? []).map((u) => {
    const first = errorItem.safeParse(u.errors?.[0]);
    const error = first.success
      ? toWhatsAppError(first.data, httpStatus)
      : badResponseError("Meta gave no reason for this user", httpStatus);
    return { user: userOf(u), error };
  });
  return { succeeded, failed };
}
