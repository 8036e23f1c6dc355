/**
 * Remembers looked-up values for a short time, so the hot path does not read rarely-changing
 * rows (users, wallets, rates) on every request; a change made elsewhere (the CLI, another
 * instance) is seen within `ttlMs`. Misses are cached too.
 */
export class TtlCache<V> {
  readonly #entries = new Map<string, { value: V; until: number }>();
  readonly #ttlMs: number;
  readonly #limit: number;

  constructor(ttlMs: number, limit = 10_000) {
    this.#ttlMs = ttlMs;
    this.#limit = limit;
  }

  async get(key: string, load: () => Promise<V>): Promise<V> {
    const now = Date.now();
    const hit = this.#entries.get(key);
    if (hit && hit.until > now) return hit.value;
    const value = await load();
    if (this.#entries.size >= this.#limit) this.#entries.clear();
    this.#entries.set(key, { value, until: now + this.#ttlMs });
    return value;
  }

  /** The value remembered for `key` if it is still fresh (a remembered miss is undefined too). */
  peek(key: string): V | undefined {
    const hit = this.#entries.get(key);
    return hit && hit.until > Date.now() ? hit.value : undefined;
  }

  delete(key: string): void {
    this.#entries.delete(key);
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
