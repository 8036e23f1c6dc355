import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ChannelNotificationError, type ChannelOutcome } from '../../src/channels/channel.js';
import { applyChannelOutcome } from '../../src/gateway/apply-channel-outcome.js';
import type { GatewayContext } from '../../src/gateway/context.js';
import { startChannelPayment } from '../../src/gateway/payment-session.js';
import { listNotificationsForOrder } from '../../src/store/notifications.js';
import { findOrderById } from '../../src/store/orders.js';
import { setSandboxTradeStatus } from '../../src/store/sandbox-trades.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { cancel, ledgerOf } from '../helpers/money.js';
import { createOrder, hmac } from '../http/support.js';

/**
 * Provider outcomes that arrive in the same turn of the event loop (on PostgreSQL they are
 * applied together, in one transaction of multi-row statements) must each get the answer
 * and the effects they would get alone.
 */
describe('provider outcomes applied in one turn', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(() => gw.close());

  let eventCounter = 0;
  async function outcomeFor(orderId: string, outcome: 'paid' | 'failed', eventId?: string): Promise<ChannelOutcome> {
    const order = await findOrderById(gw.store.db, orderId);
    assert.ok(order);
    return {
      eventId: eventId ?? `evt-${++eventCounter}-${orderId}`,
      orderId,
      tradeId: `T-${orderId}`,
      outcome,
      amountMinor: Number(order.amount_minor),
      currency: order.currency,
      occurredAt: 1_790_000_000_000 + eventCounter,
    };
  }

  /** Starts every application in the same turn; each answer or error, in order. */
  function applyAll(ctx: GatewayContext, outcomes: ChannelOutcome[]) {
    return Promise.allSettled(outcomes.map((o) => applyChannelOutcome(ctx, 'sandbox', o)));
  }

  async function assertFinished(orderId: string, status: 'paid' | 'failed', paidAt: number | null, apiKey = gw.merchant.api_key) {
    const order = await findOrderById(gw.store.db, orderId);
    assert.equal(order?.status, status, orderId);
    assert.equal(order?.paid_at === null ? null : Number(order?.paid_at), paidAt);
    const notifications = await listNotificationsForOrder(gw.store.db, orderId);
    assert.equal(notifications.length, 1, `one callback for ${orderId}`);
    const fields = Object.fromEntries(new URLSearchParams(notifications[0].body));
    assert.equal(fields.status, status);
    assert.equal(fields.signature, hmac(apiKey, fields.merchant_reference + fields.payment_method + fields.status + fields.currency + fields.amount));
    const ledger = await ledgerOf(gw, order.wallet_id, orderId);
    assert.deepEqual(ledger, status === 'paid' ? [['payment', Number(order.amount_minor)]] : []);
  }

  test('each outcome gets its own answer and its own effects', async () => {
    const ctx = gw.app.gateway;
    const paid = await Promise.all([createOrder(gw), createOrder(gw, { amount: '0.07' }), createOrder(gw, { amount: '99999.99' })]);
    const declined = await createOrder(gw);
    const twice = await createOrder(gw);
    const settledBefore = await createOrder(gw);
    const cancelled = await createOrder(gw);
    const wrongAmount = await createOrder(gw);
    const other = await gw.addMerchant();
    const uncached = await createOrder(gw, {}, other);

    const earlier = await outcomeFor(settledBefore.orderId, 'paid');
    assert.equal(await applyChannelOutcome(ctx, 'sandbox', earlier), 'applied');
    assert.equal((await cancel(gw, gw.merchant, cancelled.reference)).code, 0);
    const cancelledOrder = await startChannelPayment(ctx, (await findOrderById(gw.store.db, cancelled.orderId))!);
    await setSandboxTradeStatus(gw.store.db, cancelledOrder.channel_trade_id!, 'TRADE_SUCCESS', Date.now());
    ctx.credentials.forget(other.user_id);

    const woken: string[] = [];
    const unsubscribe = paid.map(({ orderId }) => ctx.events.subscribe(orderId, () => woken.push(orderId)));
    const twiceOutcome = await outcomeFor(twice.orderId, 'paid');
    const outcomes = [
      ...(await Promise.all(paid.map(({ orderId }) => outcomeFor(orderId, 'paid')))),
      await outcomeFor(declined.orderId, 'failed'),
      twiceOutcome,
      { ...twiceOutcome },
      { ...(await outcomeFor(twice.orderId, 'failed')) },
      earlier,
      await outcomeFor(cancelled.orderId, 'paid'),
      { ...(await outcomeFor(wrongAmount.orderId, 'paid')), amountMinor: 1 },
      { ...(await outcomeFor(wrongAmount.orderId, 'paid')), orderId: 'no-such-order' },
      await outcomeFor(uncached.orderId, 'paid'),
    ];
    const answers = await applyAll(ctx, outcomes);
    for (const u of unsubscribe) u();

    const results = answers.map((a) => (a.status === 'fulfilled' ? a.value : a.reason instanceof ChannelNotificationError ? 'refused' : String(a.reason)));
    assert.deepEqual(results, ['applied', 'applied', 'applied', 'applied', 'applied', 'duplicate', 'unchanged', 'duplicate', 'reversed', 'refused', 'refused', 'applied']);

    for (const [k, { orderId }] of paid.entries()) await assertFinished(orderId, 'paid', outcomes[k].occurredAt);
    await assertFinished(declined.orderId, 'failed', null);
    await assertFinished(twice.orderId, 'paid', twiceOutcome.occurredAt);
    await assertFinished(settledBefore.orderId, 'paid', earlier.occurredAt);
    await assertFinished(uncached.orderId, 'paid', outcomes[11].occurredAt, other.api_key);
    assert.equal((await findOrderById(gw.store.db, cancelled.orderId))?.status, 'canceled');
    assert.equal((await findOrderById(gw.store.db, wrongAmount.orderId))?.status, 'pending');
    assert.deepEqual(woken.sort(), paid.map((p) => p.orderId).sort(), 'waiters on the applied orders were told');
  });

  test('a batch that cannot be written keeps nothing of it, and each outcome is then applied alone', async () => {
    // Two orders whose outcomes carry the same provider event id: written together they
    // break the event's uniqueness, so the batch's one statement fails as a whole.
    const orders = await Promise.all([createOrder(gw), createOrder(gw), createOrder(gw)]);
    const outcomes = await Promise.all(orders.map(({ orderId }) => outcomeFor(orderId, 'paid')));
    outcomes[1] = { ...outcomes[1], eventId: outcomes[0].eventId };
    const answers = await applyAll(gw.app.gateway, outcomes);
    assert.deepEqual(
      answers.map((a) => (a.status === 'fulfilled' ? a.value : String(a.reason))),
      ['applied', 'duplicate', 'applied'],
    );
    await assertFinished(orders[0].orderId, 'paid', outcomes[0].occurredAt);
    await assertFinished(orders[2].orderId, 'paid', outcomes[2].occurredAt);
    const untouched = await findOrderById(gw.store.db, orders[1].orderId);
    assert.equal(untouched?.status, 'pending');
    assert.equal((await listNotificationsForOrder(gw.store.db, orders[1].orderId)).length, 0);
    assert.deepEqual(await ledgerOf(gw, untouched!.wallet_id, orders[1].orderId), []);
  });
});
