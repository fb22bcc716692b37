import { z } from "zod";
import { AppError, invalid } from "../../platform/errors.js";
import { zodRoutes } from "../../platform/http/zod-routes.js";
import { templateSummarySchema, webhookOutcomeSchema } from "./api-schemas.js";
import type { SandboxContext } from "./context.js";
import { applySettingsUpdate, settingsUpdateSchema } from "./settings.js";
import type { Template, TemplateStatus } from "./templates.js";
import { accountEnvelope } from "./webhook-envelopes.js";

/**
 * Controlling the sandbox, at `/sandbox/api/…`: the comuni's numbers, settings and faults,
 * template review outcomes (with Meta's account webhooks) and a reset for tests.
 */

const schema = { hide: true, tags: ["sandbox"] } as const;

const templateParams = z.object({
  wabaId: z.string().regex(/^\d+$/, "deve essere un id numerico"),
  name: z.string().min(1).max(512),
  language: z.string().min(2).max(15),
});

export function controlRoutes(ctx: SandboxContext) {
  const tenantOf = (wabaId: string) => ctx.numbers.find((n) => n.wabaId === wabaId)?.tenant ?? "";
  const summary = (t: Template) => ({
    id: t.id,
    wabaId: t.wabaId,
    tenant: tenantOf(t.wabaId),
    name: t.name,
    language: t.language,
    category: t.category,
    status: t.status,
    ...(t.reason === undefined ? {} : { reason: t.reason }),
    components: t.components,
  });
  const findTemplate = (p: z.infer<typeof templateParams>) => {
    const template = ctx.templates.find(p.wabaId, p.name, p.language);
    if (!template)
      throw new AppError(404, "TEMPLATE_NOT_FOUND", "Modello di messaggio non trovato");
    return template;
  };
  /** Account-level webhook for a WABA, signed with the app secret of its (first) number. */
  const postAccountWebhook = async (
    wabaId: string,
    field: string,
    value: Record<string, unknown>,
  ) => {
    const number = ctx.numbers.find((n) => n.wabaId === wabaId);
    if (!number) return { status: null, error: "nessun numero per questo account" };
    const result = await ctx.poster.post(
      accountEnvelope(wabaId, field, value, ctx.clock.now()),
      number.appSecret,
    ).first;
    return {
      status: result.status,
      ...(result.error === undefined ? {} : { error: result.error }),
    };
  };
  const templateOutcome = z.object({
    template: templateSummarySchema,
    webhook: webhookOutcomeSchema,
  });

  return zodRoutes((r) => {
    r.get("/numbers", { schema }, () => ({
      numbers: ctx.numbers.map((n) => ({
        tenant: n.tenant,
        name: n.name,
        serviceName: n.serviceName,
        displayNumber: n.displayNumber,
        phoneNumberId: n.phoneNumberId,
      })),
    }));

    r.get("/settings", { schema }, () => ctx.settings());

    // The send log: every send request and the sandbox's answer, for reliability tests and
    // benchmarks in other processes (who got what, how often, and when).
    r.get(
      "/sends",
      {
        schema: {
          ...schema,
          querystring: z.object({ from: z.coerce.number().int().min(0).default(0) }),
        },
      },
      (request) => {
        const { sendLog } = ctx.state;
        const { first, entries } = sendLog.entriesFrom(request.query.from);
        return { total: sendLog.total, first, sends: entries };
      },
    );

    // The same requests, per millisecond of arrival, as far back as the compact log goes: what a
    // benchmark counts over a run of any size (the busiest one-second window, the rate).
    r.get(
      "/sends/arrivals",
      {
        schema: {
          ...schema,
          querystring: z.object({
            from: z.coerce.number().int().min(0).default(0),
            phoneNumberId: z.string().optional(),
          }),
        },
      },
      (request) => {
        const { sendLog } = ctx.state;
        const { from, phoneNumberId } = request.query;
        return { total: sendLog.total, ...sendLog.arrivalsFrom(from, phoneNumberId) };
      },
    );

    // What the sandbox has still to post: a test or a benchmark waits for zero before it looks
    // at what the receiver stored.
    r.get("/webhooks", { schema }, () => ({ pending: ctx.poster.pending }));

    r.put("/settings", { schema: { ...schema, body: settingsUpdateSchema } }, (request) => {
      const result = applySettingsUpdate(ctx.settings(), request.body);
      if (!result.ok) throw invalid(result.problems);
      ctx.setSettings(result.settings);
      return result.settings;
    });

    r.get(
      "/templates",
      {
        schema: {
          ...schema,
          response: { 200: z.object({ templates: z.array(templateSummarySchema) }) },
        },
      },
      () => ({
        templates: ctx.templates.list().map(summary),
      }),
    );

    r.post(
      "/templates/:wabaId/:name/:language/status",
      {
        schema: {
          ...schema,
          params: templateParams,
          body: z.strictObject({
            status: z.enum([
              "APPROVED",
              "PAUSED",
              "DISABLED",
              "REJECTED",
            ] satisfies TemplateStatus[]),
            reason: z.string().trim().min(1).max(200).optional(),
          }),
          response: { 200: templateOutcome },
        },
      },
      async (request) => {
        const template = findTemplate(request.params);
        template.status = request.body.status;
        template.reason = request.body.reason;
        if (template.reason === undefined) delete template.reason;
        const webhook = await postAccountWebhook(
          template.wabaId,
          "message_template_status_update",
          {
            event: template.status,
            message_template_id: Number(template.id),
            message_template_name: template.name,
            message_template_language: template.language,
            reason: request.body.reason ?? "NONE",
          },
        );
        return { template: summary(template), webhook };
      },
    );

    r.post(
      "/templates/:wabaId/:name/:language/category",
      {
        schema: {
          ...schema,
          params: templateParams,
          body: z.strictObject({ category: z.enum(["MARKETING", "UTILITY", "AUTHENTICATION"]) }),
          response: { 200: templateOutcome },
        },
      },
      async (request) => {
        const template = findTemplate(request.params);
        const previous = template.category;
        template.category = request.body.category;
        const webhook = await postAccountWebhook(template.wabaId, "template_category_update", {
          message_template_id: Number(template.id),
          message_template_name: template.name,
          message_template_language: template.language,
          previous_category: previous,
          new_category: template.category,
        });
        return { template: summary(template), webhook };
      },
    );

    r.post("/reset", { schema }, (_request, reply) => {
      ctx.state.reset();
      ctx.templates.reset();
      return reply.status(204).send();
    });
  });
}
