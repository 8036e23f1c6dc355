/**
 * Tells waiters (long-polls, the payment page's live status) that an order changed.
 * In one process this is a map of waiters; across instances a bus (PostgreSQL
 * LISTEN/NOTIFY) calls `deliver` for changes made elsewhere.
 */
export interface OrderEvents {
  /** Announce a committed change of `orderId` (to this process and, where a bus exists, to others). */
  publish(orderId: string): void;
  /** Calls `listener` on each change of `orderId` until the returned function is called. */
  subscribe(orderId: string, listener: () => void): () => void;
  close(): Promise<void>;
}

export class LocalOrderEvents implements OrderEvents {
  readonly #listeners = new Map<string, Set<() => void>>();

  publish(orderId: string): void {
    this.deliver(orderId);
  }

  /** Wakes this process's listeners of `orderId`. */
  deliver(orderId: string): void {
    const set = this.#listeners.get(orderId);
    if (!set) return;
    for (const listener of [...set]) listener();
  }

  /** Wakes every listener (they re-check): after a gap in which changes may have been missed. */
  deliverAll(): void {
    for (const orderId of [...this.#listeners.keys()]) this.deliver(orderId);
  }

  subscribe(orderId: string, listener: () => void): () => void {
    let set = this.#listeners.get(orderId);
    if (!set) {
      set = new Set();
      this.#listeners.set(orderId, set);
    }
    set.add(listener);
    return () => {
      const current = this.#listeners.get(orderId);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) this.#listeners.delete(orderId);
    };
  }

  async close(): Promise<void> {
    this.#listeners.clear();
  }
}

/**
 * Resolves when `isDone()` holds, re-checking on each change of `orderId`, or when
 * `timeoutMs` passes or `signal` aborts. Subscribes before the first check, so a change
 * between the check and the wait is never missed.
 */
export async function waitForOrder(
  events: OrderEvents,
  orderId: string,
  isDone: () => Promise<boolean>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<boolean> {
  let wake: () => void = () => {};
  let woke = false;
  const unsubscribe = events.subscribe(orderId, () => {
    woke = true;
    wake();
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      woke = false;
      if (await isDone()) return true;
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted) return false;
      if (woke) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        const onAbort = () => resolve();
        signal?.addEventListener('abort', onAbort, { once: true });
        wake = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
      });
      wake = () => {};
    }
  } finally {
    unsubscribe();
  }
}

/** The bus that fits the database: in-process on SQLite (one process owns it), LISTEN/NOTIFY on PostgreSQL. */
export async function createOrderEvents(
  store: { kind: string; parts: { pool?: import('pg').Pool } },
  databaseUrl: string,
  log: import('pino').Logger,
): Promise<OrderEvents> {
  if (store.parts.pool) {
    const { PostgresOrderEvents } = await import('./postgres-order-events.js');
    return PostgresOrderEvents.start(store.parts.pool, databaseUrl, log);
  }
  return new LocalOrderEvents();
}
