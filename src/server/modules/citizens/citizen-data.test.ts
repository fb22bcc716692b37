import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Tenant } from "../../config/tenants.js";
import { buildTestApp, type TestApp } from "../../test/build-test-app.js";
import { testEngines } from "../../test/engines.js";
import { eraseCitizen, exportCitizenData, replyCounts } from "./citizen-data.js";
import { subscriberKey } from "./subscriber-key.js";

/** The data functions the admin API and the conversation share, on each engine. */
describe.each(testEngines())("citizen data on %s", (engine) => {
  let t: TestApp;
  let casale: Tenant;
  const SECRET = "test-subscriber-key-secret";
  const NOW = Date.UTC(2026, 10, 22, 9, 0, 0);

  beforeEach(async () => {
    t = await buildTestApp({ engine });
    casale = t.tenants.find((x) => x.slug === "casale-marittimo") as Tenant;
  });
  afterEach(() => t.close());

  async function subscriber(waId: string, extra: { blocked?: boolean } = {}) {
    const db = t.database.db;
    const key = subscriberKey(SECRET, casale.slug, waId);
    const row = await db
      .insertInto("subscribers")
      .values({
        tenant_id: casale.slug,
        subscriber_key: key,
        wa_id: waId,
        user_id: null,
        status: "active",
        first_name: "Mario",
        last_name: "Rossi",
        profile_name: "Mario R.",
        topics: JSON.stringify(["news"]),
        locale: null,
        subscribed_at: NOW - 1000,
        unsubscribed_at: null,
        blocked_at: extra.blocked ? NOW - 500 : null,
        last_inbound_at: NOW - 1000,
        created_at: NOW - 1000,
        updated_at: NOW - 1000,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await db
      .insertInto("consent_events")
      .values({
        tenant_id: casale.slug,
        subscriber_key: key,
        action: "subscribe",
        regulation_version: "1.0",
        privacy_version: "1.0",
        inbound_message_id: "wamid.A",
        text_received: "Mario, Rossi + ATTIVA",
        created_at: NOW - 1000,
      })
      .execute();
    await db
      .insertInto("moderation_messages")
      .values({
        tenant_id: casale.slug,
        subscriber_id: row.id,
        subscriber_key: key,
        inbound_message_id: "wamid.B",
        type: "text",
        text: "una segnalazione",
        media_id: null,
        received_at: NOW - 900,
        flagged_at: null,
        purge_after: NOW + 1000,
      })
      .execute();
    const sender = await db
      .selectFrom("sender_numbers")
      .select("id")
      .where("tenant_id", "=", casale.slug)
      .executeTakeFirstOrThrow();
    for (const [kind, state] of [
      ["reply", "accepted"],
      ["reply", "queued"],
    ] as const) {
      await db
        .insertInto("outbound_messages")
        .values({
          tenant_id: casale.slug,
          sender_number_id: sender.id,
          kind,
          broadcast_id: null,
          subscriber_id: row.id,
          recipient: waId,
          payload: JSON.stringify({ type: "text", body: "x" }),
          state,
          status: state === "accepted" ? "delivered" : null,
          next_attempt_at: NOW,
          wa_message_id: null,
          error_code: null,
          error_reason: null,
          accepted_at: state === "accepted" ? NOW - 800 : null,
          in_flight_since: null,
          created_at: NOW - 800,
          updated_at: NOW - 800,
        })
        .execute();
    }
    return { id: row.id, key };
  }

  it("exports everything stored about the person", async () => {
    const { id } = await subscriber("393331234567");
    const doc = await exportCitizenData(t.database.db, casale, id);
    expect(doc.iscrizione).toMatchObject({
      numero: "393331234567",
      stato: "attiva",
      nome: "Mario",
      cognome: "Rossi",
      nomeProfiloWhatsApp: "Mario R.",
      argomenti: [{ id: "news", nome: "News dal Comune" }],
      iscrittoIl: new Date(NOW - 1000).toISOString(),
    });
    expect(doc.registroDeiConsensi).toEqual([
      expect.objectContaining({
        azione: "subscribe",
        versioneRegolamento: "1.0",
        idMessaggio: "wamid.A",
      }),
    ]);
    expect(doc.messaggiConservati).toEqual([
      expect.objectContaining({ tipo: "text", testo: "una segnalazione" }),
    ]);
    expect(doc.messaggiInviati).toEqual({
      risposte: 2,
      comunicazioni: 0,
      perStato: { delivered: 1, queued: 1 },
    });
    // Plain JSON.
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it("erases in one go: data, kept messages, queued messages skipped, ledger and audit entries", async () => {
    const { id, key } = await subscriber("393331234568");
    await eraseCitizen(t.database.db, {
      tenant: casale,
      subscriberId: id,
      actor: { type: "admin-token" },
      ledgerAction: "erase",
      now: NOW,
      keySecret: SECRET,
    });
    const db = t.database.db;
    const row = await db
      .selectFrom("subscribers")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    expect(row).toMatchObject({
      status: "unsubscribed",
      unsubscribed_at: NOW,
      wa_id: null,
      first_name: null,
      last_name: null,
      profile_name: null,
      topics: "[]",
      subscriber_key: key,
    });
    expect(await db.selectFrom("moderation_messages").select("id").execute()).toHaveLength(0);
    const states = await db
      .selectFrom("outbound_messages")
      .select("state")
      .where("subscriber_id", "=", id)
      .orderBy("id")
      .execute();
    expect(states.map((s) => s.state)).toEqual(["accepted", "skipped"]);
    const ledger = await db.selectFrom("consent_events").select("action").orderBy("id").execute();
    expect(ledger.map((e) => e.action)).toEqual(["subscribe", "erase"]);
    const audit = await db
      .selectFrom("audit_log")
      .select(["action", "actor_type", "summary"])
      .execute();
    expect(audit).toEqual([
      {
        action: "subscriber.erase",
        actor_type: "admin-token",
        summary: JSON.stringify({ skippedMessages: 1, numberKeptForBlock: false }),
      },
    ]);
  });

  it("keeps the number of a blocked person, so the block stays enforceable", async () => {
    const { id } = await subscriber("393331234569", { blocked: true });
    await eraseCitizen(t.database.db, {
      tenant: casale,
      subscriberId: id,
      actor: { type: "citizen" },
      ledgerAction: "unsubscribe",
      inboundMessageId: "wamid.C",
      textReceived: "Mario, Rossi - DISATTIVA",
      now: NOW,
      keySecret: SECRET,
    });
    const row = await t.database.db
      .selectFrom("subscribers")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    expect(row).toMatchObject({ wa_id: "393331234569", first_name: null, blocked_at: NOW - 500 });
  });

  it("counts and prices accepted replies in a period", async () => {
    await subscriber("393331234570");
    const counted = await replyCounts(t.database.db, casale.slug, NOW - 1000, NOW, casale.pricing);
    expect(counted).toEqual({ count: 1, cost: casale.pricing.utility, currency: "EUR" });
    expect((await replyCounts(t.database.db, casale.slug, NOW, NOW + 1000)).count).toBe(0);
  });
});
