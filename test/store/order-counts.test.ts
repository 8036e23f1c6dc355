import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { ORDER_STATUSES, type OrderStatus } from '../../src/domain/order-status.js';
import { finishPendingOrder } from '../../src/store/orders.js';
import { OrderStatusCounter, type OrderCounts } from '../../src/store/order-counts.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('OrderStatusCounter (orders by status without counting the whole table each time)', () => {
  // A database per test: a pending order of one test must not hold back the other's boundary.
  let gw: TestGateway;
  let n = 0;
  beforeEach(async () => {
    gw = await createTestGateway();
    n = 0;
  });
  afterEach(() => gw.close());

  /** An order row as the gateway writes it, with the given status and expiry. */
  async function insertOrder(status: OrderStatus, expiresAt: number): Promise<string> {
    const orderId = String(2026_0000_0000_0000n + BigInt(++n));
    await gw.store.db
      .insertInto('orders')
      .values({
        order_id: orderId,
        user_id: gw.merchant.user_id,
        wallet_id: gw.merchant.wallet_id,
        organisation_id: gw.merchant.organisation_id,
        merchant_reference: `count-${n}`,
        amount_minor: 100,
        currency: 'NZD',
        payment_method: 'alipay',
        product_name: 'p',
        return_url: 'https://m.example/r',
        callback_url: 'https://m.example/c',
        backpage_url: null,
        ip: '1.1.1.1',
        host_type: '0',
        present_qr: '0',
        request_hash: 'h',
        status,
        nonce: `nonce-${n}`,
        channel: 'sandbox',
        channel_trade_id: null,
        channel_qr_url: null,
        created_at: expiresAt - 2 * HOUR,
        expires_at: expiresAt,
        paid_at: null,
        updated_at: expiresAt - 2 * HOUR,
      })
      .execute();
    return orderId;
  }

  /** The plain count, over the whole table: what the counter must agree with. */
  async function countAll(): Promise<OrderCounts> {
    const rows = await gw.store.db.selectFrom('orders').select((eb) => ['status', eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
    const counts = Object.fromEntries(ORDER_STATUSES.map((s) => [s, 0])) as OrderCounts;
    for (const row of rows) counts[row.status as OrderStatus] = Number(row.n);
    return counts;
  }

  test('agrees with a full count as orders settle, expire and arrive, while the counted-once boundary moves on', async () => {
    const t0 = Date.now();
    // Old, settled orders (below any boundary), and recent ones, some pending.
    for (let i = 0; i < 6; i++) await insertOrder(i % 3 === 0 ? 'failed' : 'paid', t0 - 48 * HOUR + i * MINUTE);
    const canceledLongAgo = await insertOrder('canceled', t0 - 30 * HOUR);
    void canceledLongAgo;
    const recentPending = await insertOrder('pending', t0 + HOUR);
    await insertOrder('paid', t0 + 30 * MINUTE);

    const counter = new OrderStatusCounter(gw.store.db);
    assert.deepEqual(await counter.count(t0), await countAll());

    // A recent order settles; new ones arrive; time passes beyond their windows.
    assert.ok(await finishPendingOrder(gw.store.db, recentPending, 'paid', t0, t0));
    await insertOrder('pending', t0 + 3 * HOUR);
    await insertOrder('rejected', t0 + 2 * HOUR);
    assert.deepEqual(await counter.count(t0 + MINUTE), await countAll());
    // Hours later: the slice between the old and the new boundary is added, once.
    assert.deepEqual(await counter.count(t0 + 2 * HOUR), await countAll());
    const later = await counter.count(t0 + 2 * HOUR + MINUTE);
    assert.deepEqual(later, await countAll());
    assert.equal(later.paid + later.failed + later.canceled + later.rejected + later.pending, n);
  });

  test('an order left pending past its window holds the boundary back, and counts right once it is swept', async () => {
    const t0 = Date.now();
    const counter = new OrderStatusCounter(gw.store.db);
    // Expired hours ago and still pending (no process sweeping expiry).
    const stale = await insertOrder('pending', t0 - 5 * HOUR);
    await insertOrder('paid', t0 - 4 * HOUR);
    assert.deepEqual(await counter.count(t0), await countAll());
    // The sweeper comes back: the stale order fails. Were it below the boundary, it would be counted twice.
    assert.ok(await finishPendingOrder(gw.store.db, stale, 'failed', null, t0));
    assert.deepEqual(await counter.count(t0 + MINUTE), await countAll());
    await insertOrder('canceled', t0 + HOUR);
    assert.deepEqual(await counter.count(t0 + 6 * HOUR), await countAll());
  });
});
