import Fastify from "fastify";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import { describe, expect, it } from "vitest";
import { registerErrorHandling } from "../../platform/http/error-handler.js";
import { createLogger } from "../../platform/log.js";
import { registerSandbox, sandboxNumbersFromTenants } from "./sandbox.js";
import { defaultSettings, STATUS_BATCH_MS, type SandboxSettings } from "./settings.js";
import { TEST_NUMBERS, templateTo, useTestSandbox } from "../../test/sandbox-kit.js";
import type { Tenant } from "../../config/tenants.js";

/** The control API: numbers, settings, template review outcomes, reset; and the entry points. */

type ErrorAnswer = { error: { code: string; details?: { field: string; problem: string }[] } };

const t = useTestSandbox();

describe("control API", () => {
  it("lists the comuni's numbers", async () => {
    const answer = await t.api("GET", "/numbers");
    expect(answer.body).toEqual({
      numbers: TEST_NUMBERS.map((n) => ({
        tenant: n.tenant,
        name: n.name,
        serviceName: n.serviceName,
        displayNumber: n.displayNumber,
        phoneNumberId: n.phoneNumberId,
      })),
    });
  });

  it("reads and updates settings partially, refusing bad values with field problems", async () => {
    const before = await t.api<SandboxSettings>("GET", "/settings");
    expect(before.body).toMatchObject({
      throughputPerSecond: { "100000000000001": 80, "100000000000002": 80 },
      messagingLimitTier: "TIER_10K",
      timeoutHoldMs: 15000,
      windowErrorsAsync: false,
      faults: { serverErrorRate: 0, reorderWebhooks: false },
    });
    const updated = await t.api<SandboxSettings>("PUT", "/settings", {
      faults: { duplicateWebhookRate: 0.5 },
      throughputPerSecond: { "100000000000002": 1000 },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.faults).toMatchObject({ duplicateWebhookRate: 0.5, serverErrorRate: 0 });
    expect(updated.body.throughputPerSecond).toEqual({ "100000000000002": 1000 });

    const bad = await t.api<ErrorAnswer>("PUT", "/settings", {
      faults: { serverErrorRate: 2 },
      throughputPerSecond: 0,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details?.map((d) => d.field).sort()).toEqual([
      "body.faults.serverErrorRate",
      "body.throughputPerSecond",
    ]);
    const inverted = await t.api<ErrorAnswer>("PUT", "/settings", {
      statusDelayMs: { min: 500, max: 10 },
    });
    expect(inverted.body.error.details).toEqual([
      { field: "body.statusDelayMs", problem: "min must not be greater than max" },
    ]);
    await t.api("PUT", "/settings", {
      faults: { duplicateWebhookRate: 0 },
      throughputPerSecond: 80,
    });
  });

  it("reads and sets the status batching window, 0 to 1,000 ms", async () => {
    const before = await t.api<SandboxSettings>("GET", "/settings");
    expect(before.body.statusBatchMs).toBe(STATUS_BATCH_MS);
    const updated = await t.api<SandboxSettings>("PUT", "/settings", { statusBatchMs: 0 });
    expect(updated.status).toBe(200);
    expect(updated.body.statusBatchMs).toBe(0);
    const bad = await t.api<ErrorAnswer>("PUT", "/settings", { statusBatchMs: 1_001 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details?.map((d) => d.field)).toEqual(["body.statusBatchMs"]);
    await t.api("PUT", "/settings", { statusBatchMs: STATUS_BATCH_MS });
  });

  it("recategorises a template with the template_category_update webhook", async () => {
    const answer = await t.api<{ template: { category: string }; webhook: { status: number } }>(
      "POST",
      "/templates/200000000000002/chiusura_strada/it/category",
      { category: "MARKETING" },
    );
    expect(answer.body.template.category).toBe("MARKETING");
    expect(answer.body.webhook.status).toBe(200);
    const webhook = t.receiver.received.find(
      (w) => w.body.entry[0]?.changes[0]?.field === "template_category_update",
    );
    expect(webhook?.signatureValid).toBe(true);
    expect(webhook?.body.entry[0]?.changes[0]?.value).toMatchObject({
      message_template_name: "chiusura_strada",
      message_template_language: "it",
      previous_category: "UTILITY",
      new_category: "MARKETING",
    });
    const missing = await t.api<ErrorAnswer>(
      "POST",
      "/templates/200000000000002/nessuno/it/category",
      { category: "UTILITY" },
    );
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("TEMPLATE_NOT_FOUND");
    const templates = await t.api<{ templates: { tenant: string; name: string }[] }>(
      "GET",
      "/templates",
    );
    expect(templates.body.templates.filter((x) => x.tenant === "casale-marittimo")).toHaveLength(
      10,
    );
  });

  it("resets phones, blocks, counters and templates", async () => {
    await t.api("POST", "/phones", { waId: "393331234567", name: "Mario" });
    await t.api("POST", "/templates/200000000000001/notizia_comune/it/status", {
      status: "PAUSED",
    });
    expect((await t.api("POST", "/reset")).status).toBe(204);
    expect((await t.api<{ phones: unknown[] }>("GET", "/phones")).body.phones).toEqual([]);
    const send = await t.graph("POST", "/100000000000001/messages", {
      body: templateTo("393331234567", "notizia_comune", ["x"]),
    });
    expect(send.status).toBe(200);
  });

  it("counts the webhooks it has still to post, down to zero once the receiver has them", async () => {
    const settings = await t.api<SandboxSettings>("GET", "/settings");
    const pendingNow = async () =>
      (await t.api<{ pending: number }>("GET", "/webhooks")).body.pending;
    /** Polls until nothing is left to post (the earlier tests' statuses too): the count then. */
    const drained = async () => {
      let pending = await pendingNow();
      for (let i = 0; i < 500 && pending > 0; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        pending = await pendingNow();
      }
      return pending;
    };
    await t.api("PUT", "/settings", { statusDelayMs: { min: 300, max: 300 } });
    try {
      expect(await drained()).toBe(0);
      const before = t.receiver.statuses().length;
      const send = await t.graph("POST", "/100000000000001/messages", {
        body: templateTo("393331234568", "notizia_comune", ["x"]),
      });
      expect(send.status).toBe(200);
      // `sent` and `delivered` wait for their delay.
      expect(await pendingNow()).toBe(2);
      await t.receiver.waitFor(() =>
        t.receiver.statuses().length >= before + 2 ? true : undefined,
      );
      expect(await drained()).toBe(0);
    } finally {
      await t.api("PUT", "/settings", { statusDelayMs: settings.body.statusDelayMs });
    }
  });

  it("creates a phone with 201 and renames it with 200", async () => {
    const created = await t.api("POST", "/phones", { waId: "393330000001", name: "Anna" });
    expect(created).toMatchObject({
      status: 201,
      body: { phone: { waId: "393330000001", name: "Anna" } },
    });
    const renamed = await t.api("POST", "/phones", { waId: "393330000001", name: "Anna Bianchi" });
    expect(renamed).toMatchObject({ status: 200, body: { phone: { name: "Anna Bianchi" } } });
    const bad = await t.api<ErrorAnswer>("POST", "/phones", { waId: "39", name: "" });
    expect(bad.body.error.details?.map((d) => d.field).sort()).toEqual(["body.name", "body.waId"]);
  });
});

describe("entry points", () => {
  it("derives sandbox numbers from tenants, with a WABA id when the file has none", () => {
    const tenant = {
      slug: "concorezzo",
      name: "Comune di Concorezzo",
      serviceName: "WhatsConcorezzo",
      whatsapp: {
        phoneNumberId: "100000000000001",
        displayNumber: "393665784663",
        ratePerSecond: 80,
      },
      secrets: { accessToken: "a", appSecret: "s", verifyToken: "v" },
    } as unknown as Tenant;
    expect(sandboxNumbersFromTenants([tenant])).toEqual([
      {
        tenant: "concorezzo",
        name: "Comune di Concorezzo",
        serviceName: "WhatsConcorezzo",
        phoneNumberId: "100000000000001",
        displayNumber: "393665784663",
        wabaId: "200000000000001",
        accessToken: "a",
        appSecret: "s",
        ratePerSecond: 80,
      },
    ]);
  });

  it("mounts on an existing app next to its routes, and closes with it", async () => {
    const app = Fastify();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    registerErrorHandling(app);
    app.get("/healthz", () => ({ ok: true }));
    // The lead's wiring passes a Partial<SandboxSettings>: it must be accepted as it is.
    const settings: Partial<SandboxSettings> = {
      messagingLimitTier: "TIER_250",
      faults: { ...defaultSettings({}).faults, reorderWebhooks: true },
    };
    const sandbox = await registerSandbox(app, {
      numbers: TEST_NUMBERS,
      webhookUrl: () => "http://127.0.0.1:9/unused",
      log: createLogger("silent"),
      settings,
    });
    expect(sandbox.settings().messagingLimitTier).toBe("TIER_250");
    expect(sandbox.settings().faults.reorderWebhooks).toBe(true);
    expect((await app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    expect((await app.inject({ method: "GET", url: "/sandbox/api/numbers" })).statusCode).toBe(200);
    const notFound = await app.inject({ method: "GET", url: "/sandbox/graph/v25.0/1/2/3/4" });
    expect(notFound.json<{ error: { code: number } }>().error.code).toBe(100);
    await app.close();
  });

  it("refuses invalid starting settings", async () => {
    await expect(
      registerSandbox(Fastify(), {
        numbers: TEST_NUMBERS,
        webhookUrl: () => "",
        log: createLogger("silent"),
        settings: { timeoutHoldMs: -1 },
      }),
    ).rejects.toThrow(/Invalid sandbox settings/);
  });
});
