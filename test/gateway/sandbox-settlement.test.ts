import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ChannelNotificationError } from '../../src/channels/channel.js';
import { listNotificationsForOrder } from '../../src/store/notifications.js';
import { startChannelPayment } from '../../src/gateway/payment-session.js';
import { findOrderById } from '../../src/store/orders.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { sandboxOf } from '../helpers/money.js';
import { answerOf, createOrder, hmac, settleOrder } from '../http/support.js';

/**
 * The statements a sandbox settlement saves (an insert or update answering its row, the
 * user taken from the cache inside the transaction) must not change what it does.
 */
describe('sandbox settlement', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(() => gw.close());

  function callbackFields(body: string): Record<string, string> {
    return Object.fromEntries(new URLSearchParams(body));
  }

  async function assertPaidWithSignedCallback(orderId: string, reference: string): Promise<void> {
    assert.equal((await findOrderById(gw.store.db, orderId))?.status, 'paid');
    const notifications = await listNotificationsForOrder(gw.store.db, orderId);
    assert.equal(notifications.length, 1, 'one callback');
    const fields = callbackFields(notifications[0].body);
    assert.equal(fields.merchant_reference, reference);
    assert.equal(fields.status, 'paid');
    assert.equal(
      fields.signature,
      hmac(gw.merchant.api_key, fields.merchant_reference + fields.payment_method + fields.status + fields.currency + fields.amount),
      "signed with the order's user's api key",
    );
  }

  test("settles and signs the callback when the order's user is not in the credential cache", async () => {
    const { orderId, reference } = await createOrder(gw);
    gw.app.gateway.credentials.forget(gw.merchant.user_id);
    assert.equal(gw.app.gateway.credentials.cachedUser(gw.merchant.user_id), undefined);
    const answer = answerOf(await settleOrder(gw, orderId, 'paid'));
    assert.equal(answer.code, 0, JSON.stringify(answer));
    assert.equal(answer.status, 'paid');
    await assertPaidWithSignedCallback(orderId, reference);
    assert.equal(gw.app.gateway.credentials.cachedUser(gw.merchant.user_id)?.id, gw.merchant.user_id, 'the user was looked up and kept');
  });

  test("settles and signs the callback with the user from the cache", async () => {
    const { orderId, reference } = await createOrder(gw);
    assert.ok(gw.app.gateway.credentials.cachedUser(gw.merchant.user_id), 'creating the order cached the user');
    assert.equal(answerOf(await settleOrder(gw, orderId, 'paid')).code, 0);
    await assertPaidWithSignedCallback(orderId, reference);
  });

  test("opening an order's trade again, or twice at once, keeps its first trade", async () => {
    const { orderId } = await createOrder(gw);
    const order = await findOrderById(gw.store.db, orderId);
    assert.ok(order);
    const request = { orderId, method: 'alipay' as const, amountMinor: 12000, currency: 'NZD', subject: 'x' };
    const [a, b] = await Promise.all([sandboxOf(gw).startPayment(request), sandboxOf(gw).startPayment(request)]);
    const c = await sandboxOf(gw).startPayment(request);
    assert.equal(a.tradeId, b.tradeId);
    assert.equal(a.tradeId, c.tradeId);
    assert.equal((await sandboxOf(gw).findTradeByOrder(orderId))?.trade_no, a.tradeId);
  });

  test('a trade settles once: settling it again re-sends its first outcome and changes nothing', async () => {
    const { orderId } = await createOrder(gw);
    const { tradeId } = await sandboxOf(gw).startPayment({ orderId, method: 'alipay', amountMinor: 12000, currency: 'NZD', subject: 'x' });
    const first = await sandboxOf(gw).settle(tradeId, 'paid');
    assert.equal(first.trade_status, 'TRADE_SUCCESS');
    const updatedAt = (await sandboxOf(gw).findTrade(tradeId))?.updated_at;
    const again = await sandboxOf(gw).settle(tradeId, 'failed');
    assert.equal(again.trade_status, 'TRADE_SUCCESS');
    assert.equal(again.event_id, first.event_id);
    const trade = await sandboxOf(gw).findTrade(tradeId);
    assert.equal(trade?.status, 'TRADE_SUCCESS');
    assert.equal(trade?.updated_at, updatedAt);
    assert.equal((await findOrderById(gw.store.db, orderId))?.status, 'paid');
    assert.equal((await listNotificationsForOrder(gw.store.db, orderId)).length, 1);
  });

  test('trades opened for several orders at once each land on their own order', async () => {
    const created = await Promise.all([createOrder(gw), createOrder(gw), createOrder(gw)]);
    const orders = await Promise.all(created.map(async ({ orderId }) => (await findOrderById(gw.store.db, orderId))!));
    const started = await Promise.all(orders.map((order) => startChannelPayment(gw.app.gateway, order)));
    for (const [k, { orderId }] of created.entries()) {
      const trade = await sandboxOf(gw).findTradeByOrder(orderId);
      assert.ok(trade);
      assert.equal(started[k].channel_trade_id, trade.trade_no);
      const stored = await findOrderById(gw.store.db, orderId);
      assert.equal(stored?.channel_trade_id, trade.trade_no, `order ${k} records its own trade`);
      assert.equal(stored?.channel_qr_url, sandboxOf(gw).walletUrl(trade.trade_no));
    }
  });

  test('two settlements of one trade at once: one outcome wins and both report it', async () => {
    const { orderId } = await createOrder(gw);
    const { tradeId } = await sandboxOf(gw).startPayment({ orderId, method: 'alipay', amountMinor: 12000, currency: 'NZD', subject: 'x' });
    const [first, second] = await Promise.all([sandboxOf(gw).settle(tradeId, 'failed'), sandboxOf(gw).settle(tradeId, 'paid')]);
    assert.equal(first.trade_status, 'TRADE_CLOSED', 'the first settlement made wins');
    assert.equal(second.trade_status, 'TRADE_CLOSED');
    assert.equal(second.event_id, first.event_id);
    assert.equal((await sandboxOf(gw).findTrade(tradeId))?.status, 'TRADE_CLOSED');
    assert.equal((await findOrderById(gw.store.db, orderId))?.status, 'failed');
    assert.equal((await listNotificationsForOrder(gw.store.db, orderId)).length, 1);
  });

  test('an unknown trade is refused', async () => {
    await assert.rejects(sandboxOf(gw).settle('SBXnothing', 'paid'), ChannelNotificationError);
  });
});
