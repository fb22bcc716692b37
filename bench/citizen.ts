// Issue #14 item 7: a citizen is never behind a broadcast. During the held-rate run (a), sandbox
// phones write "ATTIVA ISCRIZIONE" to Concorezzo, spread over the sending; each message takes
// the real path (the sandbox posts the signed webhook, the web process stores and handles it,
// the reply is queued and leaves through the dispatching process's token bucket for the same
// number as the broadcast) and the bench times it until the reply arrives at the sandbox.
import { setTimeout as sleep } from "node:timers/promises";
import type { RunningBenchServer } from "./http.js";

/** Concorezzo's display number in the shipped tenant files: what the phones write to. */
const CONCOREZZO = "393665784663";
/** A reply not arrived by then counts as never (the goal is 1 s). */
const REPLY_TIMEOUT_MS = 30_000;

export interface CitizenReplies {
  tries: number;
  /** Milliseconds from the phone's message to the reply's arrival at the sandbox, per try. */
  latencies: number[];
  /** Tries not answered within REPLY_TIMEOUT_MS. */
  unanswered: number;
}

/** The nearest-rank percentile `p` (0–100); Infinity counts as the slowest. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** Citizens' numbers are new in every try: each one subscribes and is answered once. */
let written = 0;

/**
 * `tries` citizens write, one every `gapMs`, once the sandbox has taken `warmUp` sends of the
 * broadcast (the expansion is over and the number is at its cap); then their replies are read
 * from the phones' conversations (the sandbox stamps a send with its arrival).
 */
export async function citizensDuringBroadcast(
  sandbox: RunningBenchServer,
  options: { tries: number; gapMs: number; sendsBefore: number; warmUp: number },
): Promise<CitizenReplies> {
  const api = `${sandbox.baseUrl}/sandbox/api`;
  const total = async () =>
    (
      (await (await fetch(`${api}/sends?from=${Number.MAX_SAFE_INTEGER}`)).json()) as {
        total: number;
      }
    ).total;
  while ((await total()) < options.sendsBefore + options.warmUp) await sleep(100);

  const wrote: { waId: string; at: number }[] = [];
  for (let i = 0; i < options.tries; i++) {
    written += 1;
    const waId = `39338${String(written).padStart(7, "0")}`;
    const at = Date.now();
    const response = await fetch(`${api}/phones/${waId}/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ to: CONCOREZZO, name: "Cittadina", text: "ATTIVA ISCRIZIONE" }),
    });
    const outcome = (await response.json()) as { webhook?: { status: number | null } };
    if (response.status !== 202 || outcome.webhook?.status !== 200) {
      throw new Error(`a citizen could not write: ${response.status} ${JSON.stringify(outcome)}`);
    }
    wrote.push({ waId, at });
    await sleep(options.gapMs);
  }

  const latencies: number[] = [];
  let unanswered = 0;
  for (const { waId, at } of wrote) {
    const reply = await firstReply(api, waId, at + REPLY_TIMEOUT_MS);
    if (reply === undefined) unanswered += 1;
    latencies.push(reply === undefined ? Number.POSITIVE_INFINITY : reply - at);
  }
  return { tries: options.tries, latencies, unanswered };
}

/** When the comune's first message to `waId` arrived at the sandbox, waiting until `deadline`. */
async function firstReply(
  api: string,
  waId: string,
  deadline: number,
): Promise<number | undefined> {
  for (;;) {
    const response = await fetch(`${api}/phones/${waId}/messages?to=${CONCOREZZO}`);
    const { messages } = (await response.json()) as {
      messages: { direction: string; at: number }[];
    };
    const reply = messages.find((m) => m.direction === "to_phone");
    if (reply) return reply.at;
    if (Date.now() > deadline) return undefined;
    await sleep(100);
  }
}
