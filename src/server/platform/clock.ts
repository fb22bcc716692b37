/** Time comes from here, so tests can move it. Instants are epoch milliseconds everywhere. */
export interface Clock {
  now(): number;
}

/**
 * Epoch milliseconds that never jump: the process's start time plus the monotonic clock. The
 * wall clock can be stepped or slewed by time synchronisation at any moment (on this project's
 * machines it visibly is), and rate limits measured on it let through more than their cap in a
 * real second. The two agree at start and differ only by adjustments made since.
 */
export const systemClock: Clock = {
  // Whole milliseconds: instants are stored in bigint columns.
  now: () => Math.floor(performance.timeOrigin + performance.now()),
};
