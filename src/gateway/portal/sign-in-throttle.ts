import type pg from 'pg';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterPostgres, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface SignInThrottleOptions {
  /** Failed sign-ins naming one email, from anywhere, per window. */
  failuresPerEmail: number;
  /** Failed sign-ins from one client address (or IPv6 /64), across emails, per window. */
  failuresPerAddress: number;
  windowSeconds: number;
  /** Counts shared by every instance (PostgreSQL); without it, each process counts its own. */
  pool?: pg.Pool;
  log: Logger;
}

export const SIGN_IN_LIMITS = { failuresPerEmail: 5, failuresPerAddress: 20, windowSeconds: 900 } as const;

/**
 * Limits on failed portal sign-ins (a wrong password, or a wrong two-factor code), per
 * email and per client address, like AuthThrottle for the API: counted by
 * rate-limiter-flexible, in PostgreSQL's `auth_failures` table when the gateway runs on it
 * (every instance adds to the same counts and sees the same refusals), else in memory.
 * Once a count reaches its limit, sign-ins for that email (or from that address) are
 * refused before the password is even checked, until the window ends.
 */
export class SignInThrottle {
  readonly #email: RateLimiterAbstract;
  readonly #address: RateLimiterAbstract;
  readonly #log: Logger;

  constructor(options: SignInThrottleOptions) {
    this.#log = options.log;
    const limiter = (keyPrefix: string, points: number) => {
      const common = { keyPrefix, points, duration: options.windowSeconds };
      return options.pool
        ? new RateLimiterPostgres({ ...common, storeClient: options.pool, storeType: 'pool', tableName: 'auth_failures', tableCreated: true })
        : new RateLimiterMemory(common);
    };
    this.#email = limiter('portal-email', options.failuresPerEmail);
    this.#address = limiter('portal-address', options.failuresPerAddress);
  }

  /** Milliseconds to wait before this email may try from this address again; 0: it may now. */
  async refusedFor(email: string, address: string): Promise<number> {
    const [email_, address_] = await Promise.all([this.#left(this.#email, email), this.#left(this.#address, address)]);
    return Math.max(email_, address_);
  }

  /** Counts a failure; answers the wait it leads to (0 while under the limits). */
  async failed(email: string, address: string): Promise<number> {
    await Promise.all([this.#consume(this.#email, email), this.#consume(this.#address, address)]);
    return this.refusedFor(email, address);
  }

  /** A successful sign-in forgets the email's failures (not the address's). */
  async succeeded(email: string): Promise<void> {
    try {
      await this.#email.delete(email);
    } catch (error) {
      this.#log.error({ err: error }, 'sign-in counter unavailable');
    }
  }

  async #left(limiter: RateLimiterAbstract, key: string): Promise<number> {
    try {
      const res = await limiter.get(key);
      return res && res.consumedPoints >= limiter.points ? Math.max(1, res.msBeforeNext) : 0;
    } catch (error) {
      // The counts are a defence, not a dependency.
      this.#log.error({ err: error }, 'sign-in counter unavailable');
      return 0;
    }
  }

  async #consume(limiter: RateLimiterAbstract, key: string): Promise<void> {
    try {
      await limiter.consume(key);
    } catch (rejection) {
      if (rejection instanceof Error) this.#log.error({ err: rejection }, 'sign-in counter unavailable');
      // Otherwise a RateLimiterRes: over the limit, which refusedFor reports.
    }
  }
}
