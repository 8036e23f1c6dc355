import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PostgresOrderEvents } from '../../src/notify/postgres-order-events.js';
import { createLogger } from '../../src/start/logger.js';
import { openStore } from '../../src/store/store.js';
import { createTestDatabase, TEST_DIALECT } from '../helpers/database.js';

/**
 * Order changes announced across instances with NOTIFY. Only in the PostgreSQL run of the
 * suite (scripts/test.mjs runs every file on both databases); on SQLite one process owns
 * the database and its order events stay in memory.
 */
if (TEST_DIALECT === 'postgres') {
  test('changes published in one turn reach every waiter on another instance, and close() announces what is still pending', async (t) => {
    const database = await createTestDatabase();
    t.after(() => database.cleanup());
    const store = await openStore(database.url, { poolSize: 3 });
    t.after(() => store.close());
    const pool = store.parts.pool;
    assert.ok(pool);
    const log = createLogger('silent');
    const a = await PostgresOrderEvents.start(pool, database.url, log);
    const b = await PostgresOrderEvents.start(pool, database.url, log);
    t.after(() => b.close());

    const woken = (events: PostgresOrderEvents, orderIds: string[]) =>
      Promise.all(orderIds.map((id) => new Promise<string>((resolve) => events.subscribe(id, () => resolve(id)))));
    const within = <T>(promise: Promise<T>, what: string) =>
      Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not woken within 5 s`)), 5_000).unref())]);

    // Ten changes in one turn of the event loop: B wakes a waiter for each.
    const first = Array.from({ length: 10 }, (_, i) => `order-${i}`);
    const onB = woken(b, first);
    const onA = woken(a, first);
    for (const id of first) a.publish(id);
    assert.deepEqual(await within(onA, 'the publishing instance'), first);
    assert.deepEqual(await within(onB, 'the other instance'), first);

    // Published just before close(): still announced.
    const last = ['order-last-1', 'order-last-2'];
    const lastOnB = woken(b, last);
    for (const id of last) a.publish(id);
    await a.close();
    assert.deepEqual(await within(lastOnB, 'the other instance after close'), last);
  });
}
