import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "../../test/dispatch-harness.js";
import { testEngines } from "../../test/engines.js";
import { startInProcessServer, type InProcessServer } from "../../test/in-process-server.js";
import { citizenKit } from "../../test/citizen-kit.js";
import { CASALE_NUMBER, freshPhone } from "../../test/sandbox-phones.js";
import { SANDBOX_SUBSCRIBER_KEY_SECRET } from "./key-secret.js";
import { storedEventKey } from "./subscriber-key.js";

/**
 * A comune that keeps citizens' messages in a moderation inbox (Casale, switched on here), the
 * retention purge, and a person WhatsApp identifies only by a business-scoped user id.
 */
const CASALE = CASALE_NUMBER;

describe.each(testEngines())("the moderation inbox on %s", (engine) => {
  let s: InProcessServer;

  beforeAll(async () => {
    s = await startInProcessServer({
      engine,
      tenants: {
        "casale-marittimo": (yaml) => `${yaml}\nmoderation:\n  inbox: true\n  retentionDays: 7\n`,
      },
    });
  }, 60_000);

  afterAll(() => s.close());

  const { db, keyOf, send, keptOf, postWebhook } = citizenKit(() => s);

  async function handled(wamid: string): Promise<void> {
    await until(`message ${wamid} handled`, async () => {
      const row = await db()
        .selectFrom("inbound_events")
        .select("processed_at")
        .where(
          "dedup_key",
          "=",
          storedEventKey(SANDBOX_SUBSCRIBER_KEY_SECRET, CASALE.slug, `message:${wamid}`),
        )
        .executeTakeFirst();
      return row?.processed_at ? true : undefined;
    });
  }

  /** A new phone writes the text to Casale; waits until the service handled it. */
  async function newPhoneWrites(text: string) {
    const waId = freshPhone("3934");
    const wamid = await send(waId, CASALE, { text });
    await handled(wamid);
    return { waId, wamid };
  }

  it("keeps what citizens write for the retention period, then the purge deletes it", async () => {
    const { waId, wamid } = await newPhoneWrites("Il lampione di via Roma è rotto");
    const kept = await keptOf(CASALE, waId);
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({
      tenant_id: CASALE.slug,
      inbound_message_id: wamid,
      type: "text",
      text: "Il lampione di via Roma è rotto",
      flagged_at: null,
    });
    const row = kept[0];
    expect(Number(row?.purge_after) - Number(row?.received_at)).toBe(7 * 24 * 60 * 60 * 1000);

    // Not yet due: kept. Past its retention: purged.
    await s.server.citizens.purge();
    expect(await keptOf(CASALE, waId)).toHaveLength(1);
    await db()
      .updateTable("moderation_messages")
      .set({ purge_after: Date.now() - 1 })
      .where("subscriber_key", "=", keyOf(CASALE, waId))
      .execute();
    const done = await s.server.citizens.purge();
    expect(done.moderation).toBeGreaterThanOrEqual(1);
    expect(await keptOf(CASALE, waId)).toHaveLength(0);
  });

  it("identifies a person without a number by their business-scoped user id", async () => {
    const userId = `IT.${randomBytes(8).toString("hex")}`;
    const wamid = `wamid.USER${randomBytes(10).toString("hex")}`;
    const envelope = {
      object: "whatsapp_business_account",
      entry: [
        {
          id: "200000000000002",
          changes: [
            {
              field: "messages",
              value: {
                messaging_product: "whatsapp",
                metadata: {
                  display_phone_number: CASALE.display,
                  phone_number_id: "100000000000002",
                },
                contacts: [{ profile: { name: "Lucia" }, user_id: userId }],
                messages: [
                  {
                    from: "",
                    from_user_id: userId,
                    id: wamid,
                    timestamp: String(Math.floor(Date.now() / 1000)),
                    type: "text",
                    text: { body: "Lucia, Neri + ATTIVA" },
                  },
                ],
              },
            },
          ],
        },
      ],
    };
    const response = await postWebhook(envelope);
    expect(response.status).toBe(200);
    await handled(wamid);
    const row = await db()
      .selectFrom("subscribers")
      .selectAll()
      .where("subscriber_key", "=", keyOf(CASALE, `user:${userId}`))
      .executeTakeFirst();
    expect(row).toMatchObject({
      wa_id: null,
      user_id: userId,
      status: "pending",
      first_name: "Lucia",
      last_name: "Neri",
    });
    const reply = await db()
      .selectFrom("outbound_messages")
      .select(["recipient", "payload"])
      .where("subscriber_id", "=", row?.id ?? -1)
      .executeTakeFirst();
    expect(reply?.recipient).toBe(userId);
    expect(reply?.payload).toContain("Confermo");
  });

  it("keeps a message with a NUL character (PostgreSQL's text refuses it) and answers", async () => {
    const { waId } = await newPhoneWrites("Il lampione\u0000 è rotto");
    const kept = await keptOf(CASALE, waId);
    expect(kept.map((m) => m.text)).toEqual(["Il lampione\uFFFD è rotto"]);
  });
});
