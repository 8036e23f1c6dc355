import { performance } from 'node:perf_hooks';
import type { OrderEvents } from './order-events.js';

/**
 * One waiting query: a plain record in two intrusive lists (its order's waiters, and all
 * waiters by deadline), so that thousands of them cost a record and a promise each, not an
 * AbortSignal, a timer and a suspended async function each.
 */
class Waiter<T> {
  /** A check of the order is running. */
  checking = false;
  /** The order changed while it was being checked: check again. */
  changed = false;
  ended = false;
  /** The next waiter of the same order. */
  nextOfOrder: Waiter<T> | undefined = undefined;
  /** Neighbours in the list ordered by deadline. */
  earlier: Waiter<T> | undefined = undefined;
  later: Waiter<T> | undefined = undefined;

  constructor(
    readonly orderId: string,
    /** performance.now() at which the wait ends unanswered. */
    readonly deadline: number,
    readonly resolve: (found: T | undefined) => void,
    readonly reject: (error: unknown) => void,
  ) {}
}

/**
 * The queries waiting for an order to be done (`is_block=1` long-polls), in one registry:
 * woken by the order's change events (one subscription per order, however many wait on
 * it), ended by one timer for all of them (the earliest deadline) and, on shutdown, by one
 * listener for all of them. A waiter the caller stops (its client went away) leaves both
 * lists at once.
 */
export class OrderWaiters<T> {
  readonly #events: OrderEvents;
  readonly #check: (orderId: string) => Promise<T | undefined>;
  readonly #shutdown: AbortSignal;
  /** The first waiter of each order; the others follow through `nextOfOrder`. */
  readonly #byOrder = new Map<string, Waiter<T>>();
  #earliest: Waiter<T> | undefined;
  #latest: Waiter<T> | undefined;
  #size = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;

  /**
   * `check(orderId)` ends the wait for that order when it gives a value, which the wait then
   * resolves with (what the check read is what the waiter answers: no second read); undefined
   * means not yet. It runs again on each change. `shutdown` ends every wait when it aborts,
   * and answers new ones at once.
   */
  constructor(events: OrderEvents, check: (orderId: string) => Promise<T | undefined>, shutdown: AbortSignal) {
    this.#events = events;
    this.#check = check;
    this.#shutdown = shutdown;
    shutdown.addEventListener('abort', () => this.#endAll(), { once: true });
  }

  /**
   * Resolves with what `check(orderId)` gives once it gives something, checked now and again
   * on each change of the order; with undefined when `timeoutMs` pass, on shutdown, or when
   * the function handed to `whenStopped` is called. Subscribes before the first check, so a
   * change between the check and the wait is never missed.
   */
  wait(orderId: string, timeoutMs: number, whenStopped?: (stop: () => void) => void): Promise<T | undefined> {
    if (this.#shutdown.aborted) return Promise.resolve(undefined);
    return new Promise<T | undefined>((resolve, reject) => {
      const waiter = new Waiter<T>(orderId, performance.now() + timeoutMs, resolve, reject);
      this.#add(waiter);
      whenStopped?.(this.#stopOf(waiter));
      if (!waiter.ended) this.#checkOf(waiter);
    });
  }

  /** The function that stops `waiter`: made apart, so it keeps only the waiter, not wait()'s arguments. */
  #stopOf(waiter: Waiter<T>): () => void {
    return () => this.#end(waiter, undefined);
  }

  /** How many waits are in progress. */
  get size(): number {
    return this.#size;
  }

  /** How many orders have a wait in progress (each holds one subscription). */
  get orders(): number {
    return this.#byOrder.size;
  }

  /** Wakes the waiters of `orderId` (the subscription's listener, one function for every order). */
  readonly #changed = (orderId: string): void => {
    for (let waiter = this.#byOrder.get(orderId); waiter; waiter = waiter.nextOfOrder) {
      if (waiter.checking) waiter.changed = true;
      else this.#checkOf(waiter);
    }
  };

  #checkOf(waiter: Waiter<T>): void {
    waiter.checking = true;
    waiter.changed = false;
    let checked: Promise<T | undefined>;
    try {
      checked = this.#check(waiter.orderId);
    } catch (error) {
      checked = Promise.reject(error);
    }
    checked.then(
      (found) => {
        waiter.checking = false;
        if (waiter.ended) return;
        if (found !== undefined) this.#end(waiter, found);
        else if (waiter.changed) this.#checkOf(waiter);
      },
      (error: unknown) => this.#end(waiter, undefined, { error }),
    );
  }

  #add(waiter: Waiter<T>): void {
    const first = this.#byOrder.get(waiter.orderId);
    if (first) {
      waiter.nextOfOrder = first.nextOfOrder;
      first.nextOfOrder = waiter;
    } else {
      this.#byOrder.set(waiter.orderId, waiter);
      this.#events.subscribe(waiter.orderId, this.#changed);
    }
    // From the latest back: with one timeout for all, a new waiter goes last.
    let before = this.#latest;
    while (before && before.deadline > waiter.deadline) before = before.earlier;
    waiter.earlier = before;
    waiter.later = before ? before.later : this.#earliest;
    if (waiter.earlier) waiter.earlier.later = waiter;
    else this.#earliest = waiter;
    if (waiter.later) waiter.later.earlier = waiter;
    else this.#latest = waiter;
    this.#size++;
    if (waiter.deadline < this.#timerAt) this.#arm();
  }

  /** Ends a wait once: out of both lists, then its promise settles (rejects with `failed.error`). */
  #end(waiter: Waiter<T>, found: T | undefined, failed?: { error: unknown }): void {
    if (waiter.ended) return;
    waiter.ended = true;
    const first = this.#byOrder.get(waiter.orderId);
    if (first === waiter) {
      if (waiter.nextOfOrder) this.#byOrder.set(waiter.orderId, waiter.nextOfOrder);
      else {
        this.#byOrder.delete(waiter.orderId);
        this.#events.unsubscribe(waiter.orderId, this.#changed);
      }
    } else {
      let before = first;
      while (before && before.nextOfOrder !== waiter) before = before.nextOfOrder;
      if (before) before.nextOfOrder = waiter.nextOfOrder;
    }
    waiter.nextOfOrder = undefined;
    if (waiter.earlier) waiter.earlier.later = waiter.later;
    else this.#earliest = waiter.later;
    if (waiter.later) waiter.later.earlier = waiter.earlier;
    else this.#latest = waiter.earlier;
    waiter.earlier = waiter.later = undefined;
    this.#size--;
    // The timer stays set for a deadline that is no longer the earliest (it finds nothing
    // due and sets itself again), but not when nobody waits: it would hold the process.
    if (this.#size === 0) this.#arm();
    if (failed) waiter.reject(failed.error);
    else waiter.resolve(found);
  }

  /** Sets the one timer for the earliest deadline (none when nobody waits). */
  #arm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const earliest = this.#earliest;
    if (!earliest) return;
    this.#timerAt = earliest.deadline;
    this.#timer = setTimeout(this.#expire, Math.max(0, Math.ceil(earliest.deadline - performance.now())));
  }

  readonly #expire = (): void => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = performance.now();
    while (this.#earliest && this.#earliest.deadline <= now) this.#end(this.#earliest, undefined);
    this.#arm();
  };

  #endAll(): void {
    while (this.#earliest) this.#end(this.#earliest, undefined);
  }
}
