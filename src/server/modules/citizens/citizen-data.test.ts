import type { Kysely } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DB } from "../../platform/db/schema.js";
import type { Tenant } from "../../config/tenants.js";
import { parseEnv } from "../../config/env.js";
import { createLogger } from "../../platform/log.js";
import { buildTestApp, SHIPPED_TENANTS_DIR, type TestApp } from "../../test/build-test-app.js";
import { createWhatsAppClients } from "../../wiring.js";
import { testEngines } from "../../test/engines.js";
import { buildOutboundMessage, buildSubscriber } from "../../test/factories.js";
import { exportCitizenData, replyCounts } from "./citizen-data.js";
import { eraseCitizen } from "./erasure.js";
import { Citizens } from "./citizens.service.js";
import { Retention } from "./retention.js";
import { messagePseudonym, subscriberKey } from "./subscriber-key.js";

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

  /** Casale's subscriber `subscriberId` erases their data at NOW; `how` says otherwise. */
  const erase = (
    db: Kysely<DB>,
    subscriberId: number,
    how: Partial<Parameters<typeof eraseCitizen>[1]> = {},
  ) =>
    eraseCitizen(db, {
      tenant: casale,
      subscriberId,
      actor: { type: "citizen" },
      ledgerAction: "erase",
      now: NOW,
      keySecret: SECRET,
      ...how,
    });

  async function subscriber(waId: string, extra: { blocked?: boolean } = {}) {
    const db = t.database.db;
    const key = subscriberKey(SECRET, casale.slug, waId);
    const row = await buildSubscriber(db, {
      tenant_id: casale.slug,
      subscriber_key: key,
      wa_id: waId,
      status: "active",
      first_name: "Mario",
      last_name: "Rossi",
      profile_name: "Mario R.",
      topics: JSON.stringify(["news"]),
      subscribed_at: NOW - 1000,
      blocked_at: extra.blocked ? NOW - 500 : null,
      last_inbound_at: NOW - 1000,
      created_at: NOW - 1000,
      updated_at: NOW - 1000,
    });
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
      await buildOutboundMessage(db, {
        tenant_id: casale.slug,
        sender_number_id: sender.id,
        kind,
        subscriber_id: row.id,
        recipient: waId,
        payload: JSON.stringify({ type: "text", body: "x" }),
        state,
        status: state === "accepted" ? "delivered" : null,
        next_attempt_at: NOW,
        wa_message_id: state === "accepted" ? `wamid.SENT${waId}` : null,
        accepted_at: state === "accepted" ? NOW - 800 : null,
        created_at: NOW - 800,
        updated_at: NOW - 800,
      });
    }
    // The accepted reply's status webhook, stored as it came (with the number).
    const status = {
      kind: "status",
      dedupKey: `status:wamid.SENT${waId}:delivered`,
      wabaId: "200000000000002",
      phoneNumberId: "100000000000002",
      displayPhoneNumber: "393760088777",
      status: {
        messageId: `wamid.SENT${waId}`,
        status: "delivered",
        timestamp: NOW - 700,
        recipientId: waId,
        errors: [],
      },
    };
    await db
      .insertInto("inbound_events")
      .values({
        tenant_id: casale.slug,
        kind: "status",
        dedup_key: status.dedupKey,
        payload: JSON.stringify(status),
        received_at: NOW - 700,
        processed_at: NOW - 700,
        locked_until: null,
        error: null,
      })
      .execute();
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
    await erase(t.database.db, id, { actor: { type: "admin-token" } });
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
    const sent = await db
      .selectFrom("outbound_messages")
      .select(["state", "recipient", "payload", "wa_message_id"])
      .where("subscriber_id", "=", id)
      .orderBy("id")
      .execute();
    const messageKey = messagePseudonym(SECRET, casale.slug, "wamid.SENT393331234568");
    // The rows stay (counts, costs), with the pseudonyms instead of the number and the wamid.
    expect(sent).toEqual([
      { state: "accepted", recipient: `key:${key}`, payload: null, wa_message_id: messageKey },
      { state: "skipped", recipient: `key:${key}`, payload: null, wa_message_id: null },
    ]);
    const events = await db.selectFrom("inbound_events").select(["dedup_key", "payload"]).execute();
    expect(events.map((e) => e.dedup_key)).toEqual([`status:${messageKey}:delivered`]);
    expect(events[0]?.payload).not.toContain("393331234568");
    expect(events[0]?.payload).not.toContain("wamid.SENT");
    const ledger = await db
      .selectFrom("consent_events")
      .select(["action", "text_received", "inbound_message_id"])
      .orderBy("id")
      .execute();
    // The entry written with the name before is rewritten to what proof of consent needs.
    expect(ledger).toEqual([
      {
        action: "subscribe",
        text_received: "ATTIVA",
        inbound_message_id: messagePseudonym(SECRET, casale.slug, "wamid.A"),
      },
      { action: "erase", text_received: null, inbound_message_id: null },
    ]);
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
    await erase(t.database.db, id, {
      ledgerAction: "unsubscribe",
      inboundMessageId: "wamid.C",
      textReceived: "Mario, Rossi - DISATTIVA",
    });
    const row = await t.database.db
      .selectFrom("subscribers")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    expect(row).toMatchObject({ wa_id: "393331234569", first_name: null, blocked_at: NOW - 500 });
    const entry = await t.database.db
      .selectFrom("consent_events")
      .select(["text_received", "inbound_message_id"])
      .where("action", "=", "unsubscribe")
      .executeTakeFirst();
    // The keyword, not the name typed with it; the message id's pseudonym.
    expect(entry).toEqual({
      text_received: "DISATTIVA",
      inbound_message_id: messagePseudonym(SECRET, casale.slug, "wamid.C"),
    });
  });

  it("a message on the wire when the person erases keeps the number until its outcome, then the pseudonym", async () => {
    const db = t.database.db;
    const waId = "393331234571";
    const { id, key } = await subscriber(waId);
    const sender = await db.selectFrom("sender_numbers").select("id").executeTakeFirstOrThrow();
    const onTheWire = await buildOutboundMessage(db, {
      tenant_id: casale.slug,
      sender_number_id: sender.id,
      kind: "broadcast",
      subscriber_id: id,
      recipient: waId,
      payload: null,
      state: "in_flight",
      next_attempt_at: NOW,
      in_flight_since: NOW - 10,
      created_at: NOW - 10,
      updated_at: NOW - 10,
    });
    await erase(db, id);
    const row = () =>
      db
        .selectFrom("outbound_messages")
        .select(["recipient", "pseudonym", "wa_message_id"])
        .where("id", "=", onTheWire.id)
        .executeTakeFirstOrThrow();
    // The dispatcher may still need the number (a send in doubt is sent again).
    expect(await row()).toEqual({ recipient: waId, pseudonym: `key:${key}`, wa_message_id: null });

    const env = parseEnv({ TENANTS_DIR: SHIPPED_TENANTS_DIR });
    const citizens = new Citizens({
      db,
      tenants: t.tenants,
      dispatch: { enqueueReply: () => Promise.resolve(0), wakeTenant: () => undefined },
      clients: createWhatsAppClients({
        env,
        tenants: t.tenants,
        mode: "sandbox",
        ownBaseUrl: () => "http://127.0.0.1:9",
      }),
      clock: { now: () => NOW + 1000 },
      log: createLogger("silent"),
      keySecret: SECRET,
      publicBaseUrl: "http://localhost",
    });
    expect(await citizens.scrubErasedRecipients()).toBe(0);
    expect((await row()).recipient).toBe(waId);

    // The outcome: WhatsApp accepted it, and its first status is stored.
    await db
      .updateTable("outbound_messages")
      .set({ state: "accepted", wa_message_id: "wamid.LATE", accepted_at: NOW + 500 })
      .where("id", "=", onTheWire.id)
      .execute();
    await db
      .insertInto("inbound_events")
      .values({
        tenant_id: casale.slug,
        kind: "status",
        dedup_key: "status:wamid.LATE:sent",
        payload: JSON.stringify({
          kind: "status",
          dedupKey: "status:wamid.LATE:sent",
          status: { messageId: "wamid.LATE", status: "sent", recipientId: "", errors: [] },
        }),
        received_at: NOW + 600,
        // Not handled yet: the processor takes it after the scrub renamed it (below).
        processed_at: null,
        locked_until: null,
        error: null,
      })
      .execute();
    expect(await citizens.scrubErasedRecipients()).toBe(1);
    const messageKey = messagePseudonym(SECRET, casale.slug, "wamid.LATE");
    expect(await row()).toEqual({
      recipient: `key:${key}`,
      pseudonym: null,
      wa_message_id: messageKey,
    });
    const status = await db
      .selectFrom("inbound_events")
      .select("payload")
      .where("dedup_key", "=", `status:${messageKey}:sent`)
      .executeTakeFirstOrThrow();
    expect(status.payload).not.toContain("wamid.LATE");

    // The renamed status is handled only now: it names the pseudonym, and stays filed under it
    // (hashing the pseudonym again would file it under a key no message has).
    await citizens.afterStatus(
      casale,
      {
        kind: "status",
        dedupKey: `status:${messageKey}:sent`,
        phoneNumberId: "",
        displayPhoneNumber: "",
        status: {
          messageId: messageKey,
          status: "sent",
          recipientId: "",
          errors: [],
          callbackData: `om:${onTheWire.id}`,
        },
      } as unknown as Parameters<Citizens["afterStatus"]>[1],
      "ignored",
    );
    const filed = await db
      .selectFrom("inbound_events")
      .select("dedup_key")
      .where("kind", "=", "status")
      .where("dedup_key", "like", "%:sent")
      .execute();
    expect(filed).toEqual([{ dedup_key: `status:${messageKey}:sent` }]);
    await citizens.stop();
  });

  it("a scrub that read the messages just before an erasure committed looks again", async () => {
    const db = t.database.db;
    const waId = "393331234572";
    const { id, key } = await subscriber(waId);
    const sender = await db.selectFrom("sender_numbers").select("id").executeTakeFirstOrThrow();
    // The scrub's read of the rows waiting for a pseudonym is held until the erasure commits.
    let readDone = (): void => undefined;
    const read = new Promise<void>((r) => (readDone = r));
    let release = (): void => undefined;
    const released = new Promise<void>((r) => (release = r));
    const gated = holdFirstRead(db, () => {
      readDone();
      return released;
    });
    const retention = new Retention({
      db: gated,
      clock: { now: () => NOW + 1000 },
      log: createLogger("silent"),
      keySecret: SECRET,
    });
    // An earlier erasure of this process is still awaited: a status prompts a scrub.
    retention.expectOutcomes();
    const status = {
      kind: "status",
      dedupKey: "status:wamid.OTHER:read",
      phoneNumberId: "",
      displayPhoneNumber: "",
      status: { messageId: "wamid.OTHER", status: "read", recipientId: "", errors: [] },
    } as unknown as Parameters<Retention["afterStatus"]>[1];
    await retention.afterStatus(casale, status, "advanced");
    await read;

    // Meanwhile the person erases, with their confirmation on the wire.
    const onTheWire = await db
      .insertInto("outbound_messages")
      .values({
        tenant_id: casale.slug,
        sender_number_id: sender.id,
        kind: "reply",
        broadcast_id: null,
        subscriber_id: id,
        recipient: waId,
        payload: null,
        state: "in_flight",
        status: null,
        next_attempt_at: NOW,
        wa_message_id: null,
        error_code: null,
        error_reason: null,
        accepted_at: null,
        in_flight_since: NOW,
        created_at: NOW,
        updated_at: NOW,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await erase(db, id);
    retention.expectOutcomes();
    release();

    // The confirmation is accepted; no status prompts a scrub, yet its row gets the pseudonym.
    await db
      .updateTable("outbound_messages")
      .set({ state: "accepted", wa_message_id: "wamid.CONFIRM", accepted_at: NOW + 500 })
      .where("id", "=", onTheWire.id)
      .execute();
    const recipient = async () =>
      (
        await db
          .selectFrom("outbound_messages")
          .select("recipient")
          .where("id", "=", onTheWire.id)
          .executeTakeFirstOrThrow()
      ).recipient;
    const deadline = Date.now() + 5000;
    while ((await recipient()) === waId && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await recipient()).toBe(`key:${key}`);
    await retention.stop();
  });

  it("counts and prices accepted replies in a period", async () => {
    await subscriber("393331234570");
    const counted = await replyCounts(t.database.db, casale.slug, NOW - 1000, NOW, casale.pricing);
    expect(counted).toEqual({ count: 1, cost: casale.pricing.utility, currency: "EUR" });
    expect((await replyCounts(t.database.db, casale.slug, NOW, NOW + 1000)).count).toBe(0);
  });
});

/**
 * `db` whose first read through `selectFrom` waits, once its rows are read, for `hold()`: the
 * reader's work after the read then runs after whatever the test does meanwhile.
 */
function holdFirstRead(db: Kysely<DB>, hold: () => Promise<void>): Kysely<DB> {
  let held = false;
  const wrap = (builder: object): object =>
    new Proxy(builder, {
      get(target, name, receiver) {
        const value: unknown = Reflect.get(target, name, receiver);
        if (typeof value !== "function") return value;
        if (name === "execute") {
          return async (...args: unknown[]) => {
            const rows: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(
              target,
              args,
            );
            if (!held) {
              held = true;
              await hold();
            }
            return rows;
          };
        }
        return (...args: unknown[]) => {
          const next: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
          return next && typeof next === "object" && "execute" in next ? wrap(next) : next;
        };
      },
    });
  return new Proxy(db, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (name === "selectFrom") {
        return (...args: unknown[]) =>
          wrap((value as (...a: unknown[]) => object).apply(target, args));
      }
      return typeof value === "function" ? (value as () => unknown).bind(target) : value;
    },
  });
}
