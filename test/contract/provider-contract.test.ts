// The provider contract: one list of scenarios, run against every provider through a small
// driver each (how the payer pays, with or without the notification; how a refund ends; how
// to spoil a notification or make the provider fail). A scenario a provider cannot express
// is not generated for it. The gateway listens on 127.0.0.1 (providers notify it there),
// its delivery worker posts callbacks to a merchant's server on 127.0.0.1, and WeChat Pay
// and Antom (Alipay) are the protocol-exact fakes: nothing leaves loopback.
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SANDBOX_FAIL_REFUND, SANDBOX_REFUND_PROCESSING, SANDBOX_REFUND_PROCESSING_FAILS } from '../../src/channels/sandbox/sandbox-provider.js';
import { resumeOpenRefunds } from '../../src/gateway/execute-refund.js';
import { expireDueOrders } from '../../src/gateway/expire-orders.js';
import { reconcileStalePayments } from '../../src/gateway/reconcile.js';
import { listNotificationsForOrder } from '../../src/store/notifications.js';
import { findOrderById } from '../../src/store/orders.js';
import { findLatestAttempt, type AttemptRecord } from '../../src/store/payment-attempts.js';
import { findRefund } from '../../src/store/refunds.js';
import { setSandboxTradeStatus } from '../../src/store/sandbox-trades.js';
import { startMerchantServer, waitFor, type MerchantServer } from '../e2e/helpers.js';
import type { FakeAntom } from '../fakes/antom/fake-antom.js';
import { FakeWechatPay } from '../fakes/wechatpay/fake-wechatpay.js';
import { antomFactories, configureAntom, makeAntomMerchant, startFakeAntom, type AntomMerchant } from '../helpers/antom.js';
import { createTestGateway, signed, type TestGateway, type TestGatewayOptions } from '../helpers/gateway.js';
import { cancel, ledgerOf, openAttemptOf, refund, refundsOf, sandboxOf } from '../helpers/money.js';
import { configureWechat, makeWechatMerchant, wechatFactories, type WechatMerchant } from '../helpers/wechatpay.js';
import { answerOf, createOrder, hmac } from '../http/support.js';

const TTL_MS = 7_200_000;
/** The adapters' per-call deadline here, and a delay past it. */
const TIMEOUT_MS = 400;
const PAST_TIMEOUT_MS = 1_200;

type Call = 'create' | 'query' | 'refund' | 'charge';
type Tampering = 'a bad signature' | 'a stale timestamp' | 'a probe signature' | 'an unknown key';

/** What the scenarios need from a provider; optional parts are what only some providers can do. */
interface Driver {
  readonly name: string;
  /** The payment method the provider serves in these scenarios. */
  readonly method: 'wechat' | 'alipay';
  /** What the payer pays in and at what rate, as the provider reports it for a payment (when it does). */
  readonly payer?: { readonly currency: string; readonly rate: string };
  /** Starts what the provider needs; answers the gateway's options. */
  start(): Promise<Partial<TestGatewayOptions>>;
  /** Gives the merchant's wallet its account with the provider (none for the sandbox). */
  configure(gw: TestGateway): Promise<void>;
  stop(): Promise<void>;
  /** The customer pays the attempt; `notify: false`: the provider's notification is lost. */
  pay(gw: TestGateway, attempt: AttemptRecord, options: { notify: boolean }): Promise<void>;
  /** The customer's payment is declined (the gateway learns it by notification, or by asking). */
  decline(gw: TestGateway, attempt: AttemptRecord): Promise<void>;
  /** Whether the provider's trade of the attempt can no longer be paid. */
  tradeClosed(gw: TestGateway, attempt: AttemptRecord): Promise<boolean>;
  /** Delivers the paid notification twice (a provider's retry). */
  payNotifiedTwice(gw: TestGateway, attempt: AttemptRecord): Promise<void>;
  /** A valid paid notification for another amount or currency than the order's. */
  notifyMismatch(gw: TestGateway, attempt: AttemptRecord, change: { amountMinor?: number; currency?: string }): Promise<void>;
  /** The reference that makes the refund be accepted as processing (the sandbox decides by it). */
  readonly processingReference: string;
  /** The reference of a refund accepted, then failed (the sandbox decides by it). */
  readonly failingReference: string;
  /** Makes the provider refuse the next refund at once; answers the reference to give it. */
  refuseNextRefund(): string;
  /** Ends a processing refund at the provider; `notify` sends its notification (when the provider has them). */
  endRefund(gw: TestGateway, refundId: string, outcome: 'succeeded' | 'failed', notify: boolean): Promise<void>;
  /** Refund notifications: the provider tells the gateway how a refund ended. */
  readonly refundNotifications: boolean;
  /** Reconciliation asks this provider about pending payments (the sandbox's orders are not swept). */
  readonly reconciled: boolean;
  /** The spoilt notifications the provider's fake can send. */
  readonly tamperings?: readonly Tampering[];
  /** A spoilt notification: answers what the gateway answered it. */
  tamper?(gw: TestGateway, attempt: AttemptRecord, tampering: Tampering): Promise<{ status: number; body: string }>;
  /** Whether an answer's body is the provider's own "not taken, send it again". */
  refusal?(body: string): boolean;
  /** The next call of this kind for the attempt fails: an error status, or no answer in time. */
  failNext?(call: Call, failure: '5xx' | 'timeout' | 'lost connection', attemptId: string): void;
  /** How many payments and refunds the provider holds for the attempt. */
  paymentsAt?(attemptId: string): number;
  refundsAt?(attemptId: string): number;
  /** A pay code the provider pays at once, declines, or holds until the customer confirms. */
  payCode(behaviour: 'paid' | 'declined' | 'pending'): string;
  /** The customer confirms a pending pay code payment (the gateway learns it by notification or by asking). */
  confirmPayCode(gw: TestGateway, attempt: AttemptRecord): Promise<void>;
  /**
   * A pay code whose charge the provider answers with neither a result nor a wait (Antom's
   * U/UNKNOWN_EXCEPTION): the payment exists and is in process until the customer confirms.
   */
  unknownPayCode?(): string;
}

function wechatCode(): string {
  let out = '13';
  while (out.length < 18) out += String(randomInt(0, 10));
  return out;
}

const sandboxDriver = (): Driver => ({
  name: 'sandbox',
  method: 'wechat',
  async start() {
    return { env: { SANDBOX_BARCODE_PENDING_MS: '100' } };
  },
  async configure() {},
  async stop() {},
  async pay(gw, attempt, { notify }) {
    await sandboxOf(gw).settle(String(attempt.provider_payment_id), 'paid', { notify });
  },
  async decline(gw, attempt) {
    await sandboxOf(gw).settle(String(attempt.provider_payment_id), 'failed');
  },
  async tradeClosed(gw, attempt) {
    return (await sandboxOf(gw).findTrade(String(attempt.provider_payment_id)))?.status === 'TRADE_CLOSED';
  },
  async payNotifiedTwice(gw, attempt) {
    await sandboxOf(gw).settle(String(attempt.provider_payment_id), 'paid');
    await sandboxOf(gw).settle(String(attempt.provider_payment_id), 'paid');
  },
  async notifyMismatch(gw, attempt, change) {
    const tradeNo = String(attempt.provider_payment_id);
    await setSandboxTradeStatus(gw.store.db, tradeNo, 'TRADE_SUCCESS', Date.now());
    const notification = sandboxOf(gw).signNotification({
      event_id: `${tradeNo}:mismatch`,
      trade_no: tradeNo,
      out_trade_no: attempt.attempt_id,
      trade_status: 'TRADE_SUCCESS',
      total_amount: change.amountMinor ?? Number(attempt.amount_minor),
      currency: change.currency ?? attempt.currency,
      gmt_payment: Date.now(),
    });
    const response = await gw.app.inject({ method: 'POST', url: '/channels/sandbox/notify', payload: notification });
    assert.equal(response.statusCode, 200);
  },
  processingReference: SANDBOX_REFUND_PROCESSING,
  failingReference: SANDBOX_REFUND_PROCESSING_FAILS,
  refuseNextRefund: () => SANDBOX_FAIL_REFUND,
  // The sandbox decides a processing refund's end by its reference, when asked.
  async endRefund() {},
  refundNotifications: false,
  reconciled: false,
  payCode(behaviour) {
    return wechatCode().slice(0, -1) + (behaviour === 'paid' ? '0' : behaviour === 'declined' ? '6' : '7');
  },
  // The sandbox's customer confirms on a timer (SANDBOX_BARCODE_PENDING_MS), and it notifies.
  async confirmPayCode() {},
});

const wechatDriver = (): Driver => {
  let fake: FakeWechatPay;
  let merchant: WechatMerchant;
  const callPattern = (call: Call, attemptId: string): RegExp =>
    call === 'create'
      ? /^POST \/v3\/global\/transactions\/(native|jsapi)$/
      : call === 'query'
        ? new RegExp(`^GET /v3/global/transactions/out-trade-no/${attemptId}\\?`)
        : call === 'refund'
          ? /^POST \/v3\/global\/refunds$/
          : /^POST \/v3\/global\/micropay\/transactions\/pay$/;
  return {
    name: 'wechatpay',
    method: 'wechat',
    payer: { currency: 'CNY', rate: '4.12345678' },
    async start() {
      merchant = makeWechatMerchant();
      fake = await FakeWechatPay.start({ merchants: [merchant.fake] });
      return { providerFactories: wechatFactories(fake, { timeoutMs: TIMEOUT_MS }) };
    },
    async configure(gw) {
      await configureWechat(gw, fake, merchant);
    },
    stop: () => fake.stop(),
    async pay(_gw, attempt, { notify }) {
      const record = await fake.pay(attempt.attempt_id, { notify, payerCurrency: 'CNY', payerTotal: Number(attempt.amount_minor) * 4, rate: 412_345_678 });
      if (notify) assert.equal(record?.acknowledged, true, `the gateway acknowledged ${record?.attempts.at(-1)?.status}`);
    },
    async decline(_gw, attempt) {
      fake.decline(attempt.attempt_id);
    },
    async tradeClosed(_gw, attempt) {
      const state = fake.order(attempt.attempt_id)?.state;
      return state === 'CLOSED' || state === 'REVOKED';
    },
    async payNotifiedTwice(_gw, attempt) {
      const record = await fake.pay(attempt.attempt_id);
      await fake.redeliver(String(record?.id));
      assert.equal(record?.attempts.length, 2);
      assert.ok(record?.attempts.every((a) => a.acknowledged), 'both acknowledged');
    },
    async notifyMismatch(_gw, attempt, change) {
      const record = await fake.notifyRaw(attempt.attempt_id, { amountTotal: change.amountMinor, currency: change.currency });
      assert.equal(record.acknowledged, true, 'taken in (and flagged): WeChat Pay need not send it again');
    },
    processingReference: 'refund',
    failingReference: 'refund',
    refuseNextRefund() {
      fake.failNext('/v3/global/refunds', { status: 403, body: { code: 'NOT_ENOUGH', message: '基本账户余额不足' } });
      return 'refused';
    },
    async endRefund(_gw, refundId, outcome, notify) {
      const record = await fake.completeRefund(refundId, outcome === 'succeeded' ? 'SUCCESS' : 'CLOSED', { notify });
      if (notify) assert.equal(record?.acknowledged, true);
    },
    refundNotifications: true,
    reconciled: true,
    tamperings: ['a bad signature', 'a stale timestamp', 'a probe signature', 'an unknown key'],
    async tamper(_gw, attempt, tampering) {
      const options = {
        'a bad signature': { badSignature: true },
        'a stale timestamp': { staleTimestampSeconds: 600 },
        'a probe signature': { probeSignature: true },
        'an unknown key': { unknownSerial: true },
      }[tampering];
      const record = await fake.notifyRaw(attempt.attempt_id, options);
      const last = record.attempts.at(-1);
      return { status: last?.status ?? 0, body: last?.responseBody ?? '' };
    },
    refusal: (body) => (JSON.parse(body) as { code?: string }).code === 'FAIL',
    failNext(call, failure, attemptId) {
      const matcher = callPattern(call, attemptId);
      if (failure === '5xx') fake.failNext(matcher, { status: 500, afterProcessing: call !== 'query' });
      else if (failure === 'lost connection') fake.failNext(matcher, { dropConnection: true, afterProcessing: true });
      else fake.failNext(matcher, { delayMs: PAST_TIMEOUT_MS });
    },
    paymentsAt: (attemptId) => (fake.order(attemptId) ? 1 : 0),
    refundsAt: (attemptId) => fake.refundsOf(attemptId).length,
    payCode(behaviour) {
      const code = wechatCode();
      if (behaviour === 'declined') fake.onPayCode(code, { declined: { status: 403, code: 'NOT_ENOUGH', message: '余额不足' } });
      if (behaviour === 'pending') fake.onPayCode(code, 'USERPAYING');
      return code;
    },
    async confirmPayCode(gw, attempt) {
      await fake.pay(attempt.attempt_id);
      // Quick Pay has no notification: the gateway asks.
      await reconcileAll(gw);
    },
  };
};

/** An Alipay pay code (25–30 and 16–24 digits in all). */
function alipayCode(): string {
  let out = '28';
  while (out.length < 18) out += String(randomInt(0, 10));
  return out;
}

const antomDriver = (): Driver => {
  let fake: FakeAntom;
  let merchant: AntomMerchant;
  const succeeded = (record: { acknowledged: boolean; attempts: ReadonlyArray<{ exactAcknowledgement: boolean }> } | undefined) => {
    assert.equal(record?.acknowledged, true, 'the gateway acknowledged the notification');
    assert.ok(record?.attempts.every((a) => a.exactAcknowledgement), 'with exactly the body Antom documents');
  };
  return {
    name: 'antom',
    method: 'alipay',
    payer: { currency: 'CNY', rate: '4.2' },
    async start() {
      merchant = makeAntomMerchant();
      fake = await startFakeAntom([merchant]);
      return { providerFactories: antomFactories({ timeoutMs: TIMEOUT_MS }) };
    },
    async configure(gw) {
      await configureAntom(gw, gw.merchant.wallet_id, fake, merchant);
    },
    stop: () => fake.stop(),
    async pay(_gw, attempt, { notify }) {
      const record = await fake.pay(attempt.attempt_id, { notify });
      if (notify) succeeded(record);
    },
    async decline(_gw, attempt) {
      await fake.decline(attempt.attempt_id);
    },
    async tradeClosed(_gw, attempt) {
      const status = fake.payment(attempt.attempt_id)?.status;
      return status === 'CANCELLED' || status === 'FAIL';
    },
    async payNotifiedTwice(_gw, attempt) {
      const record = await fake.pay(attempt.attempt_id);
      await fake.redeliver(String(record?.id));
      assert.equal(record?.attempts.length, 2);
      succeeded(record);
    },
    async notifyMismatch(_gw, attempt, change) {
      const record = await fake.notifyRaw(attempt.attempt_id, {
        ...(change.amountMinor !== undefined ? { amount: String(change.amountMinor) } : {}),
        ...(change.currency !== undefined ? { currency: change.currency } : {}),
      });
      assert.equal(record.acknowledged, true, 'taken in (and flagged): Antom need not send it again');
    },
    // Antom answers every refund U/REFUND_IN_PROCESS (the fake's default); notifyRefund or inquiryRefund ends it.
    processingReference: 'refund',
    failingReference: 'refund',
    refuseNextRefund() {
      fake.failNext('refund', { result: { resultCode: 'REFUND_AMOUNT_EXCEED', resultStatus: 'F', resultMessage: 'The total refund amount has exceeded the payment amount.' } });
      return 'refused';
    },
    async endRefund(_gw, refundId, outcome, notify) {
      const record = await fake.completeRefund(refundId, outcome === 'succeeded' ? 'SUCCESS' : 'FAIL', { notify });
      if (notify) succeeded(record);
    },
    refundNotifications: true,
    reconciled: true,
    // Antom has no probe signatures; its key is named by keyVersion.
    tamperings: ['a bad signature', 'a stale timestamp', 'an unknown key'],
    async tamper(_gw, attempt, tampering) {
      const options = {
        'a bad signature': { badSignature: true },
        'a stale timestamp': { staleTimeSeconds: 600 },
        'a probe signature': {},
        'an unknown key': { unknownKeyVersion: true },
      }[tampering];
      const record = await fake.notifyRaw(attempt.attempt_id, options);
      const last = record.attempts.at(-1);
      return { status: last?.status ?? 0, body: last?.responseBody ?? '' };
    },
    refusal: (body) => (JSON.parse(body) as { result?: { resultStatus?: string } }).result?.resultStatus !== 'S',
    failNext(call, failure, attemptId) {
      const endpoint = call === 'create' || call === 'charge' ? 'pay' : call === 'query' ? 'inquiryPayment' : 'refund';
      // An inquiry names the payment only in its body, by Antom's paymentId once known (a sweep asks about other orders too).
      const ids = [attemptId, fake.payment(attemptId)?.paymentId].filter((id): id is string => !!id);
      const matcher = call === 'query' ? (r: { endpoint?: string; body: string }) => r.endpoint === endpoint && ids.some((id) => r.body.includes(`"${id}"`)) : endpoint;
      // The adapter sends a cashier payment whose answer was lost once more at once (same
      // paymentRequestId): only a second failure reaches the page.
      const options = { times: call === 'create' ? 2 : 1 };
      if (failure === '5xx') fake.failNext(matcher, { status: 500, afterProcessing: call !== 'query' }, options);
      else if (failure === 'lost connection') fake.failNext(matcher, { dropConnection: true, afterProcessing: true }, options);
      else fake.failNext(matcher, { delayMs: PAST_TIMEOUT_MS }, options);
    },
    paymentsAt: (attemptId) => (fake.payment(attemptId) ? 1 : 0),
    refundsAt: (attemptId) => fake.refundsOf(attemptId).length,
    payCode(behaviour) {
      const code = alipayCode();
      fake.presentCode(code, behaviour === 'paid' ? 'paid' : behaviour === 'declined' ? 'declined' : 'confirm');
      return code;
    },
    async confirmPayCode(_gw, attempt) {
      succeeded(await fake.pay(attempt.attempt_id));
    },
    unknownPayCode() {
      const code = alipayCode();
      fake.presentCode(code, 'unknown');
      return code;
    },
  };
};

/** Reconciliation over every pending order with a real provider (all its batches). */
async function reconcileAll(gw: TestGateway): Promise<void> {
  let cursor: Parameters<typeof reconcileStalePayments>[2];
  do cursor = (await reconcileStalePayments(gw.app.gateway, 0, cursor)).cursor;
  while (cursor);
}

/** A gateway listening on 127.0.0.1 (its PUBLIC_URL), so providers can notify it. */
async function listeningGateway(options: Partial<TestGatewayOptions>, clock: () => number): Promise<{ gw: TestGateway; close(): Promise<void> }> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const gw = await createTestGateway({ ...options, worker: true, clock, env: { ...options.env, PUBLIC_URL: publicUrl } });
  await gw.app.ready();
  server.on('request', (req, res) => gw.app.server.emit('request', req, res));
  return {
    gw,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gw.close();
    },
  };
}

for (const makeDriver of [sandboxDriver, wechatDriver, antomDriver]) {
  const driver = makeDriver();

  describe(`provider contract: ${driver.name}`, () => {
    let gw: TestGateway;
    let closeGateway: () => Promise<void>;
    let shop: MerchantServer;
    let offset = 0;
    const clock = () => Date.now() + offset;

    before(async () => {
      shop = await startMerchantServer(() => 'sent');
      const opened = await listeningGateway(await driver.start(), clock);
      gw = opened.gw;
      closeGateway = opened.close;
      await driver.configure(gw);
    });

    after(async () => {
      await closeGateway();
      await driver.stop();
      await shop.close();
    });

    async function newOrder(amount = '120.00') {
      const created = await createOrder(gw, { payment_method: driver.method, amount, callback_url: shop.callbackUrl });
      const attempt = await openAttemptOf(gw, created.orderId);
      assert.equal(attempt.provider, driver.name);
      return { ...created, attempt };
    }

    const statusOf = async (orderId: string) => (await findOrderById(gw.store.db, orderId))?.status;
    const ledger = (orderId: string) => ledgerOf(gw, gw.merchant.wallet_id, orderId);
    /** Moves the gateway's clock past every order's expiry (never back). */
    const pastExpiry = () => (offset += TTL_MS + 60_000);
    /** The sweeps take what is older than now: a second later, what just happened is. */
    const reconcile = () => {
      offset += 1_000;
      return reconcileAll(gw);
    };
    const resume = () => {
      offset += 1_000;
      return resumeOpenRefunds(gw.app.gateway, 0);
    };

    async function paidCallback(reference: string, status: string) {
      const [callback] = await shop.waitForCallbacks(reference, 1);
      const f = callback.fields;
      assert.equal(f.status, status);
      assert.equal(f.signature, hmac(gw.merchant.api_key, f.merchant_reference + f.payment_method + f.status + f.currency + f.amount), 'signed with the api key');
      return f;
    }

    test('pays: the merchant gets the signed paid callback and the wallet is credited', async () => {
      const { orderId, reference, attempt } = await newOrder('120.00');
      await driver.pay(gw, attempt, { notify: true });
      assert.equal(await statusOf(orderId), 'paid');
      const fields = await paidCallback(reference, 'paid');
      assert.equal(fields.amount, '120.00');
      assert.deepEqual(await ledger(orderId), [['payment', 12_000]]);
      const stored = await findLatestAttempt(gw.store.db, orderId);
      assert.equal(stored?.status, 'paid');
      if (driver.payer) {
        assert.equal(stored?.payer_currency, driver.payer.currency);
        assert.equal(stored?.payer_rate, driver.payer.rate);
      }
    });

    test('a declined payment fails the order, learnt by notification or by asking', async () => {
      const { orderId, reference, attempt } = await newOrder();
      await driver.decline(gw, attempt);
      await reconcile();
      assert.equal(await statusOf(orderId), 'failed');
      await paidCallback(reference, 'failed');
      assert.deepEqual(await ledger(orderId), []);
    });

    test('a lost notification: the expiry asks first, and the order becomes paid, not failed', async () => {
      const { orderId, reference, attempt } = await newOrder();
      await driver.pay(gw, attempt, { notify: false });
      assert.equal(await statusOf(orderId), 'pending');
      pastExpiry();
      await expireDueOrders(gw.app.gateway);
      assert.equal(await statusOf(orderId), 'paid');
      await paidCallback(reference, 'paid');
      assert.deepEqual(await ledger(orderId), [['payment', 12_000]]);
    });

    test('an unpaid order at expiry: its trade is closed first, then the order fails', async () => {
      const { orderId, attempt } = await newOrder();
      pastExpiry();
      await expireDueOrders(gw.app.gateway);
      assert.equal(await statusOf(orderId), 'failed');
      assert.equal(await driver.tradeClosed(gw, attempt), true);
    });

    if (driver.reconciled) {
      test('a lost notification is found by reconciliation long before expiry', async () => {
        const { orderId, reference, attempt } = await newOrder();
        await driver.pay(gw, attempt, { notify: false });
        await reconcile();
        assert.equal(await statusOf(orderId), 'paid');
        await paidCallback(reference, 'paid');
      });
    }

    test('cancel closes the provider\'s trade', async () => {
      const { orderId, reference, attempt } = await newOrder();
      assert.equal(await driver.tradeClosed(gw, attempt), false);
      assert.equal((await cancel(gw, gw.merchant, reference)).code, 0);
      assert.equal(await statusOf(orderId), 'canceled');
      assert.equal(await driver.tradeClosed(gw, attempt), true);
    });

    test('a notification delivered twice is taken once: one callback, one credit', async () => {
      const { orderId, reference, attempt } = await newOrder();
      await driver.payNotifiedTwice(gw, attempt);
      assert.equal(await statusOf(orderId), 'paid');
      assert.equal((await listNotificationsForOrder(gw.store.db, orderId)).length, 1);
      await paidCallback(reference, 'paid');
      assert.deepEqual(await ledger(orderId), [['payment', 12_000]]);
    });

    for (const [what, change] of [
      ['another amount', { amountMinor: 11_999 }],
      ['another currency', { currency: 'AUD' }],
    ] as const) {
      test(`a payment for ${what} is flagged for review: the order stays pending, with no callback and no credit`, async () => {
        const { orderId, attempt } = await newOrder();
        await driver.notifyMismatch(gw, attempt, change);
        const order = await findOrderById(gw.store.db, orderId);
        assert.equal(order?.status, 'pending');
        assert.notEqual(order?.review_reason ?? null, null, 'flagged with its reason');
        assert.equal((await listNotificationsForOrder(gw.store.db, orderId)).length, 0);
        assert.deepEqual(await ledger(orderId), []);
      });
    }

    async function paidWithRefund(reference: string) {
      const { orderId, attempt } = await newOrder();
      await driver.pay(gw, attempt, { notify: true });
      const answer = await refund(gw, gw.merchant, orderId, '20.00', reference);
      return { orderId, attempt, answer };
    }

    test('a refund accepted as processing succeeds when the gateway asks again', async () => {
      const { orderId, answer } = await paidWithRefund(driver.processingReference);
      assert.equal(answer.code, 0, JSON.stringify(answer));
      const refundId = String(answer.refund_id);
      assert.equal((await findRefund(gw.store.db, refundId))?.status, 'processing');
      await driver.endRefund(gw, refundId, 'succeeded', false);
      await resume();
      assert.equal((await findRefund(gw.store.db, refundId))?.status, 'succeeded');
      assert.deepEqual(await ledger(orderId), [['payment', 12_000], ['refund', -2_000]]);
    });

    if (driver.refundNotifications) {
      test("a refund accepted as processing succeeds by the provider's notification", async () => {
        const { answer } = await paidWithRefund(driver.processingReference);
        const refundId = String(answer.refund_id);
        await driver.endRefund(gw, refundId, 'succeeded', true);
        assert.equal((await findRefund(gw.store.db, refundId))?.status, 'succeeded');
      });

      test("a refund that fails after acceptance, by notification: the money is back in the wallet", async () => {
        const { orderId, answer } = await paidWithRefund(driver.failingReference);
        const refundId = String(answer.refund_id);
        await driver.endRefund(gw, refundId, 'failed', true);
        assert.equal((await findRefund(gw.store.db, refundId))?.status, 'failed');
        assert.deepEqual(await ledger(orderId), [['payment', 12_000], ['refund', -2_000], ['refund_failed', 2_000]]);
      });
    }

    test('a refund that fails after acceptance, when asked: the money is back in the wallet', async () => {
      const { orderId, answer } = await paidWithRefund(driver.failingReference);
      assert.equal(answer.code, 0, JSON.stringify(answer));
      const refundId = String(answer.refund_id);
      await driver.endRefund(gw, refundId, 'failed', false);
      await resume();
      assert.equal((await findRefund(gw.store.db, refundId))?.status, 'failed');
      assert.deepEqual(await ledger(orderId), [['payment', 12_000], ['refund', -2_000], ['refund_failed', 2_000]]);
    });

    test('a refund the provider refuses at once fails, and the money stays in the wallet', async () => {
      const { orderId, attempt } = await newOrder();
      await driver.pay(gw, attempt, { notify: true });
      const answer = await refund(gw, gw.merchant, orderId, '20.00', driver.refuseNextRefund());
      assert.notEqual(answer.code, 0);
      assert.deepEqual(await ledger(orderId), [['payment', 12_000], ['refund', -2_000], ['refund_failed', 2_000]]);
    });

    test('barcode: a pay code paid at once, one declined, one the customer confirms later', async () => {
      const charge = async (payCode: string) => {
        const fields = { user_id: gw.merchant.user_id, wallet_id: gw.merchant.wallet_id, amount: '4.80', pay_code: payCode, merchant_reference: `bc-${randomInt(1e9)}`, callback_url: shop.callbackUrl };
        const answer = answerOf(await gw.app.inject({ method: 'POST', url: '/barcode', payload: signed(fields, gw.merchant.api_key) }));
        assert.equal(answer.code, 0, JSON.stringify(answer));
        return { orderId: String(answer.order_id), reference: fields.merchant_reference };
      };
      const paid = await charge(driver.payCode('paid'));
      assert.equal(await statusOf(paid.orderId), 'paid');
      await paidCallback(paid.reference, 'paid');
      const declined = await charge(driver.payCode('declined'));
      assert.equal(await statusOf(declined.orderId), 'failed');
      const pending = await charge(driver.payCode('pending'));
      assert.equal(await statusOf(pending.orderId), 'pending');
      await driver.confirmPayCode(gw, (await findLatestAttempt(gw.store.db, pending.orderId)) as AttemptRecord);
      await waitFor('the confirmed pay code payment', async () => (await statusOf(pending.orderId)) === 'paid', { timeoutMs: 5_000 });
      assert.deepEqual(await ledger(pending.orderId), [['payment', 480]]);
    });

    const { unknownPayCode } = driver;
    if (unknownPayCode) {
      test('barcode: a charge answered "unknown" is inquired about: pending while in process, asked again until paid, charged once', async () => {
        const fields = { user_id: gw.merchant.user_id, wallet_id: gw.merchant.wallet_id, amount: '4.80', pay_code: unknownPayCode(), merchant_reference: `bc-${randomInt(1e9)}`, callback_url: shop.callbackUrl };
        const answer = answerOf(await gw.app.inject({ method: 'POST', url: '/barcode', payload: signed(fields, gw.merchant.api_key) }));
        assert.equal(answer.code, 0, JSON.stringify(answer));
        const orderId = String(answer.order_id);
        assert.equal(await statusOf(orderId), 'pending', 'the inquiry says in process: the order waits');
        await reconcile();
        assert.equal(await statusOf(orderId), 'pending', 'still in process');
        const attempt = (await findLatestAttempt(gw.store.db, orderId)) as AttemptRecord;
        await driver.pay(gw, attempt, { notify: false });
        await reconcile();
        assert.equal(await statusOf(orderId), 'paid', 'the next inquiry finds it paid');
        await paidCallback(fields.merchant_reference, 'paid');
        assert.deepEqual(await ledger(orderId), [['payment', 480]]);
        assert.equal(driver.paymentsAt?.(attempt.attempt_id), 1, 'one payment at the provider');
      });
    }

    const { tamper, refusal } = driver;
    if (tamper && refusal) {
      for (const tampering of driver.tamperings ?? []) {
        test(`a notification with ${tampering} is refused (4xx/5xx, the provider's failure body) and changes nothing`, async () => {
          const { orderId, attempt } = await newOrder();
          const answer = await tamper(gw, attempt, tampering);
          assert.ok(answer.status >= 400 && answer.status < 600, String(answer.status));
          assert.ok(refusal(answer.body), answer.body);
          const order = await findOrderById(gw.store.db, orderId);
          assert.equal(order?.status, 'pending');
          assert.equal(order?.review_reason, null);
          assert.equal((await findLatestAttempt(gw.store.db, orderId))?.status, 'pending');
          assert.equal((await listNotificationsForOrder(gw.store.db, orderId)).length, 0);
          assert.deepEqual(await ledger(orderId), []);
          const events = await gw.store.db.selectFrom('channel_events').selectAll().where('order_id', '=', orderId).execute();
          assert.equal(events.length, 0);
        });
      }
    }

    const { failNext, paymentsAt, refundsAt } = driver;
    if (failNext && paymentsAt && refundsAt) {
      for (const failure of ['5xx', 'timeout'] as const) {
        test(`${failure} when opening the payment: the page asks again with the same attempt, and one payment exists`, async () => {
          const created = await createOrder(gw, { payment_method: driver.method, callback_url: shop.callbackUrl });
          failNext('create', failure, `${created.orderId}01`);
          await assert.rejects(openAttemptOf(gw, created.orderId));
          const attempt = await openAttemptOf(gw, created.orderId);
          assert.equal(attempt.attempt_id, `${created.orderId}01`);
          assert.equal(paymentsAt(attempt.attempt_id), 1);
          await driver.pay(gw, attempt, { notify: true });
          assert.equal(await statusOf(created.orderId), 'paid');
          assert.deepEqual(await ledger(created.orderId), [['payment', 12_000]]);
        });

        test(`${failure} when asking at expiry: the order waits (never failed unasked), and is paid at the next sweep`, async () => {
          const { orderId, attempt } = await newOrder();
          await driver.pay(gw, attempt, { notify: false });
          pastExpiry();
          failNext('query', failure, attempt.attempt_id);
          await expireDueOrders(gw.app.gateway);
          assert.equal(await statusOf(orderId), 'pending');
          await expireDueOrders(gw.app.gateway);
          assert.equal(await statusOf(orderId), 'paid');
        });

        test(`${failure} when refunding: the refund stays pending, is asked again with the same number, and refunds once`, async () => {
          const { orderId, attempt } = await newOrder();
          await driver.pay(gw, attempt, { notify: true });
          failNext('refund', failure, attempt.attempt_id);
          const answer = await refund(gw, gw.merchant, orderId, '20.00', driver.processingReference);
          assert.notEqual(answer.code, 0, 'no answer from the provider: the merchant is not told it worked');
          const [pending] = await refundsOf(gw, orderId);
          const refundId = pending.refund_id;
          assert.equal(pending.status, 'pending');
          await resume();
          assert.equal((await findRefund(gw.store.db, refundId))?.status, 'processing');
          await driver.endRefund(gw, refundId, 'succeeded', true);
          assert.equal((await findRefund(gw.store.db, refundId))?.status, 'succeeded');
          assert.equal(refundsAt(attempt.attempt_id), 1, 'refunded once');
          assert.deepEqual(await ledger(orderId), [['payment', 12_000], ['refund', -2_000]]);
        });
      }

      for (const failure of ['5xx', 'lost connection'] as const) {
        test(`${failure} when charging a pay code: the order waits, and is reversed at expiry while the customer has not confirmed`, async () => {
          const payCode = driver.payCode('pending');
          failNext('charge', failure, '');
          const fields = { user_id: gw.merchant.user_id, wallet_id: gw.merchant.wallet_id, amount: '4.80', pay_code: payCode, merchant_reference: `bc-${randomInt(1e9)}` };
          const answer = answerOf(await gw.app.inject({ method: 'POST', url: '/barcode', payload: signed(fields, gw.merchant.api_key) }));
          assert.equal(answer.code, 0, 'the outcome is unknown: the order waits');
          const orderId = String(answer.order_id);
          assert.equal(await statusOf(orderId), 'pending');
          await reconcile();
          assert.equal(await statusOf(orderId), 'pending', 'the customer has not confirmed yet');
          pastExpiry();
          await expireDueOrders(gw.app.gateway);
          assert.equal(await statusOf(orderId), 'failed');
          const attempt = (await findLatestAttempt(gw.store.db, orderId)) as AttemptRecord;
          assert.equal(await driver.tradeClosed(gw, attempt), true, 'reversed: it can no longer be paid');
          assert.equal(paymentsAt(attempt.attempt_id), 1);
        });
      }
    }
  });
}
