import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInProcessServer, type InProcessServer } from "../../../test/in-process-server.js";

const TOKEN = "admin-token-for-the-tests-0123456789";
const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
const CONCOREZZO_NUMBER = "393665784663";
const PHONE = "393331239876";

/**
 * The real server (sandbox mode): a simulated phone writes, the conversation keeps the person,
 * staff find them by number and block them, and the sandbox's WhatsApp refuses their next message.
 */
describe("the admin API on the running server", () => {
  let s: InProcessServer;
  beforeAll(async () => {
    s = await startInProcessServer({ env: { ADMIN_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    await s.close();
  });

  const writes = (text: string) =>
    fetch(`${s.baseUrl}/sandbox/api/phones/${PHONE}/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ to: CONCOREZZO_NUMBER, text }),
    });

  it("finds a person who wrote by number and blocks them on WhatsApp", async () => {
    expect((await writes("Ciao, a che ora apre l'anagrafe?")).status).toBe(202);
    // The webhook is handled after its 200: wait until the person is known.
    let found: Response | undefined;
    for (let i = 0; i < 50; i++) {
      found = await fetch(`${s.baseUrl}/api/tenants/concorezzo/subscribers/lookup`, {
        method: "POST",
        headers,
        body: JSON.stringify({ number: `+${PHONE}` }),
      });
      if (found.status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(found?.status).toBe(200);
    const person = (await found?.json()) as { id: number; number: string };
    expect(person.number).toBe("3933•••••876");

    const block = await fetch(
      `${s.baseUrl}/api/tenants/concorezzo/subscribers/${person.id}/block`,
      {
        method: "POST",
        headers,
        body: JSON.stringify({ reason: "prova di blocco" }),
      },
    );
    expect(block.status).toBe(200);
    expect(await block.json()).toMatchObject({ whatsapp: "applied" });
    expect((await writes("ancora io")).status).toBe(403);
    expect(s.log()).not.toContain(PHONE);
  });
});
