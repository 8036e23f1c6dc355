import { dialectOf } from './dialect/locking.js';
import type { Db } from './store.js';

/**
 * Work submitted during one turn of the event loop is done together: flushed on
 * `setImmediate` in one call (in chunks of `maxBatch`), each caller answered with its own
 * result once that call returns. For inserts this is group commit (one statement, one
 * transaction, one fsync for hundreds of rows); for lookups, one query and one round trip
 * for every request of the turn. A lone caller waits for nothing but its own turn.
 */
export class TurnBatcher<In, Out> {
  readonly #run: (items: In[]) => Promise<Out[]>;
  readonly #maxBatch: number;
  #pending: Array<{ item: In; resolve: (out: Out) => void; reject: (error: unknown) => void }> = [];
  #scheduled = false;

  /** `run` does the items and answers one result per item, in their order. */
  constructor(run: (items: In[]) => Promise<Out[]>, maxBatch = 200) {
    this.#run = run;
    this.#maxBatch = maxBatch;
  }

  add(item: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    for (let i = 0; i < batch.length; i += this.#maxBatch) {
      const chunk = batch.slice(i, i + this.#maxBatch);
      try {
        const results = await this.#run(chunk.map((p) => p.item));
        chunk.forEach((p, j) => p.resolve(results[j]));
      } catch (error) {
        for (const p of chunk) p.reject(error);
      }
    }
  }
}

/** One batcher per key (a database, a gateway), created on first use; `run` gets that key. */
export function batcherPer<K extends object, In, Out>(
  run: (key: K, items: In[]) => Promise<Out[]>,
  maxBatch?: number,
): (key: K) => TurnBatcher<In, Out> {
  const batchers = new WeakMap<K, TurnBatcher<In, Out>>();
  return (key) => {
    let batcher = batchers.get(key);
    if (!batcher) batchers.set(key, (batcher = new TurnBatcher((items) => run(key, items), maxBatch)));
    return batcher;
  };
}

/** One batcher per database (per store); `run` gets that database. */
export function batcherPerDatabase<In, Out>(run: (db: Db, items: In[]) => Promise<Out[]>, maxBatch?: number): (db: Db) => TurnBatcher<In, Out> {
  return batcherPer(run, maxBatch);
}

/**
 * Whether a statement on `db` should join its turn's batch: on PostgreSQL outside a
 * transaction, where each statement costs a round trip (in this 2-core benchmark, a
 * third of the gateway's CPU went to the socket writes of queries). SQLite runs a point
 * statement in microseconds in-process, and group commit already shares its commits.
 */
export function sharesRoundTrips(db: Db): boolean {
  return !db.isTransaction && dialectOf(db) === 'postgres';
}
