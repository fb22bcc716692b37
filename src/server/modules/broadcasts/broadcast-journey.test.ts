import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../platform/clock.js";
import { until } from "../../test/dispatch-harness.js";
import { startInProcessServer, type InProcessServer } from "../../test/in-process-server.js";
import { seedUser } from "../../test/staff-kit.js";

/**
 * The whole journey on the real server, as `npm start` runs it: a citizen subscribes to Casale
 * Marittimo on a simulated phone, the communication office writes and submits a broadcast, the
 * mayor's delegate approves it, and the phone receives it through the comune's WhatsApp template,
 * over real HTTP between the server and its sandbox. Casale states no office hours, so an
 * approved broadcast starts at once whatever the time of the run.
 */
const CASALE = "393760088777";
const PHONE = "393471112233";

interface PhoneMessage {
  direction: "from_phone" | "to_phone";
  text?: string;
}

describe("a broadcast from the office to a citizen's phone", () => {
  let s: InProcessServer;
  let office: Record<string, string>;
  let mayor: Record<string, string>;

  beforeAll(async () => {
    s = await startInProcessServer();
    const db = s.server.database.db;
    const roles = (role: "editor" | "approver") => ({ "casale-marittimo": [role] });
    office = await (
      await seedUser(db, systemClock, {
        email: "ufficio@casale.example.it",
        roles: roles("editor"),
      })
    ).session();
    mayor = await (
      await seedUser(db, systemClock, {
        email: "sindaco@casale.example.it",
        roles: roles("approver"),
        totp: true,
      })
    ).session();
  }, 60_000);
  afterAll(() => s.close());

  const sandbox = (method: string, path: string, body?: object) =>
    fetch(`${s.baseUrl}/sandbox/api${path}`, {
      method,
      ...(body
        ? { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }
        : {}),
    });
  const staff = async (headers: Record<string, string>, path: string, body: object = {}) => {
    const response = await fetch(`${s.baseUrl}/api/tenants/casale-marittimo/broadcasts${path}`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(response.status, `${path}: ${await response.clone().text()}`).toBeLessThan(300);
    return (await response.json()) as { broadcast: { id: number; status: string } };
  };
  const received = async () => {
    const response = await sandbox("GET", `/phones/${PHONE}/messages`);
    const { messages } = (await response.json()) as { messages: PhoneMessage[] };
    return messages.filter((m) => m.direction === "to_phone");
  };
  const nth = (n: number) =>
    until(
      `message ${n} on the phone`,
      async () => {
        const got = await received();
        return got.length >= n ? got[n - 1] : undefined;
      },
      15_000,
    );

  it("subscribes, then receives what the office wrote and the mayor approved", async () => {
    await sandbox("POST", "/phones", { waId: PHONE, name: "Anna Bianchi" });
    await sandbox("POST", `/phones/${PHONE}/messages`, {
      to: CASALE,
      text: "Anna, Bianchi + ATTIVA",
    });
    await nth(1);
    await sandbox("POST", `/phones/${PHONE}/messages`, { to: CASALE, tap: "Confermo" });
    expect((await nth(2)).text).toContain("la tua iscrizione");

    const { broadcast } = await staff(office, "", {
      title: "Biblioteca",
      text: "Da lunedì la biblioteca comunale apre anche il sabato mattina.",
      topics: "all",
    });
    await staff(office, `/${broadcast.id}/submit`);
    const approved = await staff(mayor, `/${broadcast.id}/approve`);
    expect(approved.broadcast.status).toBe("sending");

    const news = await nth(3);
    expect(news.text).toContain("Notizie dal Comune:");
    expect(news.text).toContain("Da lunedì la biblioteca comunale apre anche il sabato mattina.");
    await until(
      "the broadcast sent",
      async () => {
        const response = await fetch(
          `${s.baseUrl}/api/tenants/casale-marittimo/broadcasts/${broadcast.id}`,
          { headers: mayor },
        );
        const { broadcast: now } = (await response.json()) as { broadcast: { status: string } };
        return now.status === "sent" ? true : undefined;
      },
      15_000,
    );
  });
});
