import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../platform/db/connect.js";
import { migrateToLatest } from "../../platform/db/migrate.js";
import { openTestDatabase, testEngines } from "../../test/engines.js";
import { buildTenant } from "../../test/factories.js";
import type { TemplateInfo } from "../whatsapp/types.js";
import { replaceTemplatesOf, storedTemplatesOf } from "./templates.repository.js";

const template = (name: string, status = "APPROVED"): TemplateInfo => ({
  id: name,
  name,
  language: "it",
  category: "UTILITY",
  status,
  components: [{ type: "BODY", text: "{{1}}" }],
});

describe.each(testEngines())("the stored templates on %s", (engine) => {
  let database: Database;
  beforeEach(async () => {
    database = await openTestDatabase(engine);
    await migrateToLatest(database.db);
    for (const id of ["concorezzo", "casale-marittimo"]) {
      await buildTenant(database.db, { id, created_at: 0 });
    }
  });
  afterEach(() => database.close());

  it("keeps what the last sync listed: changed, added and removed ones", async () => {
    const db = database.db;
    await replaceTemplatesOf(db, {
      tenantId: "casale-marittimo",
      templates: [template("notizia"), template("avviso")],
      now: 1,
    });
    await replaceTemplatesOf(db, {
      tenantId: "casale-marittimo",
      templates: [
        template("notizia", "PAUSED"),
        template("evento"),
        template("evento", "REJECTED"),
      ],
      now: 2,
    });
    const stored = await storedTemplatesOf(db, "casale-marittimo");
    expect(stored.map((t) => [t.name, t.status, t.syncedAt])).toEqual([
      ["evento", "APPROVED", 2],
      ["notizia", "PAUSED", 2],
    ]);
  });

  it("lets several syncs run at once (two approvals) without refusing any of them", async () => {
    const db = database.db;
    const listed = [template("avviso_protezione_civile"), template("notizia"), template("evento")];
    const syncs = Array.from({ length: 8 }, (_, i) =>
      replaceTemplatesOf(db, { tenantId: "concorezzo", templates: listed, now: i }),
    );
    const outcomes = await Promise.allSettled(syncs);
    expect(outcomes.filter((o) => o.status === "rejected")).toEqual([]);
    expect((await storedTemplatesOf(db, "concorezzo")).map((t) => t.name)).toEqual([
      "avviso_protezione_civile",
      "evento",
      "notizia",
    ]);
  });
});
