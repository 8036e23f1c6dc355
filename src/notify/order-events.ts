/** Called with the id of the order that changed. */
export type OrderListener = (orderId: string) => void;

/**
 * Tells waiters (long-polls, the payment page's live status) that an order changed.
 * In one process this is a map of waiters; across instances a bus (PostgreSQL
 * LISTEN/NOTIFY) calls `deliver` for changes made elsewhere.
 */
export interface OrderEvents {
  /** Announce a committed change of `orderId` (to this process and, where a bus exists, to others). */
  publish(orderId: string): void;
  /** Calls `listener` on each change of `orderId` until the returned function (or `unsubscribe`) is called. */
  subscribe(orderId: string, listener: OrderListener): () => void;
  /** Ends a subscription of `listener` to `orderId` (one listener may serve many orders). */
  unsubscribe(orderId: string, listener: OrderListener): void;
  close(): Promise<void>;
}

export class LocalOrderEvents implements OrderEvents {
  /** Each order's listener, or its set of them when it has several (most orders have one: no Set). */
  readonly #listeners = new Map<string, OrderListener | Set<OrderListener>>();

  publish(orderId: string): void {
    this.deliver(orderId);
  }

  /** Wakes this process's listeners of `orderId`. */
  deliver(orderId: string): void {
    const listeners = this.#listeners.get(orderId);
    if (!listeners) return;
    if (typeof listeners === 'function') listeners(orderId);
    else for (const listener of [...listeners]) listener(orderId);
  }

  /** Wakes every listener (they re-check): after a gap in which changes may have been missed. */
  deliverAll(): void {
    for (const orderId of [...this.#listeners.keys()]) this.deliver(orderId);
  }

  subscribe(orderId: string, listener: OrderListener): () => void {
    const listeners = this.#listeners.get(orderId);
    if (!listeners) this.#listeners.set(orderId, listener);
    else if (typeof listeners === 'function') {
      if (listeners !== listener) this.#listeners.set(orderId, new Set([listeners, listener]));
    } else listeners.add(listener);
    return () => this.unsubscribe(orderId, listener);
  }

  unsubscribe(orderId: string, listener: OrderListener): void {
    const listeners = this.#listeners.get(orderId);
    if (!listeners) return;
    if (typeof listeners === 'function') {
      if (listeners === listener) this.#listeners.delete(orderId);
      return;
    }
    listeners.delete(listener);
    if (listeners.size === 0) this.#listeners.delete(orderId);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
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
