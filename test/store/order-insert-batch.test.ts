import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { findOrderById, insertOrder, type OrderRecord } from '../../src/store/orders.js';
import { UniqueViolation } from '../../src/store/store.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';

// The creates of one event-loop turn go in together (on PostgreSQL as one statement with
// every column bound as an array): each row must come back exactly as written, and a row
// whose unique keys exist (in the table or earlier in the same batch) is refused alone.
describe('orders inserted together in one turn', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(() => gw.close());

  const order = (i: number, overrides: Partial<OrderRecord> = {}): OrderRecord => ({
    order_id: `20261201${String(900_000 + i).padStart(11, '0')}`,
    user_id: gw.merchant.user_id,
    wallet_id: gw.merchant.wallet_id,
    organisation_id: gw.merchant.organisation_id,
    merchant_reference: `batch-${i}`,
    amount_minor: 100 + i,
    currency: 'NZD',
    payment_method: 'alipay',
    product_name: i % 3 === 0 ? `Kiwi "quotes", {braces}, back\\slash, 中文 ${i}` : `product ${i}`,
    return_url: 'https://merchant.example/return?a=1&b={2}',
    callback_url: 'https://merchant.example/callback',
    backpage_url: i % 2 === 0 ? null : 'https://merchant.example/back',
    ip: '122.122.122.1',
    host_type: '0',
    present_qr: '0',
    request_hash: 'f'.repeat(64),
    status: 'pending',
    nonce: `${String(i).padStart(12, '0')}${'a'.repeat(52)}`,
    channel: 'sandbox',
    channel_trade_id: null,
    channel_qr_url: null,
    created_at: 1_764_547_200_000 + i,
    expires_at: 1_764_547_200_000 + i + 7_200_000,
    paid_at: null,
    updated_at: 1_764_547_200_000 + i,
    currency_rate: i % 4 === 0 ? null : '4.6123',
    amount_cny_minor: i % 4 === 0 ? null : 461 + i,
    review_reason: null,
    provider_account_id: 'sandbox',
    ...overrides,
  });

  test('300 creates of one turn are each stored exactly; duplicates in the batch and in the table are refused alone', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => order(i));
    await insertOrder(gw.store.db, order(1000, { merchant_reference: 'batch-taken' }));
    // Same reference as row 5, same nonce as row 6, same order id as row 7, a reference already in the table.
    const clashes = [
      order(2000, { merchant_reference: 'batch-5' }),
      order(2001, { nonce: rows[6].nonce }),
      { ...order(2002), order_id: rows[7].order_id },
      order(2003, { merchant_reference: 'batch-taken' }),
    ];
    const outcomes = await Promise.allSettled([...rows, ...clashes].map((row) => insertOrder(gw.store.db, row)));
    assert.deepEqual(
      outcomes.slice(0, 300).map((o) => o.status),
      rows.map(() => 'fulfilled'),
    );
    for (const outcome of outcomes.slice(300)) {
      assert.equal(outcome.status, 'rejected');
      assert.ok(outcome.status === 'rejected' && outcome.reason instanceof UniqueViolation);
    }
    for (const i of [0, 1, 3, 4, 5, 6, 7, 150, 299]) {
      const stored = await findOrderById(gw.store.db, rows[i].order_id);
      assert.ok(stored, `order ${i}`);
      for (const [column, value] of Object.entries(rows[i])) assert.equal(String(stored[column as keyof OrderRecord]), String(value), `${column} of order ${i}`);
    }
  });
});
