import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import { LocalOrderEvents, type OrderEvents, type OrderListener } from './order-events.js';

const CHANNEL = 'latipay_order_changed';

/**
 * Order changes across gateway instances on one PostgreSQL database: a change is announced
 * with NOTIFY, and every instance LISTENs on one dedicated connection and wakes its own
 * waiters. If that connection drops, it reconnects and wakes every local waiter (they
 * re-check the database), so a change missed meanwhile still ends their wait.
 */
export class PostgresOrderEvents implements OrderEvents {
  readonly #local = new LocalOrderEvents();
  readonly #instance = randomBytes(6).toString('hex');
  readonly #pool: pg.Pool;
  readonly #connectionString: string;
  readonly #log: Logger;
  #client: pg.Client | undefined;
  #closed = false;
  #retryMs = 100;
  #unannounced: string[] = [];

  private constructor(pool: pg.Pool, connectionString: string, log: Logger) {
    this.#pool = pool;
    this.#connectionString = connectionString;
    this.#log = log;
  }

  static async start(pool: pg.Pool, connectionString: string, log: Logger): Promise<PostgresOrderEvents> {
    const events = new PostgresOrderEvents(pool, connectionString, log);
    await events.#listen();
    return events;
  }

  publish(orderId: string): void {
    this.#local.deliver(orderId);
    // Announced together with the other changes of this turn of the event loop: one
    // statement (and one commit) for all of them.
    if (this.#unannounced.length === 0) setImmediate(() => void this.#announce());
    this.#unannounced.push(`${this.#instance}:${orderId}`);
  }

  async #announce(): Promise<void> {
    const payloads = this.#unannounced;
    if (payloads.length === 0) return;
    this.#unannounced = [];
    await this.#pool.query('select pg_notify($1, p) from unnest($2::text[]) as p', [CHANNEL, payloads]).catch((error: unknown) => {
      this.#log.error({ err: error, changes: payloads.length }, 'could not announce order changes');
    });
  }

  subscribe(orderId: string, listener: OrderListener): () => void {
    return this.#local.subscribe(orderId, listener);
  }

  unsubscribe(orderId: string, listener: OrderListener): void {
    this.#local.unsubscribe(orderId, listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#announce();
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {});
    await this.#local.close();
  }

  async #listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#connectionString });
    client.on('notification', (message) => {
      const payload = message.payload ?? '';
      const at = payload.indexOf(':');
      if (at === -1 || payload.slice(0, at) === this.#instance) return;
      this.#local.deliver(payload.slice(at + 1));
    });
    client.on('error', (error) => {
      this.#log.warn({ err: error }, 'order change listener lost its connection');
      void this.#reconnect(client);
    });
    client.on('end', () => void this.#reconnect(client));
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.#client = client;
    this.#retryMs = 100;
  }

  async #reconnect(dead: pg.Client): Promise<void> {
    if (this.#closed || this.#client !== dead) return;
    this.#client = undefined;
    while (!this.#closed) {
      await new Promise((resolve) => setTimeout(resolve, this.#retryMs));
      this.#retryMs = Math.min(this.#retryMs * 2, 5_000);
      try {
        await this.#listen();
        this.#local.deliverAll();
        return;
      } catch (error) {
        this.#log.warn({ err: error }, 'order change listener could not reconnect; retrying');
      }
    }
  }
}
