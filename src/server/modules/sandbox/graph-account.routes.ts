import type { FastifyInstance } from "fastify";
import { isWaId, stripNumberPunctuation } from "../../platform/phone-number.js";
import type { SandboxContext, SandboxNumber } from "./context.js";
import { metaErrors, type MetaError } from "./graph-errors.js";
import { GRAPH_VERSION, authorize, authorizeAny, replyMetaError } from "./graph-http.js";
import { Refusal, list, object, requiredString } from "./json-reader.js";
import type { Template } from "./templates.js";

/**
 * The WABA's template list (docs/whatsapp-cloud-api.md §6.2) and a number's block list
 * (§1b), on the Graph API.
 * Registered in the same Meta-shaped scope as `graph.routes.ts`.
 */

/** Meta keeps at most 64,000 blocked users per number. */
export const BLOCKLIST_CAPACITY = 64_000;

const cursorOf = (id: string) => Buffer.from(`sandbox:${id}`).toString("base64url");
const idOfCursor = (cursor: string) =>
  Buffer.from(cursor, "base64url")
    .toString()
    .replace(/^sandbox:/, "");

interface TemplateQuery {
  fields?: string;
  limit?: string;
  after?: string;
  before?: string;
  status?: string;
  name?: string;
  language?: string;
  category?: string;
}

function templateFields(template: Template, fields: string[] | undefined): Record<string, unknown> {
  const full: Record<string, unknown> = {
    id: template.id,
    name: template.name,
    language: template.language,
    status: template.status,
    category: template.category,
    parameter_format: template.parameter_format,
    components: template.components,
    ...(template.reason === undefined ? {} : { rejected_reason: template.reason }),
  };
  if (!fields) return full;
  // Meta always includes the id, whatever `fields` asks for.
  return Object.fromEntries(
    Object.entries(full).filter(([key]) => key === "id" || fields.includes(key)),
  );
}

/** A block-list request body: `{ messaging_product, block_users: [{ user }] }`, ≤ 1,000 users. */
function parseBlockBody(
  body: unknown,
): { ok: true; users: string[] } | { ok: false; error: MetaError } {
  try {
    const o = object(body, "body");
    if (o.messaging_product !== "whatsapp") {
      return {
        ok: false,
        error: metaErrors.invalidParameter("The parameter messaging_product is required."),
      };
    }
    const users = list(o, "block_users", "block_users", { min: 1, max: 1000 }).map((u, i) =>
      requiredString(object(u, `block_users[${i}]`), "user", `block_users[${i}]['user']`),
    );
    return { ok: true, users };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, error: error.error };
    throw error;
  }
}

/**
 * Best guess: Meta does not give the code (docs/whatsapp-cloud-api.md §4.2); 139100 is what Meta's
 * block API documents.
 */
function blockFailure(input: string, waId: string, details: string) {
  return {
    input,
    wa_id: waId,
    errors: [{ message: "Failed to block/unblock user", code: 139100, error_data: { details } }],
  };
}

export function graphAccountRoutes(ctx: SandboxContext) {
  return (app: FastifyInstance) => {
    app.get<{ Params: { version: string; wabaId: string }; Querystring: TemplateQuery }>(
      "/:version/:wabaId/message_templates",
      { schema: { hide: true } },
      (request, reply) => {
        const { version, wabaId } = request.params;
        const numbers = ctx.numbers.filter((n) => n.wabaId === wabaId);
        if (!GRAPH_VERSION.test(version) || numbers.length === 0) {
          return replyMetaError(reply, metaErrors.unknownObject(wabaId, "get"));
        }
        const auth = authorizeAny(request, numbers);
        if (!auth.ok) return replyMetaError(reply, auth.error);
        const q = request.query;
        const limit = Math.min(Math.max(Number.parseInt(q.limit ?? "25", 10) || 25, 1), 1000);
        const all = ctx.templates
          .list(wabaId)
          .filter(
            (t) =>
              (q.status === undefined || q.status.split(",").includes(t.status)) &&
              (q.name === undefined || t.name.includes(q.name)) &&
              (q.language === undefined || t.language === q.language) &&
              (q.category === undefined || t.category === q.category),
          );
        let start = 0;
        let end = all.length;
        if (q.after !== undefined)
          start = all.findIndex((t) => t.id === idOfCursor(q.after ?? "")) + 1;
        if (q.before !== undefined) {
          end = Math.max(
            0,
            all.findIndex((t) => t.id === idOfCursor(q.before ?? "")),
          );
          start = Math.max(0, end - limit);
        }
        const page = all.slice(start, Math.min(end, start + limit));
        const fields = q.fields ? q.fields.split(",").map((f) => f.trim()) : undefined;
        const data = page.map((t) => templateFields(t, fields));
        const first = page[0];
        const last = page.at(-1);
        if (!first || !last) return { data };
        const base = `${request.protocol}://${request.host}/sandbox/graph/${version}/${wabaId}/message_templates`;
        const more = new URLSearchParams({ ...stripCursors(q), limit: String(limit) });
        const hasNext = start + page.length < all.length;
        const hasPrevious = start > 0;
        return {
          data,
          paging: {
            cursors: { before: cursorOf(first.id), after: cursorOf(last.id) },
            ...(hasNext ? { next: `${base}?${withParam(more, "after", cursorOf(last.id))}` } : {}),
            ...(hasPrevious
              ? { previous: `${base}?${withParam(more, "before", cursorOf(first.id))}` }
              : {}),
          },
        };
      },
    );

    app.get<{ Params: { version: string; phoneNumberId: string } }>(
      "/:version/:phoneNumberId/block_users",
      { schema: { hide: true } },
      (request, reply) => {
        const number = ctx.byPhoneNumberId.get(request.params.phoneNumberId);
        if (!number)
          return replyMetaError(
            reply,
            metaErrors.unknownObject(request.params.phoneNumberId, "get"),
          );
        const denied = authorize(request, number);
        if (denied) return replyMetaError(reply, denied);
        const blocked = [...ctx.state.blockedBy(number.phoneNumberId)];
        return { data: blocked.map((waId) => ({ messaging_product: "whatsapp", wa_id: waId })) };
      },
    );

    for (const [method, action] of [
      ["POST", "block"],
      ["DELETE", "unblock"],
    ] as const) {
      app.route<{ Params: { version: string; phoneNumberId: string }; Body: unknown }>({
        method,
        url: "/:version/:phoneNumberId/block_users",
        schema: { hide: true },
        handler: (request, reply) => {
          const { phoneNumberId } = request.params;
          const number = ctx.byPhoneNumberId.get(phoneNumberId);
          if (!number) {
            return replyMetaError(
              reply,
              metaErrors.unknownObject(phoneNumberId, action === "block" ? "post" : "delete"),
            );
          }
          const denied = authorize(request, number);
          if (denied) return replyMetaError(reply, denied);
          const parsed = parseBlockBody(request.body);
          if (!parsed.ok) return replyMetaError(reply, parsed.error);
          return changeBlockList(ctx, number, action, parsed.users);
        },
      });
    }
  };
}

/**
 * Blocks or unblocks each user on its own: some may fail while others succeed
 * (docs/whatsapp-cloud-api.md §1b). Only users who wrote in the last 24 hours can be blocked;
 * unblocking has no such rule.
 */
function changeBlockList(
  ctx: SandboxContext,
  number: SandboxNumber,
  action: "block" | "unblock",
  users: string[],
) {
  const set = ctx.state.blockedBy(number.phoneNumberId);
  const now = ctx.clock.now();
  const done: { input: string; wa_id: string }[] = [];
  const failed: ReturnType<typeof blockFailure>[] = [];
  for (const input of users) {
    const waId = stripNumberPunctuation(input);
    if (!isWaId(waId)) {
      failed.push(blockFailure(input, waId, "Invalid user: not a phone number or wa_id"));
    } else if (action === "unblock") {
      // Unblocking someone who is not blocked counts as done (idempotent; a best guess).
      set.delete(waId);
      done.push({ input, wa_id: waId });
    } else if (set.has(waId)) {
      done.push({ input, wa_id: waId });
    } else if (!ctx.state.isWindowOpen(number.phoneNumberId, waId, now)) {
      const details = "Only users who messaged the business in the last 24 hours can be blocked.";
      failed.push(blockFailure(input, waId, details));
    } else if (set.size >= BLOCKLIST_CAPACITY) {
      const details = `The block list is full (${BLOCKLIST_CAPACITY} users).`;
      failed.push(blockFailure(input, waId, details));
    } else {
      set.add(waId);
      done.push({ input, wa_id: waId });
    }
  }
  return {
    messaging_product: "whatsapp",
    block_users: {
      [action === "block" ? "added_users" : "removed_users"]: done,
      failed_users: failed,
    },
  };
}

function stripCursors(q: TemplateQuery): Record<string, string> {
  const { after: _after, before: _before, limit: _limit, ...rest } = q;
  return Object.fromEntries(
    Object.entries(rest).filter((e): e is [string, string] => typeof e[1] === "string"),
  );
}

function withParam(params: URLSearchParams, key: string, value: string): string {
  const copy = new URLSearchParams(params);
  copy.set(key, value);
  return copy.toString();
}
