import type { Logger } from 'pino';
import { CountLimit } from './count-limit.js';

const WARN_EVERY_MS = 60_000;

/**
 * How many `is_block=1` queries one user_id may hold waiting at once in this process
 * (LONG_POLLS_PER_USER). Counted per user, not per address: a merchant's server
 * legitimately holds thousands from one address. Past the limit a query answers at once
 * with the current state; the operator is warned once per user per minute.
 */
export class LongPollLimit {
  readonly #held: CountLimit;
  readonly #warnedAt = new Map<string, number>();

  constructor(
    max: number,
    private readonly log: Logger,
    private readonly clock: () => number,
  ) {
    this.#held = new CountLimit(max);
  }

  /** The function that ends `userId`'s hold, or undefined when it may not wait now. */
  hold(userId: string): (() => void) | undefined {
    const release = this.#held.take(userId);
    if (!release) this.#warn(userId);
    return release;
  }

  held(userId: string): number {
    return this.#held.held(userId);
  }

  #warn(userId: string): void {
    const now = this.clock();
    const last = this.#warnedAt.get(userId);
    if (last !== undefined && now - last < WARN_EVERY_MS) return;
    if (this.#warnedAt.size >= 10_000) {
      for (const [user, at] of this.#warnedAt) if (now - at >= WARN_EVERY_MS) this.#warnedAt.delete(user);
    }
    this.#warnedAt.set(userId, now);
    this.log.warn(
      { user_id: userId, limit: this.#held.max },
      'long-poll limit reached: is_block=1 queries of this user answer at once (LONG_POLLS_PER_USER); warned once a minute',
    );
  }
}
