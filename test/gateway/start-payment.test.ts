// Which payment attempt a visit gets (src/gateway/start-payment.ts openAttempt, and the pages
// and routes that open attempts): never a new one for an order that can no longer be paid.
// A payment reported on an order that did not match it (flagged for review) marks its attempt
// paid while the order stays pending: a new attempt would let the customer pay twice.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LatipayError } from '../../src/domain/errors.js';
import { settleReport } from '../../src/gateway/settle-payment.js';
import { openAttempt } from '../../src/gateway/start-payment.js';
import { expireDueOrders } from '../../src/gateway/expire-orders.js';
import { listNotificationsForOrder } from '../../src/store/notifications.js';
import { findOrderById } from '../../src/store/orders.js';
import { listAttemptsOfOrder } from '../../src/store/payment-attempts.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { cancel, openAttemptOf } from '../helpers/money.js';
import { answerOf, createOrder, IPHONE_UA, PC_UA, settleOrder } from '../http/support.js';

describe('a payment attempt is opened only for an order that can still be paid', () => {
  let gw: TestGateway;

  let offset = 0;

  before(async () => {
    gw = await createTestGateway({ clock: () => Date.now() + offset });
  });

  after(() => gw.close());

  const page = (url: string, userAgent = PC_UA) => gw.app.inject({ method: 'GET', url, headers: { 'user-agent': userAgent, accept: 'text/html' } });
  const attemptsOf = (orderId: string) => listAttemptsOfOrder(gw.store.db, orderId);
  const refusedWith = (code: number) => (error: unknown) => error instanceof LatipayError && error.code === code;

  /** An order whose first attempt's provider reported 0.01 paid for 120.00: flagged, its attempt paid, the order pending. */
  async function flaggedOrder(overrides: Record<string, string> = {}) {
    const created = await createOrder(gw, overrides);
    const attempt = await openAttemptOf(gw, created.orderId);
    const result = await settleReport(gw.app.gateway, 'sandbox', `mismatch:${attempt.attempt_id}`, {
      attemptId: attempt.attempt_id,
      state: 'paid',
      amountMinor: 1,
      currency: 'NZD',
      occurredAt: Date.now(),
    });
    assert.equal(result, 'flagged');
    const order = await findOrderById(gw.store.db, created.orderId);
    assert.equal(order?.status, 'pending');
    assert.notEqual(order?.review_reason, null);
    assert.deepEqual((await attemptsOf(created.orderId)).map((a) => a.status), ['paid']);
    return created;
  }

  test('a flagged order: openAttempt refuses (900) and opens nothing, on any device', async () => {
    const { orderId } = await flaggedOrder();
    await assert.rejects(openAttemptOf(gw, orderId), refusedWith(900));
    const order = await findOrderById(gw.store.db, orderId);
    assert.ok(order);
    await assert.rejects(openAttempt(gw.app.gateway, order, { device: 'mobile', os: 'ios', purpose: 'payment_page', returnUrl: '' }), refusedWith(900));
    assert.equal((await attemptsOf(orderId)).length, 1, 'no second attempt');
  });

  test('a flagged order: the payment page and its result page say the payment is being checked, with no way to pay again', async () => {
    const { orderId, nonce } = await flaggedOrder();
    for (const [url, userAgent] of [[`/pay/${nonce}`, PC_UA], [`/pay/${nonce}`, IPHONE_UA], [`/pay/${nonce}/result`, PC_UA]]) {
      const response = await page(url, userAgent);
      assert.equal(response.statusCode, 200, `${url}: ${response.body.slice(0, 200)}`);
      assert.match(String(response.headers['content-type']), /^text\/html/);
      assert.match(response.body, /data-kind="underReview"/, url);
      assert.doesNotMatch(response.body, /data-qr-url=|data-test="redirect"/, 'nothing to pay with');
    }
    assert.equal((await attemptsOf(orderId)).length, 1);
  });

  test('a flagged order past its expiry: still "being checked", not "expired" (the customer did pay)', async () => {
    const { nonce } = await flaggedOrder();
    offset += 3 * 3_600_000;
    try {
      const response = await page(`/pay/${nonce}`);
      assert.equal(response.statusCode, 200);
      assert.match(response.body, /data-kind="underReview"/);
    } finally {
      offset -= 3 * 3_600_000;
    }
  });

  test('a flagged order past its expiry is left to the operator: the sweep neither fails nor notifies it', async () => {
    const { orderId } = await flaggedOrder();
    offset += 3 * 3_600_000;
    try {
      await expireDueOrders(gw.app.gateway);
      const order = await findOrderById(gw.store.db, orderId);
      assert.equal(order?.status, 'pending');
      assert.notEqual(order?.review_reason, null);
      assert.deepEqual(await listNotificationsForOrder(gw.store.db, orderId), [], 'no "failed" callback');
    } finally {
      offset -= 3 * 3_600_000;
    }
  });

  test('a flagged order: the sandbox will not pay it again (900)', async () => {
    const { orderId } = await flaggedOrder();
    assert.equal(answerOf(await settleOrder(gw, orderId, 'paid')).code, 900);
    assert.equal((await attemptsOf(orderId)).length, 1);
  });

  test("a flagged merchant-hosted order: gatewaydata shows the attempt that was paid, never a new QR", async () => {
    const created = await createOrder(gw, { host_type: '1', return_url: '' });
    const first = answerOf(await gw.app.inject({ method: 'GET', url: `/v2/merchanthosted/gatewaydata/${created.nonce}` }));
    assert.equal(first.code, 0, JSON.stringify(first));
    const [attempt] = await attemptsOf(created.orderId);
    await settleReport(gw.app.gateway, 'sandbox', `mismatch:${attempt.attempt_id}`, { attemptId: attempt.attempt_id, state: 'paid', amountMinor: 1, currency: 'NZD', occurredAt: Date.now() });
    const again = answerOf(await gw.app.inject({ method: 'GET', url: `/v2/merchanthosted/gatewaydata/${created.nonce}` }));
    assert.equal(again.code, 0, JSON.stringify(again));
    assert.equal((again.data as Record<string, string>).qr_code_url, (first.data as Record<string, string>).qr_code_url, 'the same QR, already paid');
    assert.equal((await attemptsOf(created.orderId)).length, 1, 'no second attempt');
  });

  test('an order cancelled after the caller read it (still pending in its record) gets no attempt (901)', async () => {
    const created = await createOrder(gw);
    const stale = await findOrderById(gw.store.db, created.orderId);
    assert.ok(stale);
    assert.equal((await cancel(gw, gw.merchant, created.reference)).code, 0);
    await assert.rejects(openAttempt(gw.app.gateway, stale, { device: 'pc', purpose: 'payment_page', returnUrl: '' }), refusedWith(901));
    assert.equal((await attemptsOf(created.orderId)).length, 0);
  });
});
