// Alipay through Antom, end to end: the gateway on a loopback port with a wallet configured for
// Antom, the fake Antom playing the customer and Antom (its notifications reach the gateway over
// real sockets, signed), and a merchant server receiving the signed callbacks. Run on SQLite and
// on PostgreSQL by scripts/test.mjs. What every provider must do (pay, decline, lost notifications,
// expiry, cancel, spoilt and repeated notifications, mismatches, refunds, barcode outcomes, failures)
// is proven for Antom by the contract suite (test/contract/provider-contract.test.ts); these are
// Antom's own: the cashier links per device, the in-store order code, its answers and ids.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { reconcileStalePayments } from '../../../src/gateway/reconcile.js';
import { listAuditEvents } from '../../../src/store/audit-events.js';
import { listLedgerEntries } from '../../../src/store/ledger.js';
import { listOrders } from '../../../src/store/orders.js';
import { resultSignature, waitFor } from '../../e2e/helpers.js';
import { ALIPAY_UA, ANDROID_UA, hrefOf, IPHONE_UA, PC_UA, startAntomWorld, type AntomWorld } from './antom-world.js';

const EXACT_ACK = '{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}';

async function assertPaidCallback(world: AntomWorld, reference: string): Promise<void> {
  const [callback] = await world.shop.waitForCallbacks(reference, 1);
  assert.equal(callback.fields.status, 'paid');
  assert.equal(callback.fields.payment_method, 'alipay');
  assert.equal(callback.fields.signature, resultSignature(callback.fields, world.gw.merchant.api_key));
}

/** An Alipay pay code (25–30, 16–24 digits) that no other test uses. */
let codeSeq = 0;
function alipayCode(): string {
  return `28${String(Date.now()).slice(-9)}${String(++codeSeq).padStart(7, '0')}`;
}

describe('Alipay through Antom, end to end', () => {
  let world: AntomWorld;

  before(async () => {
    world = await startAntomWorld();
  });

  after(() => world.close());

  describe('the hosted page: Cashier Payment', () => {
    test('on a PC: a button to Alipay’s cashier (normalUrl, a new tab); paid → notification → order paid → signed callback', async () => {
      const order = await world.createOrder();
      const page = await world.page(order.nonce, PC_UA);
      assert.equal(page.statusCode, 200);
      const attempt = await world.attempt(order.orderId);
      assert.equal(attempt.provider, 'antom');
      assert.equal(attempt.flow, 'redirect');
      const payment = world.fake.payment(attempt.attempt_id);
      assert.ok(payment);
      assert.equal(payment.terminalType, 'WEB');
      assert.equal(hrefOf(page.body, 'redirect'), `${world.fake.baseUrl}/cashier/checkout?paymentId=${payment.paymentId}`);
      assert.match(page.body, /data-test="redirect"[^>]*target="_blank"/);
      assert.ok(!page.body.includes('data-auto-redirect="1"'), 'a PC is not sent away by itself');
      assert.doesNotMatch(String(page.headers['content-security-policy']), /unsafe-inline/);
      assert.equal(payment.request.paymentRedirectUrl, `${world.publicUrl}/pay/${order.nonce}`);
      assert.equal(payment.notifyUrl, world.notifyUrl);
      assert.equal(attempt.provider_payment_id, payment.paymentId);
      // The same page again shows the same payment: nothing new at Antom.
      await world.page(order.nonce, PC_UA);
      assert.equal(world.fake.requestsTo('pay').filter((r) => r.body.includes(attempt.attempt_id)).length, 1);

      const notification = await world.fake.pay(attempt.attempt_id);
      assert.equal(notification?.acknowledged, true);
      assert.equal(notification?.attempts[0].responseBody, EXACT_ACK);
      assert.equal(notification?.attempts[0].exactAcknowledgement, true);
      const paid = await world.order(order.orderId);
      assert.equal(paid.status, 'paid');
      const settled = await world.attempt(order.orderId);
      assert.equal(settled.status, 'paid');
      assert.equal(settled.payer_currency, 'CNY');
      assert.equal(Number(settled.payer_amount_minor), 50400);
      assert.equal(settled.payer_rate, '4.2');
      await assertPaidCallback(world, order.reference);
      const ledger = await listLedgerEntries(world.gw.store.db, world.gw.merchant.wallet_id);
      assert.deepEqual(ledger.filter((e) => e.order_id === order.orderId).map((e) => [e.kind, Number(e.amount_minor)]), [['payment', 12000]]);
    });

    test('on a phone: WAP with its OS, the app link, and the page goes there by itself; inside Alipay: the alipays:// link', async () => {
      const iphone = await world.createOrder();
      const onIphone = await world.page(iphone.nonce, IPHONE_UA);
      const iphonePayment = world.fake.payment((await world.attempt(iphone.orderId)).attempt_id);
      assert.equal(iphonePayment?.terminalType, 'WAP');
      assert.equal((iphonePayment?.request.env as Record<string, string>).osType, 'IOS');
      assert.equal(hrefOf(onIphone.body, 'redirect'), `${world.fake.baseUrl}/cashier/applink?paymentId=${iphonePayment?.paymentId}`);
      assert.match(onIphone.body, /data-test="redirect" data-auto-redirect="1"/);

      const android = await world.createOrder();
      await world.page(android.nonce, ANDROID_UA);
      assert.equal((world.fake.payment((await world.attempt(android.orderId)).attempt_id)?.request.env as Record<string, string>).osType, 'ANDROID');

      const inApp = await world.createOrder();
      const inAlipay = await world.page(inApp.nonce, ALIPAY_UA);
      assert.match(hrefOf(inAlipay.body, 'redirect') ?? '', /^alipays:\/\/platformapi\/startapp\?appId=20000067&url=/);
    });

    test('a page opened on a PC, then on a phone: the phone gets its own cashier payment (WAP), the PC’s is cancelled at Antom; each device keeps its own', async () => {
      const order = await world.createOrder();
      await world.page(order.nonce, PC_UA);
      const pc = await world.attempt(order.orderId);
      assert.equal(world.fake.payment(pc.attempt_id)?.terminalType, 'WEB');

      const onPhone = await world.page(order.nonce, IPHONE_UA);
      const phone = await world.attempt(order.orderId);
      assert.notEqual(phone.attempt_id, pc.attempt_id, 'a PC’s QR page is no link for a phone');
      const phonePayment = world.fake.payment(phone.attempt_id);
      assert.equal(phonePayment?.terminalType, 'WAP');
      assert.equal((phonePayment?.request.env as Record<string, string>).osType, 'IOS');
      assert.equal(hrefOf(onPhone.body, 'redirect'), `${world.fake.baseUrl}/cashier/applink?paymentId=${phonePayment?.paymentId}`);
      await waitFor('the PC’s payment cancelled at Antom', () => world.fake.payment(pc.attempt_id)?.status === 'CANCELLED');

      await world.page(order.nonce, IPHONE_UA);
      assert.equal((await world.attempt(order.orderId)).attempt_id, phone.attempt_id, 'the same phone keeps its payment');
      const inAlipay = await world.page(order.nonce, ALIPAY_UA);
      const app = await world.attempt(order.orderId);
      assert.notEqual(app.attempt_id, phone.attempt_id, 'inside Alipay the cashier opens by its own scheme');
      assert.match(hrefOf(inAlipay.body, 'redirect') ?? '', /^alipays:\/\//);
      await world.page(order.nonce, PC_UA);
      const back = await world.attempt(order.orderId);
      assert.notEqual(back.attempt_id, app.attempt_id);
      assert.equal(world.fake.payment(back.attempt_id)?.terminalType, 'WEB');
      // Whichever the customer pays, the order is paid once.
      await world.fake.pay(back.attempt_id);
      assert.equal((await world.order(order.orderId)).status, 'paid');
    });

    test('the result page of a pending order on a phone opens the phone’s cashier payment, which the page then shows', async () => {
      const order = await world.createOrder();
      const result = await world.gw.app.inject({ method: 'GET', url: `/pay/${order.nonce}/result`, headers: { 'user-agent': IPHONE_UA, accept: 'text/html' } });
      assert.equal(result.statusCode, 302);
      assert.equal(result.headers.location, `/pay/${order.nonce}`);
      const [opened] = await world.attempts(order.orderId);
      assert.equal(world.fake.payment(opened.attempt_id)?.terminalType, 'WAP', 'opened for the phone that asked');
      const page = await world.page(order.nonce, IPHONE_UA);
      const attempt = await world.attempt(order.orderId);
      assert.equal(world.fake.payment(attempt.attempt_id)?.terminalType, 'WAP');
      assert.equal(hrefOf(page.body, 'redirect'), `${world.fake.baseUrl}/cashier/applink?paymentId=${world.fake.payment(attempt.attempt_id)?.paymentId}`);
      assert.equal((await world.attempts(order.orderId)).length, 1, 'one payment: the result page’s is the page’s');
    });

    test('Antom fails or hangs while the page asks: the page fails, the next visit gets the same payment, never a second', async () => {
      const order = await world.createOrder();
      world.fake.failNext('pay', { status: 502 });
      assert.equal((await world.page(order.nonce)).statusCode, 200, 'one 5xx is asked again at once');
      const attemptId = (await world.attempt(order.orderId)).attempt_id;
      assert.equal(world.fake.requestsTo('pay').filter((r) => r.body.includes(attemptId)).length, 2);

      const slow = await world.createOrder();
      world.fake.failNext('pay', { delayMs: 2_500 }, { times: 2 });
      assert.equal((await world.page(slow.nonce)).statusCode, 500);
      await world.fake.idle();
      assert.equal((await world.page(slow.nonce)).statusCode, 200);
      const slowAttempt = await world.attempt(slow.orderId);
      assert.equal(slowAttempt.attempt_id, `${slow.orderId}01`, 'the same attempt id, so the same payment at Antom');
      const payment = world.fake.payment(slowAttempt.attempt_id);
      assert.equal(slowAttempt.provider_payment_id, payment?.paymentId);
      assert.equal(world.fake.requestsTo('pay').filter((r) => r.body.includes(slowAttempt.attempt_id)).length, 3);
    });
  });

  describe("the merchant's own QR (host_type=1, gatewaydata)", () => {
    test('an in-store order code; before payment the recorded rate; paid through its notification', async () => {
      const order = await world.createOrder({ host_type: '1', return_url: '' });
      const answer = await world.gatewayData(order.nonce);
      assert.equal(answer.code, 0, JSON.stringify(answer));
      const data = answer.data as Record<string, string>;
      const attempt = await world.attempt(order.orderId);
      assert.equal(attempt.flow, 'qr');
      const payment = world.fake.payment(attempt.attempt_id);
      assert.equal(payment?.scenario, 'ORDER_CODE');
      assert.equal(data.qr_code_url, `${world.fake.baseUrl}/qr/${payment?.paymentId}`);
      assert.equal(data.currency_rate, '4.6449', "the order's recorded rate");
      assert.equal(data.amount_cny, '557.39');
      await world.fake.pay(attempt.attempt_id);
      assert.equal((await world.order(order.orderId)).status, 'paid');
      await assertPaidCallback(world, order.reference);
    });

    test("once Antom reported what the payer was charged in CNY, gatewaydata shows Antom's amount and rate", async () => {
      const order = await world.createOrder({ host_type: '1', return_url: '' });
      await world.gatewayData(order.nonce);
      const first = (await world.attempt(order.orderId)).attempt_id;
      await world.fake.pay(first, { notify: false, rate: '4.5' });
      // A report in another currency: flagged, the order stays pending with the payer's CNY on the attempt.
      await world.fake.notifyRaw(first, { currency: 'AUD' });
      const flagged = await world.order(order.orderId);
      assert.equal(flagged.status, 'pending');
      const data = (await world.gatewayData(order.nonce)).data as Record<string, string>;
      assert.equal(data.amount_cny, '540.00');
      assert.equal(data.currency_rate, '4.5');
      assert.equal((await world.attempts(order.orderId)).length, 1, 'the paid attempt is shown, no new order code');
    });
  });

  describe('notifications', () => {
    test('a forged notification (a made-up signature) posted to the account’s URL changes nothing', async () => {
      const order = await world.createOrder();
      await world.page(order.nonce);
      const response = await world.gw.app.inject({
        method: 'POST',
        url: `/channels/antom/notify/${world.accountId}`,
        headers: { 'content-type': 'application/json', 'client-id': world.antomMerchant.clientId, 'request-time': new Date().toISOString(), signature: 'algorithm=RSA256,keyVersion=1,signature=AAAA' },
        payload: JSON.stringify({ notifyType: 'PAYMENT_RESULT', paymentRequestId: `${order.orderId}01`, result: { resultStatus: 'S', resultCode: 'SUCCESS' } }),
      });
      assert.equal(response.statusCode, 401);
      assert.equal((await world.order(order.orderId)).status, 'pending');
    });
  });

  describe('refunds', () => {
    async function paidOrder(): Promise<{ orderId: string; attemptId: string }> {
      const order = await world.createOrder();
      await world.page(order.nonce);
      const attemptId = (await world.attempt(order.orderId)).attempt_id;
      await world.fake.pay(attemptId);
      assert.equal((await world.order(order.orderId)).status, 'paid');
      return { orderId: order.orderId, attemptId };
    }

    test("accepted as processing with Antom's paymentId, then succeeded by notifyRefund", async () => {
      const { orderId, attemptId } = await paidOrder();
      const answer = await world.refund(orderId, '20.00', 'broken cork');
      assert.equal(answer.code, 0, JSON.stringify(answer));
      const [refund] = await world.refunds(orderId);
      assert.equal(refund.status, 'processing');
      const atAntom = world.fake.refund(refund.refund_id);
      assert.equal(atAntom?.payment.paymentRequestId, attemptId);
      assert.deepEqual(atAntom?.amount, { currency: 'NZD', value: '2000' });
      const record = await world.fake.completeRefund(refund.refund_id, 'SUCCESS');
      assert.equal(record?.attempts[0].exactAcknowledgement, true);
      const [done] = await world.refunds(orderId);
      assert.equal(done.status, 'succeeded');
      assert.equal(done.channel_refund_id, atAntom?.refundId);
    });
  });

  describe('barcode (the customer shows their Alipay code)', () => {
    test('an unknown answer and an unreachable inquiry: pending, never charged twice; reconciliation finds it paid', async () => {
      const code = alipayCode();
      world.fake.presentCode(code, 'paid');
      world.fake.failNext('pay', { dropConnection: true, afterProcessing: true });
      world.fake.failNext('inquiryPayment', { status: 503 });
      const { answer, reference } = await world.barcode(code);
      assert.equal(answer.code, 0, JSON.stringify(answer));
      const order = await world.orderByReference(reference);
      assert.equal(order.status, 'pending');
      const attempt = await world.attempt(order.order_id);
      assert.equal(world.fake.requestsTo('pay').filter((r) => r.body.includes(attempt.attempt_id)).length, 1);
      world.advanceClock(10 * 60_000);
      await reconcileStalePayments(world.gw.app.gateway, 60_000, undefined);
      assert.equal((await world.order(order.order_id)).status, 'paid');
    });
  });
});

describe('Alipay through Antom: a success notification after the merchant cancelled', () => {
  let world: AntomWorld;
  const logLines: Array<Record<string, unknown>> = [];

  before(async () => {
    const logDestination = { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) };
    world = await startAntomWorld({ logDestination });
  });

  after(() => world.close());

  test('the reversal Antom refuses (its cancel already gave the money back) is never silent: the order is flagged, listed, audited and logged', async () => {
    const order = await world.createOrder();
    await world.page(order.nonce);
    const attempt = await world.attempt(order.orderId);
    assert.equal((await world.cancel(order.reference)).code, 0);
    assert.equal(world.fake.payment(attempt.attempt_id)?.status, 'CANCELLED');
    // The customer paid just before the cancel; Antom's notification of it arrives after.
    const notified = await world.fake.notifyRaw(attempt.attempt_id);
    assert.equal(notified.acknowledged, true, 'taken in (the payment is booked and given back)');

    const [reversal] = await world.refunds(order.orderId);
    assert.equal(reversal.kind, 'reversal');
    assert.equal(reversal.status, 'failed');
    const asked = world.fake.requestsTo('refund').filter((r) => r.body.includes(reversal.refund_id));
    assert.equal(asked.at(-1)?.resultCode, 'ORDER_STATUS_INVALID', 'Antom refuses to refund a cancelled payment');
    const ledger = await listLedgerEntries(world.gw.store.db, world.gw.merchant.wallet_id);
    assert.deepEqual(ledger.filter((e) => e.order_id === order.orderId).map((e) => [e.kind, Number(e.amount_minor)]), [['payment', 12000], ['reversal', -12000], ['refund_failed', 12000]]);

    const flagged = await world.order(order.orderId);
    assert.equal(flagged.status, 'canceled', 'the merchant was told cancelled; that stays');
    assert.match(String(flagged.review_reason), /could not be given back/);
    const listed = await listOrders(world.gw.store.db, { flagged: true, limit: 1000 });
    assert.ok(listed.some((o) => o.order_id === order.orderId), 'orders list --flagged shows it');
    const audit = await listAuditEvents(world.gw.store.db, { since: 0, limit: 100, target: order.orderId });
    const failed = audit.find((e) => e.action === 'order.reversal_failed');
    assert.ok(failed, JSON.stringify(audit.map((e) => e.action)));
    assert.equal((JSON.parse(failed.details) as Record<string, unknown>).refund_id, reversal.refund_id);
    assert.ok(
      logLines.some((l) => l.level === 50 && l.orderId === order.orderId && /could not be given back/.test(String(l.msg))),
      'an error is logged for the operator',
    );
  });
});
