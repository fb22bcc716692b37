import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localBaseUrl } from "../../../app.js";
import { buildTestApp, fakeClock, type TestApp } from "../../../test/build-test-app.js";
import { testEngines } from "../../../test/engines.js";
import { buildSubscriber } from "../../../test/factories.js";
import { SANDBOX_SUBSCRIBER_KEY_SECRET } from "../key-secret.js";
import { subscriberKey } from "../subscriber-key.js";

const TOKEN = "admin-token-for-the-tests-0123456789";
const auth = { authorization: `Bearer ${TOKEN}` };
const CONCOREZZO_NUMBER = "393665784663";
const PHONE_NUMBER_ID = "100000000000001";

/**
 * Blocking end to end over real HTTP: the admin API → the comune's WhatsApp client → the
 * sandbox's Block Users API, whose block list and phones show the result.
 */
describe.each(testEngines())("blocking through the sandbox on %s", (engine) => {
  let t: TestApp;
  let base = "";
  const clock = fakeClock();

  beforeAll(async () => {
    t = await buildTestApp({ engine, clock, env: { ADMIN_TOKEN: TOKEN } });
    // The app's own WhatsApp clients reach its sandbox: they read its address when first used.
    await t.app.listen({ port: 0, host: "127.0.0.1" });
    base = localBaseUrl(t.app);
  });
  afterAll(async () => {
    await t.close();
  });

  const phoneWrites = (waId: string) =>
    fetch(`${base}/sandbox/api/phones/${waId}/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ to: CONCOREZZO_NUMBER, text: "messaggio offensivo" }),
    });
  const blockList = async () => {
    const res = await fetch(`${base}/sandbox/graph/v25.0/${PHONE_NUMBER_ID}/block_users`, {
      headers: { authorization: "Bearer sandbox-access-token" },
    });
    const body = (await res.json()) as { data: { wa_id: string }[] };
    return body.data.map((d) => d.wa_id);
  };
  const insert = async (waId: string, lastInboundAt: number) => {
    const { id } = await buildSubscriber(t.database.db, {
      tenant_id: "concorezzo",
      wa_id: waId,
      status: "contact",
      subscribed_at: null,
      last_inbound_at: lastInboundAt,
      subscriber_key: subscriberKey(SANDBOX_SUBSCRIBER_KEY_SECRET, "concorezzo", waId),
      created_at: lastInboundAt,
      updated_at: lastInboundAt,
    });
    return Number(id);
  };
  const actionsSince = async (id: number) =>
    (
      await t.database.db
        .selectFrom("audit_log")
        .select(["action", "summary"])
        .where("target_id", "=", String(id))
        .orderBy("id")
        .execute()
    ).map((e) => e.action);

  /** Staff block the subscriber `id` for `reason`, or lift the block, with the admin token. */
  const postBlock = (id: number, reason: string) =>
    t.app.inject({
      method: "POST",
      url: `/api/tenants/concorezzo/subscribers/${id}/block`,
      headers: auth,
      payload: { reason },
    });
  /** A block answered: where it stands on WhatsApp, said in its message and on the subscriber. */
  const expectBlockAnswer = (
    res: { statusCode: number; json: () => unknown },
    state: "applied" | "pending",
    message: string,
  ) => {
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      whatsapp: state,
      message: expect.stringContaining(message) as string,
      subscriber: { block: { state } },
    });
  };
  const deleteBlock = (id: number) =>
    t.app.inject({
      method: "DELETE",
      url: `/api/tenants/concorezzo/subscribers/${id}/block`,
      headers: auth,
    });

  it("blocks on WhatsApp within 24 hours of the last message, and unblocks there", async () => {
    const waId = engine === "sqlite" ? "393331110001" : "393331110002";
    expect((await phoneWrites(waId)).status).toBe(202);
    const id = await insert(waId, clock.now() - 60_000);

    expectBlockAnswer(await postBlock(id, "insulti"), "applied", "anche su WhatsApp");
    expect(await blockList()).toContain(waId);
    const refused = await phoneWrites(waId);
    expect(refused.status).toBe(403);
    expect(await actionsSince(id)).toEqual(["subscriber.block", "subscriber.block_applied"]);

    const unblock = await deleteBlock(id);
    expect(unblock.statusCode).toBe(200);
    expect(unblock.json()).toMatchObject({
      message: "Numero sbloccato, anche su WhatsApp.",
      subscriber: { block: { state: "none" } },
    });
    expect(await blockList()).not.toContain(waId);
    expect((await phoneWrites(waId)).status).toBe(202);
    expect(await actionsSince(id)).toEqual([
      "subscriber.block",
      "subscriber.block_applied",
      "subscriber.unblock",
    ]);
  });

  it("leaves the block pending when WhatsApp refuses it (no message in its 24 hours)", async () => {
    // Our row says the person wrote recently, but the sandbox has never seen this phone.
    const waId = engine === "sqlite" ? "393331110003" : "393331110004";
    const id = await insert(waId, clock.now() - 60_000);
    expectBlockAnswer(await postBlock(id, "spam"), "pending", "non ha accettato");
    expect(await blockList()).not.toContain(waId);
    expect(await actionsSince(id)).toEqual(["subscriber.block"]);

    // Unblocking a block that never reached WhatsApp does not call it.
    const unblock = await deleteBlock(id);
    expect(unblock.json()).toMatchObject({ subscriber: { block: { state: "none" } } });
  });
});
