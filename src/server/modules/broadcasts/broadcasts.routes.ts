import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { tenantFinder, type Tenant } from "../../config/tenants.js";
import { actorOf } from "../../platform/http/access.js";
import { requestLocale } from "../../platform/http/locale.js";
import { tenantParams } from "../../platform/http/params.js";
import { zodRoutes } from "../../platform/http/zod-routes.js";
import {
  broadcastAuthors,
  checkOf,
  createBroadcast,
  editBroadcast,
  getBroadcast,
  listBroadcasts,
  type BroadcastsDeps,
  type Caller,
} from "./broadcasts.service.js";
import type { Broadcast } from "./broadcasts.repository.js";
import {
  approveBody,
  createBody,
  editBody,
  listOut,
  listQuery,
  params,
  present,
  presentMedia,
  rejectBody,
  reportQuery,
  withCheck,
} from "./broadcasts.schemas.js";
import { mediaFileOf } from "../media/media.service.js";
import { broadcastReport, reportCsv } from "./report.js";
import { reportOut } from "./report.schemas.js";
import { syncFromWhatsApp } from "./template-sync.js";
import {
  approveBroadcast,
  cancelBroadcastAs,
  pauseOrResume,
  rejectBroadcast,
  sendsAtOnce,
  sendUrgentAtOnce,
  submitBroadcast,
} from "./workflow.js";
import type { Dispatch } from "../dispatch/dispatch.service.js";
import type { WhatsAppClients } from "../whatsapp/whatsapp.service.js";

/**
 * The communication office's broadcasts: write a draft, change it, read it with the comune's
 * rules applied (`check`: blocks, warnings to acknowledge, when it would start, the people it
 * would reach and the cost). Approval and sending come on top of these.
 */
export function broadcastsRoutes(
  deps: BroadcastsDeps & {
    tenants: readonly Tenant[];
    dispatch: Pick<
      Dispatch,
      | "cancelBroadcast"
      | "startDueBroadcasts"
      | "startBroadcast"
      | "pauseBroadcast"
      | "resumeBroadcast"
    >;
    whatsapp: Pick<WhatsAppClients, "forTenant">;
  },
) {
  const tenantOf = tenantFinder(deps.tenants);
  return zodRoutes((r) => {
    const callerOf = (request: FastifyRequest & { params: { tenant: string } }): Caller => {
      const principal = request.principal;
      const userId = principal?.userId;
      return {
        actor: actorOf(request),
        ...(userId !== undefined ? { userId } : {}),
        permissions: principal?.permissionsIn(request.params.tenant) ?? new Set(),
      };
    };
    const approvalDeps = {
      ...deps,
      // Approval lists the templates afresh, and keeps what WhatsApp says (the templates API).
      listTemplates: (slug: string) => syncFromWhatsApp(deps, tenantOf(slug)),
      startDue: () => deps.dispatch.startDueBroadcasts(),
    };
    const mediaInfoOf = async (tenant: Tenant, id: number) => {
      const file = await mediaFileOf(deps.db, tenant.slug, id);
      return file ? presentMedia(file) : null;
    };
    const answer = async (tenant: Tenant, b: Broadcast) => ({
      broadcast: present(b),
      check: await checkOf(deps, tenant, b),
      media: b.mediaId === null ? null : await mediaInfoOf(tenant, b.mediaId),
    });

    r.get(
      "/api/tenants/:tenant/broadcasts",
      {
        config: { permission: "broadcasts.read" },
        schema: {
          tags: ["broadcasts"],
          summary:
            "The comune's broadcasts, newest first, by status, topic, author and creation day; paged by id (`next` → `before`)",
          description:
            "`from` and `to` are calendar days in the comune's time zone, both included, of the day the broadcast was created. `topic` finds the broadcasts sent to that topic's people (not those to everyone).",
          params: tenantParams,
          querystring: listQuery,
          response: { 200: listOut },
        },
      },
      async (request) => {
        const { status, topic, author, from, to, before, limit } = request.query;
        const list = await listBroadcasts(deps, tenantOf(request.params.tenant), {
          ...(status ? { statuses: status.split(",") } : {}),
          ...(topic !== undefined ? { topic } : {}),
          ...(author !== undefined ? { author } : {}),
          ...(from !== undefined ? { from } : {}),
          ...(to !== undefined ? { to } : {}),
          ...(before !== undefined ? { before } : {}),
          limit,
        });
        return {
          broadcasts: list.broadcasts.map((b) => ({ ...present(b), authorName: b.authorName })),
          next: list.next,
        };
      },
    );

    r.get(
      "/api/tenants/:tenant/broadcasts/authors",
      {
        config: { permission: "broadcasts.read" },
        schema: {
          tags: ["broadcasts"],
          summary:
            "The staff members who wrote the comune's broadcasts (id and name), for the list's author filter",
          params: tenantParams,
          response: {
            200: z.object({ authors: z.array(z.object({ id: z.number(), name: z.string() })) }),
          },
        },
      },
      async (request) => ({
        authors: await broadcastAuthors(deps, tenantOf(request.params.tenant)),
      }),
    );

    r.post(
      "/api/tenants/:tenant/broadcasts",
      {
        config: { permission: "broadcasts.write" },
        schema: {
          tags: ["broadcasts"],
          summary:
            "Write a new broadcast (a draft), answered with the comune's rules applied; an urgent one posted with an API key holding broadcasts.urgent is approved and sent at once",
          params: tenantParams,
          body: createBody,
          response: { 201: withCheck },
        },
      },
      async (request, reply) => {
        const tenant = tenantOf(request.params.tenant);
        const { sendAt: at, ...rest } = request.body;
        const caller = callerOf(request);
        const created = await createBroadcast(
          deps,
          tenant,
          { ...rest, sendAt: at === null ? null : Date.parse(at) },
          caller,
        );
        const sent = sendsAtOnce(created, caller)
          ? await sendUrgentAtOnce(approvalDeps, tenant, created, caller)
          : created;
        return reply.status(201).send(await answer(tenant, sent));
      },
    );

    r.get(
      "/api/tenants/:tenant/broadcasts/:id",
      {
        config: { permission: "broadcasts.read" },
        schema: {
          tags: ["broadcasts"],
          summary: "A broadcast, with the comune's rules applied as it stands now",
          params,
          response: { 200: withCheck },
        },
      },
      async (request) => {
        const tenant = tenantOf(request.params.tenant);
        return answer(tenant, await getBroadcast(deps, tenant, request.params.id));
      },
    );

    // The report: counts per delivery state, failures by code, cost and read rate; JSON here,
    // the same as CSV at report.csv. Never a phone number, a message id or the text.
    r.get(
      "/api/tenants/:tenant/broadcasts/:id/report",
      {
        // Figures, not content: every role's `reports.read` (the viewer's only permission).
        config: { permission: "reports.read" },
        schema: {
          tags: ["broadcasts"],
          summary:
            "A broadcast's report: deliveries per state, failures by error code with the reason, the estimate beside the billable count, the read rate",
          description:
            "Counts only: no phone number or message id. The same figures as CSV at `…/report.csv`.",
          params,
          querystring: reportQuery,
          response: { 200: reportOut },
        },
      },
      async (request) =>
        broadcastReport(
          deps,
          tenantOf(request.params.tenant),
          request.params.id,
          request.query.lang ?? requestLocale(request.headers["accept-language"]),
        ),
    );

    r.get(
      "/api/tenants/:tenant/broadcasts/:id/report.csv",
      {
        config: { permission: "reports.read" },
        schema: {
          tags: ["broadcasts"],
          summary:
            "The broadcast's report as CSV, in the staff's language (`lang`, else Accept-Language)",
          description:
            "Columns section, item, value, description (Italian headers by default: sezione, voce, valore, descrizione); one row per figure, one per error code.",
          params,
          querystring: reportQuery,
          response: {
            200: {
              description: "The report, one figure a row",
              content: { "text/csv": { schema: z.string() } },
            },
          },
        },
      },
      async (request, reply) => {
        const tenant = tenantOf(request.params.tenant);
        const lang = request.query.lang ?? requestLocale(request.headers["accept-language"]);
        const report = await broadcastReport(deps, tenant, request.params.id, lang);
        const stamp = report.generatedAt.slice(0, 10);
        return reply
          .header("content-type", "text/csv; charset=utf-8")
          .header(
            "content-disposition",
            `attachment; filename="comunicazione-${tenant.slug}-${report.broadcast.id}-${stamp}.csv"`,
          )
          .send(reportCsv(report, lang));
      },
    );

    r.patch(
      "/api/tenants/:tenant/broadcasts/:id",
      {
        config: { permission: "broadcasts.write" },
        schema: {
          tags: ["broadcasts"],
          summary: "Change a draft (only the fields given); 409 once it is past its draft",
          params,
          body: editBody,
          response: { 200: withCheck },
        },
      },
      async (request) => {
        const tenant = tenantOf(request.params.tenant);
        const { sendAt: at, ...rest } = request.body;
        const edited = await editBroadcast(
          deps,
          tenant,
          request.params.id,
          {
            ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
            ...(at !== undefined ? { sendAt: at === null ? null : Date.parse(at) } : {}),
          },
          callerOf(request),
        );
        return answer(tenant, edited);
      },
    );

    const workflowRoute = (
      path: string,
      summary: string,
      permission: "broadcasts.write" | "broadcasts.approve" | "broadcasts.read",
      body: z.ZodType | undefined,
      act: (tenant: Tenant, id: number, caller: Caller, body: unknown) => Promise<Broadcast>,
    ) =>
      r.post(
        `/api/tenants/:tenant/broadcasts/:id/${path}`,
        {
          config: { permission },
          // A step with nothing to say may come with no body at all.
          preValidation: (request, _reply, done) => {
            request.body ??= {};
            done();
          },
          schema: {
            tags: ["broadcasts"],
            summary,
            params,
            ...(body ? { body } : {}),
            response: { 200: withCheck },
          },
        },
        async (request) => {
          const tenant = tenantOf(request.params.tenant);
          const moved = await act(tenant, request.params.id, callerOf(request), request.body);
          return answer(tenant, moved);
        },
      );

    workflowRoute(
      "submit",
      "Hand a draft to the approvers (refused while a rule blocks it)",
      "broadcasts.write",
      undefined,
      (tenant, id, caller) => submitBroadcast(deps, tenant, id, caller),
    );
    workflowRoute(
      "approve",
      "Approve a submitted broadcast: every warning acknowledged by id, the election declaration when needed; never the author (four eyes)",
      "broadcasts.approve",
      approveBody,
      (tenant, id, caller, body) =>
        approveBroadcast(approvalDeps, tenant, id, caller, body as z.infer<typeof approveBody>),
    );
    workflowRoute(
      "reject",
      "Send a submitted broadcast back to its author, saying why",
      "broadcasts.approve",
      rejectBody,
      (tenant, id, caller, body) =>
        rejectBroadcast(deps, tenant, id, caller, (body as z.infer<typeof rejectBody>).reason),
    );
    const controls = {
      ...deps,
      pause: (n: number) => deps.dispatch.pauseBroadcast(n),
      resume: (n: number) => deps.dispatch.resumeBroadcast(n),
      start: (n: number) => deps.dispatch.startBroadcast(n),
    };
    workflowRoute(
      "pause",
      "Pause a broadcast that is sending (deliveries not yet sent wait)",
      "broadcasts.approve",
      undefined,
      (tenant, id, caller) => pauseOrResume(controls, tenant, id, caller, "pause"),
    );
    workflowRoute(
      "resume",
      "Resume a paused broadcast, or one stopped in needs attention once its cause is fixed",
      "broadcasts.approve",
      undefined,
      (tenant, id, caller) => pauseOrResume(controls, tenant, id, caller, "resume"),
    );
    workflowRoute(
      "cancel",
      "Cancel a broadcast not yet over (the office its drafts; an approver anything)",
      "broadcasts.read",
      undefined,
      (tenant, id, caller) =>
        cancelBroadcastAs(
          { ...deps, cancel: (n) => deps.dispatch.cancelBroadcast(n) },
          tenant,
          id,
          caller,
        ),
    );
  });
}
