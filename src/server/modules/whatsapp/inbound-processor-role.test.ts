import { Writable } from "node:stream";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../platform/clock.js";
import { createLogger } from "../../platform/log.js";
import { startWorker } from "../../server.js";
import { until } from "../../test/dispatch-harness.js";
import { testEngines } from "../../test/engines.js";
import { startInProcessServer, type InProcessServer } from "../../test/in-process-server.js";
import {
  CASALE_NUMBER,
  CONCOREZZO_NUMBER,
  freshPhone,
  phoneSends,
  untilReceived,
} from "../../test/sandbox-phones.js";
import { seedSession } from "../../test/staff-kit.js";

/**
 * INBOUND_PROCESSOR=worker end to end: `banditore serve` stores the webhooks and answers Meta,
 * and handles none of them; `banditore worker` on the same database handles them (the
 * citizen's conversation, the statuses of the replies it sends) with the settings saved from
 * the console in force. Real HTTP through the sandbox, on SQLite (two connections on one file)
 * and on PostgreSQL when DATABASE_URL is set.
 */
describe.each(testEngines())("webhook events handled by a worker on %s", (engine) => {
  let s: InProcessServer;
  let worker: { close(): Promise<void> } | undefined;
  let workerLog = "";

  beforeAll(async () => {
    s = await startInProcessServer({
      engine,
      env: { INBOUND_PROCESSOR: "worker", DISPATCH: "off" },
    });
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    await s.close();
  });

  const db = () => s.server.database.db;
  const port = () => Number(new URL(s.baseUrl).port);
  const unhandled = async () =>
    (
      await db()
        .selectFrom("inbound_events")
        .select(({ fn }) => fn.countAll<number>().as("n"))
        .where("processed_at", "is", null)
        .executeTakeFirstOrThrow()
    ).n;

  it("serve stores a citizen's message and leaves it; the worker answers it", async () => {
    const phone = freshPhone("3935");
    await phoneSends(s.baseUrl, phone, CONCOREZZO_NUMBER.display, { text: "ATTIVA ISCRIZIONE" });
    // Stored (the sandbox had its 200), and still waiting: serve does not handle it.
    await until("the message stored", async () => ((await unhandled()) > 0 ? true : undefined));
    expect(Number(await unhandled())).toBe(1);

    // The worker, on the same database, sending to the web process's sandbox (its PORT).
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        workerLog += chunk.toString();
        done();
      },
    });
    worker = await startWorker({ ...s.env, PORT: port() }, { log: createLogger("info", sink) });
    expect(workerLog).toContain("handling their webhook events");

    const [reply] = await untilReceived(s.baseUrl, phone, 1);
    expect(reply?.text ?? JSON.stringify(reply)).toMatch(/iscri/i);
    const subscriber = await db()
      .selectFrom("subscribers")
      .select("status")
      .where("tenant_id", "=", CONCOREZZO_NUMBER.slug)
      .where("status", "=", "active")
      .execute();
    expect(subscriber.length).toBeGreaterThan(0);
  }, 60_000);

  it("the statuses of the reply, stored by serve, move its delivery forward in the worker", async () => {
    // The worker sent it (serve has DISPATCH=off); the sandbox's statuses went to serve.
    const reply = () =>
      db().selectFrom("outbound_messages").selectAll().where("kind", "=", "reply").execute();
    await until("the reply's status applied", async () => {
      const [row] = await reply();
      return row?.status === "delivered" || row?.status === "read" ? row : undefined;
    });
    await until("every stored event handled", async () =>
      Number(await unhandled()) === 0 ? true : undefined,
    );
  }, 60_000);

  it("on SQLite, the web process leaves the WAL's checkpoints to the worker", async () => {
    if (engine !== "sqlite") return;
    const { rows } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(
      db(),
    );
    expect(rows[0]?.wal_autocheckpoint).toBe(10_000);
  });

  it("a keyword saved from the console through serve is in force in the worker at once", async () => {
    const headers = await seedSession(
      db(),
      systemClock,
      "tecnico@casale.example.it",
      { [CASALE_NUMBER.slug]: ["technician"] },
      { totp: true },
    );
    const url = `${s.baseUrl}/api/tenants/${CASALE_NUMBER.slug}/settings`;
    const before = (await (await fetch(url, { headers })).json()) as {
      editable: { version: number; sections: { keywords: object } };
    };
    const saved = await fetch(url, {
      method: "PUT",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({
        note: "Nuova parola",
        baseVersion: before.editable.version,
        sections: { keywords: { ...before.editable.sections.keywords, subscribe: ["ISCRIVIMI"] } },
      }),
    });
    expect(saved.status, await saved.clone().text()).toBe(200);

    // Casale asks to confirm: the worker read the new keyword (the file's is ATTIVA).
    const phone = freshPhone("3935");
    await phoneSends(s.baseUrl, phone, CASALE_NUMBER.display, { text: "Anna Bianchi ISCRIVIMI" });
    const [reply] = await untilReceived(s.baseUrl, phone, 1);
    expect(reply?.interactive).toBeDefined();
  }, 60_000);
});
