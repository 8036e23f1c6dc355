import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { SandboxProvider } from '../../src/channels/sandbox/sandbox-provider.js';
import { findSandboxTradeByOutTradeNo } from '../../src/store/sandbox-trades.js';
import { expireDueOrders } from '../../src/gateway/expire-orders.js';
import { ExpirySweeper } from '../../src/notify/expiry-sweeper.js';
import { walletBalance } from '../../src/store/ledger.js';
import { listNotificationsForOrder } from '../../src/store/notifications.js';
import { findOrderById, lockExpiredOrders, type OrderRecord } from '../../src/store/orders.js';
import { failPendingOrder } from '../../src/gateway/finish-pending-order.js';
import { startMerchantServer, waitFor } from '../e2e/helpers.js';
import { createTestGateway, signed, type TestGateway } from '../helpers/gateway.js';
import { answerOf, createOrder, hmac, settleOrder, subscriptionTo } from '../http/support.js';

const TTL_SECONDS = 600;
const START = Date.UTC(2026, 2, 1, 4, 0, 0);

/** A clock the test moves by hand. */
function manualClock() {
  let now = START;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

async function statusOf(gw: TestGateway, orderId: string): Promise<string | undefined> {
  return (await findOrderById(gw.store.db, orderId))?.status;
}

async function notificationsOf(gw: TestGateway, orderId: string) {
  return listNotificationsForOrder(gw.store.db, orderId);
}

/** Every row of orders and notifications, to show that a sweep changed nothing. */
async function snapshot(gw: TestGateway): Promise<string> {
  const orders = await gw.store.db.selectFrom('orders').selectAll().orderBy('order_id').execute();
  const notifications = await gw.store.db.selectFrom('notifications').selectAll().orderBy('id').execute();
  return JSON.stringify({ orders, notifications });
}

function assertFailedCallback(body: string, apiKey: string, reference: string, orderId: string): void {
  const fields = Object.fromEntries(new URLSearchParams(body));
  assert.equal(fields.status, 'failed');
  assert.equal(fields.merchant_reference, reference);
  assert.equal(fields.order_id, orderId);
  assert.equal(fields.amount, '120.00');
  assert.equal(
    fields.signature,
    hmac(apiKey, fields.merchant_reference + fields.payment_method + fields.status + fields.currency + fields.amount),
    'the callback is signed',
  );
}

describe('expireDueOrders', () => {
  const clock = manualClock();
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway({ clock: clock.now, env: { ORDER_TTL_SECONDS: String(TTL_SECONDS), SANDBOX_BARCODE_PENDING_MS: '600000' } });
  });
  after(async () => {
    await gw.close();
  });

  test('a pending order past its window fails with exactly one signed callback; paid and not-yet-due orders are untouched', async () => {
    const due = await createOrder(gw);
    const paid = await createOrder(gw);
    assert.equal(answerOf(await settleOrder(gw, paid.orderId, 'paid')).code, 0);
    clock.advance(300_000);
    const notYetDue = await createOrder(gw);
    clock.advance(TTL_SECONDS * 1000 - 300_000); // exactly the first two orders' expires_at

    const expired = await expireDueOrders(gw.app.gateway);
    assert.equal(expired, 1);

    assert.equal(await statusOf(gw, due.orderId), 'failed');
    const [notification, ...more] = await notificationsOf(gw, due.orderId);
    assert.ok(notification, 'the expired order has a callback');
    assert.deepEqual(more, [], 'exactly one');
    assert.equal(notification.status, 'pending');
    assert.equal(notification.url, due.fields.callback_url);
    assertFailedCallback(notification.body, gw.merchant.api_key, due.reference, due.orderId);

    assert.equal(await statusOf(gw, paid.orderId), 'paid');
    const paidNotifications = await notificationsOf(gw, paid.orderId);
    assert.equal(paidNotifications.length, 1, 'the paid order keeps only its paid callback');
    assert.equal(new URLSearchParams(paidNotifications[0].body).get('status'), 'paid');

    assert.equal(await statusOf(gw, notYetDue.orderId), 'pending');
    assert.deepEqual(await notificationsOf(gw, notYetDue.orderId), []);
  });

  test('the query API answers failed for an expired order, and a long-poll wakes when it expires', async () => {
    const order = await createOrder(gw);
    const signature = hmac(gw.merchant.api_key, `merchant_reference=${order.reference}&user_id=${gw.merchant.user_id}${gw.merchant.api_key}`);
    const waiting = subscriptionTo(gw, order.orderId);
    const longPoll = gw.app.inject({
      method: 'GET',
      url: `/v2/transaction/${order.reference}?user_id=${gw.merchant.user_id}&is_block=1&signature=${signature}`,
    });
    await waiting;
    clock.advance(TTL_SECONDS * 1000);
    assert.ok((await expireDueOrders(gw.app.gateway)) >= 1);
    const answer = answerOf(await longPoll);
    assert.equal(answer.code, 0);
    assert.equal(answer.status, 'failed');
    assert.equal(answer.order_id, order.orderId);
  });

  test('running the sweep again changes nothing', async () => {
    await createOrder(gw);
    clock.advance(TTL_SECONDS * 1000);
    assert.ok((await expireDueOrders(gw.app.gateway)) >= 1);
    const before = await snapshot(gw);
    assert.equal(await expireDueOrders(gw.app.gateway), 0);
    assert.equal(await expireDueOrders(gw.app.gateway), 0);
    assert.equal(await snapshot(gw), before);
  });

  test('sweeps running at once, in small batches, fail and notify each order exactly once', async () => {
    const orders = [];
    for (let i = 0; i < 40; i++) orders.push(await createOrder(gw));
    clock.advance(TTL_SECONDS * 1000);
    const counts = await Promise.all([
      expireDueOrders(gw.app.gateway, { batchSize: 7 }),
      expireDueOrders(gw.app.gateway, { batchSize: 7 }),
      expireDueOrders(gw.app.gateway, { batchSize: 5 }),
    ]);
    assert.equal(counts.reduce((a, b) => a + b, 0), orders.length, `expired once in all: ${counts.join(' + ')}`);
    for (const order of orders) {
      assert.equal(await statusOf(gw, order.orderId), 'failed');
      const notifications = await notificationsOf(gw, order.orderId);
      assert.equal(notifications.length, 1, `order ${order.orderId} is notified once`);
      assertFailedCallback(notifications[0].body, gw.merchant.api_key, order.reference, order.orderId);
    }
  });

  test('a sweep never takes orders another sweeper holds (PostgreSQL: skips them at once; SQLite: waits for its commit)', { timeout: 20_000 }, async () => {
    const orders = [];
    for (let i = 0; i < 5; i++) orders.push(await createOrder(gw));
    clock.advance(TTL_SECONDS * 1000);
    const ids = orders.map((o) => o.orderId);
    const now = clock.now();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let held!: (rows: OrderRecord[]) => void;
    const holding = new Promise<OrderRecord[]>((resolve) => (held = resolve));
    // Another instance's sweep: it has claimed the orders and has not committed yet.
    const other = gw.store.db.transaction().execute(async (trx) => {
      const claimed = await lockExpiredOrders(trx, ids, now);
      held(claimed);
      await released;
      for (const order of claimed) await failPendingOrder(trx, order, gw.merchant.api_key, gw.config.timeZoneOffsetMinutes, now);
    });
    assert.equal((await holding).length, ids.length);
    if (gw.store.kind === 'postgres') {
      assert.equal(await expireDueOrders(gw.app.gateway), 0, 'locked orders are skipped, without waiting');
      release();
      await other;
    } else {
      const sweeping = expireDueOrders(gw.app.gateway);
      release();
      await other;
      assert.equal(await sweeping, 0, 'the orders were final when the sweep got the database');
    }
    for (const order of orders) {
      assert.equal(await statusOf(gw, order.orderId), 'failed');
      assert.equal((await notificationsOf(gw, order.orderId)).length, 1, 'notified once, by the sweeper that held it');
    }
    assert.equal(await expireDueOrders(gw.app.gateway), 0);
  });

  test('a pending barcode payment without callback_url expires with no outbox row, and its trade can no longer be paid', async () => {
    const merchant = await gw.addMerchant();
    const payCode = '13' + String(randomInt(0, 1e9)).padStart(15, '0') + '7';
    const fields = { user_id: merchant.user_id, wallet_id: merchant.wallet_id, amount: '5.00', pay_code: payCode, merchant_reference: `bc-${randomInt(0, 1e9)}` };
    const answer = answerOf(await gw.app.inject({ method: 'POST', url: '/barcode', payload: signed(fields, merchant.api_key) }));
    assert.equal(answer.code, 0);
    const orderId = String(answer.order_id);
    assert.equal(await statusOf(gw, orderId), 'pending');

    clock.advance(TTL_SECONDS * 1000);
    assert.ok((await expireDueOrders(gw.app.gateway)) >= 1);
    assert.equal(await statusOf(gw, orderId), 'failed');
    assert.deepEqual(await notificationsOf(gw, orderId), []);

    // The customer confirms late: the closed trade reports a failure, never a payment.
    const sandbox = gw.app.gateway.providers.sandbox as SandboxProvider;
    const trade = await findSandboxTradeByOutTradeNo(gw.store.db, `${orderId}01`);
    assert.ok(trade);
    await sandbox.settle(trade.trade_no, 'paid');
    assert.equal(await statusOf(gw, orderId), 'failed');
    assert.equal(await walletBalance(gw.store.db, merchant.wallet_id), 0);
  });
});

describe('ExpirySweeper', () => {
  const clock = manualClock();
  let gw: TestGateway;
  let merchantServer: Awaited<ReturnType<typeof startMerchantServer>>;
  let sweeper: ExpirySweeper;
  before(async () => {
    merchantServer = await startMerchantServer(() => 'sent');
    gw = await createTestGateway({ clock: clock.now, worker: true, env: { ORDER_TTL_SECONDS: String(TTL_SECONDS) } });
    // As serve.ts starts it next to the delivery worker, with a short interval.
    sweeper = new ExpirySweeper({ sweep: () => expireDueOrders(gw.app.gateway), intervalMs: 50, log: gw.app.gateway.log });
    sweeper.start();
  });
  after(async () => {
    await sweeper.stop();
    await gw.close();
    await merchantServer.close();
  });

  test('expires orders as their window passes, and the merchant receives the failed callback', async () => {
    const order = await createOrder(gw, { callback_url: merchantServer.callbackUrl });
    clock.advance(TTL_SECONDS * 1000);
    await waitFor('the order to expire', async () => (await statusOf(gw, order.orderId)) === 'failed');
    const [callback] = await merchantServer.waitForCallbacks(order.reference, 1);
    assert.equal(callback.fields.status, 'failed');
    assert.equal(callback.fields.order_id, order.orderId);
    assert.equal(
      callback.fields.signature,
      hmac(gw.merchant.api_key, callback.fields.merchant_reference + callback.fields.payment_method + 'failed' + callback.fields.currency + callback.fields.amount),
    );
    await waitFor('the delivery to be recorded', async () => (await notificationsOf(gw, order.orderId))[0]?.status === 'delivered');
  });

  test('stop() waits for a sweep in progress and no sweep runs afterwards', async () => {
    let sweeps = 0;
    const runner = new ExpirySweeper({
      sweep: async () => {
        sweeps++;
        return 0;
      },
      intervalMs: 10,
      log: gw.app.gateway.log,
    });
    runner.start();
    await waitFor('a few sweeps', () => sweeps >= 3);
    await runner.stop();
    const after = sweeps;
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(sweeps, after);
  });

  test('a failing sweep is logged and tried again at the next interval', async () => {
    let calls = 0;
    const runner = new ExpirySweeper({
      sweep: async () => {
        calls++;
        if (calls === 1) throw new Error('database unavailable');
        return 0;
      },
      intervalMs: 10,
      log: gw.app.gateway.log,
    });
    runner.start();
    await waitFor('a second sweep', () => calls >= 2);
    await runner.stop();
  });
});
