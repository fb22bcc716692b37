import { pino, type Logger, type LoggerOptions } from "pino";

/**
 * Logging with privacy built in: full phone numbers and message bodies never reach the log.
 *
 * Two layers: `redact` removes the fields known to carry personal data wherever they appear,
 * and `maskDigits` is applied to the request URL (phone numbers appear in sandbox paths) and may
 * be used on any string that could hold a number. Code that logs a number uses `maskPhone`.
 */

/** "393331234567" → "3933•••••567": country code and operator prefix stay, the rest does not. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/[^0-9]/g, "");
  if (digits.length < 7) return "•".repeat(digits.length);
  return `${digits.slice(0, 4)}${"•".repeat(digits.length - 7)}${digits.slice(-3)}`;
}

/** Masks every run of 8 or more digits (a phone number or anything that might be one). */
export function maskDigits(text: string): string {
  return text.replace(/\+?\d{8,}/g, (run) => maskPhone(run));
}

/** Fields that hold a citizen's number or words. Paths are pino's (fast-redact) syntax. */
export const REDACTED_PATHS = [
  "phone",
  "*.phone",
  "waId",
  "*.waId",
  "wa_id",
  "*.wa_id",
  "from",
  "*.from",
  "to",
  "*.to",
  "recipient",
  "*.recipient",
  "text",
  "*.text",
  "body",
  "*.body",
  "caption",
  "*.caption",
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-csrf-token"]',
  'req.headers["x-hub-signature-256"]',
  'res.headers["set-cookie"]',
];

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export function loggerOptions(level: LogLevel): LoggerOptions {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    serializers: {
      req: (req: { method: string; url: string; id?: string }) => ({
        method: req.method,
        url: maskDigits(req.url),
        reqId: req.id,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}

export type { Logger };
