import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, test } from 'node:test';
import { LocalOrderEvents, type OrderListener } from '../../src/notify/order-events.js';
import { OrderWaiters } from '../../src/notify/order-waiters.js';

/** Local order events that count the subscriptions open now. */
class CountedEvents extends LocalOrderEvents {
  open = 0;
  override subscribe(orderId: string, listener: OrderListener): () => void {
    this.open++;
    super.subscribe(orderId, listener);
    return () => this.unsubscribe(orderId, listener);
  }
  override unsubscribe(orderId: string, listener: OrderListener): void {
    this.open--;
    super.unsubscribe(orderId, listener);
  }
}

/** An order store in memory: which orders are done, and how many times each was checked. */
function orders() {
  const done = new Set<string>();
  const checks = new Map<string, number>();
  return {
    done,
    checks,
    isDone: async (orderId: string) => {
      checks.set(orderId, (checks.get(orderId) ?? 0) + 1);
      return done.has(orderId) ? true : undefined;
    },
  };
}

const settledYet = async <T>(promise: Promise<T>): Promise<boolean> => {
  let settled = false;
  void promise.then(() => (settled = true), () => (settled = true));
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  return settled;
};

describe('OrderWaiters', () => {
  test('a change of the order ends its waits once the order is done; a change of another order does not', async () => {
    const events = new CountedEvents();
    const store = orders();
    const waiters = new OrderWaiters(events, store.isDone, new AbortController().signal);
    const first = waiters.wait('o-1', 60_000);
    const second = waiters.wait('o-1', 60_000);
    const other = waiters.wait('o-2', 60_000);
    assert.equal(waiters.size, 3);
    assert.equal(waiters.orders, 2);
    assert.equal(events.open, 2, 'one subscription per order, however many wait on it');

    // Still pending when it changes: they check again and keep waiting.
    events.publish('o-1');
    assert.equal(await settledYet(first), false);
    assert.ok((store.checks.get('o-1') ?? 0) >= 4, 'each waiter checked at the start and on the change');

    store.done.add('o-1');
    events.publish('o-1');
    assert.equal(await first, true);
    assert.equal(await second, true);
    assert.equal(await settledYet(other), false);
    assert.equal(waiters.size, 1);
    assert.equal(events.open, 1);

    store.done.add('o-2');
    events.publish('o-2');
    assert.equal(await other, true);
    assert.equal(waiters.size, 0);
    assert.equal(waiters.orders, 0);
    assert.equal(events.open, 0);
  });

  test('an order already done answers at once; a change during a check is not lost', async () => {
    const events = new CountedEvents();
    const done = new Set(['o-done']);
    let releaseCheck = () => {};
    let checks = 0;
    const waiters = new OrderWaiters(
      events,
      async (orderId) => {
        checks++;
        // The first check of o-slow sees it pending, and is held until the order has changed.
        if (orderId === 'o-slow' && checks === 1) {
          await new Promise<void>((resolve) => (releaseCheck = resolve));
          return undefined;
        }
        return done.has(orderId) ? true : undefined;
      },
      new AbortController().signal,
    );
    assert.equal(await waiters.wait('o-done', 60_000), true);

    checks = 0;
    const slow = waiters.wait('o-slow', 60_000);
    await new Promise((resolve) => setImmediate(resolve));
    done.add('o-slow');
    events.publish('o-slow'); // while the first check is still running
    releaseCheck();
    assert.equal(await slow, true, 'checked again after the change');
    assert.equal(events.open, 0);
  });

  test('a stopped wait (its client went away) leaves no waiter and no subscription behind', async () => {
    const events = new CountedEvents();
    const store = orders();
    const waiters = new OrderWaiters(events, store.isDone, new AbortController().signal);
    const stops: Array<() => void> = [];
    const waits = Array.from({ length: 200 }, (_, i) => waiters.wait(`o-${i % 50}`, 60_000, (stop) => stops.push(stop)));
    assert.equal(waiters.size, 200);
    assert.equal(events.open, 50);
    for (const stop of stops) stop();
    assert.deepEqual(await Promise.all(waits), waits.map(() => undefined));
    assert.equal(waiters.size, 0);
    assert.equal(waiters.orders, 0);
    assert.equal(events.open, 0);
    // Stopping again, or a change of their orders now, does nothing.
    for (const stop of stops) stop();
    events.publish('o-1');
    assert.equal(waiters.size, 0);

    // Stopped before its first check: answered without waiting.
    assert.equal(await waiters.wait('o-x', 60_000, (stop) => stop()), undefined);
    assert.equal(waiters.size, 0);
  });

  test('stopping one of the waits of an order leaves the others waiting', async () => {
    const events = new CountedEvents();
    const store = orders();
    const waiters = new OrderWaiters(events, store.isDone, new AbortController().signal);
    const stops: Array<() => void> = [];
    const waits = [0, 1, 2].map(() => waiters.wait('o-1', 60_000, (stop) => stops.push(stop)));
    stops[1]();
    assert.equal(await waits[1], undefined);
    assert.equal(waiters.size, 2);
    assert.equal(events.open, 1);
    store.done.add('o-1');
    events.publish('o-1');
    assert.equal(await waits[0], true);
    assert.equal(await waits[2], true);
    assert.equal(events.open, 0);
  });

  test('shutdown ends every wait through one listener, and a wait after it answers at once', async () => {
    const events = new CountedEvents();
    const store = orders();
    const shutdown = new AbortController();
    const waiters = new OrderWaiters(events, store.isDone, shutdown.signal);
    const listeners = getEventListeners(shutdown.signal, 'abort').length;
    const waits = Array.from({ length: 100 }, (_, i) => waiters.wait(`o-${i}`, 60_000));
    assert.equal(getEventListeners(shutdown.signal, 'abort').length, listeners, 'no listener per wait');
    shutdown.abort();
    assert.deepEqual(await Promise.all(waits), waits.map(() => undefined));
    assert.equal(waiters.size, 0);
    assert.equal(events.open, 0);

    const checksBefore = [...store.checks.values()].reduce((a, b) => a + b, 0);
    assert.equal(await waiters.wait('o-late', 60_000), undefined);
    assert.equal([...store.checks.values()].reduce((a, b) => a + b, 0), checksBefore, 'not even checked');
    assert.equal(waiters.size, 0);
  });

  test('each wait ends unanswered after its own timeout, the later ones still waiting', async () => {
    const events = new CountedEvents();
    const store = orders();
    const waiters = new OrderWaiters(events, store.isDone, new AbortController().signal);
    const long = waiters.wait('o-long', 60_000);
    const short = [waiters.wait('o-1', 20), waiters.wait('o-2', 1), waiters.wait('o-3', 40)];
    assert.deepEqual(await Promise.all(short), [undefined, undefined, undefined]);
    assert.equal(waiters.size, 1);
    assert.equal(await settledYet(long), false);
    store.done.add('o-long');
    events.publish('o-long');
    assert.equal(await long, true);
    assert.equal(waiters.size, 0);
  });

  test('a failed check ends the wait with its error and removes the waiter', async () => {
    const events = new CountedEvents();
    const waiters = new OrderWaiters(events, async () => Promise.reject(new Error('database gone')), new AbortController().signal);
    await assert.rejects(waiters.wait('o-1', 60_000), /database gone/);
    assert.equal(waiters.size, 0);
    assert.equal(events.open, 0);
  });

  test('each wait resolves with what the check read when it found the order done, and is not checked again', async () => {
    const events = new CountedEvents();
    const rows = new Map<string, { status: string; reads: number }>();
    let reads = 0;
    const waiters = new OrderWaiters(
      events,
      async (orderId) => {
        reads++;
        const row = rows.get(orderId);
        return row && row.status !== 'pending' ? { ...row, reads } : undefined;
      },
      new AbortController().signal,
    );
    rows.set('o-1', { status: 'pending', reads: 0 });
    const first = waiters.wait('o-1', 60_000);
    const second = waiters.wait('o-1', 60_000);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(reads, 2);
    rows.set('o-1', { status: 'paid', reads: 0 });
    events.publish('o-1');
    const answers = await Promise.all([first, second]);
    assert.deepEqual(
      answers.map((a) => a?.status),
      ['paid', 'paid'],
    );
    // Each waiter got the row of its own check after the change (reads 3 and 4), nothing read after.
    assert.deepEqual(answers.map((a) => a?.reads).sort(), [3, 4]);
    assert.equal(reads, 4);
  });
});

describe('LocalOrderEvents', () => {
  test('one listener or several per order, each told the order id until it unsubscribes', () => {
    const events = new LocalOrderEvents();
    const heard: string[] = [];
    const shared: OrderListener = (orderId) => heard.push(`shared:${orderId}`);
    events.subscribe('a', shared);
    events.subscribe('b', shared);
    const own = events.subscribe('a', (orderId) => heard.push(`own:${orderId}`));
    events.publish('a');
    events.publish('b');
    assert.deepEqual(heard, ['shared:a', 'own:a', 'shared:b']);
    own();
    events.unsubscribe('b', shared);
    heard.length = 0;
    events.publish('a');
    events.publish('b');
    assert.deepEqual(heard, ['shared:a']);
    events.unsubscribe('a', shared);
    events.deliverAll();
    events.publish('a');
    assert.deepEqual(heard, ['shared:a']);
  });
});
