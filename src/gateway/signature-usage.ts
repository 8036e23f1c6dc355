import type { Logger } from 'pino';
import type { SignatureForm } from '../domain/signature.js';
import { addSignatureUsage } from '../store/signature-usage.js';
import type { Db } from '../store/store.js';

/**
 * Counts which signature form (spec §2.2) verified each merchant's requests, so an operator
 * can see whether a merchant still sends the legacy concatenations before refusing them.
 * Counted in memory on the hot path and written once a minute (and on close): one upsert
 * per user and form instead of a write per request.
 */
export class SignatureUsage {
  readonly #db: Db;
  readonly #log: Logger;
  readonly #clock: () => number;
  #counts = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(db: Db, log: Logger, clock: () => number, flushIntervalMs = 60_000) {
    this.#db = db;
    this.#log = log;
    this.#clock = clock;
    this.#timer = setInterval(() => void this.flush(), flushIntervalMs);
    this.#timer.unref();
  }

  record(userId: string, form: SignatureForm): void {
    const key = `${userId}\u0000${form}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  /** Writes what was counted since the last flush. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      if (this.#counts.size === 0) return;
      const counts = this.#counts;
      this.#counts = new Map();
      const day = new Date(this.#clock()).toISOString().slice(0, 10);
      const rows = [...counts].map(([key, count]) => {
        const [user_id, form] = key.split('\u0000') as [string, string];
        return { user_id, form, day, count };
      });
      try {
        await addSignatureUsage(this.#db, rows);
      } catch (error) {
        // Statistics only: losing a minute of counts is better than failing requests.
        this.#log.warn({ err: error }, 'could not record signature usage');
      }
    });
    return this.#flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }
}
