import { describe, expect, it } from "vitest";
import { fakeClock } from "../../test/build-test-app.js";
import { templateTo, textTo, useTestSandbox } from "../../test/sandbox-kit.js";

/** Pair rate, messaging limit and blocking, with a clock the test moves. */

const CITIZEN = "393331234567";
const HOUR = 60 * 60 * 1000;
type Answer = {
  error?: { code: number; error_data: { details: string } };
  messages?: { id: string }[];
};
type BlockAnswer = {
  messaging_product: string;
  block_users: {
    added_users?: { input: string; wa_id: string }[];
    removed_users?: { input: string; wa_id: string }[];
    failed_users: {
      input: string;
      wa_id: string;
      errors: { code: number; message: string; error_data: { details: string } }[];
    }[];
  };
};

const clock = fakeClock();
const t = useTestSandbox({
  start: { clock },
  resetAfterEach: async () => {
    await t.api("PUT", "/settings", { messagingLimitOverride: null });
    t.receiver.received.length = 0;
  },
});

const send = (body: unknown) => t.graph<Answer>("POST", "/100000000000001/messages", { body });
const codeOf = (answer: { status: number; body: Answer }) =>
  answer.status === 200 ? 200 : answer.body.error?.code;

describe("pair rate limit", () => {
  it("allows a burst of 45 to one user, refuses the 46th with 131056, refills one per 6 s", async () => {
    const codes: (number | undefined)[] = [];
    for (let i = 0; i < 46; i += 1) {
      codes.push(codeOf(await send(templateTo(CITIZEN, "notizia_comune", [`notizia ${i}`]))));
    }
    expect(codes.slice(0, 45).every((c) => c === 200)).toBe(true);
    expect(codes[45]).toBe(131056);
    // Another user is not affected.
    expect(codeOf(await send(templateTo("393339999999", "notizia_comune", ["x"])))).toBe(200);
    clock.advance(6000);
    expect(codeOf(await send(templateTo(CITIZEN, "notizia_comune", ["x"])))).toBe(200);
    expect(codeOf(await send(templateTo(CITIZEN, "notizia_comune", ["x"])))).toBe(131056);
  });
});

describe("messaging limit", () => {
  it("counts unique users reached by templates outside their window in a rolling 24 h", async () => {
    await t.api("PUT", "/settings", { messagingLimitOverride: 2 });
    expect(codeOf(await send(templateTo("393330000001", "notizia_comune", ["a"])))).toBe(200);
    expect(codeOf(await send(templateTo("393330000002", "notizia_comune", ["a"])))).toBe(200);
    const third = await send(templateTo("393330000003", "notizia_comune", ["a"]));
    expect(codeOf(third)).toBe(131048);
    expect(third.body.error?.error_data.details).toContain("Messaging limit reached");
    // Someone already counted can get more; someone inside their window does not count.
    expect(codeOf(await send(templateTo("393330000001", "notizia_comune", ["b"])))).toBe(200);
    await t.api("POST", "/phones/393330000004/messages", { text: "ciao", name: "Anna" });
    expect(codeOf(await send(templateTo("393330000004", "notizia_comune", ["a"])))).toBe(200);
    // 24 hours later the window has rolled on.
    clock.advance(24 * HOUR);
    expect(codeOf(await send(templateTo("393330000003", "notizia_comune", ["a"])))).toBe(200);
  });

  it("reports the tier on the phone number", async () => {
    await t.api("PUT", "/settings", { messagingLimitTier: "TIER_250" });
    const info = await t.graph("GET", "/100000000000001");
    expect(info.body).toMatchObject({
      id: "100000000000001",
      display_phone_number: "+393665784663",
      whatsapp_business_manager_messaging_limit: "TIER_250",
    });
    await t.api("PUT", "/settings", { messagingLimitTier: "TIER_10K" });
  });
});

describe("blocking users", () => {
  it("blocks only users who wrote in the last 24 h; a blocked phone cannot write and sends to it fail", async () => {
    await t.api("POST", `/phones/${CITIZEN}/messages`, { text: "spam", name: "Molesto" });
    const blocked = await t.graph<BlockAnswer>("POST", "/100000000000001/block_users", {
      body: {
        messaging_product: "whatsapp",
        block_users: [{ user: `+${CITIZEN}` }, { user: "393338888888" }],
      },
    });
    expect(blocked.status).toBe(200);
    expect(blocked.body.block_users.added_users).toEqual([
      { input: `+${CITIZEN}`, wa_id: CITIZEN },
    ]);
    expect(blocked.body.block_users.failed_users).toHaveLength(1);
    expect(blocked.body.block_users.failed_users[0]).toMatchObject({
      input: "393338888888",
      wa_id: "393338888888",
    });
    expect(blocked.body.block_users.failed_users[0]?.errors[0]?.code).toBe(139100);

    const list = await t.graph("GET", "/100000000000001/block_users");
    expect(list.body).toEqual({ data: [{ messaging_product: "whatsapp", wa_id: CITIZEN }] });

    const writes = await t.api<{ error: { code: string; message: string } }>(
      "POST",
      `/phones/${CITIZEN}/messages`,
      { text: "ancora" },
    );
    expect(writes.status).toBe(403);
    expect(writes.body.error).toEqual({
      code: "PHONE_BLOCKED",
      message: "Il Comune ha bloccato questo numero",
    });
    // Other comuni are not affected.
    const other = await t.api("POST", `/phones/${CITIZEN}/messages`, {
      text: "ciao",
      to: "393760088777",
    });
    expect(other.status).toBe(202);

    expect(codeOf(await send(textTo(CITIZEN, "x")))).toBe(130403);
    expect(codeOf(await send(templateTo(CITIZEN, "notizia_comune", ["x"])))).toBe(130403);

    const unblocked = await t.graph<BlockAnswer>("DELETE", "/100000000000001/block_users", {
      body: { messaging_product: "whatsapp", block_users: [{ user: CITIZEN }] },
    });
    expect(unblocked.body.block_users.removed_users).toEqual([{ input: CITIZEN, wa_id: CITIZEN }]);
    expect((await t.api("POST", `/phones/${CITIZEN}/messages`, { text: "scusate" })).status).toBe(
      202,
    );
  });

  it("refuses to block a user whose last message is older than 24 h", async () => {
    await t.api("POST", `/phones/${CITIZEN}/messages`, { text: "ciao", name: "Mario" });
    clock.advance(25 * HOUR);
    const answer = await t.graph<BlockAnswer>("POST", "/100000000000001/block_users", {
      body: { messaging_product: "whatsapp", block_users: [{ user: CITIZEN }] },
    });
    expect(answer.body.block_users.added_users).toEqual([]);
    expect(answer.body.block_users.failed_users[0]?.errors[0]?.error_data.details).toContain(
      "last 24 hours",
    );
    // And the window has closed for free-form messages too.
    expect(codeOf(await send(textTo(CITIZEN, "x")))).toBe(131047);
  });

  it("validates the request like Meta", async () => {
    const answer = await t.graph<Answer>("POST", "/100000000000001/block_users", {
      body: { messaging_product: "whatsapp", block_users: [] },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error?.code).toBe(100);
    expect(answer.body.error?.error_data.details).toBe(
      "Param block_users must have at least 1 element",
    );
  });
});
