/**
 * What one webhook request, and one citizen's number, may make us store. The figures follow what
 * Meta really sends (see the README, "Webhook limits"); a request past them is not a notification
 * Meta would send, and a sender past them is a flood, so neither may fill the queue that citizens'
 * messages wait in.
 */

/** Meta documents notifications of at most 3 MB; the rest of the service takes 1 MiB. */
export const MAX_WEBHOOK_BODY_BYTES = 3 * 1024 * 1024;

/**
 * Meta's payloads nest about 12 levels deep (entry → changes → value → messages → interactive →
 * list_reply, …); 32 leaves room for fields Meta adds. V8's JSON.parse does not recurse, but
 * JSON.stringify, zod and our canonical JSON do: checked before parsing, this bounds them all.
 */
export const MAX_NESTING_DEPTH = 32;

/** Meta batches at most 1,000 updates in one notification. */
export const MAX_EVENTS_PER_REQUEST = 1000;

/** The window of the per-sender limits below. */
export const SENDER_WINDOW_MS = 60_000;

/**
 * Messages one number (or business-scoped user id) may have stored per comune and window: one a
 * second for a minute. Nobody types that fast, and the citizens' flood rule (20 messages in 10
 * minutes unless the comune says otherwise) has muted the sender long before.
 */
export const MAX_MESSAGES_PER_SENDER = 60;

/**
 * Statuses about one recipient per comune and window. Meta's pair rate limit lets us send one
 * person a burst of 45 messages and about 10 a minute after it, each followed by up to three
 * statuses (sent, delivered, read): under 170 in a minute. Dropping a real status costs a
 * statistic or, for a send in doubt, a later resend; 300 leaves room for Meta's redeliveries.
 */
export const MAX_STATUSES_PER_RECIPIENT = 300;

/**
 * Senders counted per window. A flood from more distinct numbers than this is not one sender's,
 * and a per-sender count could not stop it anyway (the queue's priority keeps citizens ahead of
 * it); the bound keeps the counters' memory at a few MB whatever arrives.
 */
export const MAX_COUNTED_SENDERS = 100_000;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether the JSON text nests objects and arrays more than `max` deep, read from the bytes in one
 * pass before anything is parsed. Brackets inside strings do not count; UTF-8 continuation bytes
 * are never ASCII, so scanning bytes is exact. Not a validator: invalid JSON is JSON.parse's job.
 */
export function nestsDeeperThan(raw: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (byte === BACKSLASH) escaped = true;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      depth += 1;
      if (depth > max) return true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth -= 1;
    }
  }
  return false;
}

/**
 * What is wrong with the size of a parsed notification, or undefined: more events than
 * MAX_EVENTS_PER_REQUEST (a message, a status, a change's `errors` or an account-level change
 * each count one), or a list (entry, changes, contacts) longer than that. Reads only array
 * lengths, before any validation, so an oversized list costs nothing to refuse.
 */
export function sizeProblem(body: unknown): string | undefined {
  const max = MAX_EVENTS_PER_REQUEST;
  const entries = listAt(body, "entry");
  if (entries.length > max) return `entry: ${entries.length} entries, at most ${max}`;
  let events = 0;
  for (const [e, entry] of entries.entries()) {
    const changes = listAt(entry, "changes");
    if (changes.length > max) {
      return `entry.${e}.changes: ${changes.length} changes, at most ${max}`;
    }
    for (const [c, change] of changes.entries()) {
      const value = isRecord(change) ? change["value"] : undefined;
      const contacts = listAt(value, "contacts").length;
      if (contacts > max) {
        return `entry.${e}.changes.${c}.value.contacts: ${contacts} contacts, at most ${max}`;
      }
      events +=
        isRecord(change) && change["field"] === "messages"
          ? listAt(value, "messages").length +
            listAt(value, "statuses").length +
            (isRecord(value) && value["errors"] !== undefined ? 1 : 0)
          : 1;
    }
  }
  return events > max ? `body: ${events} events, at most ${max} per notification` : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function listAt(value: unknown, key: string): readonly unknown[] {
  if (!isRecord(value)) return [];
  const list = value[key];
  return Array.isArray(list) ? list : [];
}

/**
 * Counts events per key in fixed windows (a sender may get up to twice its limit across a
 * window's edge, which is enough to stop a flood). In memory, per process: with several web
 * processes each counts its own share.
 */
export class SenderWindow {
  private startedAt = Number.NEGATIVE_INFINITY;
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly windowMs = SENDER_WINDOW_MS,
    private readonly maxKeys = MAX_COUNTED_SENDERS,
  ) {}

  /** Counts one event of `key` at `now`; false when the key had `limit` already this window. */
  admit(key: string, limit: number, now: number): boolean {
    if (now - this.startedAt >= this.windowMs || now < this.startedAt) {
      this.startedAt = now;
      this.counts.clear();
    }
    const seen = this.counts.get(key) ?? 0;
    if (seen >= limit) return false;
    if (seen > 0 || this.counts.size < this.maxKeys) this.counts.set(key, seen + 1);
    return true;
  }
}
