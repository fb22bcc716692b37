import { describe, expect, it } from "vitest";
import { until } from "../../test/dispatch-harness.js";
import { testEngines } from "../../test/engines.js";
import { buildSubscriber } from "../../test/factories.js";
import { officeBroadcasts, useOfficeServer } from "../../test/office-broadcasts.js";
import { receivedBy, sandboxApi } from "../../test/sandbox-phones.js";

/**
 * A comune that sends free-form messages inside the 24-hour window (`freeFormInWindow`): the
 * person who wrote to it today gets the text as a plain message, billed at the service rate; the
 * one who did not gets the template. The estimate at approval shows the split.
 */
const CASALE = "393760088777";
const WROTE_TODAY = "393471112250";
const SILENT = "393471112251";
const DAY_MS = 24 * 60 * 60 * 1000;

describe.each(testEngines())("free-form messages inside the 24-hour window, on %s", (engine) => {
  const s = useOfficeServer("casale-marittimo", {
    engine,
    tenants: {
      "casale-marittimo": (yaml) => {
        expect(yaml).toContain("  fourEyes: true\n");
        return yaml.replace("  fourEyes: true\n", "  fourEyes: true\n  freeFormInWindow: true\n");
      },
    },
  });

  const sandbox = (method: string, apiPath: string, body?: object) =>
    sandboxApi(s.baseUrl, method, apiPath, body);
  const broadcastApi = officeBroadcasts(() => s.baseUrl, "casale-marittimo");
  const broadcasts = broadcastApi.call;
  const received = (phone: string) => receivedBy(s.baseUrl, phone);

  it("sends the text as a plain message to who wrote today, the template to the others, and estimates the split", async () => {
    const db = s.server.database.db;
    const now = Date.now();
    for (const [waId, lastInbound] of [
      [WROTE_TODAY, now - 60 * 60 * 1000],
      [SILENT, now - 3 * DAY_MS],
    ] as const) {
      await sandbox("POST", "/phones", { waId, name: "Cittadino" });
      await buildSubscriber(db, {
        tenant_id: "casale-marittimo",
        wa_id: waId,
        last_inbound_at: lastInbound,
      });
    }
    // The window is Meta's: the sandbox knows it from a message the phone really sent.
    await sandbox("POST", `/phones/${WROTE_TODAY}/messages`, { to: CASALE, text: "Grazie!" });

    const text = "Domenica 14 la piazza è chiusa al traffico dalle 8 alle 20 per il mercato.";
    const created = await broadcasts<{ broadcast: { id: number } }>(s.office, "POST", "", {
      title: "Mercato",
      text,
      topics: "all",
    });
    const id = created.broadcast.id;
    await broadcasts(s.office, "POST", `/${id}/submit`, {});
    const { check } = await broadcasts<{
      check: {
        estimate: { lines: { kind: string; recipients: number }[]; display: { it: string } };
      };
    }>(s.mayor, "GET", `/${id}`);
    expect(check.estimate.lines).toEqual([
      expect.objectContaining({ kind: "template", recipients: 1 }),
      expect.objectContaining({ kind: "free-form", recipients: 1 }),
    ]);
    expect(check.estimate.display.it).toContain("messaggio libero nella finestra di 24 ore");

    await broadcasts(s.mayor, "POST", `/${id}/approve`, {});
    await broadcastApi.untilSent(s.mayor, id);

    const plain = (await received(WROTE_TODAY)).filter((m) => m.text?.includes("piazza"));
    expect(plain).toHaveLength(1);
    expect(plain[0]?.text).toBe(text);
    const template = (await received(SILENT)).filter((m) => m.text?.includes("piazza"));
    expect(template).toHaveLength(1);
    expect(template[0]?.text).not.toBe(text);
    expect(template[0]?.text).toContain(text);

    // What Meta bills: the plain message at the service rate, the template at its category's.
    await until(
      "the statuses with pricing",
      async () => {
        const rows = await db
          .selectFrom("outbound_messages")
          .select(["pricing_category"])
          .where("broadcast_id", "=", id)
          .execute();
        const categories = rows.map((r) => r.pricing_category).sort();
        return categories.every((c) => c !== null) ? categories : undefined;
      },
      15_000,
    ).then((categories) => expect(categories).toEqual(["marketing", "service"]));
  });
});
