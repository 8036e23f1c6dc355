import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ProviderError } from '../../src/channels/provider.js';
import { listNotificationsForOrder } from '../../src/store/notifications.js';
import { findAttempt } from '../../src/store/payment-attempts.js';
import { findSandboxTradeByOutTradeNo } from '../../src/store/sandbox-trades.js';
import { findOrderById } from '../../src/store/orders.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { openAttemptOf, sandboxOf } from '../helpers/money.js';
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

  test("opening an order's attempt again, or twice at once, keeps its first attempt and trade", async () => {
    const { orderId } = await createOrder(gw);
    const [a, b] = await Promise.all([openAttemptOf(gw, orderId), openAttemptOf(gw, orderId)]);
    const c = await openAttemptOf(gw, orderId);
    assert.equal(a.attempt_id, `${orderId}01`);
    assert.deepEqual([b.attempt_id, c.attempt_id], [a.attempt_id, a.attempt_id]);
    assert.equal(b.provider_payment_id, a.provider_payment_id);
    assert.equal(c.provider_payment_id, a.provider_payment_id);
    assert.equal((await findSandboxTradeByOutTradeNo(gw.store.db, a.attempt_id))?.trade_no, a.provider_payment_id);
  });

  test('a trade settles once: settling it again re-sends its first outcome and changes nothing', async () => {
    const { orderId } = await createOrder(gw);
    const tradeNo = (await openAttemptOf(gw, orderId)).provider_payment_id as string;
    const first = await sandboxOf(gw).settle(tradeNo, 'paid');
    assert.equal(first.trade_status, 'TRADE_SUCCESS');
    const updatedAt = (await sandboxOf(gw).findTrade(tradeNo))?.updated_at;
    const again = await sandboxOf(gw).settle(tradeNo, 'failed');
    assert.equal(again.trade_status, 'TRADE_SUCCESS');
    assert.equal(again.event_id, first.event_id);
    const trade = await sandboxOf(gw).findTrade(tradeNo);
    assert.equal(trade?.status, 'TRADE_SUCCESS');
    assert.equal(trade?.updated_at, updatedAt);
    assert.equal((await findOrderById(gw.store.db, orderId))?.status, 'paid');
    assert.equal((await listNotificationsForOrder(gw.store.db, orderId)).length, 1);
  });

  test('attempts opened for several orders at once each land on their own order', async () => {
    const created = await Promise.all([createOrder(gw), createOrder(gw), createOrder(gw)]);
    const opened = await Promise.all(created.map(({ orderId }) => openAttemptOf(gw, orderId)));
    for (const [k, { orderId }] of created.entries()) {
      const attempt = opened[k];
      assert.equal(attempt.order_id, orderId);
      assert.equal(attempt.attempt_id, `${orderId}01`);
      const trade = await findSandboxTradeByOutTradeNo(gw.store.db, attempt.attempt_id);
      assert.equal(trade?.trade_no, attempt.provider_payment_id, `order ${k} has its own trade`);
      assert.deepEqual(JSON.parse(String(attempt.next_action)), { type: 'show_qr', qrContent: sandboxOf(gw).walletUrl(String(trade?.trade_no)) });
      assert.deepEqual(await findAttempt(gw.store.db, attempt.attempt_id), attempt, 'the attempt is stored as answered');
    }
  });

  test('two settlements of one trade at once: one outcome wins and both report it', async () => {
    const { orderId } = await createOrder(gw);
    const tradeNo = (await openAttemptOf(gw, orderId)).provider_payment_id as string;
    const [first, second] = await Promise.all([sandboxOf(gw).settle(tradeNo, 'failed'), sandboxOf(gw).settle(tradeNo, 'paid')]);
    assert.equal(first.trade_status, 'TRADE_CLOSED', 'the first settlement made wins');
    assert.equal(second.trade_status, 'TRADE_CLOSED');
    assert.equal(second.event_id, first.event_id);
    assert.equal((await sandboxOf(gw).findTrade(tradeNo))?.status, 'TRADE_CLOSED');
    assert.equal((await findOrderById(gw.store.db, orderId))?.status, 'failed');
    assert.equal((await listNotificationsForOrder(gw.store.db, orderId)).length, 1);
  });

  test('an unknown trade is refused', async () => {
    await assert.rejects(sandboxOf(gw).settle('SBXnothing', 'paid'), ProviderError);
  });
});
