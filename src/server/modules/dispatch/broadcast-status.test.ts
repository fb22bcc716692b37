import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SERVER_DIR, statusWrites, unlistedStatusWrites } from "../../test/status-writes.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../platform/db/connect.js";
import { migrateToLatest } from "../../platform/db/migrate.js";
import { openTestDatabase, testEngines } from "../../test/engines.js";
import { buildTenant } from "../../test/factories.js";
import { seedUser } from "../../test/staff-kit.js";
import {
  updateBroadcastStatus,
  type BroadcastStatusMove,
} from "./broadcast-delivery.repository.js";
import {
  BROADCAST_MOVE_NAMES,
  BROADCAST_STATUSES,
  canMove,
  movesFrom,
  nextBroadcastStatus,
  type BroadcastMove,
  type BroadcastStatus,
} from "./broadcast-status.js";

/** The lifecycle as the README tells it; a change to the table must change this too. */
const EXPECTED: Record<BroadcastMove, { from: BroadcastStatus[]; to: BroadcastStatus }> = {
  submit: { from: ["draft"], to: "submitted" },
  approve: { from: ["submitted"], to: "approved" },
  reject: { from: ["submitted"], to: "rejected" },
  revise: { from: ["submitted", "approved", "rejected"], to: "draft" },
  schedule: { from: ["approved"], to: "scheduled" },
  start: { from: ["approved", "scheduled", "sending"], to: "sending" },
  pause: { from: ["sending"], to: "paused" },
  resume: { from: ["paused", "needs_attention"], to: "sending" },
  halt: { from: ["approved", "scheduled", "sending"], to: "needs_attention" },
  finish: { from: ["sending"], to: "sent" },
  cancel: {
    from: ["draft", "submitted", "approved", "scheduled", "sending", "paused", "needs_attention"],
    to: "cancelled",
  },
};

describe("the broadcast lifecycle table", () => {
  it("has every move, each from the states the lifecycle allows, and to where", () => {
    expect(BROADCAST_MOVE_NAMES).toEqual(Object.keys(EXPECTED));
    for (const move of BROADCAST_MOVE_NAMES) {
      for (const from of BROADCAST_STATUSES) {
        const allowed = EXPECTED[move].from.includes(from);
        expect(canMove(move, from), `${move} from ${from}`).toBe(allowed);
        expect(nextBroadcastStatus(move, from), `${move} from ${from}`).toBe(
          allowed ? EXPECTED[move].to : null,
        );
      }
    }
  });

  it("lists the moves allowed from each state, and none from one that is not a state", () => {
    for (const state of BROADCAST_STATUSES) {
      expect(movesFrom(state), state).toEqual(
        BROADCAST_MOVE_NAMES.filter((move) => EXPECTED[move].from.includes(state)),
      );
    }
    expect(movesFrom("sent")).toEqual([]);
    expect(movesFrom("cancelled")).toEqual([]);
    expect(movesFrom("whatever")).toEqual([]);
  });
});

type Row = {
  status: string;
  approved_by: number | null;
  started_at: number | null;
  finished_at: number | null;
  attention_reason: string | null;
  updated_at: number;
};

for (const engine of testEngines()) {
  describe(`updateBroadcastStatus on ${engine}`, () => {
    let database: Database;
    const before = 1_800_000_000_000;
    const now = before + 60_000;
    /** Who approved the broadcast before the move (a row in any state may carry one), and who approves now. */
    let approvedBefore: number;
    let approver: number;

    beforeAll(async () => {
      database = await openTestDatabase(engine);
      await migrateToLatest(database.db);
      await buildTenant(database.db, { id: "here", created_at: before });
      const clock = { now: () => before };
      approvedBefore = (await seedUser(database.db, clock, { email: "prima@example.it" })).id;
      approver = (await seedUser(database.db, clock, { email: "sindaco@example.it" })).id;
    });
    afterAll(async () => {
      await database.close();
    });

    /** A broadcast at `status`, with every side column set, so a change to any of them shows. */
    async function broadcast(status: BroadcastStatus, startedAt: number | null = before) {
      const inserted = await database.db
        .insertInto("broadcasts")
        .values({
          tenant_id: "here",
          title: "Chiusura del municipio",
          status,
          priority: "normal",
          content: "{}",
          created_by: null,
          approved_by: approvedBefore,
          scheduled_at: null,
          started_at: startedAt,
          finished_at: null,
          attention_reason: "earlier reason",
          created_at: before,
          updated_at: before,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      return inserted.id;
    }

    const read = (id: number): Promise<Row> =>
      database.db
        .selectFrom("broadcasts")
        .select([
          "status",
          "approved_by",
          "started_at",
          "finished_at",
          "attention_reason",
          "updated_at",
        ])
        .where("id", "=", id)
        .executeTakeFirstOrThrow()
        .then((r) => ({
          ...r,
          approved_by: r.approved_by === null ? null : Number(r.approved_by),
          started_at: r.started_at === null ? null : Number(r.started_at),
          finished_at: r.finished_at === null ? null : Number(r.finished_at),
          updated_at: Number(r.updated_at),
        }));

    /** The row after `move` from `from`, as the table says (the row as it was when refused). */
    function expectedRow(move: BroadcastMove, from: BroadcastStatus, startedAt: number | null) {
      const as: Row = {
        status: from,
        approved_by: approvedBefore,
        started_at: startedAt,
        finished_at: null,
        attention_reason: "earlier reason",
        updated_at: before,
      };
      if (!EXPECTED[move].from.includes(from)) return as;
      const to = EXPECTED[move].to;
      return {
        status: to,
        approved_by: move === "approve" ? approver : move === "revise" ? null : approvedBefore,
        started_at: move === "start" ? (startedAt ?? now) : startedAt,
        finished_at: to === "sent" || to === "cancelled" ? now : null,
        attention_reason:
          move === "halt" || move === "reject"
            ? "131042 Payment"
            : move === "resume" || move === "revise"
              ? null
              : "earlier reason",
        updated_at: now,
      };
    }

    it("moves a broadcast by every move from every state as the table says, or not at all", async () => {
      for (const move of BROADCAST_MOVE_NAMES) {
        for (const from of BROADCAST_STATUSES) {
          for (const startedAt of [before, null]) {
            const id = await broadcast(from, startedAt);
            const input: BroadcastStatusMove =
              move === "halt" || move === "reject"
                ? { broadcastId: id, move, now, reason: "131042 Payment" }
                : move === "approve"
                  ? { broadcastId: id, move, now, approvedBy: approver }
                  : move === "schedule"
                    ? { broadcastId: id, move, now, startAt: now }
                    : { broadcastId: id, move, now };
            const result = await updateBroadcastStatus(database.db, input);
            const label = `${move} from ${from}${startedAt === null ? " (never started)" : ""}`;
            const allowed = EXPECTED[move].from.includes(from);
            expect(result, label).toEqual(
              allowed ? { moved: true } : { moved: false, current: from },
            );
            expect(await read(id), label).toEqual(expectedRow(move, from, startedAt));
          }
        }
      }
    });

    it("answers that there is no such broadcast", async () => {
      expect(
        await updateBroadcastStatus(database.db, { broadcastId: 999_999, move: "pause", now }),
      ).toEqual({ moved: false, current: null });
    });
  });
}

/**
 * Fitness: the status column is written only by `updateBroadcastStatus`
 * (broadcast-delivery.repository.ts), and its first value by `insertDraft`. A write is an UPDATE or INSERT of `broadcasts` (Kysely or
 * SQL text) that names `status` before it executes. Test helpers (src/server/test, *.test.ts)
 * may insert a broadcast in the state they need.
 */
const ALLOWED: Record<string, string[]> = {
  "modules/dispatch/broadcast-delivery.repository.ts": ["updateBroadcastStatus"],
  // The first state, FIRST_BROADCAST_STATUS, when a draft is written.
  "modules/broadcasts/broadcasts.repository.ts": ["insertDraft"],
};

describe("broadcasts.status is written only through the lifecycle table", () => {
  it("recognises a write of the status, in Kysely and in SQL text", () => {
    const kysely = `async function stop(db) {
      await db.updateTable("broadcasts").set({ updated_at: 1, status: "paused" }).where("id", "=", 1).execute();
    }`;
    const text =
      "function raw() { return sql`update broadcasts set status = 'sent' where id = 1`; }";
    const inserted = `async function create(db) {
      await db.insertInto("broadcasts").values({ title: "x", status: "draft" }).execute();
    }`;
    const other = `function names(db) {
      await db.updateTable("broadcasts").set({ title: "x" }).where("status", "=", "draft").execute();
      await db.updateTable("subscribers").set({ status: "active" }).execute();
      return sql\`select 1 from broadcasts b where b.status = 'cancelled'\`;
    }`;
    expect(statusWrites(kysely, "broadcasts")).toEqual(["stop"]);
    expect(statusWrites(text, "broadcasts")).toEqual(["raw"]);
    expect(statusWrites(inserted, "broadcasts")).toEqual(["create"]);
    expect(statusWrites(other, "broadcasts")).toEqual([]);
  });

  it("finds no other write in the server's production code", () => {
    expect(unlistedStatusWrites("broadcasts", ALLOWED)).toEqual([]);
  });

  it("writes it in the repository, once", () => {
    const source = readFileSync(
      join(SERVER_DIR, "modules/dispatch/broadcast-delivery.repository.ts"),
      "utf8",
    );
    expect(statusWrites(source, "broadcasts")).toEqual(["updateBroadcastStatus"]);
  });
});
