import type pg from 'pg';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface AuthThrottleOptions {
  /** Failures from one address naming one user_id per window before that pair is refused. */
  failuresPerAddress: number;
  /** Failures naming one user_id, from anywhere, per window before further failures are answered 429. */
  failuresPerUser: number;
  windowSeconds: number;
  /** How long a refused pair (or address) stays refused. */
  blockSeconds: number;
  /** Counts shared by every instance (PostgreSQL); without it, each process counts its own. */
  pool?: pg.Pool;
  log: Logger;
}

/** Failures from one address across all user_ids, as a multiple of the per-pair limit. */
const ADDRESS_MULTIPLE = 10;
/** Local blocks remembered at most (an attacker cycling addresses cannot grow it without bound). */
const MAX_BLOCKS = 100_000;

/**
 * Limits on failed authentication (wrong signature, unknown or disabled user), so that a
 * flood of guesses costs the gateway little and tells the sender nothing:
 *
 * - **address + user_id**: past `failuresPerAddress` failures in the window, requests from
 *   that address naming that user_id are answered 429 without being verified, for
 *   `blockSeconds`. The same merchant from its other addresses, and other merchants behind
 *   the same address (a shared hosting platform), are not touched.
 * - **address**: past ten times that, across user_ids, the whole address is refused.
 * - **user_id**: past `failuresPerUser` failures from anywhere, further *failures* naming it
 *   are answered 429 instead of 206 for the window; its valid requests still pass, so a
 *   flood in a merchant's name does not lock the merchant out.
 *
 * Counting is rate-limiter-flexible's: in PostgreSQL when the gateway runs on it (every
 * instance adds to the same counts), else in memory. The refusal itself is decided from a
 * local table of blocks, filled when a failure here finds a count over its limit: the
 * hot path pays a Map lookup, and only failures touch the store. So counts are shared
 * across instances, and each instance starts refusing at its own next failure.
 */
export class AuthThrottle {
  readonly #pair: RateLimiterAbstract;
  readonly #address: RateLimiterAbstract;
  readonly #user: RateLimiterAbstract;
  readonly #blocked = new Map<string, number>();
  readonly #log: Logger;

  constructor(options: AuthThrottleOptions) {
    this.#log = options.log;
    const limiter = (keyPrefix: string, points: number, blockSeconds: number) => {
      const common = { keyPrefix, points, duration: options.windowSeconds, blockDuration: blockSeconds };
      return options.pool
        ? new RateLimiterPostgres({ ...common, storeClient: options.pool, storeType: 'pool', tableName: 'auth_failures', tableCreated: true })
        : new RateLimiterMemory(common);
    };
    this.#pair = limiter('pair', options.failuresPerAddress, options.blockSeconds);
    this.#address = limiter('address', options.failuresPerAddress * ADDRESS_MULTIPLE, options.blockSeconds);
    this.#user = limiter('user', options.failuresPerUser, options.windowSeconds);
  }

  /** Milliseconds the request must wait when its address (or address and user_id) is refused; 0 when it may go on. */
  refusedFor(address: string, userId: string, now = Date.now()): number {
    if (this.#blocked.size === 0) return 0;
    return Math.max(this.#left(`address:${address}`, now), this.#left(`pair:${address}|${userId}`, now));
  }

  /**
   * Counts a failed authentication. Resolves with the milliseconds to ask the client to
   * wait when this failure is over a limit (answer 429), or 0 (answer the failure itself).
   */
  async failed(address: string, userId: string | undefined, now = Date.now()): Promise<number> {
    const pairKey = `${address}|${userId ?? '?'}`;
    const [pair, whole, user] = await Promise.all([
      this.#consume(this.#pair, pairKey),
      this.#consume(this.#address, address),
      userId === undefined ? Promise.resolve(0) : this.#consume(this.#user, userId),
    ]);
    if (pair > 0) this.#block(`pair:${pairKey}`, now + pair);
    if (whole > 0) this.#block(`address:${address}`, now + whole);
    return Math.max(pair, whole, user);
  }

  async #consume(limiter: RateLimiterAbstract, key: string): Promise<number> {
    try {
      await limiter.consume(key);
      return 0;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return Math.max(1, rejection.msBeforeNext);
      // The counts are a defence, not a dependency: a store that fails lets the request be answered.
      this.#log.error({ err: rejection }, 'failed-authentication counter unavailable');
      return 0;
    }
  }

  #left(key: string, now: number): number {
    const until = this.#blocked.get(key);
    if (until === undefined) return 0;
    if (until > now) return until - now;
    this.#blocked.delete(key);
    return 0;
  }

  #block(key: string, until: number): void {
    if (this.#blocked.size >= MAX_BLOCKS) {
      const now = Date.now();
      for (const [k, u] of this.#blocked) if (u <= now) this.#blocked.delete(k);
      if (this.#blocked.size >= MAX_BLOCKS) this.#blocked.clear();
    }
    this.#blocked.set(key, until);
  }
}
