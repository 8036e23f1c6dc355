/** The wait after the first failed attempt; each later one doubles it, up to the cap. */
export const FIRST_RETRY_MS = 1_000;

/**
 * Each wait is drawn between 80% and 100% of its step, so callbacks that failed together
 * (a merchant's outage) do not all come back in the same instant; never above the step,
 * so the cap (Latipay's "about every 30 s") holds.
 */
export const RETRY_JITTER = 0.2;

/**
 * How long to wait before the next attempt of a callback, after `failedAttempts` failed
 * ones (1 after the first): 1 s, 2 s, 4 s, … doubling up to `capMs` (NOTIFY_RETRY_SECONDS),
 * less a random part of up to 20%, and never under 1 s (or the cap, if that is smaller).
 * `random` is a number in [0, 1), Math.random() by default.
 */
export function retryDelayMs(failedAttempts: number, capMs: number, random: number = Math.random()): number {
  const doublings = Math.min(Math.max(failedAttempts, 1) - 1, 40);
  const step = Math.min(capMs, FIRST_RETRY_MS * 2 ** doublings);
  const jittered = Math.round(step * (1 - RETRY_JITTER * random));
  return Math.max(Math.min(FIRST_RETRY_MS, capMs), jittered);
}
