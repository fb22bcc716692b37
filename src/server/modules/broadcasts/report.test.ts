import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../platform/clock.js";
import { until } from "../../test/dispatch-harness.js";
import { testEngines } from "../../test/engines.js";
import { buildSubscriber } from "../../test/factories.js";
import { officeBroadcasts } from "../../test/office-broadcasts.js";
import { sandboxApi } from "../../test/sandbox-phones.js";
import { startInProcessServer, type InProcessServer } from "../../test/in-process-server.js";
import { seedOffice, seedSession } from "../../test/staff-kit.js";
import type { BroadcastReport } from "./report.js";

/**
 * The report of a broadcast really sent, on the real server and its sandbox over HTTP, held
 * against the sandbox's own record, message for message: its send log (what it accepted, for
 * whom) and each simulated phone (what it shows: delivered, read, failed with which code).
 * Two numbers are not on WhatsApp (accepted, then failed with 131026); the sandbox posts half of
 * its status webhooks twice and `delivered` before `sent`, so the counts must be of messages,
 * not of webhooks. Casale states no office hours: approved, it starts at once.
 */
const CASALE = "393760088777";
const CASALE_PHONE_NUMBER_ID = "100000000000002";
const PEOPLE = Array.from({ length: 12 }, (_, i) => `3934700000${String(i).padStart(2, "0")}`);
const NOT_ON_WHATSAPP = [PEOPLE[3], PEOPLE[8]] as string[];
/** The phones that open the chat and so send read receipts. */
const READERS = [PEOPLE[0], PEOPLE[1], PEOPLE[5]] as string[];

interface SendLogEntry {
  phoneNumberId: string;
  to: string;
  wamid?: string;
  code?: number;
  callbackData?: string;
}
interface PhoneMessage {
  direction: "from_phone" | "to_phone";
  status?: string;
  error?: { code: number };
}

describe.each(testEngines())("a broadcast's report on %s", (engine) => {
  let s: InProcessServer;
  let office: Record<string, string>;
  let mayor: Record<string, string>;
  let viewer: Record<string, string>;
  let id: number;

  const sandbox = async <T>(method: string, path: string, body?: object): Promise<T> => {
    const response = await sandboxApi(s.baseUrl, method, path, body);
    expect(response.status, `${path}: ${await response.clone().text()}`).toBeLessThan(300);
    return (response.status === 204 ? undefined : await response.json()) as T;
  };
  const broadcasts = officeBroadcasts(() => s.baseUrl, "casale-marittimo");
  const staff = broadcasts.post;
  const get = (path: string, headers: Record<string, string>) =>
    fetch(`${s.baseUrl}/api/tenants/casale-marittimo/broadcasts${path}`, { headers });
  const noWebhooksLeft = () =>
    until(
      "the sandbox's webhooks all posted",
      async () =>
        (await sandbox<{ pending: number }>("GET", "/webhooks")).pending === 0 ? true : undefined,
      20_000,
    );
  const phoneOf = async (waId: string) => {
    const { messages } = await sandbox<{ messages: PhoneMessage[] }>(
      "GET",
      `/phones/${waId}/messages?to=${CASALE}`,
    );
    return messages.filter((m) => m.direction === "to_phone");
  };

  beforeAll(async () => {
    s = await startInProcessServer({ engine });
    const db = s.server.database.db;
    ({ office, mayor, viewer } = await seedOffice(db, systemClock, "casale-marittimo"));
    for (const waId of PEOPLE) {
      await buildSubscriber(db, { tenant_id: "casale-marittimo", wa_id: waId });
    }
    await sandbox("PUT", "/settings", {
      undeliverableNumbers: NOT_ON_WHATSAPP,
      faults: { duplicateWebhookRate: 0.5, reorderWebhooks: true },
    });

    ({
      broadcast: { id },
    } = await staff(office, "", {
      title: "Biblioteca",
      text: "Da lunedì la biblioteca comunale apre anche il sabato mattina.",
      topics: "all",
    }));
    await staff(office, `/${id}/submit`);
    expect((await staff(mayor, `/${id}/approve`)).broadcast.status).toBe("sending");
    await broadcasts.untilSent(mayor, id, 20_000);
    await noWebhooksLeft();
    // Some people open the chat: the sandbox posts `read` for what they have.
    for (const waId of READERS) await sandbox("POST", `/phones/${waId}/read`, { to: CASALE });
    await noWebhooksLeft();
  }, 90_000);

  afterAll(async () => {
    await s?.close();
  });

  it("matches the sandbox's log and phones, message for message", async () => {
    const { sends } = await sandbox<{ sends: SendLogEntry[] }>("GET", "/sends");
    const ours = sends.filter(
      (e) => e.phoneNumberId === CASALE_PHONE_NUMBER_ID && e.callbackData?.startsWith("om:"),
    );
    const accepted = ours.filter((e) => e.wamid !== undefined);
    // Each person was handed exactly one message.
    expect(accepted.map((e) => e.to).sort()).toEqual([...PEOPLE].sort());

    const phones = await Promise.all(PEOPLE.map(phoneOf));
    expect(phones.every((messages) => messages.length === 1)).toBe(true);
    const shown = phones.map((messages) => messages[0] as PhoneMessage);
    const failedOnPhones = shown.filter((m) => m.status === "failed");
    const readOnPhones = shown.filter((m) => m.status === "read").length;
    const deliveredOnPhones = shown.filter((m) => m.status === "delivered").length + readOnPhones;
    expect(failedOnPhones.map((m) => m.error?.code)).toEqual([131026, 131026]);
    expect(readOnPhones).toBe(READERS.length);

    // The statuses reach the outbox through the inbound processor, a moment after they post.
    let last: BroadcastReport | undefined;
    const report = await until(
      "the report to settle",
      async () => {
        const response = await get(`/${id}/report`, viewer);
        expect(response.status).toBe(200);
        const r = (last = (await response.json()) as BroadcastReport);
        const settled =
          r.counts.read === readOnPhones &&
          r.counts.delivered === deliveredOnPhones &&
          r.counts.failed === failedOnPhones.length &&
          r.cost.unpriced === 0;
        return settled ? r : undefined;
      },
      20_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}; the last report counted ${JSON.stringify(last?.counts)}`);
    });
    expect(report.broadcast).toMatchObject({ id, status: "sent", statusLabel: "inviata" });
    expect(report.counts).toEqual({
      total: PEOPLE.length,
      queued: 0,
      inFlight: 0,
      // Accepted and not failed since: the sandbox accepted every send, two then failed.
      accepted: accepted.length - failedOnPhones.length,
      sent: accepted.length - failedOnPhones.length,
      delivered: deliveredOnPhones,
      read: readOnPhones,
      failed: failedOnPhones.length,
      skipped: 0,
      cancelled: 0,
    });
    expect(report.failures).toEqual([
      {
        code: 131026,
        count: 2,
        reason: {
          it: "Non recapitabile (numero non su WhatsApp, app non aggiornata, …)",
          en: "Undeliverable (not on WhatsApp, old app, …)",
        },
      },
    ]);
    expect(report.readRate).toBe(Math.round((readOnPhones / deliveredOnPhones) * 1e4) / 1e4);

    // The estimate the mayor accepted, for all twelve, beside what Meta's statuses charge: the
    // ten delivered templates, each `regular` outside the window, at the same rate.
    const { estimate } = report.cost;
    expect(estimate).toMatchObject({ recipients: PEOPLE.length, currency: "EUR" });
    const rate = (estimate?.totalMicros ?? 0) / PEOPLE.length;
    expect(rate).toBeGreaterThan(0);
    expect(report.cost).toMatchObject({
      currency: "EUR",
      accepted: 10,
      billable: 10,
      free: 0,
      unpriced: 0,
      totalMicros: 10 * rate,
    });
  });

  it("is the same as CSV, in Italian or English, and never shows a number or a message id", async () => {
    const { sends } = await sandbox<{ sends: SendLogEntry[] }>("GET", "/sends");
    const json = await (await get(`/${id}/report`, viewer)).text();
    const csv = await get(`/${id}/report.csv`, viewer);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(csv.headers.get("content-disposition")).toMatch(
      new RegExp(
        `^attachment; filename="comunicazione-casale-marittimo-${id}-\\d{4}-\\d{2}-\\d{2}\\.csv"$`,
      ),
    );
    const text = await csv.text();
    const rows = text.split("\r\n");
    expect(rows[0]).toBe("sezione,voce,valore,descrizione");
    expect(rows).toContain("messaggi,Messaggi in tutto,12,");
    expect(rows).toContain("messaggi,Non riusciti,2,");
    expect(rows).toContain(
      'errori,131026,2,"Non recapitabile (numero non su WhatsApp, app non aggiornata, …)"',
    );
    expect(rows).toContain("costo,messaggi a pagamento,10,");
    expect(rows.some((r) => r.startsWith("lettura,tasso di lettura,"))).toBe(true);

    const english = await (
      await get(`/${id}/report.csv`, { ...viewer, "accept-language": "en" })
    ).text();
    expect(english.split("\r\n")[0]).toBe("section,item,value,description");
    const inEnglish = (await (
      await get(`/${id}/report`, { ...viewer, "accept-language": "en" })
    ).json()) as BroadcastReport;
    expect(inEnglish.broadcast.statusLabel).toBe("sent");
    expect(english).toContain("messages,Failed,2,");

    for (const body of [json, text, english]) {
      for (const waId of PEOPLE) expect(body).not.toContain(waId.slice(2));
      for (const e of sends) if (e.wamid) expect(body).not.toContain(e.wamid);
      expect(body).not.toContain("wamid.");
    }
  });

  it("is read by every role that reads the figures, and is not found from another comune", async () => {
    expect((await get(`/${id}/report`, office)).status).toBe(200);
    expect((await get(`/${id}/report.csv`, mayor)).status).toBe(200);
    const concorezzo = await seedSession(
      s.server.database.db,
      systemClock,
      "ufficio@concorezzo.example.it",
      { concorezzo: ["owner"] },
    );
    const across = await fetch(`${s.baseUrl}/api/tenants/concorezzo/broadcasts/${id}/report`, {
      headers: concorezzo,
    });
    expect(across.status).toBe(404);
    const anonymous = await get(`/${id}/report.csv`, {});
    expect(anonymous.status).toBe(401);

    // Both answers are in the OpenAPI document, the CSV one as text/csv.
    const doc = (await (await fetch(`${s.baseUrl}/api/openapi.json`)).json()) as {
      paths: Record<string, { get: { responses: Record<string, { content: object }> } }>;
    };
    const path = "/api/tenants/{tenant}/broadcasts/{id}/report";
    expect(Object.keys(doc.paths[path]?.get.responses["200"]?.content ?? {})).toEqual([
      "application/json",
    ]);
    expect(Object.keys(doc.paths[`${path}.csv`]?.get.responses["200"]?.content ?? {})).toEqual([
      "text/csv",
    ]);
  });
});
