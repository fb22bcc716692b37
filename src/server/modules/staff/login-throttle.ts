import type { Kysely } from "kysely";
import type { DB } from "../../platform/db/schema.js";
import { AppError } from "../../platform/errors.js";
import {
  findThrottleRows,
  pruneThrottle,
  refundAccountFailure,
  recordThrottleSuccess,
  writeThrottleIf,
  type ThrottleRow,
} from "./login-throttle.repository.js";
import { tokenHash } from "./secrets.js";

/**
 * Login throttling after NIST SP 800-63B rev. 4 (§3.2.2, rate limiting): waits that grow with
 * the failures, never a lockout a stranger can cause. Two counters, both in the database (so
 * every process shares them), both keyed by the e-mail address typed, whether or not an account
 * has it (an unknown address is throttled exactly like a known one):
 *
 * - **account and client address together**: the first `pairFreeFailures` failures cost nothing;
 *   then each failure doubles the wait before the next attempt from that address for that
 *   account, from 1 s up to 15 minutes. A person mistyping their password meets this one.
 * - **the account, from addresses it has not logged in from** (in the last 30 days): after
 *   `accountFreeFailures` failures from anywhere, attempts from unknown addresses share one
 *   account-wide wait, 30 s doubling every 10 failures up to one hour. Spread over thousands of
 *   addresses, guessing still gets about 100 tries in the first half day and one an hour after.
 *   It never stops the person from an address they have logged in from before: those answer to
 *   the pair counter only, which a stranger elsewhere cannot touch. The cost: while someone
 *   hammers the account, the person on a new address waits too (slowed, never locked).
 *
 * A third limit, per client address across accounts (one address trying many e-mails), is the
 * `@fastify/rate-limit` plugin on the login routes (auth.routes.ts). Client addresses are what
 * Fastify's `trustProxy` makes of the connection: with TRUST_PROXY a list of proxies, a
 * forwarded address counts only when the connection comes from one of them.
 *
 * Every attempt is charged *before* the password is checked, by a compare-and-set on each
 * counter: parallel attempts cannot all slip through the same free slot. A correct login takes
 * its charge back (the pair starts again; the account loses one failure) and makes the address
 * known for the account. Failures are forgotten after 24 hours without one.
 */
export const THROTTLE = {
  pairFreeFailures: 5,
  pairFirstDelayMs: 1_000,
  pairMaxDelayMs: 15 * 60_000,
  accountFreeFailures: 20,
  accountFirstDelayMs: 30_000,
  accountDoublingEvery: 10,
  accountMaxDelayMs: 60 * 60_000,
  forgetAfterMs: 24 * 3_600_000,
  knownAddressMs: 30 * 24 * 3_600_000,
} as const;

/** The wait after the `failures`-th failure in a row from one address for one account. */
export function pairDelayMs(failures: number): number {
  if (failures < THROTTLE.pairFreeFailures) return 0;
  const doublings = failures - THROTTLE.pairFreeFailures;
  return Math.min(
    THROTTLE.pairFirstDelayMs * 2 ** Math.min(doublings, 30),
    THROTTLE.pairMaxDelayMs,
  );
}

/** The account-wide wait, for unknown addresses, after the `failures`-th failure. */
export function accountDelayMs(failures: number): number {
  if (failures < THROTTLE.accountFreeFailures) return 0;
  const doublings = Math.floor(
    (failures - THROTTLE.accountFreeFailures) / THROTTLE.accountDoublingEvery,
  );
  return Math.min(
    THROTTLE.accountFirstDelayMs * 2 ** Math.min(doublings, 30),
    THROTTLE.accountMaxDelayMs,
  );
}

/** 429 with the wait; the route puts it in Retry-After too. */
export class LoginThrottled extends AppError {
  constructor(readonly retryAfterMs: number) {
    super(
      429,
      "LOGIN_THROTTLED",
      `Troppi tentativi non riusciti: per sicurezza riprovare tra ${waitText(retryAfterMs)}`,
    );
  }
  get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.retryAfterMs / 1000));
  }
}

/** "1 secondo", "45 secondi", "15 minuti". */
export function waitText(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 120) return seconds === 1 ? "1 secondo" : `${seconds} secondi`;
  return `${Math.ceil(seconds / 60)} minuti`;
}

/** What a charged attempt needs to be settled. */
export interface Charge {
  pairKey: string;
  accountKey: string;
  /** The account counter was charged too (the address is not known for the account). */
  accountCharged: boolean;
  /** The account's failures in a row, this attempt included (0 when not charged). */
  accountFailures: number;
}

const keyOf = (...parts: string[]) => tokenHash(["login-throttle", ...parts].join("\n"));

/** Failures still remembered at `now`. */
function live(row: ThrottleRow | undefined, now: number): number {
  if (!row || row.lastFailureAt === null) return 0;
  return now - row.lastFailureAt >= THROTTLE.forgetAfterMs ? 0 : row.failures;
}

export class LoginThrottle {
  private lastPruneAt = 0;

  constructor(private readonly db: Kysely<DB>) {}

  /**
   * Charges one attempt as a failure, before the secret is checked; throws `LoginThrottled`
   * when the address (or, from an unknown address, the account) must still wait, or when a
   * parallel attempt took the slot.
   */
  async charge(email: string, address: string, now: number): Promise<Charge> {
    await this.pruneNowAndThen(now);
    const pairKey = keyOf("pair", email, address);
    const accountKey = keyOf("account", email);
    return this.db.transaction().execute(async (trx) => {
      const rows = await findThrottleRows(trx, [pairKey, accountKey]);
      const pair = rows.get(pairKey);
      const account = rows.get(accountKey);
      const lastSuccessAt = pair?.lastSuccessAt ?? null;
      const known = lastSuccessAt !== null && now - lastSuccessAt < THROTTLE.knownAddressMs;
      const wait = Math.max(
        (pair?.notBefore ?? 0) - now,
        known ? 0 : (account?.notBefore ?? 0) - now,
      );
      if (wait > 0) throw new LoginThrottled(wait);

      const pairFailures = live(pair, now) + 1;
      const pairWait = pairDelayMs(pairFailures);
      const pairOk = await writeThrottleIf(trx, pair, {
        key: pairKey,
        failures: pairFailures,
        lastFailureAt: now,
        notBefore: pairWait ? now + pairWait : null,
        lastSuccessAt: pair?.lastSuccessAt ?? null,
      });
      let accountFailures = 0;
      let accountOk = true;
      if (!known) {
        accountFailures = live(account, now) + 1;
        const accountWait = accountDelayMs(accountFailures);
        accountOk = await writeThrottleIf(trx, account, {
          key: accountKey,
          failures: accountFailures,
          lastFailureAt: now,
          notBefore: accountWait ? now + accountWait : (account?.notBefore ?? null),
          lastSuccessAt: null,
        });
      }
      // Another attempt wrote a counter since we read it: this one waits its turn (rolled back).
      if (!pairOk || !accountOk) throw new LoginThrottled(THROTTLE.pairFirstDelayMs);
      return { pairKey, accountKey, accountCharged: !known, accountFailures };
    });
  }

  /**
   * A complete login: the pair starts again and the address is known for the account; the
   * account counter gives back this attempt's charge (a stranger's failures stay counted).
   * `charge` is undefined for a login by setup link, which was not charged.
   */
  async succeeded(
    email: string,
    address: string,
    charge: Charge | undefined,
    now: number,
  ): Promise<void> {
    await recordThrottleSuccess(this.db, keyOf("pair", email, address), now);
    if (charge?.accountCharged) await refundAccountFailure(this.db, charge.accountKey);
  }

  /** Drops forgotten counters, at most once a minute per process. */
  private async pruneNowAndThen(now: number): Promise<void> {
    if (now - this.lastPruneAt < 60_000) return;
    this.lastPruneAt = now;
    await pruneThrottle(this.db, now, now - THROTTLE.forgetAfterMs, now - THROTTLE.knownAddressMs);
  }
}
