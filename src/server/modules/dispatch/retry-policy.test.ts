import { describe, expect, it } from "vitest";
import { SYNTHETIC_CODES, classifyError, httpError } from "../whatsapp/send-errors.js";
import type { WhatsAppError } from "../whatsapp/types.js";
import { decideRetry, type RetryDecision, type RetryPolicy } from "./retry-policy.js";

const NOW = Date.UTC(2026, 10, 22, 9, 0, 0);
const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;

/** The error send-errors.ts makes of a Meta code, with overrides. */
const err = (code: number, extra: Partial<WhatsAppError> = {}): WhatsAppError => ({
  ...classifyError({ code }),
  ...extra,
});

interface Options {
  /** How long ago the first attempt was; default 0. */
  ageMs?: number;
  /** The fixed random; default 0.5. */
  random?: number;
  policy?: Partial<RetryPolicy>;
}

function decide(error: WhatsAppError, attempts: number, options: Options = {}): RetryDecision {
  const { ageMs = 0, random = 0.5, policy } = options;
  return decideRetry(
    { error, attempts, firstAttemptAt: NOW - ageMs, now: NOW, random: () => random },
    policy,
  );
}

/** The delay of a retry, whether it counts, and its reason; throws on anything else. */
function retried(decision: RetryDecision): { delay: number; counts: boolean; reason: string } {
  if (decision.action !== "retry") throw new Error(`expected a retry, got ${decision.reason}`);
  return { delay: decision.at - NOW, counts: decision.countsAsAttempt, reason: decision.reason };
}

describe("decideRetry: retries", () => {
  // [case, error, attempts, options, delay, counts as an attempt, reason (when checked)]
  const rows: [string, WhatsAppError, number, Options, number, boolean, string?][] = [
    // backoff: max(base/2, random × min(maxDelay, base × 2^(attempts−1)))
    ["backoff 1", err(131016), 1, {}, 0.5 * S, true, "backoff after 131016 (attempt 1/8)"],
    ["backoff 3", err(131016), 3, {}, 2 * S, true, "backoff after 131016 (attempt 3/8)"],
    ["backoff 7, random ~1", err(2), 7, { random: 0.999 }, 0.999 * 64 * S, true],
    ["backoff floor", err(131016), 5, { random: 0 }, 0.5 * S, true],
    ["backoff cap", err(131016), 15, { policy: { maxAttempts: 20 } }, 5 * MIN, true],
    ["timeout", err(SYNTHETIC_CODES.timeout, { class: "backoff" }), 2, {}, S, true],
    // 130429 throughput: 1 s ± 0.5 s; never counts, so attempts do not matter
    ["throughput", err(130429), 1, {}, S, false, "throughput wait after 130429"],
    ["throughput, random 0", err(130429), 1, { random: 0 }, 0.5 * S, false],
    ["throughput, 500th", err(130429), 500, {}, S, false],
    // 131056 pair rate: 4^(attempts−1) s for this recipient, capped at maxDelay
    ["pair rate 1", err(131056), 1, {}, S, true, "pair-rate wait after 131056 (attempt 1/10)"],
    ["pair rate 2", err(131056), 2, {}, 4 * S, true],
    ["pair rate 3", err(131056), 3, {}, 16 * S, true],
    ["pair rate 4", err(131056), 4, {}, 64 * S, true],
    ["pair rate 5", err(131056), 5, {}, 256 * S, true],
    ["pair rate 6 (cap)", err(131056), 6, {}, 10 * MIN, true],
    [
      "pair rate 9",
      err(131056),
      9,
      {},
      10 * MIN,
      true,
      "pair-rate wait after 131056 (attempt 9/10)",
    ],
    // 131049 per-user marketing cap: ≥ 24 h plus up to 10 %, no age limit
    [
      "marketing cap",
      err(131049),
      1,
      {},
      24 * H * 1.05,
      true,
      "marketing-cap wait after 131049 (attempt 1/3)",
    ],
    [
      "cap, no retryAfterMs",
      err(131049, { retryAfterMs: undefined }),
      1,
      { random: 0 },
      24 * H,
      true,
    ],
    ["cap, short retryAfter", err(131049, { retryAfterMs: MIN }), 1, { random: 0 }, 24 * H, true],
    ["cap, 30 h old", err(131049), 2, { ageMs: 30 * H, random: 0 }, 24 * H, true],
    // 131057 maintenance: ≥ 60 s plus up to 10 %
    ["maintenance", err(131057), 1, {}, 63 * S, false, "maintenance wait after 131057"],
    ["maintenance, 5 s asked", err(131057, { retryAfterMs: 5 * S }), 1, { random: 0 }, MIN, false],
    // other retry_later: retryAfterMs, or a minute, plus up to 10 %
    ["spam limit 131048", err(131048), 4, { random: 0 }, H, false, "wait after 131048"],
    ["WABA limit 80007", err(80007), 1, { random: 0 }, MIN, false],
    ["HTTP 429", httpError(429, "slow down"), 1, { random: 0 }, MIN, false],
  ];

  it.each(rows)("%s", (_, error, attempts, options, delay, counts, reason) => {
    const decision = retried(decide(error, attempts, options));
    expect(decision.delay).toBeCloseTo(delay, 6);
    expect(decision.counts).toBe(counts);
    if (reason !== undefined) expect(decision.reason).toBe(reason);
  });
});

describe("decideRetry: no retry", () => {
  // [case, error, attempts, options, action, reason (when checked)]
  const rows: [string, WhatsAppError, number, Options, "fail" | "halt", string?][] = [
    [
      "permanent",
      err(131050),
      1,
      {},
      "fail",
      "permanent error 131050: User stopped marketing messages",
    ],
    [
      "fatal_config, any attempt",
      err(132001),
      99,
      {},
      "halt",
      "configuration error 132001: Template missing in this language",
    ],
    ["fatal_config, first", err(190), 1, {}, "halt"],
    ["backoff at maxAttempts", err(131016), 8, {}, "fail", "gave up after 131016 (attempt 8/8)"],
    [
      "error's maxAttempts",
      err(131000),
      3,
      {},
      "fail",
      "gave up after 131000 (3 times in a row, limit 3)",
    ],
    ["policy's maxAttempts", err(131016, { maxAttempts: 20 }), 8, {}, "fail"],
    ["unknown code", err(999_999), 3, {}, "fail"],
    [
      "backoff past 24 h",
      err(131016),
      2,
      { ageMs: 24 * H - 500 },
      "fail",
      "gave up after 131016: past the 24 h age limit",
    ],
    [
      "custom age limit",
      err(131016),
      1,
      { ageMs: H, policy: { maxAgeMs: H } },
      "fail",
      "gave up after 131016: past the 1 h age limit",
    ],
    ["throughput past 24 h", err(130429), 1, { ageMs: 24 * H }, "fail"],
    ["pair rate at 10", err(131056), 10, {}, "fail", "gave up after 131056 (attempt 10/10)"],
    ["marketing cap at 3", err(131049), 3, {}, "fail", "gave up after 131049 (attempt 3/3)"],
    ["an hour's wait past 24 h", err(131048), 1, { ageMs: 23.5 * H }, "fail"],
  ];

  it.each(rows)("%s", (_, error, attempts, options, action, reason) => {
    const decision = decide(error, attempts, options);
    expect(decision.action).toBe(action);
    if (reason !== undefined) expect(decision.reason).toBe(reason);
  });
});

describe("decideRetry: an error's own attempt limit", () => {
  const at = (error: WhatsAppError, attempts: number, codeAttempts: number) =>
    decideRetry({
      error,
      attempts,
      codeAttempts,
      firstAttemptAt: NOW,
      now: NOW,
      random: () => 0.5,
    });

  it("counts only the answers in a row with that code", () => {
    // Two 131016, then a first 131000: its limit of three is not reached.
    expect(retried(at(err(131000), 3, 1)).reason).toBe("backoff after 131000 (attempt 3/8)");
    expect(at(err(131000), 5, 2).action).toBe("retry");
    expect(at(err(131000), 5, 3)).toEqual({
      action: "fail",
      reason: "gave up after 131000 (3 times in a row, limit 3)",
    });
  });

  it("still ends at the policy's limit over every attempt", () => {
    expect(at(err(131000), 8, 1)).toEqual({
      action: "fail",
      reason: "gave up after 131000 (attempt 8/8)",
    });
  });

  it("never counts more in a row than attempts made", () => {
    expect(at(err(131000), 1, 7).action).toBe("retry");
  });
});

describe("decideRetry: inputs", () => {
  it("uses the defaults for policy fields given as undefined", () => {
    const policy = { maxAttempts: undefined, baseDelayMs: 2 * S };
    expect(retried(decide(err(131016), 3, { policy })).delay).toBe(4 * S);
  });

  it("treats attempts below 1 as the first", () => {
    expect(retried(decide(err(131056), 0)).delay).toBe(S);
  });

  it("rounds a random just below 1 up to the ceiling, never past it", () => {
    const input = { error: err(131016), attempts: 4, firstAttemptAt: NOW, now: NOW };
    expect(retried(decideRetry({ ...input, random: () => 0.99999 })).delay).toBe(8 * S);
  });

  // The instant is rounded up to a whole millisecond (stored as bigint), so a random just below 1
  // can land exactly on the ceiling.
  it("spreads backoff with Math.random by default, within [base/2, ceiling]", () => {
    for (let i = 0; i < 200; i += 1) {
      const input = { error: err(131016), attempts: 4, firstAttemptAt: NOW, now: NOW };
      const { delay } = retried(decideRetry(input));
      expect(delay).toBeGreaterThanOrEqual(0.5 * S);
      expect(delay).toBeLessThanOrEqual(8 * S);
    }
  });
});
