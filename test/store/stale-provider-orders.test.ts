import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { findStaleProviderOrders, staleProviderOrdersQuery } from '../../src/store/orders.js';
import { TEST_DIALECT } from '../helpers/database.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createOrder } from '../http/support.js';

describe('findStaleProviderOrders (the reconciliation sweep\'s orders)', () => {
  let gw: TestGateway;
  const real: string[] = [];
  before(async () => {
    gw = await createTestGateway();
    // Six of twelve orders move to a real provider's account: four pending and older than
    // the sweep looks at, one pending and newer, one paid. The other six stay the sandbox's.
    for (let i = 0; i < 12; i++) {
      const { orderId } = await createOrder(gw);
      if (i % 2 === 0) real.push(orderId);
    }
    for (const [i, orderId] of real.entries()) {
      await sql`update orders set provider_account_id = 'wechat-main', created_at = ${1_000 + i} where order_id = ${orderId}`.execute(gw.store.db);
    }
    await sql`update orders set status = 'paid' where order_id = ${real[5]}`.execute(gw.store.db);
  });
  after(() => gw.close());

  test('answers only a real provider\'s pending orders older than asked, oldest first, a page at a time', async () => {
    const first = await findStaleProviderOrders(gw.store.db, 1_004, undefined, 3);
    assert.deepEqual(first.map((o) => o.order_id), real.slice(0, 3));
    const last = first.at(-1)!;
    const second = await findStaleProviderOrders(gw.store.db, 1_004, { createdAt: Number(last.created_at), orderId: last.order_id }, 3);
    assert.deepEqual(second.map((o) => o.order_id), [real[3]]);
  });

  // SQLite's planner, without statistics, preferred orders_status_expires_idx (every pending
  // order, the sandbox's too: 400 ms with a million orders). PostgreSQL plans from its own
  // statistics and the bound values, so only the SQLite run asks for the plan.
  if (TEST_DIALECT === 'sqlite') test('on SQLite reads the partial index of real providers\' pending orders', async () => {
    const compiled = staleProviderOrdersQuery(gw.store.db, 1_004, { createdAt: 1_000, orderId: real[0] }, 3).compile(gw.store.db);
    const { rows } = await gw.store.db.executeQuery<{ detail: string }>({ ...compiled, sql: `explain query plan ${compiled.sql}` });
    const detail = rows.map((r) => r.detail).join('\n');
    assert.match(detail, /USING INDEX orders_provider_pending_idx/, detail);
    assert.doesNotMatch(detail, /orders_status_expires_idx|SCAN orders/, detail);
  });
});
