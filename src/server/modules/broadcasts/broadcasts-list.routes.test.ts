import { beforeEach, describe, expect, it } from "vitest";
import { fakeClock, useTestApp, type Refusal } from "../../test/build-test-app.js";
import { testEngines } from "../../test/engines.js";
import { seedUser } from "../../test/staff-kit.js";

/**
 * The list of a comune's broadcasts as the console narrows it: by status, topic, author and the
 * calendar days (Rome's) they were created on, a page at a time; and who wrote them, for the
 * author filter of an editor who may not read the comune's people.
 */

/** Monday 30 November 2026, 23:30 in Rome (22:30 UTC): late enough to test the day's edge. */
const MONDAY_LATE = Date.UTC(2026, 10, 30, 22, 30, 0);
const HOUR = 3_600_000;

interface Listed {
  broadcasts: { id: number; title: string; createdBy: number | null; authorName: string | null }[];
  next: number | null;
}

describe.each(testEngines())("the list of broadcasts on %s", (engine) => {
  const t = useTestApp(() => ({ engine, clock: fakeClock(MONDAY_LATE) }), "each");
  let anna: Record<string, string>;
  let bruno: Record<string, string>;
  let annaId: number;
  let brunoId: number;

  beforeEach(async () => {
    const { clock } = t;
    const db = t.database.db;
    const roles = { "casale-marittimo": ["editor" as const] };
    const a = await seedUser(db, clock, { email: "anna@example.it", roles });
    const b = await seedUser(db, clock, { email: "bruno@example.it", roles });
    await db
      .updateTable("users")
      .set({ display_name: "Anna Rossi" })
      .where("id", "=", a.id)
      .execute();
    await db
      .updateTable("users")
      .set({ display_name: "Bruno Neri" })
      .where("id", "=", b.id)
      .execute();
    [anna, bruno, annaId, brunoId] = [await a.session(), await b.session(), a.id, b.id];
  });

  const write = async (headers: Record<string, string>, title: string, topics: unknown = "all") => {
    const response = await t.app.inject({
      method: "POST",
      url: "/api/tenants/casale-marittimo/broadcasts",
      headers,
      payload: { title, text: `${title}: il testo.`, topics },
    });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<{ broadcast: { id: number } }>().broadcast.id;
  };
  const list = async (query: string, headers = anna) => {
    const response = await t.app.inject({
      method: "GET",
      url: `/api/tenants/casale-marittimo/broadcasts?${query}`,
      headers,
    });
    return response;
  };
  const titles = async (query: string) => {
    const response = await list(query);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<Listed>().broadcasts.map((b) => b.title);
  };

  /**
   * Created Monday 23:30, Tuesday 00:30 and Tuesday 10:30 in Rome: two local days, one UTC day.
   * Written at one instant (a session lasts less than the ten hours between), then dated.
   */
  async function seed() {
    const ids = [
      await write(anna, "Concerto", ["eventi-culturali"]),
      await write(bruno, "Strade chiuse", ["trasporti-viabilita", "eventi-culturali"]),
      await write(anna, "A tutti"),
    ];
    const at = [MONDAY_LATE, MONDAY_LATE + HOUR, MONDAY_LATE + 12 * HOUR];
    for (const [i, id] of ids.entries()) {
      await t.database.db
        .updateTable("broadcasts")
        .set({ created_at: at[i] ?? 0 })
        .where("id", "=", id)
        .execute();
    }
  }

  it("narrows by topic, by author and by the comune's calendar days, with the author's name", async () => {
    await seed();
    const all = (await list("")).json<Listed>();
    expect(all.broadcasts.map((b) => [b.title, b.authorName])).toEqual([
      ["A tutti", "Anna Rossi"],
      ["Strade chiuse", "Bruno Neri"],
      ["Concerto", "Anna Rossi"],
    ]);
    expect(all.next).toBeNull();
    // A topic finds the broadcasts to its people; one to everyone names no topic.
    expect(await titles("topic=eventi-culturali")).toEqual(["Strade chiuse", "Concerto"]);
    expect(await titles("topic=news")).toEqual([]);
    expect(await titles(`author=${annaId}`)).toEqual(["A tutti", "Concerto"]);
    expect(await titles(`author=${brunoId}&topic=eventi-culturali`)).toEqual(["Strade chiuse"]);
    // Monday 23:30 in Rome is Monday there, though Tuesday is near; both ends included.
    expect(await titles("from=2026-11-30&to=2026-11-30")).toEqual(["Concerto"]);
    expect(await titles("from=2026-12-01")).toEqual(["A tutti", "Strade chiuse"]);
    expect(await titles("to=2026-12-01&status=draft")).toEqual([
      "A tutti",
      "Strade chiuse",
      "Concerto",
    ]);
    expect(await titles("status=sent")).toEqual([]);
  });

  it("pages by id with `next`, the filters kept", async () => {
    await seed();
    const first = (await list("limit=2")).json<Listed>();
    expect(first.broadcasts.map((b) => b.title)).toEqual(["A tutti", "Strade chiuse"]);
    expect(first.next).toBe(first.broadcasts[1]?.id);
    const second = (await list(`limit=2&before=${first.next}`)).json<Listed>();
    expect(second.broadcasts.map((b) => b.title)).toEqual(["Concerto"]);
    expect(second.next).toBeNull();
    // Exactly a page's worth: no next page to ask for.
    const exact = (await list(`limit=2&author=${annaId}`)).json<Listed>();
    expect(exact.broadcasts).toHaveLength(2);
    expect(exact.next).toBeNull();
  });

  it("refuses a bad filter naming the field, in Italian or in English", async () => {
    const topic = await list("topic=sagre");
    expect(topic.statusCode).toBe(400);
    expect(topic.json<Refusal>().error.details).toEqual([
      {
        field: "querystring.topic",
        problem: expect.stringMatching(/^argomento sconosciuto: sagre \(sono: news, /) as string,
      },
    ]);
    const day = await list("from=2026-02-30");
    expect(day.statusCode).toBe(400);
    expect(day.json<Refusal>().error.details).toEqual([
      {
        field: "querystring.from",
        problem:
          "deve essere una data del calendario scritta AAAA-MM-GG (il primo giorno), es. 2026-12-03",
      },
    ]);
    const backwards = await t.app.inject({
      method: "GET",
      url: "/api/tenants/casale-marittimo/broadcasts?from=2026-12-03&to=2026-12-01",
      headers: { ...anna, "accept-language": "en" },
    });
    expect(backwards.statusCode).toBe(400);
    expect(backwards.json<Refusal>().error.details).toEqual([
      { field: "querystring.to", problem: "cannot come before the first day (from)" },
    ]);
    const author = await list("author=anna");
    expect(author.statusCode).toBe(400);
    expect(author.json<Refusal>().error.details[0]?.field).toBe("querystring.author");
  });

  it("names who wrote the comune's broadcasts, for an editor who may not list its people", async () => {
    await seed();
    const people = await t.app.inject({
      method: "GET",
      url: "/api/tenants/casale-marittimo/users",
      headers: anna,
    });
    expect(people.statusCode).toBe(403);
    const authors = await t.app.inject({
      method: "GET",
      url: "/api/tenants/casale-marittimo/broadcasts/authors",
      headers: anna,
    });
    expect(authors.statusCode, authors.body).toBe(200);
    expect(authors.json()).toEqual({
      authors: [
        { id: annaId, name: "Anna Rossi" },
        { id: brunoId, name: "Bruno Neri" },
      ],
    });
    // Another comune's authors are not these.
    const elsewhere = await t.app.inject({
      method: "GET",
      url: "/api/tenants/concorezzo/broadcasts/authors",
      headers: anna,
    });
    expect(elsewhere.statusCode).toBe(403);
  });
});
