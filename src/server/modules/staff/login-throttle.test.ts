import { afterEach, describe, expect, it } from "vitest";
import { buildTestApp, fakeClock, type TestApp } from "../../test/build-test-app.js";
import { testEngines } from "../../test/engines.js";
import { GOOD_PASSWORD, seedUser, totpCode } from "../../test/staff-kit.js";
import { ATTEMPTS_PER_ADDRESS } from "./auth.routes.js";
import { accountDelayMs, pairDelayMs, THROTTLE } from "./login-throttle.js";

const HOME = "concorezzo";
const VICTIM = "sindaco@concorezzo.it";
const HOME_ADDRESS = "192.0.2.44";

describe("the login waits (NIST SP 800-63B rev. 4, growing delays)", () => {
  it("lets a few failures pass, then doubles the wait per address up to 15 minutes", () => {
    const waits = Array.from({ length: 18 }, (_, i) => pairDelayMs(i + 1) / 1000);
    expect(waits).toEqual([0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900, 900]);
  });

  it("slows an account guessed from everywhere, 30 s to one hour, never a lockout", () => {
    expect(accountDelayMs(19)).toBe(0);
    expect(accountDelayMs(20)).toBe(30_000);
    expect(accountDelayMs(30)).toBe(60_000);
    expect(accountDelayMs(80)).toBe(1_920_000);
    expect(accountDelayMs(90)).toBe(3_600_000);
    expect(accountDelayMs(100_000)).toBe(3_600_000);
  });
});

describe.each(testEngines())("login throttling on %s", (engine) => {
  let t: TestApp | undefined;
  const clock = fakeClock();
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  const start = async (env: Record<string, string> = {}) => {
    t = await buildTestApp({ engine, clock, env });
    return t;
  };
  const attempt = (
    app: TestApp,
    email: string,
    password: string,
    remoteAddress: string,
    headers: Record<string, string> = {},
  ) =>
    app.app.inject({
      method: "POST",
      url: "/api/auth/login",
      payload: { email, password },
      remoteAddress,
      headers,
    });
  const seedVictim = (app: TestApp, totp = false) =>
    seedUser(app.database.db, clock, {
      email: VICTIM,
      roles: { [HOME]: ["editor"] },
      password: GOOD_PASSWORD,
      totp,
    });

  it("answers and waits the same whether or not the e-mail has an account", async () => {
    const app = await start();
    await seedVictim(app);
    const answers = async (email: string, address: string) => {
      const seen: string[] = [];
      for (let i = 0; i < 8; i++) {
        const res = await attempt(app, email, `wrong password number ${i}`, address);
        seen.push(`${res.statusCode} ${String(res.headers["retry-after"])} ${res.body}`);
      }
      return seen;
    };
    const known = await answers(VICTIM, "198.51.100.1");
    const unknown = await answers("nessuno@concorezzo.it", "198.51.100.1");
    expect(known).toEqual(unknown);
    expect(known.slice(0, THROTTLE.pairFreeFailures).every((a) => a.startsWith("401"))).toBe(true);
    expect(known[0]).toContain("INVALID_CREDENTIALS");
    expect(known[THROTTLE.pairFreeFailures]).toMatch(
      /^429 1 .*LOGIN_THROTTLED.*riprovare tra 1 secondo/,
    );

    // Even the right password waits its turn; once waited, it logs in.
    expect((await attempt(app, VICTIM, GOOD_PASSWORD, "198.51.100.1")).statusCode).toBe(429);
    clock.advance(1_000);
    const right = await attempt(app, VICTIM, GOOD_PASSWORD, "198.51.100.1");
    expect(right.statusCode).toBe(200);
    expect(right.json()).toMatchObject({ stage: "active" });
  });

  it("doubles the wait after each failure from one address, and a login starts it again", async () => {
    const app = await start();
    await seedVictim(app);
    const address = "198.51.100.2";
    for (let i = 0; i < THROTTLE.pairFreeFailures; i++) {
      expect((await attempt(app, VICTIM, "not the password", address)).statusCode).toBe(401);
    }
    const waits: number[] = [];
    for (let i = 0; i < 11; i++) {
      const early = await attempt(app, VICTIM, "not the password", address);
      expect(early.statusCode).toBe(429);
      const wait = Number(early.headers["retry-after"]);
      waits.push(wait);
      clock.advance(wait * 1000 - 1);
      expect((await attempt(app, VICTIM, "not the password", address)).statusCode).toBe(429);
      clock.advance(1);
      expect((await attempt(app, VICTIM, "not the password", address)).statusCode).toBe(401);
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900]);
    expect((await attempt(app, VICTIM, "not the password", address)).json()).toMatchObject({
      error: { message: "Troppi tentativi non riusciti: per sicurezza riprovare tra 15 minuti" },
    });

    clock.advance(900_000);
    expect((await attempt(app, VICTIM, GOOD_PASSWORD, address)).statusCode).toBe(200);
    expect((await attempt(app, VICTIM, "a typo after logging in", address)).statusCode).toBe(401);
    expect((await attempt(app, VICTIM, "another typo", address)).statusCode).toBe(401);
  });

  it("does not let a stranger lock the person out: they log in from their own address", async () => {
    const app = await start();
    await seedVictim(app);
    // The person has logged in from the office before.
    expect((await attempt(app, VICTIM, GOOD_PASSWORD, HOME_ADDRESS)).statusCode).toBe(200);

    // A stranger guesses from 120 addresses, waiting whenever told to.
    let failures = 0;
    let lastWait = 0;
    for (let i = 0; failures < 120; i++) {
      const from = `203.0.113.${(i % 200) + 1}`;
      const res = await attempt(app, VICTIM, `guess ${i}`, from);
      if (res.statusCode === 401) failures += 1;
      else {
        expect(res.statusCode).toBe(429);
        lastWait = Number(res.headers["retry-after"]);
        // The person, meanwhile, from the office: in at once.
        if (failures === 50) {
          expect((await attempt(app, VICTIM, GOOD_PASSWORD, HOME_ADDRESS)).statusCode).toBe(200);
        }
        clock.advance(lastWait * 1000);
      }
    }
    // The guessing is slowed to one try an hour from unknown addresses …
    const next = await attempt(app, VICTIM, "one more guess", "203.0.113.250");
    expect(next.statusCode).toBe(429);
    expect(Number(next.headers["retry-after"])).toBe(3600);
    expect(lastWait).toBe(3600);
    // … while the person, from their address, is not slowed at all.
    const theirs = await attempt(app, VICTIM, GOOD_PASSWORD, HOME_ADDRESS);
    expect(theirs.statusCode).toBe(200);
    expect(theirs.json()).toMatchObject({ stage: "active" });

    // From an address never used before the person is slowed, not locked: once waited, in.
    const hotel = await attempt(app, VICTIM, GOOD_PASSWORD, "192.0.2.99");
    expect(hotel.statusCode).toBe(429);
    clock.advance(Number(hotel.headers["retry-after"]) * 1000);
    expect((await attempt(app, VICTIM, GOOD_PASSWORD, "192.0.2.99")).statusCode).toBe(200);

    const audit = await app.database.db
      .selectFrom("audit_log")
      .select("action")
      .where("action", "=", "auth.throttled")
      .execute();
    expect(audit).toHaveLength(1);
  }, 60_000);

  it("ignores X-Forwarded-For from a peer that is not a configured proxy", async () => {
    const app = await start({ TRUST_PROXY: "192.0.2.10" });
    await seedVictim(app);
    const answers: number[] = [];
    for (let i = 0; i < THROTTLE.pairFreeFailures + 3; i++) {
      const res = await attempt(app, VICTIM, `guess ${i}`, "203.0.113.9", {
        "x-forwarded-for": `198.51.100.${i + 1}`,
      });
      answers.push(res.statusCode);
    }
    expect(answers).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
  });

  it("uses the forwarded address when the connection comes from a configured proxy", async () => {
    const app = await start({ TRUST_PROXY: "10.0.0.0/8, 192.0.2.10" });
    await seedVictim(app);
    const viaProxy = (client: string, password: string) =>
      attempt(app, VICTIM, password, "192.0.2.10", { "x-forwarded-for": client });
    for (let i = 0; i < THROTTLE.pairFreeFailures; i++) {
      expect((await viaProxy("198.51.100.7", `guess ${i}`)).statusCode).toBe(401);
    }
    expect((await viaProxy("198.51.100.7", "guess again")).statusCode).toBe(429);
    // Another client behind the same proxy is another address: not slowed by the first.
    expect((await viaProxy("198.51.100.8", GOOD_PASSWORD)).statusCode).toBe(200);
    // Two proxies in a row (10.x is trusted too): the client is the first untrusted hop.
    const chained = await attempt(app, VICTIM, "guess", "192.0.2.10", {
      "x-forwarded-for": "198.51.100.7, 10.1.2.3",
    });
    expect(chained.statusCode).toBe(429);
  });

  it("counts parallel guesses one by one: no burst gets past the free ones", async () => {
    const app = await start();
    await seedVictim(app);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => attempt(app, VICTIM, `parallel ${i}`, "198.51.100.3")),
    );
    const evaluated = answers.filter((a) => a.statusCode === 401).length;
    expect(evaluated).toBeGreaterThanOrEqual(1);
    expect(evaluated).toBeLessThanOrEqual(THROTTLE.pairFreeFailures);
    expect(answers.every((a) => a.statusCode === 401 || a.statusCode === 429)).toBe(true);
    const failed = await app.database.db
      .selectFrom("audit_log")
      .select("id")
      .where("action", "=", "auth.login_failed")
      .execute();
    expect(failed).toHaveLength(evaluated);
  });

  it("throttles the second factor like the password", async () => {
    const app = await start();
    const victim = await seedVictim(app, true);
    const first = await attempt(app, VICTIM, GOOD_PASSWORD, "198.51.100.4");
    expect(first.json()).toEqual({ stage: "totp" });
    const cookie = /banditore_session=[^;]*/.exec(String(first.headers["set-cookie"]))?.[0] ?? "";
    const right = await totpCode(victim.totpSecret ?? "", clock.now());
    const wrong = right === "000000" ? "111111" : "000000";
    const code = (value: string) =>
      app.app.inject({
        method: "POST",
        url: "/api/auth/totp",
        headers: { cookie },
        payload: { code: value },
        remoteAddress: "198.51.100.4",
      });
    // The password step counted once; four wrong codes reach the free ones.
    for (let i = 0; i < THROTTLE.pairFreeFailures - 1; i++) {
      expect((await code(wrong)).statusCode).toBe(401);
    }
    const throttled = await code(right);
    expect(throttled.statusCode).toBe(429);
    expect(throttled.json()).toMatchObject({ error: { code: "LOGIN_THROTTLED" } });
    clock.advance(Number(throttled.headers["retry-after"]) * 1000);
    expect((await code(await totpCode(victim.totpSecret ?? "", clock.now()))).statusCode).toBe(200);
  });

  it("limits one address trying many accounts, before any password is hashed", async () => {
    const app = await start();
    const max = ATTEMPTS_PER_ADDRESS.login.max;
    for (let i = 0; i < max; i++) {
      // An empty body: refused by validation, after the limiter has counted it.
      const res = await app.app.inject({
        method: "POST",
        url: "/api/auth/login",
        payload: {},
        remoteAddress: "198.51.100.5",
      });
      expect(res.statusCode).toBe(400);
    }
    const over = await attempt(
      app,
      `persona${max}@concorezzo.it`,
      "whatever it is",
      "198.51.100.5",
    );
    expect(over.statusCode).toBe(429);
    expect(over.json()).toMatchObject({
      error: {
        code: "TOO_MANY_ATTEMPTS",
        message: expect.stringMatching(
          /^Troppi tentativi da questo indirizzo: riprovare tra/,
        ) as string,
      },
    });
    expect(Number(over.headers["retry-after"])).toBeGreaterThan(0);
    // Another address is not affected.
    expect((await attempt(app, VICTIM, "whatever it is", "198.51.100.6")).statusCode).toBe(401);
  });
});
