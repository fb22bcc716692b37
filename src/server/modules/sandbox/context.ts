import type { Clock } from "../../platform/clock.js";
import type { Logger } from "../../platform/log.js";
import type { SandboxState } from "./sandbox-state.js";
import type { SandboxSettings } from "./settings.js";
import type { TemplateRegistry } from "./templates.js";
import type { NumberMetadata } from "./webhook-envelopes.js";
import type { WebhookPoster } from "./webhook-poster.js";

/** A comune's WhatsApp business number as the sandbox emulates it. */
export interface SandboxNumber {
  /** The tenant's slug. */
  tenant: string;
  name: string;
  serviceName: string;
  phoneNumberId: string;
  /** Digits, country code first: what citizens write to. */
  displayNumber: string;
  wabaId: string;
  accessToken: string;
  appSecret: string;
  /** Its throughput cap (messages per second) unless the settings say otherwise. */
  ratePerSecond: number;
}

/** What every sandbox operation works with; made once by `registerSandbox`. */
export interface SandboxContext {
  numbers: readonly SandboxNumber[];
  byPhoneNumberId: ReadonlyMap<string, SandboxNumber>;
  /** By display number (digits). */
  byDisplay: ReadonlyMap<string, SandboxNumber>;
  state: SandboxState;
  templates: TemplateRegistry;
  settings(): SandboxSettings;
  setSettings(settings: SandboxSettings): void;
  poster: WebhookPoster;
  clock: Clock;
  /** In [0, 1): decides faults and delays. */
  random(): number;
  log: Logger;
}

export function metadataOf(number: SandboxNumber): NumberMetadata {
  return {
    wabaId: number.wabaId,
    displayNumber: number.displayNumber,
    phoneNumberId: number.phoneNumberId,
  };
}
