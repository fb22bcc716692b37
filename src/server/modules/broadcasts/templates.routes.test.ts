import { describe, expect, it } from "vitest";
import { until } from "../../test/dispatch-harness.js";
import { useOfficeServer } from "../../test/office-broadcasts.js";
import { sandboxApi } from "../../test/sandbox-phones.js";

/**
 * The comune's templates as the office sees them: synced from WhatsApp (the sandbox) at start,
 * kept current by Meta's template webhooks, synced again on demand.
 */

interface Answer {
  templates: {
    name: string;
    status: string;
    category: string;
    reason: string | null;
    kinds: string[];
  }[];
  configured: { kind: string; name: string; status: string; usable: boolean }[];
  syncedAt: string | null;
}

const CASALE_WABA = "200000000000002";

describe("the templates of a comune", () => {
  const s = useOfficeServer("casale-marittimo");

  const templates = async (method = "GET", path = "") => {
    const response = await fetch(`${s.baseUrl}/api/tenants/casale-marittimo/templates${path}`, {
      method,
      headers: s.office,
    });
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as Answer;
  };
  const sandbox = (path: string, body: object) => sandboxApi(s.baseUrl, "POST", path, body);
  const statusOf = (answer: Answer, name: string) => answer.templates.find((t) => t.name === name);

  it("are synced at start, each kind of the comune's file usable", async () => {
    const answer = await until(
      "the templates synced at start",
      async () => {
        const got = await templates();
        return got.syncedAt ? got : undefined;
      },
      10_000,
    );
    expect(answer.templates.map((t) => t.name)).toContain("notizia_comune");
    expect(statusOf(answer, "notizia_comune")).toMatchObject({
      status: "APPROVED",
      category: "MARKETING",
      kinds: ["text"],
    });
    expect(answer.configured).toEqual([
      { kind: "text", name: "notizia_comune", language: "it", status: "APPROVED", usable: true },
      { kind: "image", name: "notizia_immagine", language: "it", status: "APPROVED", usable: true },
      {
        kind: "document",
        name: "notizia_documento",
        language: "it",
        status: "APPROVED",
        usable: true,
      },
      { kind: "alert", name: "avviso_comune", language: "it", status: "APPROVED", usable: true },
      {
        kind: "alertImage",
        name: "avviso_immagine",
        language: "it",
        status: "APPROVED",
        usable: true,
      },
    ]);
  });

  it("follow Meta's webhooks: a pause with its reason, a new category; a sync on demand", async () => {
    await sandbox(`/templates/${CASALE_WABA}/notizia_comune/it/status`, {
      status: "PAUSED",
      reason: "LOW_QUALITY",
    });
    const paused = await until(
      "the pause stored",
      async () => {
        const got = await templates();
        return statusOf(got, "notizia_comune")?.status === "PAUSED" ? got : undefined;
      },
      10_000,
    );
    expect(statusOf(paused, "notizia_comune")?.reason).toBe("LOW_QUALITY");
    expect(paused.configured.find((c) => c.kind === "text")).toMatchObject({ usable: false });

    await sandbox(`/templates/${CASALE_WABA}/avviso_comune/it/category`, { category: "MARKETING" });
    await until(
      "the new category stored",
      async () =>
        statusOf(await templates(), "avviso_comune")?.category === "MARKETING" ? true : undefined,
      10_000,
    );
    const audit = await s.server.database.db
      .selectFrom("audit_log")
      .select("summary")
      .where("action", "=", "template.recategorised")
      .execute();
    expect(audit).toHaveLength(1);

    // Meta reinstates everything (the sandbox's reset): a sync shows it at once.
    await sandboxApi(s.baseUrl, "POST", "/reset");
    const synced = await templates("POST", "/sync");
    expect(statusOf(synced, "notizia_comune")).toMatchObject({ status: "APPROVED", reason: null });
    expect(statusOf(synced, "avviso_comune")?.category).toBe("UTILITY");
    expect(synced.configured.every((c) => c.usable)).toBe(true);
  });
});
