import { describe, expect, it } from "vitest";
import { templateTo, useTestSandbox } from "../../test/sandbox-kit.js";
import { NO_FAULTS } from "./settings.js";

/** Fault injection: what a sender must survive, and what Meta really does. */

const CITIZEN = "393331234567";
type Answer = { error?: { code: number; type: string }; messages?: { id: string }[] };

const t = useTestSandbox({
  resetAfterEach: async () => {
    await t.api("PUT", "/settings", {
      faults: NO_FAULTS,
      undeliverableNumbers: [],
    });
    t.receiver.received.length = 0;
  },
});

const sendTemplate = (timeoutMs?: number) =>
  t.graph<Answer>("POST", "/100000000000001/messages", {
    body: templateTo(CITIZEN, "notizia_comune", ["Notizia"]),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });

describe("faults", () => {
  it("serverErrorRate 1: every send gets a Meta-shaped 500 and is not processed", async () => {
    await t.api("PUT", "/settings", { faults: { serverErrorRate: 1 } });
    const answer = await sendTemplate();
    expect(answer.status).toBe(500);
    expect([131016, 1]).toContain(answer.body.error?.code);
    expect(answer.body.error?.type).toBe("OAuthException");
    const phones = await t.api<{ phones: unknown[] }>("GET", "/phones");
    expect(phones.body.phones).toEqual([]);
  });

  it("throughputErrorRate 1: 130429 whatever the rate", async () => {
    await t.api("PUT", "/settings", { faults: { throughputErrorRate: 1 } });
    expect((await sendTemplate()).body.error?.code).toBe(130429);
  });

  it("undeliverableRate 1 (or an undeliverable number): accepted, then failed with 131026", async () => {
    await t.api("PUT", "/settings", { faults: { undeliverableRate: 1 } });
    const answer = await sendTemplate();
    expect(answer.status).toBe(200);
    const wamid = answer.body.messages?.[0]?.id;
    const failed = await t.receiver.waitFor(() =>
      t.receiver.statuses().find((s) => s.id === wamid),
    );
    expect(failed).toMatchObject({ status: "failed", recipient_id: CITIZEN });
    expect(failed.errors?.[0]).toMatchObject({ code: 131026, title: "Message undeliverable" });
    expect(failed.pricing).toBeUndefined();
    // No sent or delivered for it, ever.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(t.receiver.statuses().filter((s) => s.id === wamid)).toHaveLength(1);

    await t.api("PUT", "/settings", {
      faults: { undeliverableRate: 0 },
      undeliverableNumbers: ["393330000000"],
    });
    const other = await t.graph<Answer>("POST", "/100000000000001/messages", {
      body: templateTo("393330000000", "notizia_comune", ["x"]),
    });
    const otherId = other.body.messages?.[0]?.id;
    const otherFailed = await t.receiver.waitFor(() =>
      t.receiver.statuses().find((s) => s.id === otherId),
    );
    expect(otherFailed.errors?.[0]?.code).toBe(131026);
  });

  it("duplicateWebhookRate 1: every status webhook arrives twice, byte for byte", async () => {
    await t.api("PUT", "/settings", { faults: { duplicateWebhookRate: 1 } });
    const wamid = (await sendTemplate()).body.messages?.[0]?.id;
    const statuses = await t.receiver.waitFor(() => {
      const mine = t.receiver.statuses().filter((s) => s.id === wamid);
      return mine.length === 4 ? mine : undefined;
    });
    const byStatus = (status: string) =>
      statuses.filter((s) => s.status === status).map((s) => s.raw);
    expect(byStatus("sent")).toHaveLength(2);
    expect(byStatus("sent")[0]).toBe(byStatus("sent")[1]);
    expect(byStatus("delivered")[0]).toBe(byStatus("delivered")[1]);
  });

  it("reorderWebhooks: delivered comes before sent", async () => {
    await t.api("PUT", "/settings", { faults: { reorderWebhooks: true } });
    const wamid = (await sendTemplate()).body.messages?.[0]?.id;
    const statuses = await t.receiver.waitFor(() => {
      const mine = t.receiver.statuses().filter((s) => s.id === wamid);
      return mine.length === 2 ? mine : undefined;
    });
    expect(statuses.map((s) => s.status)).toEqual(["delivered", "sent"]);
  });

  it("timeoutRate 1: the client times out, but the send is processed and its statuses arrive", async () => {
    await t.api("PUT", "/settings", { faults: { timeoutRate: 1 }, timeoutHoldMs: 2000 });
    await expect(sendTemplate(200)).rejects.toThrow(/timeout/i);
    const statuses = await t.receiver.waitFor(() => {
      const found = t.receiver.statuses();
      return found.length >= 2 ? found : undefined;
    });
    expect(statuses.map((s) => s.status).sort()).toEqual(["delivered", "sent"]);
    for (const status of statuses) expect(status.recipient_id).toBe(CITIZEN);
  });
});
