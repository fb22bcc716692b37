import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SANDBOX_SECRETS } from "../../config/tenants.js";
import { buildTestApp, fakeClock, type TestApp } from "../../test/build-test-app.js";
import { testEngines } from "../../test/engines.js";
import { MAX_WEBHOOK_BODY_BYTES } from "./webhook-limits.js";
import { signWebhookBody } from "./webhook-signature.js";

/**
 * The webhook against generated bodies (issue #9): Meta's documented payloads with random
 * mutations (wrong types, missing and unknown fields, nesting up to 100,000 levels, strings up to
 * past the body limit, unknown accounts, too many events), duplicate keys, bytes that are not
 * JSON or not UTF-8, empty bodies and wrong content types; half signed with the comuni's app
 * secret, half not (missing, another secret, another body's signature, malformed). Fixed seed:
 * a failure names the case's index and is reproduced by running the file again.
 *
 * Whatever arrives: never a 5xx; a refusal is the project's error shape; a badly signed request
 * stores nothing; a signed one stores each event at most once (sent again, it stores nothing).
 */

const SEED = 0x9e3779b9;
const CASES: Record<string, number> = { sqlite: 10_000, postgres: 1_000 };

/** mulberry32: small, fast, and the same sequence on every machine. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  /** Log-uniform between min and max: small sizes often, large ones sometimes. */
  const size = (min: number, max: number) =>
    Math.floor(Math.exp(Math.log(min) + next() * (Math.log(max) - Math.log(min))));
  return { next, int, pick, size, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof prng>;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const FIXTURES_DIR = new URL("../../test/fixtures/whatsapp/", import.meta.url);
const FIXTURES: Json[] = readdirSync(FIXTURES_DIR)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => JSON.parse(readFileSync(new URL(f, FIXTURES_DIR), "utf8")) as Json);

const KEYS = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "",
  "id",
  "entry",
  "changes",
  "value",
  "messages",
  "statuses",
  "metadata",
  "field",
  "added_in_v99",
  "ñ",
  "🙂",
];
const STRINGS = [
  "",
  " ",
  "messages",
  "whatsapp_business_account",
  "100000000000001",
  "200000000000001",
  "ATTIVA ISCRIZIONE",
  "null",
  "1789380000",
  "-1",
  "1e400",
  "\u0000",
  "\ud800",
  "💥".repeat(50),
  "<script>",
  "' OR 1=1 --",
];

function randomScalar(r: Rng): Json {
  switch (r.int(0, 7)) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
      return r.pick([0, -1, 1.5, 2 ** 53 + 2, -(2 ** 63), 1e308, Number.MIN_VALUE]);
    case 3:
      return r.int(-1000, 1_800_000_000);
    case 4:
      return r.pick(STRINGS);
    case 5:
      return String.fromCharCode(...Array.from({ length: r.int(0, 40) }, () => r.int(0, 0xffff)));
    case 6:
      return "x".repeat(r.size(1, 5000));
    default:
      return r.pick(KEYS);
  }
}

/** Any JSON value, a few levels deep. */
function randomJson(r: Rng, depth = 0): Json {
  if (depth > 4 || r.chance(0.5)) return randomScalar(r);
  const n = r.int(0, 5);
  if (r.chance(0.5)) return Array.from({ length: n }, () => randomJson(r, depth + 1));
  const object: { [key: string]: Json } = {};
  for (let i = 0; i < n; i++)
    object[r.chance(0.5) ? r.pick(KEYS) : `k${r.int(0, 99)}`] = randomJson(r, depth + 1);
  return object;
}

/** Text of `levels` nested arrays or objects around a value. */
function nested(r: Rng, levels: number): string {
  const [open, close] = r.chance(0.5) ? ['{"a":', "}"] : ["[", "]"];
  return `${open.repeat(levels)}${r.chance(0.5) ? "1" : '"x"'}${close.repeat(levels)}`;
}

/** Every container in the value, with a way to replace or delete its children. */
function containers(value: Json): (Json[] | { [key: string]: Json })[] {
  const found: (Json[] | { [key: string]: Json })[] = [];
  const stack: Json[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v !== null && typeof v === "object") {
      found.push(v);
      stack.push(...(Array.isArray(v) ? v : Object.values(v)));
    }
  }
  return found;
}

function setChild(parent: Json[] | { [key: string]: Json }, r: Rng, value: Json | undefined) {
  if (Array.isArray(parent)) {
    if (parent.length === 0) return;
    const index = r.int(0, parent.length - 1);
    if (value === undefined) parent.splice(index, 1);
    else parent[index] = value;
    return;
  }
  const keys = Object.keys(parent);
  if (keys.length === 0) return;
  const key = r.pick(keys);
  if (value === undefined) delete parent[key];
  else parent[key] = value;
}

/** New wamids (and other ids of the fixtures' kind), so that mutated fixtures store new rows. */
function freshIds(text: string, r: Rng): string {
  const tag = r.int(0, 2 ** 30).toString(36);
  return text.replace(
    /"wamid\.([A-Za-z0-9_=-]+)"/g,
    (_, id: string) => `"wamid.${tag}${id.slice(-6)}"`,
  );
}

interface Case {
  what: string;
  body: string | Buffer;
  contentType: string | undefined;
}

const MARK = "@@DEEP@@";

function mutatedFixture(r: Rng): Case {
  const value = structuredClone(r.pick(FIXTURES));
  let what = "fixture";
  let deep: string | undefined;
  const mutations = r.int(0, 3);
  for (let m = 0; m < mutations; m++) {
    const parent = r.pick(containers(value));
    const op = r.int(0, 7);
    what += `+${["type", "delete", "unknown", "deep", "account", "many", "replace", "odd ids"][op]}`;
    switch (op) {
      case 0:
        setChild(parent, r, randomScalar(r));
        break;
      case 1:
        setChild(parent, r, undefined);
        break;
      case 2:
        if (!Array.isArray(parent)) parent[r.pick(KEYS)] = randomJson(r);
        else parent.push(randomJson(r));
        break;
      case 3: {
        // Around the limit most of the time, up to 100,000 levels sometimes.
        const levels = r.chance(0.6) ? r.int(1, 40) : r.size(40, 100_000);
        deep = nested(r, levels);
        setChild(parent, r, MARK);
        break;
      }
      case 4:
        for (const c of containers(value)) {
          if (Array.isArray(c)) continue;
          for (const k of ["id", "phone_number_id", "wa_id", "from"]) {
            if (typeof c[k] === "string" && r.chance(0.7)) c[k] = String(r.int(1, 2 ** 31));
          }
        }
        break;
      case 5:
        for (const c of containers(value)) {
          for (const k of ["messages", "statuses"]) {
            if (!Array.isArray(c) && Array.isArray(c[k]) && c[k].length > 0) {
              const one = c[k][0] ?? null;
              c[k] = Array.from({ length: r.size(2, 1200) }, () => structuredClone(one));
            }
          }
        }
        break;
      case 6:
        setChild(parent, r, randomJson(r));
        break;
      default:
        // What a text column cannot keep as it is, where dedup keys come from.
        for (const c of containers(value)) {
          if (Array.isArray(c)) continue;
          for (const k of ["id", "status", "field"]) {
            if (typeof c[k] === "string" && r.chance(0.5)) {
              c[k] = `${c[k]}${r.pick(["\u0000", "\ud800", "\udc36", "\ud83d\ude00", "\u2028"])}`;
            }
          }
        }
    }
  }
  let text = JSON.stringify(value);
  if (deep !== undefined) text = text.replace(JSON.stringify(MARK), deep);
  // Different wamids per item, so that "many" stores many.
  if (r.chance(0.8)) {
    let n = 0;
    const tag = r.int(0, 2 ** 30).toString(36);
    text = text.replace(/"wamid\.[A-Za-z0-9_=-]+"/g, () => `"wamid.${tag}-${n++}"`);
  } else if (r.chance(0.5)) {
    text = freshIds(text, r);
  }
  return { what, body: text, contentType: "application/json" };
}

function rawMutation(r: Rng): Case {
  const base = freshIds(JSON.stringify(r.pick(FIXTURES)), r);
  const at = r.int(0, base.length);
  const cases: [string, () => string | Buffer][] = [
    ["duplicate keys", () => base.replace(/\{/g, (b) => (r.chance(0.3) ? `${b}"id":"dup",` : b))],
    ["duplicate object", () => base.replace('"object":', '"object":"other","object":')],
    ["truncated", () => base.slice(0, at)],
    ["garbage", () => Buffer.from(Array.from({ length: r.size(1, 4000) }, () => r.int(0, 255)))],
    [
      "invalid utf-8",
      () =>
        Buffer.concat([
          Buffer.from(base.slice(0, at)),
          Buffer.from([0xff, 0xc3]),
          Buffer.from(base.slice(at)),
        ]),
    ],
    ["bom", () => `\ufeff${base}`],
    ["whitespace", () => ` \n\t${base}\n `],
    ["empty", () => ""],
    [
      "not json",
      () => r.pick(["hello", "undefined", "NaN", "{'a':1}", "[1,]", '{"a":1}}', "\u0000"]),
    ],
    ["scalar", () => JSON.stringify(randomScalar(r))],
    ["random json", () => JSON.stringify(randomJson(r))],
    [
      "huge string",
      () =>
        base.replace(
          '"whatsapp_business_account"',
          `"whatsapp_business_account","pad":"${"y".repeat(r.size(10_000, MAX_WEBHOOK_BODY_BYTES + 100_000))}"`,
        ),
    ],
    ["unterminated string", () => `${base.slice(0, at)}"${"\\".repeat(r.int(0, 3))}`],
  ];
  const [what, make] = r.pick(cases);
  return { what, body: make(), contentType: "application/json" };
}

const CONTENT_TYPES = [
  undefined,
  "text/plain",
  "application/json; charset=utf-8",
  "application/json; charset=latin1",
  "APPLICATION/JSON",
  "application/jsonx",
  "application/x-www-form-urlencoded",
  "application/octet-stream",
  "multipart/form-data; boundary=x",
  "",
];

/** The edges, first in every run whatever its size: past the body limit, 100,000 levels, no body. */
function edgeCases(): Case[] {
  const json = "application/json";
  const text = JSON.stringify(FIXTURES[0]);
  const account = (waba: string, levels: number) =>
    `{"object":"whatsapp_business_account","entry":[{"id":"${waba}","time":1,"changes":` +
    `[{"field":"account_update","value":{"x":${'{"a":'.repeat(levels)}1${"}".repeat(levels)}}}]}]}`;
  return [
    {
      what: "past the body limit",
      body: `${text} ${" ".repeat(MAX_WEBHOOK_BODY_BYTES)}`,
      contentType: json,
    },
    {
      what: "100,000 nested arrays",
      body: `${"[".repeat(100_000)}${"]".repeat(100_000)}`,
      contentType: json,
    },
    { what: "deep account value", body: account("200000000000001", 100_000), contentType: json },
    {
      what: "deep value, unknown account",
      body: account("999999999999999", 100_000),
      contentType: json,
    },
    { what: "empty", body: "", contentType: json },
    { what: "text/plain", body: text, contentType: "text/plain" },
  ];
}

function generate(r: Rng): Case {
  const roll = r.next();
  if (roll < 0.6) return mutatedFixture(r);
  if (roll < 0.9) return rawMutation(r);
  const c = r.chance(0.5) ? mutatedFixture(r) : rawMutation(r);
  return {
    ...c,
    what: `${c.what} as ${String(r.pick(CONTENT_TYPES))}`,
    contentType: r.pick(CONTENT_TYPES),
  };
}

/** A header that is not the body's signature by the comuni's app secret, or none. */
function badSignature(r: Rng, body: string | Buffer): string | string[] | undefined {
  const good = signWebhookBody(body, SANDBOX_SECRETS.appSecret);
  switch (r.int(0, 6)) {
    case 0:
      return undefined;
    case 1:
      return signWebhookBody(body, "another-apps-secret");
    case 2:
      return signWebhookBody(
        Buffer.concat([Buffer.from(body), Buffer.from(" ")]),
        SANDBOX_SECRETS.appSecret,
      );
    case 3:
      return good.slice(0, -1);
    case 4:
      return good.replace("sha256=", "sha1=");
    case 5:
      return `sha256=${"z".repeat(64)}`;
    default:
      return [good.replace(/.$/, (c) => (c === "0" ? "1" : "0")), "sha256="];
  }
}

async function maxId(t: TestApp): Promise<number> {
  const row = await t.database.db
    .selectFrom("inbound_events")
    .select((eb) => eb.fn.max("id").as("id"))
    .executeTakeFirst();
  return Number(row?.id ?? 0);
}

async function storedCount(t: TestApp): Promise<number> {
  const row = await t.database.db
    .selectFrom("inbound_events")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe.each(testEngines())("the webhook under generated bodies, on %s", (engine) => {
  const count = CASES[engine] ?? 1000;

  it(`answers ${count} generated bodies without a 5xx, storing nothing unsigned and nothing twice`, async () => {
    const clock = fakeClock();
    const t = await buildTestApp({ engine, clock });
    const r = prng(SEED);
    const accepted: Case[] = [];
    const edges = edgeCases();
    let storedByResponses = 0;
    const seen = new Map<string, number>();
    try {
      for (let i = 0; i < count; i++) {
        // Time moves, so the per-sender windows turn over as they would.
        clock.advance(1_000);
        const edge = edges[Math.floor(i / 2)];
        const redelivery = !edge && accepted.length > 0 && r.chance(0.05);
        const c = edge ?? (redelivery ? r.pick(accepted) : generate(r));
        const signed = edge ? i % 2 === 0 : redelivery || r.chance(0.5);
        const signature = signed
          ? signWebhookBody(c.body, SANDBOX_SECRETS.appSecret)
          : badSignature(r, c.body);
        const label = `case ${i} (${redelivery ? "redelivery of " : ""}${c.what}, ${signed ? "signed" : "badly signed"})`;
        const before = signed ? 0 : await maxId(t);
        const res = await t.app.inject({
          method: "POST",
          url: "/webhooks/whatsapp",
          headers: {
            ...(c.contentType === undefined ? {} : { "content-type": c.contentType }),
            ...(signature === undefined ? {} : { "x-hub-signature-256": signature }),
          },
          payload: c.body,
        });
        const kind = `${res.statusCode} ${signed ? "signed" : "unsigned"}`;
        seen.set(kind, (seen.get(kind) ?? 0) + 1);
        expect(res.statusCode, label).toBeLessThan(500);
        if (res.statusCode !== 200) {
          const error = res.json<{ error?: { code?: unknown; message?: unknown } }>().error;
          expect(typeof error?.code, label).toBe("string");
          expect(typeof error?.message, label).toBe("string");
        }
        if (!signed) {
          expect(res.statusCode, label).not.toBe(200);
          expect(await maxId(t), label).toBe(before);
          continue;
        }
        if (res.statusCode !== 200) continue;
        const answer = res.json<{ received: number; stored: number; dropped?: number }>();
        expect(answer.stored, label).toBeLessThanOrEqual(answer.received);
        storedByResponses += answer.stored;
        if (redelivery) expect(answer.stored, label).toBe(0);
        else if (!answer.dropped) accepted.push(c);
      }
      // Every row stored was counted by exactly one answer: nothing stored twice, nothing
      // stored that a request did not report.
      expect(await storedCount(t)).toBe(storedByResponses);
      // The bodies reached every answer the route has, not only the signature check.
      for (const kind of ["200 signed", "400 signed", "401 unsigned", "413 signed"]) {
        expect(seen.get(kind) ?? 0, `${kind} in ${JSON.stringify([...seen])}`).toBeGreaterThan(0);
      }
      // What was stored can be handled.
      await t.inboundProcessor.drain();
      const failed = await t.database.db
        .selectFrom("inbound_events")
        .select("error")
        .where("error", "is not", null)
        .execute();
      expect(failed).toEqual([]);
    } finally {
      await t.close();
    }
  }, 180_000);
});
