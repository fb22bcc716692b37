import { describe, expect, it } from "vitest";
import { classifyError } from "../whatsapp/send-errors.js";
import type { WhatsAppError } from "../whatsapp/types.js";
import { decideFailure, NUMBER_HALT_MS, type FailureInput } from "./failure-decision.js";
import { decideRetry } from "./retry-policy.js";

const NOW = Date.UTC(2026, 10, 22, 9, 0, 0);

const err = (code: number, extra: Partial<WhatsAppError> = {}): WhatsAppError => ({
  ...classifyError({ code }),
  title: `title ${code}`,
  ...extra,
});

function decide(error: WhatsAppError | undefined, input: Partial<FailureInput> = {}) {
  return decideFailure({
    error,
    attempts: 1,
    codeAttempts: 1,
    firstAttemptAt: NOW,
    now: NOW,
    kind: "broadcast",
    random: () => 0.5,
    ...input,
  });
}

describe("decideFailure", () => {
  it("retries what the retry policy retries, when it says, with the reason stored on the row", () => {
    const retry = decideRetry({
      error: err(131016),
      attempts: 2,
      codeAttempts: 2,
      firstAttemptAt: NOW,
      now: NOW,
      random: () => 0.5,
    });
    expect(retry.action).toBe("retry");
    expect(decide(err(131016), { attempts: 2, codeAttempts: 2 })).toEqual({
      ...retry,
      reason: `title 131016: ${retry.reason}`,
    });
    // Not now from the platform: the attempt does not count.
    expect(decide(err(130429))).toMatchObject({ action: "retry", countsAsAttempt: false });
  });

  it("gives up on a recipient Meta cannot reach, or after the attempts, with Meta's title and details", () => {
    expect(decide(err(131026, { details: "not on WhatsApp" }))).toEqual({
      action: "give_up",
      reason: "title 131026 (not on WhatsApp)",
    });
    expect(decide(err(131016), { attempts: 8, codeAttempts: 8 })).toEqual({
      action: "give_up",
      reason: "title 131016",
    });
    expect(decide(undefined)).toEqual({ action: "give_up", reason: "failed" });
  });

  it("halts the broadcast on a template or account error, keeping the row for the resume", () => {
    for (const code of [132015, 132016, 131031, 131042, 190]) {
      const decision = decide(err(code, { details: "see Business Manager" }), {
        kind: "broadcast",
      });
      expect(decision, String(code)).toEqual({
        action: "halt",
        at: NOW,
        reason: `title ${code}: configuration error ${code}: title ${code}`,
        attention: `${code} title ${code}: see Business Manager`,
      });
    }
  });

  it("halts the number for a minute on a reply's configuration error", () => {
    expect(decide(err(132015), { kind: "reply" })).toMatchObject({
      action: "halt",
      at: NOW + NUMBER_HALT_MS,
      attention: "132015 title 132015",
    });
  });

  it("decides a reply's and a broadcast's failure alike otherwise", () => {
    for (const code of [131026, 131016, 130429, 131049, 131056]) {
      expect(decide(err(code), { kind: "reply" }), String(code)).toEqual(
        decide(err(code), { kind: "broadcast" }),
      );
    }
  });
});
