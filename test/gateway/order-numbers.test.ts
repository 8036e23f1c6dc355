import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { OrderNumbers } from '../../src/gateway/order-numbers.js';
import { takeIdBlock } from '../../src/store/id-blocks.js';
import { openStore, type Store } from '../../src/store/store.js';
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from '../helpers/database.js';

/** A counter in memory that records each block it hands out; `fail` makes the next take fail. */
function fakeCounter() {
  const state = { next: 1, blocks: [] as number[], fail: false, pending: 0 };
  const take = async (size: number) => {
    state.pending++;
    await new Promise((resolve) => setImmediate(resolve));
    state.pending--;
    if (state.fail) {
      state.fail = false;
      throw new Error('database away');
    }
    const first = state.next;
    state.next += size;
    state.blocks.push(first);
    return first;
  };
  return { state, take };
}

describe('order numbers, a block at a time', () => {
  test('the first number waits for a block; the rest of the block is handed out synchronously', async () => {
    const { state, take } = fakeCounter();
    const numbers = new OrderNumbers(take, 10);
    assert.equal(await numbers.next(), 1);
    const rest: unknown[] = [];
    for (let i = 0; i < 4; i++) rest.push(numbers.next());
    assert.deepEqual(rest, [2, 3, 4, 5]);
    assert.deepEqual(state.blocks, [1]);
  });

  test('the next block is fetched when half of the current one is left, so the switch does not wait', async () => {
    const { state, take } = fakeCounter();
    const numbers = new OrderNumbers(take, 10);
    await numbers.next();
    for (let i = 0; i < 4; i++) numbers.next();
    assert.equal(state.pending, 1, 'fetching the next block');
    await new Promise((resolve) => setImmediate(resolve));
    const following: unknown[] = [];
    for (let i = 0; i < 6; i++) following.push(numbers.next());
    assert.deepEqual(following, [6, 7, 8, 9, 10, 11], 'from 11 on, the prefetched block, without waiting');
    assert.deepEqual(state.blocks, [1, 11]);
  });

  test('callers that outrun the blocks wait, and every one gets a different number', async () => {
    const { state, take } = fakeCounter();
    const numbers = new OrderNumbers(take, 4);
    const got = await Promise.all(Array.from({ length: 50 }, () => numbers.next()));
    assert.equal(new Set(got).size, 50);
    assert.ok(got.every((n) => Number.isInteger(n) && n >= 1 && n < state.next));
  });

  test('a failed fetch fails the callers waiting for it; the next caller fetches again', async () => {
    const { state, take } = fakeCounter();
    const numbers = new OrderNumbers(take, 4);
    state.fail = true;
    await assert.rejects(Promise.resolve(numbers.next()), /database away/);
    assert.equal(await numbers.next(), 1);
  });
});

// Two gateways on one database: on PostgreSQL two stores (pools) as two processes have; on
// SQLite, which one process serves alone (PROCESSES > 1 is refused), two counters on its store.
describe('order numbers shared by two gateways on one database', () => {
  let database: TestDatabase;
  let stores: Store[];
  before(async () => {
    database = await createTestDatabase();
    const first = await openStore(database.url);
    stores = [first, TEST_DIALECT === 'postgres' ? await openStore(database.url) : first];
  });
  after(async () => {
    for (const store of new Set(stores)) await store.close();
    await database.cleanup();
  });

  test('two gateways drawing at once never hand out the same number', async () => {
    const [a, b] = stores.map((store) => new OrderNumbers((size) => takeIdBlock(store.db, 'order', size), 7));
    const draw = async (numbers: OrderNumbers) => {
      const out: number[] = [];
      for (let i = 0; i < 300; i++) out.push(await numbers.next());
      return out;
    };
    const [fromA, fromB] = await Promise.all([draw(a!), draw(b!)]);
    const all = new Set([...fromA, ...fromB]);
    assert.equal(all.size, 600);
    assert.ok(Math.min(...all) >= 1);
    // Each process's numbers increase: an order id made later in a process sorts after.
    assert.deepEqual(fromA, [...fromA].sort((x, y) => x - y));
  });
});
