import type { WhatsAppError } from "../whatsapp/types.js";

/**
 * What to do with a message whose send failed, from its error's class (send-errors.ts) and its
 * history. Pure: the caller passes the clock and, for tests, the randomness.
 *
 * - permanent → fail: recorded with code and reason, never retried.
 * - fatal_config → halt: the broadcast stops in "needs attention"; the row is not failed but
 *   queued again untouched, and is sent when the configuration is fixed.
 * - backoff → exponential backoff with full jitter, up to the policy's maxAttempts and maxAgeMs;
 *   an error's own limit (code 1, 131000, unknown codes: "a few tries") counts only the answers
 *   in a row with that code (`codeAttempts`), since it is about that error coming back.
 * - retry_later → the wait the platform implies, for this row only (see LATER below).
 *
 * `attempts` counts the attempts that count: a retry answers `countsAsAttempt`, and when it is
 * false the caller must not increment the row's counter (a 130429 is the sender's pace, not the
 * message's fault, and must not use up the attempts a later 131016 needs).
 *
 * The age limit: no retry is scheduled later than maxAgeMs after the first attempt (a notice about
 * today's water cut is worthless tomorrow). 131049 is exempt, being by definition ≥ 24 h; its
 * own attempt limit bounds it instead.
 */

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;

export interface RetryPolicy {
  maxAttempts: number;
  maxAgeMs: number;
  baseDelayMs: number;
  /** Caps the delays we compute (backoff, 4^X); never a wait the platform asks for. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
  maxAttempts: 8,
  maxAgeMs: 24 * HOUR_MS,
  baseDelayMs: SECOND_MS,
  maxDelayMs: 10 * MINUTE_MS,
};

export type RetryDecision =
  | { action: "retry"; at: number; reason: string; countsAsAttempt: boolean }
  | { action: "fail"; reason: string }
  | { action: "halt"; reason: string };

export interface RetryInput {
  error: WhatsAppError;
  /** Attempts made so far that count (see above), including this one. */
  attempts: number;
  /**
   * Of those, how many in a row (ending with this one) failed with this error's code. Default:
   * `attempts` (every attempt failed so), the strictest reading when the caller does not know.
   */
  codeAttempts?: number;
  firstAttemptAt: number;
  now: number;
  /** In [0, 1); default Math.random. */
  random?: () => number;
}

interface LaterRule {
  /** Starts the reason, e.g. "pair-rate wait after 131056 (attempt 2/10)". */
  label: string;
  /** The wait before the next attempt. */
  delayMs: (ctx: {
    error: WhatsAppError;
    attempts: number;
    policy: RetryPolicy;
    random: number;
  }) => number;
  countsAsAttempt: boolean;
  /**
   * Give up at this many (counted) attempts; none = only the age limit ends it. Independent of
   * the policy's maxAttempts, which is about faults on the way.
   */
  maxAttempts?: number;
  ageLimit: boolean;
}

/** Waits we add to a platform-given wait, up to this fraction, so rows do not wake together. */
const LATER_JITTER = 0.1;
const spread = (ms: number, random: number): number => ms * (1 + LATER_JITTER * random);

/**
 * retry_later, per code. Any other code (4, 80007, 131048 and 131064 with their 1 h, HTTP 429)
 * waits error.retryAfterMs or a minute, does not count, and is ended by the age limit.
 */
const LATER: Readonly<Record<number, LaterRule>> = {
  // Throughput: 1 s ± 0.5 s. The rate controller slows the sender; this row only needs a moment.
  130429: {
    label: "throughput wait",
    delayMs: ({ error, policy, random }) =>
      error.retryAfterMs ?? policy.baseDelayMs * (0.5 + random),
    countsAsAttempt: false,
    ageLimit: true,
  },
  // Pair rate: Meta's 4^X s for this recipient only (X = attempts − 1), capped. It counts, so X
  // grows; ten tries span about 46 min, and then this recipient has had enough for now.
  131056: {
    label: "pair-rate wait",
    delayMs: ({ error, attempts, policy }) =>
      Math.max(
        error.retryAfterMs ?? 0,
        Math.min(policy.maxDelayMs, SECOND_MS * 4 ** (attempts - 1)),
      ),
    countsAsAttempt: true,
    maxAttempts: 10,
    ageLimit: true,
  },
  // Per-user marketing cap: never before 24 h; refused three times, the user is saturated.
  131049: {
    label: "marketing-cap wait",
    delayMs: ({ error, random }) => spread(Math.max(error.retryAfterMs ?? 0, 24 * HOUR_MS), random),
    countsAsAttempt: true,
    maxAttempts: 3,
    ageLimit: false,
  },
  // Maintenance (throughput upgrade, up to a minute): the number's state, not the message's.
  131057: {
    label: "maintenance wait",
    delayMs: ({ error, random }) => spread(Math.max(error.retryAfterMs ?? 0, MINUTE_MS), random),
    countsAsAttempt: false,
    ageLimit: true,
  },
};

const OTHER_LATER: LaterRule = {
  label: "wait",
  delayMs: ({ error, random }) => spread(error.retryAfterMs ?? MINUTE_MS, random),
  countsAsAttempt: false,
  ageLimit: true,
};

export function decideRetry(
  input: RetryInput,
  overrides: Partial<RetryPolicy> = {},
): RetryDecision {
  const policy: RetryPolicy = {
    maxAttempts: overrides.maxAttempts ?? DEFAULT_RETRY_POLICY.maxAttempts,
    maxAgeMs: overrides.maxAgeMs ?? DEFAULT_RETRY_POLICY.maxAgeMs,
    baseDelayMs: overrides.baseDelayMs ?? DEFAULT_RETRY_POLICY.baseDelayMs,
    maxDelayMs: overrides.maxDelayMs ?? DEFAULT_RETRY_POLICY.maxDelayMs,
  };
  const { error, now } = input;
  const { code } = error;
  const attempts = Math.max(1, input.attempts);
  const random = (input.random ?? Math.random)();

  const schedule = (
    at: number,
    reason: string,
    rule: Pick<LaterRule, "countsAsAttempt" | "ageLimit">,
  ): RetryDecision =>
    rule.ageLimit && at - input.firstAttemptAt > policy.maxAgeMs
      ? fail(`gave up after ${code}: past the ${formatMs(policy.maxAgeMs)} age limit`)
      : // Whole milliseconds: instants are stored as bigint (PostgreSQL refuses a fraction).
        { action: "retry", at: Math.ceil(at), reason, countsAsAttempt: rule.countsAsAttempt };

  switch (error.class) {
    case "permanent":
      return fail(`permanent error ${code}: ${error.title}`);
    case "fatal_config":
      return { action: "halt", reason: `configuration error ${code}: ${error.title}` };
    case "backoff": {
      const limit = policy.maxAttempts;
      const progress = ` (attempt ${attempts}/${limit})`;
      if (attempts >= limit) return fail(`gave up after ${code}${progress}`);
      // The error's own limit: answers with this code in a row, not faults of any kind.
      const codeAttempts = Math.max(1, Math.min(attempts, input.codeAttempts ?? attempts));
      const codeLimit = error.maxAttempts;
      if (codeLimit !== undefined && codeAttempts >= codeLimit)
        return fail(`gave up after ${code} (${codeAttempts} times in a row, limit ${codeLimit})`);
      // Full jitter spreads a wave of failures best; the floor of half the base delay keeps a
      // random near 0 from turning the retry into a hot loop.
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempts - 1));
      const delay = Math.max(policy.baseDelayMs / 2, random * ceiling);
      return schedule(now + delay, `backoff after ${code}${progress}`, {
        countsAsAttempt: true,
        ageLimit: true,
      });
    }
    case "retry_later": {
      const rule = LATER[code] ?? OTHER_LATER;
      const limit = rule.maxAttempts;
      const progress = limit === undefined ? "" : ` (attempt ${attempts}/${limit})`;
      if (limit !== undefined && attempts >= limit) return fail(`gave up after ${code}${progress}`);
      const delay = rule.delayMs({ error, attempts, policy, random });
      return schedule(now + delay, `${rule.label} after ${code}${progress}`, rule);
    }
  }
}

function fail(reason: string): RetryDecision {
  return { action: "fail", reason };
}

function formatMs(ms: number): string {
  if (ms % HOUR_MS === 0) return `${ms / HOUR_MS} h`;
  if (ms % MINUTE_MS === 0) return `${ms / MINUTE_MS} min`;
  return `${ms / SECOND_MS} s`;
}
