import { randomBytes } from "node:crypto";
import type { Updateable } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "../../config/env.js";
import type { SubscribersTable } from "../../platform/db/schema.js";
import { loadTenants, type Tenant } from "../../config/tenants.js";
import { SHIPPED_TENANTS_DIR } from "../../test/build-test-app.js";
import { createBroadcast, until } from "../../test/dispatch-harness.js";
import { testEngines } from "../../test/engines.js";
import { deliveryRecipients } from "../../test/factories.js";
import { startInProcessServer, type InProcessServer } from "../../test/in-process-server.js";
import { citizenKit } from "../../test/citizen-kit.js";
import {
  CASALE_NUMBER,
  CONCOREZZO_NUMBER,
  freshPhone,
  marketingPreferenceEnvelope,
  type DemoNumber,
} from "../../test/sandbox-phones.js";
import { inboundEnvelope } from "../sandbox/webhook-envelopes.js";
import type { WebhookEvent } from "../whatsapp/webhook-events.js";
import type { CitizenDataDocument } from "./citizen-data.js";
import { SANDBOX_SUBSCRIBER_KEY_SECRET } from "./key-secret.js";
import { withinServiceHours } from "./service-hours.js";
import { messagePseudonym, storedEventKey } from "./subscriber-key.js";

/**
 * The citizen's conversation end to end (issue #5): simulated phones write to the demo comuni
 * through the sandbox over real HTTP; the real server (sandbox mode) answers through the
 * dispatcher. Runs on SQLite, and on PostgreSQL when DATABASE_URL is set.
 */

const CONCOREZZO = CONCOREZZO_NUMBER;
const CASALE = CASALE_NUMBER;
type Comune = DemoNumber;

const newPhone = () => freshPhone("3933");

describe.each(testEngines())("the citizen's conversation on %s", (engine) => {
  let s: InProcessServer;
  let tenants: Tenant[];
  let stopAfterAll: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    s = await startInProcessServer({ engine });
    ({ tenants } = await loadTenants(parseEnv({ TENANTS_DIR: SHIPPED_TENANTS_DIR })));
  }, 60_000);

  afterAll(async () => {
    await stopAfterAll?.();
    await s.close();
  });

  const {
    db,
    keyOf: key,
    api,
    send,
    received,
    ledgerOf,
    keptOf,
    ...citizens
  } = citizenKit(() => s);
  const tenant = (c: Comune) => tenants.find((t) => t.slug === c.slug) as Tenant;
  /** Waits until the phone has received `count` messages from the comune, and returns them. */
  const replies = citizens.untilReceived;

  /** A handled message event is kept under a keyed dedup key, without the wamid. */
  const storedKeyOf = (comune: Comune, wamid: string) =>
    storedEventKey(SANDBOX_SUBSCRIBER_KEY_SECRET, comune.slug, `message:${wamid}`);
  /** What the ledger keeps of a message id (a wamid encodes the number). */
  const messageRef = (comune: Comune, wamid: string) =>
    messagePseudonym(SANDBOX_SUBSCRIBER_KEY_SECRET, comune.slug, wamid);

  /** Waits until the service has handled the citizen's message (for "nothing happened" checks). */
  async function handled(comune: Comune, wamid: string): Promise<void> {
    await until(`message ${wamid} handled`, async () => {
      const row = await db()
        .selectFrom("inbound_events")
        .select("processed_at")
        .where("tenant_id", "=", comune.slug)
        .where("dedup_key", "=", storedKeyOf(comune, wamid))
        .executeTakeFirst();
      return row?.processed_at ? true : undefined;
    });
    // The reply (if any) is queued in the same transaction: let the dispatcher drain it.
    await until("outbox drained", async () => {
      const queued = await db()
        .selectFrom("outbound_messages")
        .select("id")
        .where("kind", "=", "reply")
        .where("state", "in", ["queued", "in_flight"])
        .executeTakeFirst();
      return queued ? undefined : true;
    });
  }

  const rowOf = (comune: Comune, waId: string) =>
    db()
      .selectFrom("subscribers")
      .selectAll()
      .where("tenant_id", "=", comune.slug)
      .where("subscriber_key", "=", key(comune, waId))
      .executeTakeFirst();

  async function subscribeConcorezzo(waId: string): Promise<void> {
    const before = (await received(waId)).length;
    await send(waId, CONCOREZZO, { text: "ATTIVA ISCRIZIONE" });
    await replies(waId, before + 1);
  }

  /** A new phone that subscribed to Concorezzo. */
  async function newConcorezzoSubscriber(): Promise<string> {
    const waId = newPhone();
    await subscribeConcorezzo(waId);
    return waId;
  }

  async function subscribeCasale(waId: string, text = "Mario, Rossi + ATTIVA", name?: string) {
    const before = (await received(waId)).length;
    await send(waId, CASALE, { text }, name);
    await replies(waId, before + 1);
    await send(waId, CASALE, { tap: "Confermo" });
    await replies(waId, before + 2);
  }

  /** A new Casale subscriber writes `text`; waits until the comune sent `count` messages in all. */
  async function casaleSubscriberWrites(text: string, count = 3) {
    const waId = newPhone();
    await subscribeCasale(waId);
    await send(waId, CASALE, { text });
    return { waId, got: await replies(waId, count) };
  }

  /** A Casale citizen whose request waits for Confermo writes `text`; waits for the answer. */
  async function pendingCasaleWrites(text: string) {
    const waId = newPhone();
    await send(waId, CASALE, { text: "Luca, Neri + ATTIVA" });
    await replies(waId, 1);
    await send(waId, CASALE, { text });
    return { waId, got: await replies(waId, 2) };
  }

  /** Changes the citizen's row directly, as time passing or staff would. */
  const updateRow = (comune: Comune, waId: string, changes: Updateable<SubscribersTable>) =>
    db()
      .updateTable("subscribers")
      .set(changes)
      .where("subscriber_key", "=", key(comune, waId))
      .execute();

  /** The broadcast's message to the subscriber, if it expanded to them. */
  const deliveryTo = (broadcastId: number, subscriberId: number | undefined) =>
    db()
      .selectFrom("outbound_messages")
      .select(["state"])
      .where("broadcast_id", "=", broadcastId)
      .where("subscriber_id", "=", subscriberId ?? -1)
      .executeTakeFirst();

  /** A text from the phone to the comune as Meta would post it in a webhook. */
  const textEnvelope = (comune: Comune, waId: string, wamid: string, body: string, name = "") =>
    inboundEnvelope(
      {
        wabaId: comune.wabaId,
        displayNumber: comune.display,
        phoneNumberId: comune.phoneNumberId,
      },
      { name, waId },
      {
        from: waId,
        id: wamid,
        timestamp: String(Math.floor(Date.now() / 1000)),
        type: "text",
        text: { body },
      },
    );
  const newWamid = () => `wamid.TEST${randomBytes(12).toString("hex")}`;

  /** A webhook as Meta would post it, signed with the sandbox's app secret. */
  async function postWebhook(envelope: unknown): Promise<number> {
    return (await citizens.postWebhook(envelope)).status;
  }

  describe("subscribing (item 2)", () => {
    it.each(["ATTIVA ISCRIZIONE", "attiva iscrizione grazie", "Attiva  Iscrizione! 👍"])(
      "Concorezzo: %j subscribes, with the confirmation and a ledger entry with the policy versions",
      async (text) => {
        const waId = newPhone();
        const wamid = await send(waId, CONCOREZZO, { text }, "Giulia Verdi");
        const [reply] = await replies(waId, 1);
        expect(reply?.text).toContain("La tua iscrizione a *WhatsConcorezzo* è attiva");
        expect(reply?.text).toContain("*DISATTIVA ISCRIZIONE*");
        expect(reply?.text).toContain(`/c/concorezzo/regolamento`);
        expect(reply?.text).toContain("almeno 14 anni");
        expect(reply?.text).not.toMatch(/\{[a-zA-Z]+\}/);

        const row = await rowOf(CONCOREZZO, waId);
        expect(row).toMatchObject({ status: "active", wa_id: waId, topics: "[]" });
        // Concorezzo's notice does not list the profile name: not kept.
        expect(row?.profile_name).toBeNull();
        const ledger = await ledgerOf(CONCOREZZO, waId);
        expect(ledger).toHaveLength(1);
        expect(ledger[0]).toMatchObject({
          action: "subscribe",
          regulation_version: tenant(CONCOREZZO).documents.regulation.version,
          privacy_version: tenant(CONCOREZZO).documents.privacyNotice.version,
          inbound_message_id: messageRef(CONCOREZZO, wamid),
          // The keyword as the comune's file writes it, not the text as typed.
          text_received: "ATTIVA ISCRIZIONE",
        });
        // The ledger holds the keyed hash, never the number.
        expect(JSON.stringify(ledger)).not.toContain(waId);
      },
    );

    it("Concorezzo: someone already subscribed is told so; who left and comes back gets a new entry", async () => {
      const waId = newPhone();
      await subscribeConcorezzo(waId);
      await send(waId, CONCOREZZO, { text: "ATTIVA ISCRIZIONE" });
      const got = await replies(waId, 2);
      expect(got[1]?.text).toContain("è già attiva");
      await send(waId, CONCOREZZO, { text: "DISATTIVA ISCRIZIONE" });
      await replies(waId, 3);
      await subscribeConcorezzo(waId);
      expect((await rowOf(CONCOREZZO, waId))?.status).toBe("active");
      expect((await ledgerOf(CONCOREZZO, waId)).map((e) => e.action)).toEqual([
        "subscribe",
        "unsubscribe",
        "subscribe",
      ]);
    });

    it.each(["Mario, Rossi + ATTIVA", "mario rossi attiva", "Mario Rossi - ATTIVA"])(
      "Casale: %j asks for Confermo; only Confermo activates, with the name and profile name",
      async (text) => {
        const waId = newPhone();
        await send(waId, CASALE, { text }, "Mario R.");
        const [prompt] = await replies(waId, 1);
        expect(prompt?.interactive?.kind).toBe("buttons");
        expect(prompt?.interactive?.options.map((o) => o.title)).toEqual(["Confermo", "Annulla"]);
        expect(prompt?.text).toContain("14 anni");
        expect((await rowOf(CASALE, waId))?.status).toBe("pending");
        expect(await ledgerOf(CASALE, waId)).toHaveLength(0);

        const tap = await send(waId, CASALE, { tap: "Confermo" });
        const got = await replies(waId, 2);
        expect(got[1]?.text).toContain("Ciao Mario");
        expect(got[1]?.text).toContain("è attiva");
        expect(got[1]?.text).toContain("*Nome, Cognome + DISATTIVA*");
        const row = await rowOf(CASALE, waId);
        expect(row).toMatchObject({
          status: "active",
          first_name: "Mario",
          last_name: "Rossi",
          profile_name: "Mario R.",
        });
        const ledger = await ledgerOf(CASALE, waId);
        expect(ledger).toHaveLength(1);
        expect(ledger[0]).toMatchObject({
          action: "subscribe",
          regulation_version: "1.0",
          privacy_version: "1.0",
          inbound_message_id: messageRef(CASALE, tap),
          // The keyword and the button: no name in the ledger, which outlives erasure.
          text_received: "ATTIVA\n[Confermo]",
        });
      },
    );

    it("Casale: Annulla does not subscribe and forgets the name; the keyword without a name asks for it", async () => {
      const waId = newPhone();
      await send(waId, CASALE, { text: "Anna, Bianchi + ATTIVA" });
      await replies(waId, 1);
      await send(waId, CASALE, { tap: "Annulla" });
      const got = await replies(waId, 2);
      expect(got[1]?.text).toContain("l'iscrizione non è stata attivata");
      const row = await rowOf(CASALE, waId);
      expect(row).toMatchObject({ status: "contact", first_name: null, last_name: null });
      expect(await ledgerOf(CASALE, waId)).toHaveLength(0);

      await send(waId, CASALE, { text: "ATTIVA" });
      const more = await replies(waId, 3);
      expect(more[2]?.text).toContain("Nome, Cognome + ATTIVA");
      expect((await rowOf(CASALE, waId))?.status).toBe("contact");
    });
  });

  describe("unsubscribing and erasing (items 3, 8)", () => {
    it.each([
      [
        "Casale's form unsubscribes",
        "Mario, Rossi - DISATTIVA",
        "Fatto",
        { first_name: null, last_name: null, profile_name: null },
        "unsubscribe",
      ],
      [
        "CANCELLA DATI erases everything and unsubscribes",
        "cancella dati",
        "abbiamo cancellato i tuoi dati",
        { wa_id: null, first_name: null, profile_name: null },
        "erase",
      ],
    ])("%s", async (_, text, answer, cleared, last) => {
      const { waId, got } = await casaleSubscriberWrites(text);
      expect(got[2]?.text).toContain(answer);
      expect(await rowOf(CASALE, waId)).toMatchObject({ status: "unsubscribed", ...cleared });
      expect((await ledgerOf(CASALE, waId)).map((e) => e.action)).toEqual(["subscribe", last]);
    });

    it("someone not subscribed is told so", async () => {
      const stranger = newPhone();
      await send(stranger, CONCOREZZO, { text: "DISATTIVA ISCRIZIONE" });
      const [reply] = await replies(stranger, 1);
      expect(reply?.text).toContain("non risulta iscritto");
    });
  });

  describe("everything else (item 4)", () => {
    it("gets the auto-reply once per 24 hours, not stored with the inbox off", async () => {
      const waId = newPhone();
      const question = "Ciao, a che ora apre l'anagrafe?";
      const first = await send(waId, CONCOREZZO, { text: question });
      const [reply] = await replies(waId, 1);
      expect(reply?.text).toContain("canale solo informativo");
      expect(reply?.text).toContain("https://www.comune.concorezzo.mb.it");
      const outside = !withinServiceHours(tenant(CONCOREZZO), Date.now());
      expect(reply?.text?.includes("Il servizio è attivo")).toBe(outside);

      // Again, and an image: no second reply within 24 hours.
      const again = await send(waId, CONCOREZZO, { text: "Grazie, e domani?" });
      await handled(CONCOREZZO, again);
      expect(await received(waId)).toHaveLength(1);

      // Nothing of the content is kept: no moderation row, the stored event is redacted.
      expect(await keptOf(CONCOREZZO, waId)).toHaveLength(0);
      const events = await db()
        .selectFrom("inbound_events")
        .select("payload")
        .where("dedup_key", "in", [storedKeyOf(CONCOREZZO, first), storedKeyOf(CONCOREZZO, again)])
        .execute();
      expect(events).toHaveLength(2);
      for (const e of events) {
        expect(e.payload).not.toContain("anagrafe");
        expect(e.payload).not.toContain(waId);
      }
      expect(s.log()).not.toContain("anagrafe");
      expect(s.log()).not.toContain(waId);

      // 25 hours later (the stored window start moved back): a new auto-reply.
      await updateRow(CONCOREZZO, waId, { auto_replied_at: Date.now() - 25 * 60 * 60 * 1000 });
      await send(waId, CONCOREZZO, { text: question });
      const got = await replies(waId, 2);
      expect(got[1]?.text).toContain("canale solo informativo");
    });

    it("the flood rule mutes the auto-reply and flags the number", async () => {
      const waId = newPhone();
      const max = tenant(CASALE).flood.maxMessages;
      let last = "";
      for (let i = 0; i <= max; i++) last = await send(waId, CASALE, { text: `messaggio ${i}` });
      await handled(CASALE, last);
      const row = await rowOf(CASALE, waId);
      expect(row).toMatchObject({ flag_reason: "flood" });
      expect(row?.flagged_at).not.toBeNull();
      // One auto-reply, whatever came after.
      expect(await received(waId)).toHaveLength(1);
      // A day later the auto-reply stays muted while the flag waits for review.
      await db()
        .updateTable("subscribers")
        .set({ auto_replied_at: Date.now() - 25 * 60 * 60 * 1000, flood_window_start: 0 })
        .where("id", "=", row?.id ?? -1)
        .execute();
      const after = await send(waId, CASALE, { text: "ancora" });
      await handled(CASALE, after);
      expect(await received(waId)).toHaveLength(1);
    });
  });

  describe("blocking (item 5)", () => {
    it("a blocked number gets no reply, nothing is stored, and a pending block is applied on WhatsApp", async () => {
      const waId = await newConcorezzoSubscriber();
      // Staff blocked them while they were outside the 24-hour window: pending on WhatsApp.
      const now = Date.now();
      await updateRow(CONCOREZZO, waId, { blocked_at: now, wa_blocked_at: null });
      const wamid = await send(waId, CONCOREZZO, { text: "Ciao, a che ora apre l'anagrafe?" });
      await handled(CONCOREZZO, wamid);
      await until("block applied on WhatsApp", async () =>
        (await rowOf(CONCOREZZO, waId))?.wa_blocked_at ? true : undefined,
      );
      expect(await received(waId)).toHaveLength(1);
      // WhatsApp now refuses their messages.
      await expect(send(waId, CONCOREZZO, { text: "ATTIVA ISCRIZIONE" })).rejects.toThrow(/403/);
      // And no broadcast expands to them.
      const broadcastId = await createBroadcast(s.server.database, CONCOREZZO.slug, {
        content: { type: "text", body: "Avviso ai cittadini." },
      });
      await s.server.dispatch.startBroadcast(broadcastId).catch(() => undefined);
      const row = await rowOf(CONCOREZZO, waId);
      expect(await deliveryTo(broadcastId, row?.id)).toBeUndefined();
    });
  });

  describe("the citizen's rights (item 8)", () => {
    it("AIUTO lists the commands", async () => {
      const waId = newPhone();
      await send(waId, CASALE, { text: "aiuto" });
      const [reply] = await replies(waId, 1);
      expect(reply?.text).toContain("*ARGOMENTI*");
      expect(reply?.text).toContain("*DATI*");
      expect(reply?.text).toContain("*CANCELLA DATI*");
      expect(reply?.text).toContain("*Nome, Cognome + ATTIVA*");
    });

    it("ARGOMENTI: a phone chooses two topics by tapping two rows", async () => {
      const { waId, got } = await casaleSubscriberWrites("ARGOMENTI");
      const list = got[2];
      expect(list?.interactive?.kind).toBe("list");
      expect(list?.interactive?.options.map((o) => o.title)).toContain("News dal Comune");
      expect(list?.interactive?.options.length).toBeLessThanOrEqual(10);

      await send(waId, CASALE, { tap: "News dal Comune" });
      const one = await replies(waId, 4);
      expect(one[3]?.text).toContain("Ora ricevi: News dal Comune.");
      await send(waId, CASALE, { tap: "Protezione civile" });
      const two = await replies(waId, 5);
      expect(two[4]?.text).toContain("Ora ricevi: News dal Comune, Protezione civile.");
      expect((await rowOf(CASALE, waId))?.topics).toBe(
        JSON.stringify(["news", "protezione-civile"]),
      );
    });

    it("DATI returns a JSON document that matches the database", async () => {
      const waId = newPhone();
      await subscribeCasale(waId, "Lucia, Neri + ATTIVA", "Lucia");
      await send(waId, CASALE, { text: "DATI" });
      const got = await replies(waId, 4);
      expect(got[2]?.text).toContain("Ecco i dati");
      const doc = got[3];
      expect(doc?.type).toBe("document");
      expect(doc?.media?.filename).toBe("dati-casale-marittimo.json");
      const file = await fetch(`${s.baseUrl}${doc?.media?.url ?? ""}`);
      const data = JSON.parse(await file.text()) as CitizenDataDocument;

      const row = await rowOf(CASALE, waId);
      const ledger = await ledgerOf(CASALE, waId);
      expect(data.iscrizione).toMatchObject({
        numero: waId,
        stato: "attiva",
        nome: row?.first_name,
        cognome: row?.last_name,
        nomeProfiloWhatsApp: row?.profile_name,
        iscrittoIl: new Date(row?.subscribed_at ?? 0).toISOString(),
      });
      expect(data.iscrizione.nome).toBe("Lucia");
      expect(data.registroDeiConsensi).toEqual(
        ledger.map((e) => ({
          azione: e.action,
          versioneRegolamento: e.regulation_version,
          versioneInformativaPrivacy: e.privacy_version,
          idMessaggio: e.inbound_message_id,
          testoRicevuto: e.text_received,
          il: new Date(e.created_at).toISOString(),
        })),
      );
      // The confirmation prompt and the welcome went out before the export was made.
      expect(data.messaggiInviati.risposte).toBeGreaterThanOrEqual(2);
      const audit = await db()
        .selectFrom("audit_log")
        .select(["actor_type", "summary"])
        .where("action", "=", "subscriber.export")
        .where("target_id", "=", String(row?.id))
        .execute();
      expect(audit).toEqual([
        { actor_type: "citizen", summary: JSON.stringify({ channel: "whatsapp" }) },
      ]);
    });
  });

  describe("exactly once (item 9)", () => {
    it("a redelivered webhook, or an event handed out again, never produces a second reply", async () => {
      const waId = newPhone();
      const wamid = newWamid();
      const envelope = textEnvelope(CONCOREZZO, waId, wamid, "ATTIVA ISCRIZIONE");
      // The sandbox phone must exist to see replies.
      await api("POST", "/phones", { waId, name: "" });
      expect(await postWebhook(envelope)).toBe(200);
      await handled(CONCOREZZO, wamid);
      expect(await postWebhook(envelope)).toBe(200);
      // A crash before the processor marked the event would hand it to the handler again.
      const event: WebhookEvent = {
        kind: "message",
        dedupKey: `message:${wamid}`,
        wabaId: CONCOREZZO.wabaId,
        phoneNumberId: CONCOREZZO.phoneNumberId,
        displayPhoneNumber: CONCOREZZO.display,
        message: {
          id: wamid,
          from: waId,
          timestamp: Date.now(),
          type: "text",
          text: "ATTIVA ISCRIZIONE",
        },
      };
      await s.server.citizens.handleMessage(event, tenant(CONCOREZZO));
      await handled(CONCOREZZO, wamid);
      const replyRows = await db()
        .selectFrom("outbound_messages")
        .select("id")
        .where("recipient", "=", waId)
        .execute();
      expect(replyRows).toHaveLength(1);
      expect(await ledgerOf(CONCOREZZO, waId)).toHaveLength(1);
    });
  });

  describe("Meta's stop button (item 6)", () => {
    it("user_preferences stop excludes from marketing broadcasts, not from utility ones", async () => {
      const stopper = await newConcorezzoSubscriber();
      const other = await newConcorezzoSubscriber();
      const preference = (value: "stop" | "resume") =>
        marketingPreferenceEnvelope(CONCOREZZO, stopper, value);
      expect(await postWebhook(preference("stop"))).toBe(200);
      await until("the stop recorded", async () =>
        (await rowOf(CONCOREZZO, stopper))?.marketing_stopped_at ? true : undefined,
      );
      expect((await ledgerOf(CONCOREZZO, stopper)).map((e) => e.action)).toEqual([
        "subscribe",
        "marketing_stop",
      ]);

      const recipients = async (category: string) => {
        const id = await createBroadcast(s.server.database, CONCOREZZO.slug, {
          content: { type: "text", body: `Comunicazione ${category}` },
        });
        await db().updateTable("broadcasts").set({ category }).where("id", "=", id).execute();
        await s.server.dispatch.startBroadcast(id);
        return deliveryRecipients(db(), id);
      };
      const marketing = await recipients("marketing");
      expect(marketing).toContain(other);
      expect(marketing).not.toContain(stopper);
      const utility = await recipients("utility");
      expect(utility).toContain(other);
      expect(utility).toContain(stopper);

      const { marketingStopCounts } = await import("./citizen-data.js");
      const counts = await marketingStopCounts(db(), CONCOREZZO.slug, 0, Date.now() + 1000);
      expect(counts.currentlyStopped).toBeGreaterThanOrEqual(1);
      expect(counts.stops).toBeGreaterThanOrEqual(1);

      expect(await postWebhook(preference("resume"))).toBe(200);
      await until("the resume recorded", async () =>
        (await rowOf(CONCOREZZO, stopper))?.marketing_stopped_at === null ? true : undefined,
      );
      expect((await ledgerOf(CONCOREZZO, stopper)).map((e) => e.action)).toEqual([
        "subscribe",
        "marketing_stop",
        "marketing_resume",
      ]);
    });
  });

  describe("costs and retention (items 4, 7)", () => {
    it("replies are counted and priced at the utility rate", async () => {
      const { replyCounts } = await import("./citizen-data.js");
      const from = Date.now() - 1;
      await newConcorezzoSubscriber();
      const countedNow = () =>
        replyCounts(db(), CONCOREZZO.slug, from, Date.now() + 1, tenant(CONCOREZZO).pricing);
      await until("the reply accepted", async () => {
        const counted = await countedNow();
        return counted.count >= 1 ? counted : undefined;
      });
      const counted = await countedNow();
      expect(counted.currency).toBe("EUR");
      expect(counted.cost).toBeCloseTo(counted.count * tenant(CONCOREZZO).pricing.utility, 6);
    });

    it("the purge forgets people who never subscribed once the bookkeeping is done", async () => {
      const waId = newPhone();
      const wamid = await send(waId, CONCOREZZO, { text: "buongiorno" });
      await handled(CONCOREZZO, wamid);
      expect((await rowOf(CONCOREZZO, waId))?.status).toBe("contact");
      await s.server.citizens.purge();
      expect(await rowOf(CONCOREZZO, waId)).toBeDefined();
      await updateRow(CONCOREZZO, waId, { last_inbound_at: Date.now() - 25 * 60 * 60 * 1000 });
      const done = await s.server.citizens.purge();
      expect(done.contacts).toBeGreaterThanOrEqual(1);
      expect(await rowOf(CONCOREZZO, waId)).toBeUndefined();
      // Their auto-reply stays for the statistics, without the number.
      const kept = await db()
        .selectFrom("outbound_messages")
        .select(["recipient", "payload", "state"])
        .where("recipient", "in", [waId, `key:${key(CONCOREZZO, waId)}`])
        .execute();
      expect(kept).toEqual([
        { recipient: `key:${key(CONCOREZZO, waId)}`, payload: null, state: "accepted" },
      ]);
    });
  });
  describe("the confirmation, the welcome and the names (issue #9 item 9)", () => {
    /** A text from a phone as Meta would post it, with the profile name given; waits for it. */
    async function writeAs(comune: Comune, waId: string, text: string, profile: string) {
      await api("POST", "/phones", { waId, name: "x" });
      const wamid = newWamid();
      const envelope = textEnvelope(comune, waId, wamid, text, profile);
      expect(await postWebhook(envelope)).toBe(200);
      await handled(comune, wamid);
      return wamid;
    }

    it.each(["Confermo", "confermo.", "CONFERMÒ!", "Ok, confermo grazie", "comfermo"])(
      "Casale: typing %j instead of tapping works like the button",
      async (typed) => {
        const { waId, got } = await pendingCasaleWrites(typed);
        expect(got[1]?.text).toContain("Ciao Luca, la tua iscrizione");
        expect(got[1]?.text).toContain("è attiva");
        expect(await rowOf(CASALE, waId)).toMatchObject({ status: "active", first_name: "Luca" });
        expect((await ledgerOf(CASALE, waId)).map((e) => e.text_received)).toEqual([
          "ATTIVA\n[Confermo]",
        ]);
      },
    );

    it.each(["Annulla", "annulla!!", "No, annulla"])(
      "Casale: typing %j withdraws the request like the button",
      async (typed) => {
        const { waId, got } = await pendingCasaleWrites(typed);
        expect(got[1]?.text).toContain("l'iscrizione non è stata attivata");
        expect(await rowOf(CASALE, waId)).toMatchObject({ status: "contact", first_name: null });
        expect(await ledgerOf(CASALE, waId)).toHaveLength(0);
      },
    );

    it("Casale: a question is no confirmation, and the citizen is not stuck after it", async () => {
      const { waId, got } = await pendingCasaleWrites("Confermo?");
      expect(got[1]?.text).toContain("Grazie per il messaggio");
      expect((await rowOf(CASALE, waId))?.status).toBe("pending");
      // The auto-reply's daily cap is used up; typing Confermo now still confirms.
      await send(waId, CASALE, { text: "Confermo" });
      const more = await replies(waId, 3);
      expect(more[2]?.text).toContain("è attiva");
      expect((await rowOf(CASALE, waId))?.status).toBe("active");
    });

    it("Casale: withdrawing a pending request says nothing was activated, not that a subscription is cancelled", async () => {
      const { waId, got } = await pendingCasaleWrites("Luca, Neri - DISATTIVA");
      expect(got[1]?.text).toContain("l'iscrizione non è stata attivata");
      expect(got[1]?.text).not.toContain("è cancellata");
      expect(await rowOf(CASALE, waId)).toMatchObject({ status: "contact", first_name: null });
    });

    it("Casale: the welcome names the seven topics and how to choose them with ARGOMENTI", async () => {
      const waId = newPhone();
      await subscribeCasale(waId, "Luca, Neri + ATTIVA");
      const welcome = (await received(waId))[1]?.text ?? "";
      for (const topic of tenant(CASALE).topics) expect(welcome).toContain(`- ${topic.label.it}`);
      expect(tenant(CASALE).topics).toHaveLength(7);
      expect(welcome).toContain("*ARGOMENTI*");
      expect(welcome).not.toMatch(/\{[a-zA-Z]+\}/);
      // The English text of the file does the same.
      const { render } = await import("./texts.js");
      const english = render(tenant(CASALE), "subscribed", {
        publicBaseUrl: s.baseUrl,
        locale: "en",
        name: "Luca",
      });
      for (const topic of tenant(CASALE).topics) expect(english).toContain(`- ${topic.label.en}`);
      expect(english).toContain("*ARGOMENTI*");
    });

    it("Casale: a profile name that is the phone's number is not kept as the name", async () => {
      // The sandbox's phone without a name shows its number as profile name, as WhatsApp does.
      const waId = newPhone();
      await subscribeCasale(waId, "Luca, Neri + ATTIVA");
      expect(await rowOf(CASALE, waId)).toMatchObject({ first_name: "Luca", profile_name: null });

      const other = newPhone();
      await writeAs(
        CASALE,
        other,
        "Anna, Verdi + ATTIVA",
        `+39 ${other.slice(2, 5)} ${other.slice(5)}`,
      );
      expect(await rowOf(CASALE, other)).toMatchObject({ status: "pending", profile_name: null });
    });

    it("Casale: control characters and direction overrides never reach a stored name", async () => {
      // In the profile name: removed.
      const waId = newPhone();
      await writeAs(CASALE, waId, "Anna, Verdi + ATTIVA", "An\u202Ena\u0007 V.\u200F");
      expect(await rowOf(CASALE, waId)).toMatchObject({
        first_name: "Anna",
        last_name: "Verdi",
        profile_name: "Anna V.",
      });
      // In the name typed with the keyword: the name is refused and asked for again.
      for (const text of ["Lu\u0000ca, Neri + ATTIVA", "Luca, \u202ENeri + ATTIVA"]) {
        const phone = newPhone();
        await writeAs(CASALE, phone, text, "Luca");
        // (The sandbox phone never wrote through the sandbox, so read the queued reply itself.)
        const row = await rowOf(CASALE, phone);
        const reply = await db()
          .selectFrom("outbound_messages")
          .select("payload")
          .where("subscriber_id", "=", row?.id ?? -1)
          .executeTakeFirst();
        expect(reply?.payload).toContain("ci servono il tuo nome e cognome");
        expect(await rowOf(CASALE, phone)).toMatchObject({
          status: "contact",
          first_name: null,
          last_name: null,
        });
      }
    });
  });

  // Last: it stops the server's dispatcher (see the test).
  describe("unsubscribing while a broadcast is queued (item 3)", () => {
    it("DISATTIVA ISCRIZIONE: confirmation, data gone, ledger keeps both, a queued broadcast does not reach them", async () => {
      const leaver = await newConcorezzoSubscriber();
      const stayer = await newConcorezzoSubscriber();
      const leaverRow = await rowOf(CONCOREZZO, leaver);

      // A broadcast queued while nothing sends (the dispatcher is stopped, as between two ticks
      // or during a pause), then the dispatcher comes back.
      const { Dispatch } = await import("../dispatch/dispatch.service.js");
      await s.server.dispatch.stop();
      const broadcastId = await createBroadcast(s.server.database, CONCOREZZO.slug, {
        content: { type: "text", body: "Avviso: domani il municipio resta chiuso." },
      });
      await s.server.dispatch.startBroadcast(broadcastId);
      const queued = await deliveryTo(broadcastId, leaverRow?.id);
      expect(queued?.state).toBe("queued");

      const wamid = await send(leaver, CONCOREZZO, { text: "DISATTIVA ISCRIZIONE" });
      await until("the unsubscription handled", async () =>
        (await rowOf(CONCOREZZO, leaver))?.status === "unsubscribed" ? true : undefined,
      );
      const restarted = new Dispatch({
        db: db(),
        engine: s.server.database.engine,
        tenants,
        clients: s.server.whatsapp,
        clock: { now: () => Date.now() },
        log: (await import("../../platform/log.js")).createLogger("silent"),
      });
      await restarted.start();
      try {
        const got = await replies(leaver, 2);
        expect(got[1]?.text).toContain("la tua iscrizione a *WhatsConcorezzo* è cancellata");
        await until("the stayer got the broadcast", async () =>
          (await received(stayer)).some((m) => m.text?.includes("municipio resta chiuso"))
            ? true
            : undefined,
        );
        expect((await received(leaver)).some((m) => m.text?.includes("municipio"))).toBe(false);
        const delivery = await deliveryTo(broadcastId, leaverRow?.id);
        expect(delivery?.state).toBe("skipped");
      } finally {
        // Stopped in afterAll: the server's own dispatcher is gone, this one sends from now on.
        stopAfterAll = () => restarted.stop();
      }

      const row = await rowOf(CONCOREZZO, leaver);
      expect(row).toMatchObject({
        status: "unsubscribed",
        wa_id: null,
        user_id: null,
        first_name: null,
        last_name: null,
        profile_name: null,
        topics: "[]",
      });
      const ledger = await ledgerOf(CONCOREZZO, leaver);
      expect(ledger.map((e) => e.action)).toEqual(["subscribe", "unsubscribe"]);
      expect(ledger[1]).toMatchObject({
        inbound_message_id: messageRef(CONCOREZZO, wamid),
        text_received: "DISATTIVA ISCRIZIONE",
      });
    });
  });
});
