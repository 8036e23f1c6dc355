import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PaymentReport } from '../../src/channels/provider.js';
import type { GatewayContext } from '../../src/gateway/context.js';
import { settleReport } from '../../src/gateway/settle-payment.js';
import { listNotificationsForOrder } from '../../src/store/notifications.js';
import { findOrderById } from '../../src/store/orders.js';
import { findLatestAttempt } from '../../src/store/payment-attempts.js';
import { setSandboxTradeStatus } from '../../src/store/sandbox-trades.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { cancel, ledgerOf, openAttemptOf } from '../helpers/money.js';
import { createOrder, hmac } from '../http/support.js';

/**
 * Provider reports that arrive in the same turn of the event loop (on PostgreSQL those that
 * finish a pending order are carried out together, in one statement) must each get the
 * answer and the effects they would get alone.
 */
describe('provider reports settled in one turn', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(() => gw.close());

  let eventCounter = 0;
  type Outcome = { eventId: string; report: PaymentReport };
  /** A report on the order's (opened) attempt, as the sandbox would send it. */
  async function outcomeFor(orderId: string, outcome: 'paid' | 'failed', eventId?: string): Promise<Outcome> {
    const order = await findOrderById(gw.store.db, orderId);
    assert.ok(order);
    // An order no longer pending takes no new attempt: a late report is about the one it had.
    const attempt = order.status === 'pending' ? await openAttemptOf(gw, orderId) : await findLatestAttempt(gw.store.db, orderId);
    assert.ok(attempt);
    return {
      eventId: eventId ?? `evt-${++eventCounter}-${orderId}`,
      report: {
        attemptId: attempt.attempt_id,
        state: outcome,
        providerPaymentId: attempt.provider_payment_id ?? undefined,
        amountMinor: Number(order.amount_minor),
        currency: order.currency,
        occurredAt: 1_790_000_000_000 + eventCounter,
      },
    };
  }

  /** Starts every settlement in the same turn; each answer or error, in order. */
  function applyAll(ctx: GatewayContext, outcomes: Outcome[]) {
    return Promise.allSettled(outcomes.map((o) => settleReport(ctx, 'sandbox', o.eventId, o.report)));
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
    assert.equal(await settleReport(ctx, 'sandbox', earlier.eventId, earlier.report), 'applied');
    // Paid at the provider, but the merchant cancelled before the news arrived.
    const cancelledAttempt = await openAttemptOf(gw, cancelled.orderId);
    assert.equal((await cancel(gw, gw.merchant, cancelled.reference)).code, 0);
    await setSandboxTradeStatus(gw.store.db, cancelledAttempt.provider_payment_id!, 'TRADE_SUCCESS', Date.now());
    const cancelledPaid = await outcomeFor(cancelled.orderId, 'paid');
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
      cancelledPaid,
      await (async () => {
        const o = await outcomeFor(wrongAmount.orderId, 'paid');
        return { ...o, report: { ...o.report, amountMinor: 1 } };
      })(),
      await (async () => {
        const o = await outcomeFor(wrongAmount.orderId, 'paid');
        return { ...o, report: { ...o.report, attemptId: '999999999999999999999999999999' + '01' } };
      })(),
      await outcomeFor(uncached.orderId, 'paid'),
    ];
    const answers = await applyAll(ctx, outcomes);
    for (const u of unsubscribe) u();

    const results = answers.map((a) => (a.status === 'fulfilled' ? a.value : String(a.reason)));
    assert.deepEqual(results, ['applied', 'applied', 'applied', 'applied', 'applied', 'duplicate', 'unchanged', 'duplicate', 'reversed', 'flagged', 'unknown-attempt', 'applied']);

    for (const [k, { orderId }] of paid.entries()) await assertFinished(orderId, 'paid', outcomes[k].report.occurredAt);
    await assertFinished(declined.orderId, 'failed', null);
    await assertFinished(twice.orderId, 'paid', twiceOutcome.report.occurredAt);
    await assertFinished(settledBefore.orderId, 'paid', earlier.report.occurredAt);
    await assertFinished(uncached.orderId, 'paid', outcomes[11].report.occurredAt, other.api_key);
    assert.equal((await findOrderById(gw.store.db, cancelled.orderId))?.status, 'canceled');
    const flagged = await findOrderById(gw.store.db, wrongAmount.orderId);
    assert.equal(flagged?.status, 'pending');
    assert.match(String(flagged?.review_reason), /0\.01 NZD paid for an order of 120\.00 NZD/);
    assert.equal((await listNotificationsForOrder(gw.store.db, wrongAmount.orderId)).length, 0, 'no callback for a flagged order');
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
    await assertFinished(orders[0].orderId, 'paid', outcomes[0].report.occurredAt);
    await assertFinished(orders[2].orderId, 'paid', outcomes[2].report.occurredAt);
    const untouched = await findOrderById(gw.store.db, orders[1].orderId);
    assert.equal(untouched?.status, 'pending');
    assert.equal((await listNotificationsForOrder(gw.store.db, orders[1].orderId)).length, 0);
    assert.deepEqual(await ledgerOf(gw, untouched!.wallet_id, orders[1].orderId), []);
  });

  test("a report of an attempt whose row was never written is recorded from the report and taken; one naming another provider's or no order is not", async () => {
    // The gateway writes an attempt after its provider answers; a crash in between leaves the
    // provider with a payment the gateway has no row for. Its report still names the order.
    const lost = await createOrder(gw);
    const outcome = await outcomeFor(lost.orderId, 'paid');
    await gw.store.db.deleteFrom('payment_attempts').where('attempt_id', '=', outcome.report.attemptId).execute();
    const notOurs = await createOrder(gw);
    const notOursOutcome = await outcomeFor(notOurs.orderId, 'paid');
    await gw.store.db.deleteFrom('payment_attempts').where('attempt_id', '=', notOursOutcome.report.attemptId).execute();
    const answers = await Promise.allSettled([
      settleReport(gw.app.gateway, 'sandbox', outcome.eventId, outcome.report),
      // The order is the sandbox's: a report from another provider about it is not believed.
      settleReport(gw.app.gateway, 'wechatpay', notOursOutcome.eventId, notOursOutcome.report),
      // An id that is no attempt of its order's (three digits after the order id).
      settleReport(gw.app.gateway, 'sandbox', `${notOursOutcome.eventId}-b`, { ...notOursOutcome.report, attemptId: `${notOurs.orderId}001` }),
    ]);
    assert.deepEqual(
      answers.map((a) => (a.status === 'fulfilled' ? a.value : String(a.reason))),
      ['applied', 'unknown-attempt', 'unknown-attempt'],
    );
    await assertFinished(lost.orderId, 'paid', outcome.report.occurredAt);
    const recovered = await gw.store.db.selectFrom('payment_attempts').selectAll().where('order_id', '=', lost.orderId).execute();
    assert.deepEqual(
      recovered.map((a) => [a.attempt_id, a.provider, a.status, a.flow]),
      [[outcome.report.attemptId, 'sandbox', 'paid', 'unknown']],
    );
    assert.equal((await findOrderById(gw.store.db, notOurs.orderId))?.status, 'pending');
    assert.equal((await gw.store.db.selectFrom('payment_attempts').select('attempt_id').where('order_id', '=', notOurs.orderId).execute()).length, 0);
  });
});
