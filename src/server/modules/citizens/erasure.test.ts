import { sql, type Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "../../config/env.js";
import { loadTenants, type Tenant } from "../../config/tenants.js";
import type { DB } from "../../platform/db/schema.js";
import { createBroadcast, until } from "../../test/dispatch-harness.js";
import { testEngines } from "../../test/engines.js";
import { startInProcessServer, type InProcessServer } from "../../test/in-process-server.js";
import { citizenKit } from "../../test/citizen-kit.js";
import {
  CASALE_NUMBER,
  CONCOREZZO_NUMBER,
  freshPhone,
  marketingPreferenceEnvelope,
  type DemoNumber,
  type PhoneMessage,
} from "../../test/sandbox-phones.js";
import { SANDBOX_SUBSCRIBER_KEY_SECRET } from "./key-secret.js";
import { messagePseudonym } from "./subscriber-key.js";

/**
 * Erasure leaves nothing of the person behind (issue #9 item 2, GDPR art. 17). A citizen of each
 * comune subscribes, writes, gets replies, Meta's stop button and a broadcast really sent through
 * the sandbox (so status webhooks are stored), then erases ("CANCELLA DATI") or unsubscribes
 * (which erases too). Afterwards EVERY column of EVERY table, as the database's own catalogue
 * lists them, is searched for the number (international, with +, national), the name, the
 * surname, and for wamids that decode to the number; and the consent ledger still proves when,
 * with which keyword and under which versions consent was given and withdrawn.
 */

const CONCOREZZO = CONCOREZZO_NUMBER;
const CASALE = CASALE_NUMBER;
type Comune = DemoNumber;

const FIRST = "Luca";
const LAST = "Neri";

const newPhone = () => freshPhone("3935");

/** Every table of the database with every row, from the catalogue (no hand-written list). */
async function everyRow(db: Kysely<DB>, engine: string): Promise<Map<string, unknown[]>> {
  const tables =
    engine === "sqlite"
      ? await sql<{ name: string }>`select name from sqlite_master
          where type = 'table' and name not like 'sqlite_%'`.execute(db)
      : await sql<{ name: string }>`select table_name as name from information_schema.tables
          where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db);
  const all = new Map<string, unknown[]>();
  for (const { name } of tables.rows) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(db);
    all.set(name, rows.rows);
  }
  return all;
}

/** Where `needles` occur in the database: "table.column (row n): …", none when clean. */
function findIn(all: Map<string, unknown[]>, needles: RegExp[], waId: string): string[] {
  const hits: string[] = [];
  for (const [table, rows] of all) {
    rows.forEach((row, n) => {
      // An inbound event not handled yet still has what Meta sent: say so in the hit.
      const unhandled =
        table === "inbound_events" && (row as { processed_at?: unknown }).processed_at === null;
      const where = (column: string) =>
        `${table}.${column} (row ${n}${unhandled ? ", unhandled" : ""})`;
      for (const [column, value] of Object.entries(row as Record<string, unknown>)) {
        if (value === null || value === undefined) continue;
        const text = typeof value === "string" ? value : JSON.stringify(value);
        for (const needle of needles) {
          if (needle.test(text)) hits.push(`${where(column)} has ${needle}: ${text}`);
        }
        // Meta's message ids encode the number: one that decodes to it is the number.
        for (const [, b64] of text.matchAll(/wamid\.([A-Za-z0-9+/=_-]+)/g)) {
          if (
            Buffer.from(b64 ?? "", "base64")
              .toString("latin1")
              .includes(waId.slice(2))
          )
            hits.push(`${where(column)} has a wamid of the number: ${text}`);
        }
      }
    });
  }
  return hits;
}

describe.each(testEngines())("erasure leaves nothing behind, on %s", (engine) => {
  let s: InProcessServer;
  let tenants: Tenant[];

  beforeAll(async () => {
    // Casale with its moderation inbox on, so erasure has kept messages to remove too.
    s = await startInProcessServer({
      engine,
      tenants: {
        "casale-marittimo": (yaml) => `${yaml}\nmoderation:\n  inbox: true\n  retentionDays: 30\n`,
      },
    });
    ({ tenants } = await loadTenants(parseEnv({ TENANTS_DIR: s.tenantsDir })));
  }, 60_000);

  afterAll(() => s.close());

  const { db, keyOf, api, send, received, ledgerOf, keptOf, ...citizens } = citizenKit(() => s);
  const tenant = (c: Comune) => tenants.find((t) => t.slug === c.slug) as Tenant;

  /** Waits for the phone's `count`-th message from the comune, and returns it. */
  async function reply(waId: string, count: number): Promise<PhoneMessage> {
    const got = await citizens.untilReceived(waId, count);
    return got[count - 1] as PhoneMessage;
  }

  /**
   * Nothing is left to happen: the sandbox has posted every webhook it scheduled (a `delivered`
   * comes up to a quarter of a second after the send, later under load), every stored event is
   * handled, and no message waits to be sent, for its outcome or for its pseudonym. Looked at in
   * the order work flows (webhook → event → reply → webhook …), the first two twice, so that
   * what one look missed the next one sees.
   */
  async function settled(): Promise<void> {
    const posting = async () =>
      ((await (await api("GET", "/webhooks")).json()) as { pending: number }).pending > 0;
    const handling = async () =>
      (await db()
        .selectFrom("inbound_events")
        .select("id")
        .where("processed_at", "is", null)
        .executeTakeFirst()) !== undefined;
    const sending = async () =>
      (await db()
        .selectFrom("outbound_messages")
        .select("id")
        .where((eb) =>
          eb.or([eb("pseudonym", "is not", null), eb("state", "in", ["queued", "in_flight"])]),
        )
        .executeTakeFirst()) !== undefined;
    const looks = [posting, handling, sending, posting, handling];
    await until(
      "every webhook posted, every event handled and every erased message pseudonymised",
      async () => {
        for (const busy of looks) if (await busy()) return undefined;
        return true;
      },
      20_000,
    );
  }

  /**
   * The phone reads the comune's `n`-th message (the last reply, sent after the erasure) and its
   * `delivered` and `read` statuses are stored and handled: under the message's pseudonym.
   */
  async function lastStatusesIn(waId: string, comune: Comune, n: number): Promise<void> {
    await api("POST", `/phones/${waId}/read`, {});
    const wamid = (await received(waId))[n - 1]?.id ?? "";
    const key = messagePseudonym(SANDBOX_SUBSCRIBER_KEY_SECRET, comune.slug, wamid);
    await until(
      "the last reply's delivered and read statuses handled",
      async () => {
        const rows = await db()
          .selectFrom("inbound_events")
          .select("processed_at")
          .where("tenant_id", "=", comune.slug)
          .where("dedup_key", "in", [`status:${key}:delivered`, `status:${key}:read`])
          .execute();
        return rows.length === 2 && rows.every((r) => r.processed_at !== null) ? true : undefined;
      },
      15_000,
    );
  }

  async function postWebhook(envelope: unknown): Promise<void> {
    expect((await citizens.postWebhook(envelope)).status).toBe(200);
  }

  /** A broadcast really sent through the sandbox, delivered and read by the phone. */
  async function broadcastTo(waId: string, comune: Comune, count: number): Promise<void> {
    const id = await createBroadcast(s.server.database, comune.slug, {
      content: { type: "text", body: "Avviso: domani il municipio resta chiuso." },
    });
    await s.server.dispatch.startBroadcast(id);
    const got = await reply(waId, count);
    expect(got.text).toContain("municipio resta chiuso");
    await until("the broadcast delivered", async () => {
      const row = await db()
        .selectFrom("outbound_messages")
        .select("status")
        .where("broadcast_id", "=", id)
        .where("recipient", "=", waId)
        .executeTakeFirst();
      return row?.status === "delivered" ? true : undefined;
    });
  }

  /** The search: where the number (any form), the name or the surname are in the database. */
  async function leftOf(waId: string): Promise<string[]> {
    const national = waId.slice(2);
    return findIn(
      await everyRow(db(), engine),
      [new RegExp(national), new RegExp(`\\b${FIRST}\\b`, "i"), new RegExp(`\\b${LAST}\\b`, "i")],
      waId,
    );
  }

  async function expectNothingLeftOf(waId: string): Promise<void> {
    const hits = await leftOf(waId);
    expect(hits).toEqual([]);
  }

  /** The proof of consent: the entries exist, with when, the keyword and the versions. */
  function expectProof(
    comune: Comune,
    ledger: Awaited<ReturnType<typeof ledgerOf>>,
    expected: { action: string; text: string | null; wamid?: string }[],
    since: number,
  ): void {
    const t = tenant(comune);
    expect(ledger.map((e) => ({ action: e.action, text: e.text_received }))).toEqual(
      expected.map((e) => ({ action: e.action, text: e.text })),
    );
    ledger.forEach((entry, i) => {
      expect(entry.regulation_version).toBe(t.documents.regulation.version);
      expect(entry.privacy_version).toBe(t.documents.privacyNotice.version);
      expect(Number(entry.created_at)).toBeGreaterThanOrEqual(since);
      expect(Number(entry.created_at)).toBeLessThanOrEqual(Date.now());
      // The message it came with, verifiable with the secret and without holding the wamid.
      const wamid = expected[i]?.wamid;
      if (wamid) {
        expect(entry.inbound_message_id).toBe(
          messagePseudonym(SANDBOX_SUBSCRIBER_KEY_SECRET, comune.slug, wamid),
        );
      }
    });
  }

  /**
   * The phone, which has had four messages from the comune, writes `text` to leave; the fifth,
   * the comune's answer, is read, and everything settles. Its wamid and the answer's text.
   */
  async function leaves(
    waId: string,
    comune: Comune,
    text: string,
  ): Promise<{ wamid: string; reply: string | undefined }> {
    const wamid = await send(waId, comune, { text });
    const answer = await reply(waId, 5);
    // The answer's statuses arrive after the erasure: stored without its wamid.
    await lastStatusesIn(waId, comune, 5);
    await settled();
    return { wamid, reply: answer.text };
  }

  /**
   * A citizen of Concorezzo who subscribed and then erased, everything settled, and the row of
   * the erasure's confirmation (the last message sent to them, now addressed to their key).
   */
  async function erasedInConcorezzo(): Promise<{
    waId: string;
    last: { id: number; wa_message_id: string | null };
  }> {
    const waId = newPhone();
    await send(waId, CONCOREZZO, { text: "ATTIVA ISCRIZIONE" });
    await reply(waId, 1);
    await send(waId, CONCOREZZO, { text: "CANCELLA DATI" });
    await reply(waId, 2);
    await settled();
    const last = await db()
      .selectFrom("outbound_messages")
      .select(["id", "wa_message_id"])
      .where("recipient", "=", `key:${keyOf(CONCOREZZO, waId)}`)
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    return { waId, last };
  }

  it("Concorezzo: ATTIVA ISCRIZIONE (a name around it), a question, AIUTO, the stop button, a broadcast, then CANCELLA DATI", async () => {
    const since = Date.now();
    const waId = newPhone();
    await api("POST", "/phones", { waId, name: `${FIRST} ${LAST}` });
    const subscribe = await send(waId, CONCOREZZO, {
      text: `Buongiorno, sono ${FIRST} ${LAST}: ATTIVA ISCRIZIONE`,
    });
    expect((await reply(waId, 1)).text).toContain("è attiva");
    await send(waId, CONCOREZZO, { text: `Sono ${FIRST} ${LAST}, il lampione è rotto` });
    expect((await reply(waId, 2)).text).toContain("canale solo informativo");
    await send(waId, CONCOREZZO, { text: "AIUTO" });
    await reply(waId, 3);
    await postWebhook(marketingPreferenceEnvelope(CONCOREZZO, waId, "stop"));
    await broadcastTo(waId, CONCOREZZO, 4);
    await api("POST", `/phones/${waId}/read`, {});
    // The search sees the person while they are subscribed (the number is needed to send).
    const before = await leftOf(waId);
    expect(before.some((hit) => hit.startsWith("subscribers.wa_id"))).toBe(true);
    expect(before.some((hit) => hit.startsWith("outbound_messages.recipient"))).toBe(true);

    const erase = await leaves(waId, CONCOREZZO, "cancella dati");
    expect(erase.reply).toContain("abbiamo cancellato i tuoi dati");

    await expectNothingLeftOf(waId);
    expectProof(
      CONCOREZZO,
      await ledgerOf(CONCOREZZO, waId),
      [
        { action: "subscribe", text: "ATTIVA ISCRIZIONE", wamid: subscribe },
        { action: "marketing_stop", text: "user_preferences: marketing_messages stop" },
        { action: "erase", text: "CANCELLA DATI", wamid: erase.wamid },
      ],
      since,
    );
    // The rows of what was sent stay for the counts and costs, without the person.
    const sent = await db()
      .selectFrom("outbound_messages")
      .select(["recipient", "state"])
      .where("recipient", "like", "key:%")
      .where("tenant_id", "=", CONCOREZZO.slug)
      .execute();
    expect(sent.filter((r) => r.state === "accepted").length).toBeGreaterThanOrEqual(5);
  });

  it.each([
    ["unsubscribes", `${FIRST}, ${LAST} - DISATTIVA`, "unsubscribe", "DISATTIVA", "Fatto"],
    ["erases", "CANCELLA DATI", "erase", "CANCELLA DATI", "abbiamo cancellato i tuoi dati"],
  ])(
    "Casale: Nome, Cognome + ATTIVA and Confermo, a message kept for moderation, a broadcast, then %s",
    async (_what, leave, action, keyword, answer) => {
      const since = Date.now();
      const waId = newPhone();
      await api("POST", "/phones", { waId, name: `${FIRST} ${LAST}` });
      await send(waId, CASALE, { text: `${FIRST}, ${LAST} + ATTIVA` });
      expect((await reply(waId, 1)).text).toContain(`Ciao ${FIRST}`);
      const confirm = await send(waId, CASALE, { tap: "Confermo" });
      expect((await reply(waId, 2)).text).toContain(`Ciao ${FIRST}, la tua iscrizione`);
      await send(waId, CASALE, { text: `Sono ${FIRST} ${LAST} di via Roma 3, chiamatemi` });
      await reply(waId, 3);
      expect(await keptOf(CASALE, waId)).toHaveLength(1);
      await broadcastTo(waId, CASALE, 4);
      await api("POST", `/phones/${waId}/read`, {});

      const left = await leaves(waId, CASALE, leave);
      expect(left.reply).toContain(answer);

      await expectNothingLeftOf(waId);
      expectProof(
        CASALE,
        await ledgerOf(CASALE, waId),
        [
          { action: "subscribe", text: "ATTIVA\n[Confermo]", wamid: confirm },
          { action, text: keyword, wamid: left.wamid },
        ],
        since,
      );
    },
  );

  it("a status webhook that comes after the erasure is stored without the wamid or the number", async () => {
    const { waId, last } = await erasedInConcorezzo();
    // Meta redelivers the confirmation's `delivered`, with the real wamid and the number.
    const wamid = (await received(waId))[1]?.id ?? "";
    await postStatus(CONCOREZZO, { wamid, status: "played", waId, rowId: last.id });
    await settled();
    expect(last.wa_message_id).toBe(
      messagePseudonym(SANDBOX_SUBSCRIBER_KEY_SECRET, CONCOREZZO.slug, wamid),
    );
    const stored = await db()
      .selectFrom("inbound_events")
      .select(["dedup_key", "payload"])
      .where("dedup_key", "=", `status:${last.wa_message_id}:played`)
      .execute();
    expect(stored).toHaveLength(1);
    await expectNothingLeftOf(waId);
  });

  it("a status of an earlier attempt of the erasure's confirmation is kept without its wamid", async () => {
    const { waId, last } = await erasedInConcorezzo();
    // A first attempt that timed out was delivered after all: its id is not the row's.
    const earlier = `wamid.${Buffer.from(`\u0015\u0002\u0000\u0011\u0018\u0012${waId}-earlier`).toString("base64")}`;
    await postStatus(CONCOREZZO, { wamid: earlier, status: "delivered", waId, rowId: last.id });
    await settled();
    const key = messagePseudonym(SANDBOX_SUBSCRIBER_KEY_SECRET, CONCOREZZO.slug, earlier);
    const stored = await db()
      .selectFrom("inbound_events")
      .select("id")
      .where("dedup_key", "=", `status:${key}:delivered`)
      .execute();
    expect(stored).toHaveLength(1);
    await expectNothingLeftOf(waId);
  });

  /** Meta posts one status of a message, as it does: with the number as recipient. */
  async function postStatus(
    comune: Comune,
    input: { wamid: string; status: string; waId: string; rowId: number },
  ): Promise<void> {
    await postWebhook({
      object: "whatsapp_business_account",
      entry: [
        {
          id: comune.wabaId,
          changes: [
            {
              field: "messages",
              value: {
                messaging_product: "whatsapp",
                metadata: {
                  display_phone_number: comune.display,
                  phone_number_id: comune.phoneNumberId,
                },
                statuses: [
                  {
                    id: input.wamid,
                    status: input.status,
                    timestamp: String(Math.floor(Date.now() / 1000)),
                    recipient_id: input.waId,
                    biz_opaque_callback_data: `om:${input.rowId}`,
                  },
                ],
              },
            },
          ],
        },
      ],
    });
  }
});
