import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TurnBatcher } from '../../src/store/turn-batcher.js';
import { createTestGateway, signed, transactionFields } from '../helpers/gateway.js';

describe('TurnBatcher (one call per event-loop turn)', () => {
  test('rows inserted in one event-loop turn are written in one call, each caller told its own result', async () => {
    const calls: number[][] = [];
    const batcher = new TurnBatcher<number, boolean>(async (rows) => {
      calls.push(rows);
      return rows.map((n) => n % 2 === 0);
    });
    const results = await Promise.all([1, 2, 3, 4].map((n) => batcher.add(n)));
    assert.deepEqual(calls, [[1, 2, 3, 4]]);
    assert.deepEqual(results, [false, true, false, true]);
  });

  test('a later turn starts a new batch', async () => {
    const calls: number[][] = [];
    const batcher = new TurnBatcher<number, boolean>(async (rows) => (calls.push(rows), rows.map(() => true)));
    await batcher.add(1);
    await batcher.add(2);
    assert.deepEqual(calls, [[1], [2]]);
  });

  test('batches are cut at maxBatch rows', async () => {
    const calls: number[][] = [];
    const batcher = new TurnBatcher<number, boolean>(async (rows) => (calls.push(rows), rows.map(() => true)), 2);
    await Promise.all([1, 2, 3, 4, 5].map((n) => batcher.add(n)));
    assert.deepEqual(calls, [[1, 2], [3, 4], [5]]);
  });

  test('a failed write rejects every caller of that chunk, and only them', async () => {
    const batcher = new TurnBatcher<number, boolean>(async (rows) => {
      if (rows.includes(3)) throw new Error('disk full');
      return rows.map(() => true);
    }, 2);
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => batcher.add(n)));
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'fulfilled', 'rejected', 'rejected'],
    );
  });
});

describe('orders written by group commit', () => {
  test('100 concurrent creates, some repeating a reference, make exactly one order per reference', async () => {
    const gw = await createTestGateway();
    try {
      const references = Array.from({ length: 50 }, (_, i) => `batch-${i}`);
      const bodies = [...references, ...references].map((reference) =>
        signed(transactionFields(gw.merchant, { merchant_reference: reference }), gw.merchant.api_key),
      );
      const answers = await Promise.all(
        bodies.map((payload) => gw.app.inject({ method: 'POST', url: '/v2/transaction', payload }).then((r) => r.json())),
      );
      assert.ok(answers.every((a) => a.code === 0), JSON.stringify(answers.find((a) => a.code !== 0)));
      const rows = await gw.store.db.selectFrom('orders').select(['merchant_reference', 'nonce']).execute();
      assert.equal(rows.length, 50);
      assert.deepEqual(new Set(rows.map((r) => r.merchant_reference)), new Set(references));
      // Each reference's current nonce is one that was answered.
      const answered = new Set(answers.map((a) => a.nonce));
      assert.ok(rows.every((r) => answered.has(r.nonce)));
    } finally {
      await gw.close();
    }
  });

  test('batches of any size (cut into power-of-two inserts) write every order once', async () => {
    const gw = await createTestGateway();
    try {
      for (const count of [1, 3, 77, 200, 203]) {
        const bodies = Array.from({ length: count }, (_, i) =>
          signed(transactionFields(gw.merchant, { merchant_reference: `size-${count}-${i}` }), gw.merchant.api_key),
        );
        const answers = await Promise.all(bodies.map((payload) => gw.app.inject({ method: 'POST', url: '/v2/transaction', payload }).then((r) => r.json())));
        assert.equal(answers.filter((a) => a.code === 0).length, count);
        const rows = await gw.store.db.selectFrom('orders').select('nonce').where('merchant_reference', 'like', `size-${count}-%`).execute();
        assert.deepEqual(new Set(rows.map((r) => r.nonce)), new Set(answers.map((a) => a.nonce)));
      }
    } finally {
      await gw.close();
    }
  });
});
