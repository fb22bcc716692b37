import { z } from "zod";
import { waIdString } from "../../platform/phone-number.js";

/**
 * What a tester can turn: limits, timings and faults. Changes apply to the next request; nothing
 * is persisted (a restart goes back to the defaults and `SandboxDeps.settings`).
 */

/**
 * Meta's messaging-limit ladder (docs/whatsapp-cloud-api.md §5): unique users outside a window per
 * rolling 24 h.
 */
export const MESSAGING_LIMIT_TIERS = {
  TIER_250: 250,
  TIER_2K: 2_000,
  TIER_10K: 10_000,
  TIER_100K: 100_000,
  TIER_UNLIMITED: Number.POSITIVE_INFINITY,
} as const;
export type MessagingLimitTier = keyof typeof MESSAGING_LIMIT_TIERS;

export interface SandboxFaults {
  /** Share of sends answered 500 (code 131016 or 1) and not processed. */
  serverErrorRate: number;
  /** Share of sends processed but answered only after `timeoutHoldMs`, as when an answer is lost. */
  timeoutRate: number;
  /** Share of accepted sends that then fail with 131026. */
  undeliverableRate: number;
  /** Share of sends refused with 130429 whatever the real rate. */
  throughputErrorRate: number;
  /** Share of status webhooks posted twice, as Meta's retries do. */
  duplicateWebhookRate: number;
  /** Post `delivered` before `sent`: Meta guarantees no order. */
  reorderWebhooks: boolean;
}

export interface SandboxSettings {
  /**
   * Messages per second per phone number (sends + inbound). A number applies to every phone
   * number; a map is per phone-number id, and ids it does not name keep their own rate.
   */
  throughputPerSecond: number | Record<string, number>;
  /**
   * Default TIER_10K: Meta starts new businesses at 250, but the demo broadcasts to all
   * subscribers must work out of the box.
   */
  messagingLimitTier: MessagingLimitTier;
  /** A custom limit instead of the tier's (tests), or null. */
  messagingLimitOverride: number | null;
  /** Delay before each status webhook, drawn uniformly from [min, max]. */
  statusDelayMs: { min: number; max: number };
  /**
   * Statuses of one number due within a window this long go together in one webhook POST (at
   * most 1,000), as Meta batches them, when the window closes: each status then waits its delay
   * and up to this much more, within [min, max + statusBatchMs]. 0 posts each status alone, at
   * its delay.
   */
  statusBatchMs: number;
  /** How long a send hit by the timeout fault waits before answering. */
  timeoutHoldMs: number;
  /**
   * Simulated API latency: every answer of the messages endpoint waits this long. The send is
   * processed (rate-limited, logged, its webhooks scheduled) when it arrives; only the answer
   * waits, as network and Graph latency would make it. 0 answers at once.
   */
  latencyMs: number;
  /**
   * Meta often accepts a free-form message outside the 24-hour window and reports 131047 in a
   * `failed` status instead of refusing it: true emulates that.
   */
  windowErrorsAsync: boolean;
  /** wa_ids whose messages are accepted and then fail with 131026 (not on WhatsApp). */
  undeliverableNumbers: string[];
  faults: SandboxFaults;
}

const rate = z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1");
const perSecond = z.number().int().min(1, "must be at least 1").max(1000, "must be at most 1000");

export const settingsUpdateSchema = z.strictObject({
  throughputPerSecond: z
    .union([perSecond, z.record(z.string().regex(/^\d+$/), perSecond)])
    .optional(),
  messagingLimitTier: z
    .enum(Object.keys(MESSAGING_LIMIT_TIERS) as [MessagingLimitTier, ...MessagingLimitTier[]])
    .optional(),
  messagingLimitOverride: z.number().int().min(0).nullable().optional(),
  statusDelayMs: z
    .strictObject({
      min: z.number().int().min(0).max(60_000),
      max: z.number().int().min(0).max(60_000),
    })
    .partial()
    .optional(),
  statusBatchMs: z.number().int().min(0).max(1_000).optional(),
  timeoutHoldMs: z.number().int().min(0).max(600_000).optional(),
  latencyMs: z.number().int().min(0).max(10_000).optional(),
  windowErrorsAsync: z.boolean().optional(),
  undeliverableNumbers: z.array(waIdString("must be digits, country code first")).optional(),
  faults: z
    .strictObject({
      serverErrorRate: rate,
      timeoutRate: rate,
      undeliverableRate: rate,
      throughputErrorRate: rate,
      duplicateWebhookRate: rate,
      reorderWebhooks: z.boolean(),
    })
    .partial()
    .optional(),
});
export type SandboxSettingsUpdate = z.input<typeof settingsUpdateSchema>;

/**
 * The default window of `statusBatchMs`, chosen with the dispatch bench at the cap of 1,000
 * messages a second (`--quick`, a shared machine, issue #14): one POST per status gave 148–183
 * throughput errors (130429) a run and the sandbox used 44–47% of a core; windows of 25 ms gave
 * 11–37 and 27–35%, windows of 50 ms 0–29 and 28–35%. 50 ms posts half as often again for at most
 * 50 ms more on a status, well inside the spread of Meta's own delays.
 */
export const STATUS_BATCH_MS = 50;

/** Every fault off: the sandbox's default, and what a test puts back after injecting some. */
export const NO_FAULTS: Readonly<SandboxFaults> = {
  serverErrorRate: 0,
  timeoutRate: 0,
  undeliverableRate: 0,
  throughputErrorRate: 0,
  duplicateWebhookRate: 0,
  reorderWebhooks: false,
};

export function defaultSettings(ratesByPhoneNumberId: Record<string, number>): SandboxSettings {
  return {
    throughputPerSecond: { ...ratesByPhoneNumberId },
    messagingLimitTier: "TIER_10K",
    messagingLimitOverride: null,
    statusDelayMs: { min: 20, max: 120 },
    statusBatchMs: STATUS_BATCH_MS,
    timeoutHoldMs: 15_000,
    latencyMs: 0,
    windowErrorsAsync: false,
    undeliverableNumbers: [],
    faults: { ...NO_FAULTS },
  };
}

export type SettingsResult =
  | { ok: true; settings: SandboxSettings }
  | { ok: false; problems: { field: string; problem: string }[] };

/** Validates a partial update and merges it (faults and delays key by key); never mutates. */
export function applySettingsUpdate(current: SandboxSettings, update: unknown): SettingsResult {
  const parsed = settingsUpdateSchema.safeParse(update);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((i) => ({
        field: ["body", ...i.path.map(String)].join("."),
        problem: i.message,
      })),
    };
  }
  const u = parsed.data;
  const statusDelayMs = { ...current.statusDelayMs, ...u.statusDelayMs };
  if (statusDelayMs.min > statusDelayMs.max) {
    return {
      ok: false,
      problems: [{ field: "body.statusDelayMs", problem: "min must not be greater than max" }],
    };
  }
  return {
    ok: true,
    settings: {
      throughputPerSecond: u.throughputPerSecond ?? current.throughputPerSecond,
      messagingLimitTier: u.messagingLimitTier ?? current.messagingLimitTier,
      messagingLimitOverride:
        u.messagingLimitOverride === undefined
          ? current.messagingLimitOverride
          : u.messagingLimitOverride,
      statusDelayMs,
      statusBatchMs: u.statusBatchMs ?? current.statusBatchMs,
      timeoutHoldMs: u.timeoutHoldMs ?? current.timeoutHoldMs,
      latencyMs: u.latencyMs ?? current.latencyMs,
      windowErrorsAsync: u.windowErrorsAsync ?? current.windowErrorsAsync,
      undeliverableNumbers: u.undeliverableNumbers ?? current.undeliverableNumbers,
      faults: { ...current.faults, ...u.faults },
    },
  };
}

export function throughputFor(
  settings: SandboxSettings,
  phoneNumberId: string,
  own: number,
): number {
  const t = settings.throughputPerSecond;
  return typeof t === "number" ? t : (t[phoneNumberId] ?? own);
}

export function messagingLimitOf(settings: SandboxSettings): number {
  return settings.messagingLimitOverride ?? MESSAGING_LIMIT_TIERS[settings.messagingLimitTier];
}
