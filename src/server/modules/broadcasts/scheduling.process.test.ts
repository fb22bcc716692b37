import { describe, expect, it } from "vitest";
import type { Database } from "../../platform/db/connect.js";
import {
  acceptedPerRecipient,
  freePort,
  HARNESS_ADMIN_TOKEN,
  loggedEvents,
  seedSubscribers,
  until,
  useProcessTestRun,
} from "../../test/dispatch-harness.js";
import { testEngines } from "../../test/engines.js";
import { deliveryRecipients } from "../../test/factories.js";
import type { SendLogEntry } from "../sandbox/send-log.js";

/**
 * A scheduled broadcast is a row, not a timer (issue #11 item 4): it starts exactly once, also
 * when the server was stopped across its time, and with two server processes on one
 * PostgreSQL database, both of which look for due broadcasts every lease round. Production's
 * topology: the sandbox in its own process standing in for Meta, the service in cloud mode. The
 * broadcasts are written, submitted and approved over the API (with the break-glass token, which
 * has no person, so four eyes does not apply) for Casale Marittimo, which states no office hours:
 * each starts at its `sendAt`.
 */

const RECIPIENTS = 40;
const AUTH = { authorization: `Bearer ${HARNESS_ADMIN_TOKEN}` };

const run = useProcessTestRun();

/** Writes, submits and approves a broadcast due at `sendAt` through the service at `port`. */
async function scheduleOver(port: number, sendAt: number): Promise<number> {
  const call = async (path: string, body: object = {}) => {
    const response = await fetch(
      `http://127.0.0.1:${port}/api/tenants/casale-marittimo/broadcasts${path}`,
      {
        method: "POST",
        headers: { ...AUTH, "content-type": "application/json" },
        body: JSON.stringify(body),
      },
    );
    expect(response.status, `${path}: ${await response.clone().text()}`).toBeLessThan(300);
    return ((await response.json()) as { broadcast: { id: number; status: string } }).broadcast;
  };
  const { id } = await call("", {
    title: "Biblioteca",
    text: "Da lunedì la biblioteca comunale apre anche il sabato mattina.",
    sendAt: new Date(sendAt).toISOString(),
  });
  await call(`/${id}/submit`);
  expect((await call(`/${id}/approve`)).status).toBe("scheduled");
  return id;
}

async function broadcastRow(db: Database, id: number) {
  return db.db
    .selectFrom("broadcasts")
    .select(["status", "started_at", "scheduled_at", "attention_reason"])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
}

async function deliveries(db: Database, id: number): Promise<number> {
  return (await deliveryRecipients(db.db, id)).length;
}

function expectEachOnce(log: readonly SendLogEntry[], to: readonly string[]): void {
  const perRecipient = acceptedPerRecipient(log);
  expect([...perRecipient.entries()].filter(([, n]) => n > 1)).toEqual([]);
  expect(new Set(perRecipient.keys())).toEqual(new Set(to));
}

async function sentBroadcast(db: Database, id: number) {
  return until(
    "the broadcast to be sent",
    async () => {
      const row = await broadcastRow(db, id);
      return row.status === "sent" ? row : undefined;
    },
    30_000,
    100,
  );
}

describe("scheduled broadcasts across restarts and processes", () => {
  it.each(testEngines())(
    "on %s, one due while the server was stopped starts once after the restart",
    async (engine) => {
      const pg = engine === "postgres" ? await run.createPostgresDatabase() : undefined;
      const harness = await run.startHarness({ env: pg ? { DATABASE_URL: pg.url } : {} });
      const database = await run.openServiceDatabase(harness.env);
      const recipients = await seedSubscribers(database, "casale-marittimo", RECIPIENTS);

      await harness.startService();
      const sendAt = Date.now() + 4_000;
      const id = await scheduleOver(harness.port, sendAt);
      // Stopped before its time, and down across it.
      await harness.stopService();
      expect(Date.now()).toBeLessThan(sendAt);
      await new Promise((r) => setTimeout(r, sendAt + 1_000 - Date.now()));
      expect(await broadcastRow(database, id)).toMatchObject({ status: "scheduled" });
      expect(await deliveries(database, id)).toBe(0);
      expect(await harness.sandbox.sendLog()).toEqual([]);

      // A new server on the same database starts it at its first round, once.
      const restartedAt = Date.now();
      await harness.startService();
      const sent = await sentBroadcast(database, id);
      expect(Number(sent.started_at)).toBeGreaterThanOrEqual(restartedAt);
      expect(Number(sent.started_at) - restartedAt).toBeLessThan(5_000);
      expect(await deliveries(database, id)).toBe(RECIPIENTS);
      // Two more rounds: nothing starts it again.
      await new Promise((r) => setTimeout(r, 4_500));
      expect(await deliveries(database, id)).toBe(RECIPIENTS);
      expectEachOnce(await harness.sandbox.sendLog(), recipients);
      expect(await harness.sandbox.sendLog()).toHaveLength(RECIPIENTS);
    },
    60_000,
  );

  it.runIf(testEngines().includes("postgres"))(
    "on PostgreSQL, with two server processes looking for due broadcasts, one starts once",
    async () => {
      const pg = await run.createPostgresDatabase();
      const harness = await run.startHarness({ env: { DATABASE_URL: pg.url } });
      const database = await run.openServiceDatabase(harness.env);
      const recipients = await seedSubscribers(database, "casale-marittimo", RECIPIENTS);
      const env = { ...harness.env, LOG_LEVEL: "info" };
      // Both sending processes (the default), started together as a deployment would; the
      // sandbox posts its webhooks to the first.
      const otherPort = await freePort();
      const servers = await Promise.all([
        run.spawn("serve", env),
        run.spawn("serve", { ...env, PORT: String(otherPort) }),
      ]);

      // Approved through the second, due a moment later: each process's 2 s round may find it.
      const sendAt = Date.now() + 3_000;
      const id = await scheduleOver(otherPort, sendAt);
      const sent = await sentBroadcast(database, id);
      expect(Number(sent.started_at)).toBeGreaterThanOrEqual(sendAt);
      expect(sent.attention_reason).toBeNull();
      await new Promise((r) => setTimeout(r, 4_500));
      expect(await deliveries(database, id)).toBe(RECIPIENTS);
      const log = await harness.sandbox.sendLog();
      expectEachOnce(log, recipients);
      expect(log).toHaveLength(RECIPIENTS);
      for (const server of servers) {
        expect(loggedEvents(server, "dispatch.scheduled_start_failed")).toEqual([]);
        expect(loggedEvents(server, "dispatch.crashed")).toEqual([]);
      }
    },
    60_000,
  );
});
