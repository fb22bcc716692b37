import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SERVER_DIR, statusWrites, unlistedStatusWrites } from "../../test/status-writes.js";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import type { Database } from "../../platform/db/connect.js";
import { migrateToLatest } from "../../platform/db/migrate.js";
import { SUBSCRIBER_STATUSES, type SubscriberStatus } from "../../platform/db/schema.js";
import { openTestDatabase, testEngines } from "../../test/engines.js";
import { buildSubscriber, buildTenant } from "../../test/factories.js";
import { updateSubscriberStatus, type SubscriberChanges } from "./citizens.repository.js";
import {
  BACK,
  movesFrom,
  nextSubscriberStatus,
  SUBSCRIBER_MOVE_NAMES,
  SUBSCRIBER_MOVES,
  targetOf,
  type SubscriberMove,
} from "./subscriber-status.js";

/** The lifecycle as the README tells it; a change to the table must change this too. */
const EXPECTED: Record<SubscriberMove, Record<SubscriberStatus, string | null>> = {
  ask: { pending: "pending", active: null, unsubscribed: "pending", contact: "pending" },
  subscribe: { pending: "active", active: null, unsubscribed: "active", contact: "active" },
  confirm: { pending: "active", active: null, unsubscribed: null, contact: null },
  withdraw: { pending: BACK, active: null, unsubscribed: null, contact: null },
  expire: { pending: BACK, active: null, unsubscribed: null, contact: null },
  erase: { pending: BACK, active: "unsubscribed", unsubscribed: BACK, contact: BACK },
};

describe("the subscriber lifecycle table", () => {
  it("has every move, each from the states the lifecycle allows, and to where", () => {
    expect(SUBSCRIBER_MOVE_NAMES).toEqual(Object.keys(EXPECTED));
    for (const move of SUBSCRIBER_MOVE_NAMES) {
      for (const from of SUBSCRIBER_STATUSES) {
        expect(targetOf(move, from), `${move} from ${from}`).toBe(EXPECTED[move][from]);
      }
      expect(movesFrom(move)).toEqual(
        SUBSCRIBER_STATUSES.filter((s) => EXPECTED[move][s] !== null),
      );
    }
  });

  it("goes back to unsubscribed for someone who was subscribed once, else to contact", () => {
    for (const move of SUBSCRIBER_MOVE_NAMES) {
      for (const from of SUBSCRIBER_STATUSES) {
        for (const everSubscribed of [false, true]) {
          const target = EXPECTED[move][from];
          const expected = target === BACK ? (everSubscribed ? "unsubscribed" : "contact") : target;
          expect(nextSubscriberStatus(move, from, everSubscribed)).toBe(expected);
        }
      }
    }
  });

  it("leads only to states (no move ends in a state that is not one)", () => {
    for (const targets of Object.values(SUBSCRIBER_MOVES) as Record<string, string>[]) {
      for (const to of Object.values(targets)) {
        expect([...SUBSCRIBER_STATUSES, BACK]).toContain(to);
      }
    }
  });

  it("keeps the status out of the changes a caller may write beside it", () => {
    expectTypeOf<SubscriberChanges>().not.toHaveProperty("status");
  });
});

for (const engine of testEngines()) {
  describe(`updateSubscriberStatus on ${engine}`, () => {
    let database: Database;
    const now = 1_800_000_000_000;

    beforeAll(async () => {
      database = await openTestDatabase(engine);
      await migrateToLatest(database.db);
      for (const id of ["here", "there"]) await buildTenant(database.db, { id, created_at: now });
    });
    afterAll(async () => {
      await database.close();
    });

    let serial = 0;
    async function row(tenantId: string, status: SubscriberStatus, everSubscribed: boolean) {
      serial += 1;
      const inserted = await buildSubscriber(database.db, {
        tenant_id: tenantId,
        wa_id: `39300000${String(serial).padStart(4, "0")}`,
        status,
        subscribed_at: null,
        unsubscribed_at: everSubscribed ? now - 1000 : null,
        created_at: now,
        updated_at: now,
        pending_since: status === "pending" ? now - 2 * 86_400_000 : null,
      });
      return inserted.id;
    }

    const statusOf = async (id: number) =>
      (
        await database.db
          .selectFrom("subscribers")
          .select("status")
          .where("id", "=", id)
          .executeTakeFirstOrThrow()
      ).status;

    it("moves one person by every move from every state as the table says, or not at all", async () => {
      for (const move of SUBSCRIBER_MOVE_NAMES) {
        for (const from of SUBSCRIBER_STATUSES) {
          for (const everSubscribed of [false, true]) {
            const id = await row("here", from, everSubscribed);
            const expected = nextSubscriberStatus(move, from, everSubscribed);
            const moved = await updateSubscriberStatus(database.db, {
              move,
              id,
              tenantId: "here",
              now,
              changes: { pendingText: "x" },
            });
            const label = `${move} from ${from}${everSubscribed ? " (subscribed once)" : ""}`;
            expect(moved, label).toBe(expected === null ? 0 : 1);
            expect(await statusOf(id), label).toBe(expected ?? from);
          }
        }
      }
    });

    it("never moves a person of another comune", async () => {
      const id = await row("there", "pending", false);
      const moved = await updateSubscriberStatus(database.db, {
        move: "confirm",
        id,
        tenantId: "here",
        now,
      });
      expect(moved).toBe(0);
      expect(await statusOf(id)).toBe("pending");
    });

    it("expires every request older than the bound, and only those", async () => {
      const old = await row("there", "pending", true);
      const oldNever = await row("here", "pending", false);
      const recent = await row("here", "pending", false);
      const active = await row("here", "active", false);
      await database.db
        .updateTable("subscribers")
        .set({ pending_since: now })
        .where("id", "=", recent)
        .execute();
      await updateSubscriberStatus(database.db, {
        move: "expire",
        pendingSinceBefore: now - 86_400_000,
        now,
      });
      expect(await statusOf(old)).toBe("unsubscribed");
      expect(await statusOf(oldNever)).toBe("contact");
      expect(await statusOf(recent)).toBe("pending");
      expect(await statusOf(active)).toBe("active");
    });
  });
}

/**
 * Fitness: the status column is written only by `updateSubscriberStatus` and by the insert of a
 * new row as a contact, both in citizens.repository.ts. A write is an UPDATE or INSERT of
 * `subscribers` (Kysely or SQL text) that names `status` before it executes.
 */
const ALLOWED: Record<string, string[]> = {
  "modules/citizens/citizens.repository.ts": ["updateSubscriberStatus", "findOrCreateSubscriber"],
};

describe("subscribers.status is written only through the lifecycle table", () => {
  it("recognises a write of the status, in Kysely and in SQL text", () => {
    const kysely = `async function leave(db) {
      await db.updateTable("subscribers").set({ first_name: null, status: "contact" }).where("id", "=", 1).execute();
    }`;
    const text =
      "function raw() { return sql`update subscribers set status = 'active' where id = 1`; }";
    const other = `function names(db) {
      await db.updateTable("subscribers").set({ first_name: null }).where("status", "=", "active").execute();
      await db.updateTable("broadcasts").set({ status: "sent" }).execute();
    }`;
    expect(statusWrites(kysely, "subscribers")).toEqual(["leave"]);
    expect(statusWrites(text, "subscribers")).toEqual(["raw"]);
    expect(statusWrites(other, "subscribers")).toEqual([]);
  });

  it("finds no other write in the server's production code", () => {
    expect(unlistedStatusWrites("subscribers", ALLOWED)).toEqual([]);
  });

  it("writes it in the repository where the table says, and creates a row only as a contact", () => {
    const source = readFileSync(
      join(SERVER_DIR, "modules/citizens/citizens.repository.ts"),
      "utf8",
    );
    expect(statusWrites(source, "subscribers").sort()).toEqual([
      "findOrCreateSubscriber",
      "updateSubscriberStatus",
    ]);
    const insert = source.slice(source.indexOf('insertInto("subscribers")'));
    expect(insert.slice(0, insert.indexOf(".execute"))).toMatch(/status: FIRST_SUBSCRIBER_STATUS,/);
  });
});
