/**
 * Attempts per client address in a fixed window, in this process's memory: a brake on one
 * address trying many e-mail addresses (the per-address lockout stops guessing one account's
 * password). Several web processes each keep their own count; the lockout, in the database, is
 * shared.
 */
export class AttemptLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** Counts an attempt; false when the address has used up its window. */
  take(key: string, now: number): boolean {
    if (this.windows.size > 10_000) this.prune(now);
    const w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      this.windows.set(key, { start: now, count: 1 });
      return true;
    }
    w.count += 1;
    return w.count <= this.max;
  }

  private prune(now: number): void {
    for (const [key, w] of this.windows)
      if (now - w.start >= this.windowMs) this.windows.delete(key);
  }
}
