import { performance } from 'node:perf_hooks';
import type { OrderEvents } from './order-events.js';

/**
 * One waiting query: a plain record in two intrusive lists (its order's waiters, and all
 * waiters by deadline), so that thousands of them cost a record and a promise each, not an
 * AbortSignal, a timer and a suspended async function each.
 */
class Waiter {
  /** A check of the order is running. */
  checking = false;
  /** The order changed while it was being checked: check again. */
  changed = false;
  ended = false;
  /** The next waiter of the same order. */
  nextOfOrder: Waiter | undefined = undefined;
  /** Neighbours in the list ordered by deadline. */
  earlier: Waiter | undefined = undefined;
  later: Waiter | undefined = undefined;

  constructor(
    readonly orderId: string,
    /** performance.now() at which the wait ends unanswered. */
    readonly deadline: number,
    readonly resolve: (done: boolean) => void,
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
export class OrderWaiters {
  readonly #events: OrderEvents;
  readonly #isDone: (orderId: string) => Promise<boolean>;
  readonly #shutdown: AbortSignal;
  /** The first waiter of each order; the others follow through `nextOfOrder`. */
  readonly #byOrder = new Map<string, Waiter>();
  #earliest: Waiter | undefined;
  #latest: Waiter | undefined;
  #size = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;

  /**
   * `isDone(orderId)` says whether the wait for that order is over (it is read again on each
   * change). `shutdown` ends every wait when it aborts, and answers new ones at once.
   */
  constructor(events: OrderEvents, isDone: (orderId: string) => Promise<boolean>, shutdown: AbortSignal) {
    this.#events = events;
    this.#isDone = isDone;
    this.#shutdown = shutdown;
    shutdown.addEventListener('abort', () => this.#endAll(), { once: true });
  }

  /**
   * Resolves true when `isDone(orderId)` holds, checked now and again on each change of the
   * order; false when `timeoutMs` pass, on shutdown, or when the function handed to
   * `whenStopped` is called. Subscribes before the first check, so a change between the
   * check and the wait is never missed.
   */
  wait(orderId: string, timeoutMs: number, whenStopped?: (stop: () => void) => void): Promise<boolean> {
    if (this.#shutdown.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve, reject) => {
      const waiter = new Waiter(orderId, performance.now() + timeoutMs, resolve, reject);
      this.#add(waiter);
      whenStopped?.(this.#stopOf(waiter));
      if (!waiter.ended) this.#check(waiter);
    });
  }

  /** The function that stops `waiter`: made apart, so it keeps only the waiter, not wait()'s arguments. */
  #stopOf(waiter: Waiter): () => void {
    return () => this.#end(waiter, false);
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
      else this.#check(waiter);
    }
  };

  #check(waiter: Waiter): void {
    waiter.checking = true;
    waiter.changed = false;
    let done: Promise<boolean>;
    try {
      done = this.#isDone(waiter.orderId);
    } catch (error) {
      done = Promise.reject(error);
    }
    done.then(
      (isDone) => {
        waiter.checking = false;
        if (waiter.ended) return;
        if (isDone) this.#end(waiter, true);
        else if (waiter.changed) this.#check(waiter);
      },
      (error: unknown) => this.#end(waiter, false, { error }),
    );
  }

  #add(waiter: Waiter): void {
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
  #end(waiter: Waiter, done: boolean, failed?: { error: unknown }): void {
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
    else waiter.resolve(done);
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
    while (this.#earliest && this.#earliest.deadline <= now) this.#end(this.#earliest, false);
    this.#arm();
  };

  #endAll(): void {
    while (this.#earliest) this.#end(this.#earliest, false);
  }
}
