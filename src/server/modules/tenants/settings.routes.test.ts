import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../platform/clock.js";
import { createTestPostgresDatabase, testEngines } from "../../test/engines.js";
import { startInProcessServer, type InProcessServer } from "../../test/in-process-server.js";
import { sandboxApi, untilReceived } from "../../test/sandbox-phones.js";
import { seedSession } from "../../test/staff-kit.js";

/**
 * The settings staff save from the console over the tenant file (issue #12): versioned,
 * validated by the file's schema, audited, in force at once in the running server (a keyword the
 * conversation reads, service hours the broadcasts' check reads) and again after a restart.
 * Through the HTTP API of the real server, on SQLite and on PostgreSQL when DATABASE_URL is set.
 */

const CASALE = "casale-marittimo";
const CASALE_NUMBER = "393760088777";

interface Settings {
  keywordForm: string;
  editable: {
    version: number;
    sections: Record<string, unknown>;
    fileSections: Record<string, unknown>;
    sources: Record<string, "file" | "saved">;
    versions: {
      version: number;
      note: string;
      changed: string[];
      savedBy: { type: string; name: string | null };
      restoredFrom: number | null;
    }[];
  };
}

const newPhone = () => `3934${String(randomBytes(4).readUInt32BE() % 10_000_000).padStart(7, "0")}`;

describe.each(testEngines())("the comune's settings saved from the console on %s", (engine) => {
  let s: InProcessServer;
  let env: Record<string, string> = {};
  let dropDb: (() => Promise<void>) | undefined;
  let technician: Record<string, string>;
  let viewer: Record<string, string>;
  let editor: Record<string, string>;
  let owner: Record<string, string>;

  beforeAll(async () => {
    if (engine === "postgres") {
      const created = await createTestPostgresDatabase();
      env = { DATABASE_URL: created.url };
      dropDb = created.drop;
    } else {
      // Its own directory, kept across the restart below.
      const dir = await mkdtemp(path.join(tmpdir(), "banditore-settings-"));
      env = { DATA_DIR: dir };
      dropDb = () => rm(dir, { recursive: true, force: true });
    }
    s = await startInProcessServer({ env });
    const seed = async (email: string, role: "technician" | "viewer" | "editor" | "owner") =>
      seedSession(s.server.database.db, systemClock, email, { [CASALE]: [role] }, { totp: true });
    technician = await seed("tecnico@casale.example.it", "technician");
    viewer = await seed("consultazione@casale.example.it", "viewer");
    editor = await seed("redazione@casale.example.it", "editor");
    owner = await seed("sindaco@casale.example.it", "owner");
  }, 60_000);

  afterAll(async () => {
    await s.close();
    await dropDb?.();
  });

  const call = async (
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: unknown,
    language = "it",
  ) => {
    const response = await fetch(`${s.baseUrl}/api/tenants/${CASALE}${path}`, {
      method,
      headers: {
        ...headers,
        "accept-language": language,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const settings = async () => {
    const got = await call("GET", "/settings", technician);
    expect(got.status).toBe(200);
    return got.body as unknown as Settings;
  };
  const phoneSays = async (waId: string, text: string) => {
    const response = await sandboxApi(s.baseUrl, "POST", `/phones/${waId}/messages`, {
      to: CASALE_NUMBER,
      text,
    });
    expect(response.status).toBe(202);
  };
  const replies = (waId: string, count: number) => untilReceived(s.baseUrl, waId, count);

  it("answers the file's values first, every section from the file, no version", async () => {
    const got = await settings();
    expect(got.keywordForm).toBe("name-and-keyword");
    expect(got.editable.version).toBe(0);
    expect(got.editable.versions).toEqual([]);
    expect(Object.values(got.editable.sources).every((s) => s === "file")).toBe(true);
    expect(got.editable.sections.keywords).toMatchObject({
      subscribe: ["ATTIVA"],
      unsubscribe: ["DISATTIVA"],
    });
    expect(got.editable.sections.serviceHours).toBeNull();
    expect(got.editable.sections.closedDays).toEqual({ patronDay: null });
  });

  it("reads a sentence as the citizens' grammar does, with the keywords in force or unsaved ones", async () => {
    const subscribe = await call("POST", "/settings/try-keyword", technician, {
      text: "Anna, Bianchi + ATTIVA",
    });
    expect(subscribe.status).toBe(200);
    expect(subscribe.body).toMatchObject({
      action: "subscribe",
      firstName: "Anna",
      lastName: "Bianchi",
      keyword: "ATTIVA",
      reading: "Iscrizione, nome: Anna, cognome: Bianchi",
    });
    expect(subscribe.body.reply).toContain("conferma");

    const sentence = await call("POST", "/settings/try-keyword", technician, {
      text: "la carta è attiva?",
    });
    expect(sentence.body).toMatchObject({
      action: "other",
      reading: "Nessun comando riconosciuto",
    });
    expect(sentence.body.reply).toContain("messaggio automatico");

    const english = await call("POST", "/settings/try-keyword", technician, { text: "STOP" }, "en");
    expect(english.body).toMatchObject({ action: "unsubscribe", reading: "Unsubscribing" });

    const draft = await call("POST", "/settings/try-keyword", technician, {
      text: "Anna Bianchi ISCRIVIMI",
      keywords: { subscribe: ["ISCRIVIMI"], unsubscribe: ["DISATTIVA"] },
    });
    expect(draft.body).toMatchObject({ action: "subscribe", firstName: "Anna" });

    const badDraft = await call("POST", "/settings/try-keyword", technician, {
      text: "ciao",
      keywords: { subscribe: [], unsubscribe: ["DISATTIVA"] },
    });
    expect(badDraft.status).toBe(400);
    expect(badDraft.body.error).toMatchObject({
      details: [{ field: "body.keywords.subscribe", problem: "serve almeno una parola chiave" }],
    });
  });

  it("saves a keyword and service hours as version 1, at once for the conversation and the broadcasts", async () => {
    // Before: Casale states no hours, so a draft would go at once; ISCRIVIMI means nothing.
    const draft = await call("POST", "/broadcasts", editor, {
      title: "Biblioteca",
      text: "Da lunedì la biblioteca apre anche il sabato mattina.",
    });
    expect(draft.status).toBe(201);
    const id = (draft.body.broadcast as { id: number }).id;
    const decision = async () => {
      const got = await call("GET", `/broadcasts/${id}`, editor);
      return (got.body.check as { advice: { schedule: { decision: string } } }).advice.schedule
        .decision;
    };
    expect(await decision()).toBe("now");

    const before = await settings();
    const saved = await call("PUT", "/settings", technician, {
      note: "Nuova parola e orari dell'ufficio",
      baseVersion: 0,
      sections: {
        keywords: { ...(before.editable.sections.keywords as object), subscribe: ["ISCRIVIMI"] },
        // One minute a day: whenever the test runs, it is almost surely outside.
        serviceHours: {
          timeZone: "Europe/Rome",
          weekly: Object.fromEntries(
            ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, ["03:00-03:01"]]),
          ),
          description: { it: "ogni giorno dalle 3 alle 3 e un minuto" },
        },
      },
    });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body.version).toBe(1);
    const after = (saved.body.settings as Settings).editable;
    expect(after.version).toBe(1);
    expect(after.sources).toMatchObject({
      keywords: "saved",
      serviceHours: "saved",
      texts: "file",
    });
    expect(after.versions).toEqual([
      {
        version: 1,
        savedAt: expect.any(String) as string,
        note: "Nuova parola e orari dell'ufficio",
        changed: ["keywords", "serviceHours"],
        savedBy: { type: "user", name: "tecnico@casale.example.it" },
        restoredFrom: null,
      },
    ]);

    // The broadcasts' check reads the new hours.
    await call("PATCH", `/broadcasts/${id}`, editor, { text: "Da lunedì la biblioteca apre." });
    expect(await decision()).toBe("wait");

    // The conversation reads the new keyword: Casale's confirmation step asks to confirm.
    const phone = newPhone();
    await phoneSays(phone, "Anna Bianchi ISCRIVIMI");
    const [reply] = await replies(phone, 1);
    expect(reply?.interactive).toBeDefined();

    // The public facts follow too.
    const facts = (await (await fetch(`${s.baseUrl}/api/tenants/${CASALE}`)).json()) as {
      subscribeKeywords: string[];
    };
    expect(facts.subscribeKeywords).toEqual(["ISCRIVIMI"]);
  });

  it("refuses an invalid save with the field and the problem, in Italian and English", async () => {
    const hours = {
      timeZone: "Europe/Rome",
      weekly: { mon: ["09:00-25:00"] },
      description: { it: "lunedì" },
    };
    const refused = await call("PUT", "/settings", technician, {
      note: "Orario sbagliato",
      sections: { serviceHours: hours, closedDays: { patronDay: "13-45" } },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({
      code: "VALIDATION_FAILED",
      message: "Richiesta non valida",
      details: [
        {
          field: "body.sections.serviceHours.weekly.mon.0",
          problem: "deve essere un orario come 09:00-13:00 (ore da 00 a 23, minuti da 00 a 59)",
        },
        {
          field: "body.sections.closedDays.patronDay",
          problem: "deve essere un giorno scritto MM-GG (per esempio 06-24)",
        },
      ],
    });
    const english = await call(
      "PUT",
      "/settings",
      technician,
      { note: "Wrong", sections: { serviceHours: hours } },
      "en",
    );
    expect(english.body.error).toMatchObject({
      message: "Invalid request",
      details: [
        {
          field: "body.sections.serviceHours.weekly.mon.0",
          problem: 'must be a range like "09:00-13:00"',
        },
      ],
    });
    const unknown = await call("PUT", "/settings", technician, {
      note: "x",
      sections: { keywords: { subscribe: ["ATTIVA"], unsubscribe: ["ATTIVA"], form: "phrase" } },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({
      details: [{ field: "body.sections.keywords.form", problem: "non è un campo previsto" }],
    });
    const conflict = await call("PUT", "/settings", technician, {
      note: "x",
      sections: { keywords: { subscribe: ["ATTIVA"], unsubscribe: ["ATTIVA"] } },
    });
    expect(conflict.body.error).toMatchObject({
      details: [
        {
          field: "body.sections.keywords.unsubscribe.0",
          problem:
            "«ATTIVA» è già usata per un'altra azione: ogni parola può avere un solo compito",
        },
      ],
    });
    const noNote = await call("PUT", "/settings", technician, { note: " ", sections: {} });
    expect(noNote.status).toBe(400);
    expect((noNote.body.error as { details: { field: string }[] }).details[0]?.field).toBe(
      "body.note",
    );
    // Nothing was saved.
    expect((await settings()).editable.version).toBe(1);
  });

  it("refuses a save over a newer version, and one that changes nothing", async () => {
    const stale = await call("PUT", "/settings", technician, {
      note: "Da una pagina vecchia",
      baseVersion: 0,
      sections: {
        pricing: { currency: "EUR", marketing: 1, utility: 1, authentication: 1, service: 1 },
      },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: "SETTINGS_CHANGED" });
    const same = await call("PUT", "/settings", technician, {
      note: "Niente",
      sections: { topics: (await settings()).editable.sections.topics },
    });
    expect(same.status).toBe(409);
    expect(same.body.error).toMatchObject({ code: "SETTINGS_UNCHANGED" });
  });

  it("lets only settings.write save or restore: a viewer and an editor are refused", async () => {
    for (const who of [viewer, editor]) {
      const put = await call("PUT", "/settings", who, {
        note: "x",
        sections: { closedDays: { patronDay: "06-24" } },
      });
      expect(put.status).toBe(403);
      const restore = await call("POST", "/settings/versions/1/restore", who, {});
      expect(restore.status).toBe(403);
    }
    expect((await call("GET", "/settings", editor)).status).toBe(403);
    expect((await call("GET", "/settings", viewer)).status).toBe(403);
    expect((await call("POST", "/settings/try-keyword", viewer, { text: "STOP" })).status).toBe(
      403,
    );
    // The owner holds every permission of the comune.
    expect((await call("GET", "/settings", owner)).status).toBe(200);
  });

  it("lists the versions, answers one, and restores an earlier one as a new version", async () => {
    const texts = (await settings()).editable.sections.texts as { it: Record<string, string> };
    const second = await call("PUT", "/settings", technician, {
      note: "Testo della risposta automatica",
      sections: {
        texts: {
          ...texts,
          it: { ...texts.it, autoReply: "Grazie, questo canale è solo informativo." },
        },
        closedDays: { patronDay: "06-24" },
      },
    });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(second.body.version).toBe(2);

    const one = await call("GET", "/settings/versions/1", technician);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      version: 1,
      changed: ["keywords", "serviceHours"],
      sections: { keywords: { subscribe: ["ISCRIVIMI"] } },
    });
    expect(Object.keys(one.body.sections as object).sort()).toEqual(["keywords", "serviceHours"]);
    expect((await call("GET", "/settings/versions/9", technician)).status).toBe(404);

    const restored = await call("POST", "/settings/versions/1/restore", technician, {});
    expect(restored.status, JSON.stringify(restored.body)).toBe(200);
    expect(restored.body.version).toBe(3);
    const now = (restored.body.settings as Settings).editable;
    expect(now.versions.map((v) => [v.version, v.restoredFrom, v.note])).toEqual([
      [3, 1, "Ripristinata la versione 1"],
      [2, null, "Testo della risposta automatica"],
      [1, null, "Nuova parola e orari dell'ufficio"],
    ]);
    expect(now.versions[0]?.changed).toEqual(["texts", "closedDays"]);
    expect(now.sections.closedDays).toEqual({ patronDay: null });
    expect((now.sections.texts as { it: { autoReply: string } }).it.autoReply).not.toContain(
      "solo informativo.",
    );
    expect(now.sources).toMatchObject({ texts: "file", keywords: "saved" });
  });

  it("writes each save to the audit log, with the sections and the version", async () => {
    const rows = await s.server.database.db
      .selectFrom("audit_log")
      .select(["action", "actor_type", "target_id", "summary"])
      .where("tenant_id", "=", CASALE)
      .where("action", "=", "settings.saved")
      .orderBy("id")
      .execute();
    const summaries = rows.map((r): unknown[] => [
      r.actor_type,
      r.target_id,
      JSON.parse(r.summary ?? "null") as unknown,
    ]);
    expect(summaries).toEqual([
      ["user", "1", { version: 1, sections: ["keywords", "serviceHours"] }],
      ["user", "2", { version: 2, sections: ["texts", "closedDays"] }],
      ["user", "3", { version: 3, sections: ["texts", "closedDays"], restoredFrom: 1 }],
    ]);
    const listed = await call("GET", "/audit", owner);
    expect(listed.status).toBe(200);
    expect((listed.body.entries as { action: string }[]).map((e) => e.action)).toContain(
      "settings.saved",
    );
  });

  it("shows a technician the templates and syncs them (settings.write)", async () => {
    const list = await call("GET", "/settings/templates", technician);
    expect(list.status).toBe(200);
    expect(list.body.configured).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: "text", name: "notizia_comune" })]),
    );
    const sync = await call("POST", "/settings/templates/sync", technician);
    expect(sync.status).toBe(200);
    expect(sync.body.syncedAt).toEqual(expect.any(String));
    expect((await call("POST", "/settings/templates/sync", viewer)).status).toBe(403);
  });

  it("applies the latest version again when the server restarts on the same database", async () => {
    await s.close();
    s = await startInProcessServer({ env });
    const got = await call("GET", "/settings", technician);
    expect((got.body as unknown as Settings).editable.version).toBe(3);
    const facts = (await (await fetch(`${s.baseUrl}/api/tenants/${CASALE}`)).json()) as {
      subscribeKeywords: string[];
      serviceHours: string | null;
    };
    expect(facts.subscribeKeywords).toEqual(["ISCRIVIMI"]);
    expect(facts.serviceHours).toBe("ogni giorno dalle 3 alle 3 e un minuto");
  });

  it("numbers two saves made at the same moment one after the other", async () => {
    const prices = { currency: "EUR", marketing: 0.07, utility: 0.03, authentication: 0.03 };
    const [a, b] = await Promise.all([
      call("PUT", "/settings", technician, {
        note: "Prezzi",
        sections: { pricing: { ...prices, service: 0.03 } },
      }),
      call("PUT", "/settings", owner, {
        note: "Patrono",
        sections: { closedDays: { patronDay: "06-24" } },
      }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect([a.body.version, b.body.version].sort()).toEqual([4, 5]);
    const now = (await settings()).editable;
    expect(now.version).toBe(5);
    // Each kept what the other saved: the later one was made over the earlier.
    expect(now.sources).toMatchObject({ pricing: "saved", closedDays: "saved" });
  });

  it("puts a word added to a content list in the broadcasts' check at once", async () => {
    const words = (await settings()).editable.sections.contentWords as Record<string, unknown>;
    const saved = await call("PUT", "/settings", technician, {
      note: "La sagra è pubblicità",
      sections: { contentWords: { ...words, wordLists: { commercial: { add: ["sagra"] } } } },
    });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    const draft = await call("POST", "/broadcasts", editor, {
      title: "Sagra",
      text: "Domenica in piazza la sagra del paese.",
    });
    const warnings = (draft.body.check as { warnings: { rule: string; term: string }[] }).warnings;
    expect(warnings).toContainEqual(
      expect.objectContaining({ rule: "content.commercial", term: "sagra" }),
    );
  });
});
