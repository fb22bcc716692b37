import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { localBaseUrl } from "./app.js";
import { ACCOUNT_SCHEMAS } from "./modules/whatsapp/webhook-account.js";
import type { WebhookEvent } from "./modules/whatsapp/webhook-events.js";
import { buildTestApp, type TestApp } from "./test/build-test-app.js";
import { testEngines } from "./test/engines.js";
import { ACCOUNT_FIELD_OWNERS } from "./wiring.js";

/**
 * The house rules of start-up: services are built in wiring.ts only, production code never
 * reaches into test helpers (they are not in dist/), and the wired handler map sends each
 * account field to its owner.
 */

const SRC = fileURLToPath(new URL("../", import.meta.url)).replace(/\/$/, "");
const WIRING = path.join(SRC, "server", "wiring.ts");
const TEST_HELPERS = path.join(SRC, "server", "test") + path.sep;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

/** What ships: every .ts under src/ but the tests and the test helpers. */
const production = sourceFiles(SRC).filter(
  (file) => !file.endsWith(".test.ts") && !file.startsWith(TEST_HELPERS),
);

/** The services: every class a module's *.service.ts exports, and the Cloud API client. */
function serviceClasses(): string[] {
  const names = production
    .filter((file) => file.endsWith(".service.ts"))
    .flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/^export class (\w+)/gm)].map((m) => m[1] ?? ""),
    );
  return [...names, "CloudApiClient"];
}

describe("start-up's house rules", () => {
  it("builds every service in wiring.ts and nowhere else", () => {
    const classes = serviceClasses();
    // The test would pass on an empty list: the services of today must be found.
    expect(classes).toEqual(
      expect.arrayContaining([
        "Dispatch",
        "Citizens",
        "CitizensAdmin",
        "Sessions",
        "TwoFactor",
        "ApiKeys",
        "Accounts",
        "InboundEventWriter",
        "InboundEventProcessor",
        "CloudApiClient",
      ]),
    );
    const construction = new RegExp(`\\bnew (${classes.join("|")})\\(`, "g");
    const found = production.flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(construction)].map(
        (m) => `${path.relative(SRC, file)}: new ${m[1]}(`,
      ),
    );
    expect(found.filter((where) => !where.startsWith("server/wiring.ts:"))).toEqual([]);
    expect(found.length).toBeGreaterThanOrEqual(10);
    expect(production).toContain(WIRING);
  });

  it("never imports test helpers into code that ships", () => {
    const importsTestCode = /from\s+"([^"]*(?:\/test\/|\.test\.js)[^"]*)"/g;
    const found = production.flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(importsTestCode)].map(
        (m) => `${path.relative(SRC, file)} imports ${m[1]}`,
      ),
    );
    expect(found).toEqual([]);
    // Test-only helpers live where the build leaves them out.
    const build = JSON.parse(readFileSync(path.join(SRC, "..", "tsconfig.build.json"), "utf8")) as {
      exclude: string[];
    };
    expect(build.exclude).toEqual(expect.arrayContaining(["src/**/*.test.ts", "src/server/test"]));
    expect(production.filter((file) => /kit|fake|fixture/i.test(path.basename(file)))).toEqual([]);
  });

  it("names only account fields the webhook parser knows", () => {
    for (const field of Object.keys(ACCOUNT_FIELD_OWNERS)) {
      expect(ACCOUNT_SCHEMAS.has(field), field).toBe(true);
    }
  });
});

describe.each(testEngines())("the wired inbound handlers on %s", (engine) => {
  let t: TestApp;
  beforeEach(async () => {
    // DISPATCH=off: replies are queued (Dispatch knows the numbers once started), never sent.
    t = await buildTestApp({ engine, wiredHandlers: true, env: { DISPATCH: "off" } });
  });
  afterEach(async () => {
    await t.close();
  });

  const CONCOREZZO = { wabaId: "200000000000001", phoneNumberId: "100000000000001" };
  const MARIO = "393331234567";
  const account = (field: string, value: Record<string, unknown>): WebhookEvent => ({
    kind: "account",
    dedupKey: `account:${field}`,
    wabaId: CONCOREZZO.wabaId,
    phoneNumberId: CONCOREZZO.phoneNumberId,
    field,
    value,
  });
  const handle = async (event: WebhookEvent) => {
    const tenant = t.tenants.find((x) => x.slug === "concorezzo");
    if (!tenant) throw new Error("no concorezzo");
    await t.services.inboundWriter.store([{ tenant, event }], 1);
    await t.inboundProcessor.drain();
  };
  const stored = () =>
    t.database.db
      .selectFrom("inbound_events")
      .select(["dedup_key", "payload", "processed_at"])
      .orderBy("id")
      .execute();
  /** The tier Meta last reported for Concorezzo's number (null: the configured one holds). */
  const reportedTier = async () =>
    (
      await t.database.db
        .selectFrom("sender_numbers")
        .select("messaging_limit_tier")
        .where("tenant_id", "=", "concorezzo")
        .executeTakeFirstOrThrow()
    ).messaging_limit_tier;

  it("gives the tier fields to dispatch", async () => {
    await handle(
      account("phone_number_quality_update", { event: "UPGRADE", current_limit: "TIER_10K" }),
    );
    expect(await reportedTier()).toBe("TIER_10K");
    await handle(account("business_capability_update", { max_daily_conversation_per_phone: 2000 }));
    expect(await reportedTier()).toBe("TIER_2K");
    expect((await stored()).every((row) => row.processed_at !== null)).toBe(true);
  });

  it("gives Meta's stop button to citizens, which keeps the event without the number", async () => {
    await handle(
      account("user_preferences", {
        user_preferences: [
          { wa_id: MARIO, category: "marketing_messages", value: "stop", timestamp: 1 },
        ],
      }),
    );
    const [row] = await stored();
    expect(row?.processed_at).not.toBeNull();
    // Citizens rewrote it under a keyed dedup key (handleUserPreferences): no one else does.
    expect(row?.dedup_key).not.toBe("account:user_preferences");
    expect(row?.payload).not.toContain(MARIO);
    expect(await reportedTier()).toBeNull();
  });

  it("links a reply to this server's own port, known only once it listens", async () => {
    // PUBLIC_URL is unset and the port is the system's pick: Citizens is built before listen.
    await t.app.listen({ port: 0, host: "127.0.0.1" });
    await t.services.dispatch.start();
    const base = localBaseUrl(t.app);
    const written = await fetch(`${base}/sandbox/api/phones/${MARIO}/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ to: "393665784663", text: "ATTIVA ISCRIZIONE" }),
    });
    expect(written.status).toBe(202);
    await t.inboundProcessor.drain();
    const reply = await t.database.db
      .selectFrom("outbound_messages")
      .select(["recipient", "payload"])
      .where("kind", "=", "reply")
      .executeTakeFirstOrThrow();
    expect(reply.recipient).toBe(MARIO);
    expect(reply.payload).toContain(
      `${base.replace("127.0.0.1", "localhost")}/c/concorezzo/regolamento`,
    );
  });

  it("keeps a field no one owns, handled and unchanged", async () => {
    const value = { event: "PAUSED", message_template_name: "notizia_comune" };
    await handle(account("message_template_status_update", value));
    const [row] = await stored();
    expect(row?.processed_at).not.toBeNull();
    expect(row?.dedup_key).toBe("account:message_template_status_update");
    expect(JSON.parse(row?.payload ?? "{}")).toMatchObject({ value });
    expect(await reportedTier()).toBeNull();
  });
});
