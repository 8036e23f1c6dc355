/**
 * Remembers looked-up values for a short time, so the hot path does not read rarely-changing
 * rows (users, wallets, rates) on every request; a change made elsewhere (the CLI, another
 * instance) is seen within `ttlMs`. Misses are cached too.
 */
export class TtlCache<V> {
  readonly #entries = new Map<string, { value: V; until: number }>();
  /** Loads under way: the requests that miss one key while it is read share the one read. */
  readonly #loading = new Map<string, Promise<V>>();
  readonly #ttlMs: number;
  readonly #limit: number;

  constructor(ttlMs: number, limit = 10_000) {
    this.#ttlMs = ttlMs;
    this.#limit = limit;
  }

  /**
   * The fresh value of `key`, else `load()`'s. Every caller that misses while a load of the
   * key is under way waits for that load instead of starting its own: when an entry
   * expires under load, the hundreds of requests of that moment made as many reads of
   * one row (on PostgreSQL as many round trips) and all waited for them.
   */
  get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.#entries.get(key);
    if (hit && hit.until > Date.now()) return Promise.resolve(hit.value);
    const pending = this.#loading.get(key);
    if (pending) return pending;
    const loading: Promise<V> = load().then(
      (value) => {
        // A delete() during the load dropped it: its value may be from before the change.
        if (this.#loading.get(key) === loading) {
          this.#loading.delete(key);
          if (this.#entries.size >= this.#limit) this.#entries.clear();
          this.#entries.set(key, { value, until: Date.now() + this.#ttlMs });
        }
        return value;
      },
      (error: unknown) => {
        if (this.#loading.get(key) === loading) this.#loading.delete(key);
        throw error;
      },
    );
    this.#loading.set(key, loading);
    return loading;
  }

  /** The value remembered for `key` if it is still fresh (a remembered miss is undefined too). */
  peek(key: string): V | undefined {
    const hit = this.#entries.get(key);
    return hit && hit.until > Date.now() ? hit.value : undefined;
  }

  /** Forgets `key`, and any load of it under way (the next get reads it again). */
  delete(key: string): void {
    this.#entries.delete(key);
    this.#loading.delete(key);
  }
}

/** One cache per database (per store), created on first use. */
export function cachePerDatabase<V>(ttlMs: number): (db: object) => TtlCache<V> {
  const caches = new WeakMap<object, TtlCache<V>>();
  return (db) => {
    let cache = caches.get(db);
    if (!cache) caches.set(db, (cache = new TtlCache<V>(ttlMs)));
    return cache;
  };
}
