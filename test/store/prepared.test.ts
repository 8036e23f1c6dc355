import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PreparedQuery } from '../../src/store/prepared.js';
import { openStore, type Store } from '../../src/store/store.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

describe('PreparedQuery (compiled once, run with fresh values)', () => {
  let database: TestDatabase;
  let store: Store;
  before(async () => {
    database = await createTestDatabase();
    store = await openStore(database.url);
    await store.db
      .insertInto('fx_rates')
      .values([
        { base: 'NZD', quote: 'CNY', rate: '4.6449', updated_at: 1 },
        { base: 'AUD', quote: 'CNY', rate: '4.7512', updated_at: 2 },
        { base: 'NZD', quote: 'USD', rate: '0.5900', updated_at: 3 },
      ])
      .execute();
  });
  after(async () => {
    await store.close();
    await database.cleanup();
  });

  const rateOf = new PreparedQuery((db, slot) =>
    db.selectFrom('fx_rates').select(['rate', 'updated_at']).where('base', '=', slot(0)).where('quote', '=', slot(1)),
  );
  // 'CNY' is written into the query; only the base is a slot.
  const toCny = new PreparedQuery((db, slot) => db.selectFrom('fx_rates').select('rate').where('quote', '=', 'CNY').where('base', '=', slot(0)));
  const touch = new PreparedQuery((db, slot) => db.updateTable('fx_rates').set({ updated_at: slot(1) }).where('base', '=', slot(0)));

  test('each run binds its own values in their slots', async () => {
    assert.deepEqual(await rateOf.first(store.db, ['NZD', 'CNY']), { rate: '4.6449', updated_at: 1 });
    assert.deepEqual(await rateOf.first(store.db, ['NZD', 'USD']), { rate: '0.5900', updated_at: 3 });
    assert.equal(await rateOf.first(store.db, ['USD', 'CNY']), undefined);
  });

  test('values compiled into the query stay as they were', async () => {
    assert.deepEqual(await toCny.rows(store.db, ['AUD']), [{ rate: '4.7512' }]);
    assert.deepEqual(await toCny.rows(store.db, ['NZD']), [{ rate: '4.6449' }]);
  });

  test('slots may be bound in any order, and updates report the rows they changed', async () => {
    assert.equal(await touch.affected(store.db, ['NZD', 99]), 2);
    assert.equal(await touch.affected(store.db, ['EUR', 99]), 0);
    assert.deepEqual(await rateOf.first(store.db, ['NZD', 'USD']), { rate: '0.5900', updated_at: 99 });
  });

  test('inside a transaction it runs on the transaction, which a rollback undoes', async () => {
    await assert.rejects(
      store.db.transaction().execute(async (trx) => {
        assert.equal(await touch.affected(trx, ['AUD', 7]), 1);
        assert.deepEqual(await rateOf.first(trx, ['AUD', 'CNY']), { rate: '4.7512', updated_at: 7 });
        throw new Error('roll back');
      }),
      /roll back/,
    );
    assert.deepEqual(await rateOf.first(store.db, ['AUD', 'CNY']), { rate: '4.7512', updated_at: 2 });
  });
});

describe('order lookups by reference, batched per event-loop turn', () => {
  test('concurrent lookups share one query and each gets its own order (or none)', async () => {
    const { createTestGateway, signed, transactionFields } = await import('../helpers/gateway.js');
    const { findOrderResultByReference } = await import('../../src/store/orders.js');
    const gw = await createTestGateway();
    try {
      const other = await gw.addMerchant();
      const references = ['a', 'b', 'c d', 'e+f'];
      for (const merchant of [gw.merchant, other]) {
        for (const reference of references) {
          const response = await gw.app.inject({
            method: 'POST',
            url: '/v2/transaction',
            payload: signed(transactionFields(merchant, { merchant_reference: reference, amount: merchant === gw.merchant ? '1.00' : '2.00' }), merchant.api_key),
          });
          assert.equal(response.json().code, 0);
        }
      }
      let queries = 0;
      const db = gw.store.db.withPlugin({
        transformQuery: (args) => args.node,
        // Called once per query run (compiled or not).
        transformResult: async (args) => (queries++, args.result),
      });
      const asked = [...references.map((r) => [gw.merchant.user_id, r] as const), [other.user_id, 'b'] as const, [gw.merchant.user_id, 'missing'] as const];
      const found = await Promise.all(asked.map(([userId, reference]) => findOrderResultByReference(db, userId, reference)));
      assert.deepEqual(
        found.map((o) => (o ? `${o.merchant_reference}:${o.amount_minor}` : 'none')),
        ['a:100', 'b:100', 'c d:100', 'e+f:100', 'b:200', 'none'],
      );
      assert.equal(queries, 1);
    } finally {
      await gw.close();
    }
  });
});
