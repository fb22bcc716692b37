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

const sendSuccess = z.object({
  contacts: lenient(
    z.array(
      z.object({
        input: lenient(z.string()),
        wa_id: lenient(z.string()),
        user_id: lenient(z.string()),
      }),
    ),
  ),
  messages: z
    .array(z.object({ id: z.string().min(1), message_status: lenient(z.string()) }))
    .min(1),
});

/** §1.9. `undefined` when the body has no message id: the caller cannot know what happened. */
export function parseSendSuccess(json: unknown): Extract<SendOutcome, { ok: true }> | undefined {
  const parsed = sendSuccess.safeParse(json);
  if (!parsed.success) return undefined;
  const message = parsed.data.messages[0];
  if (!message) return undefined;
  const contact = parsed.data.contacts?.[0];
  return {
    ok: true,
    messageId: message.id,
    ...(contact?.wa_id !== undefined && { waId: contact.wa_id }),
    ...(contact?.user_id !== undefined && { userId: contact.user_id }),
    ...(message.message_status !== undefined && { messageStatus: message.message_status }),
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
