// The WeChat Pay adapter against the protocol-exact fake (test/fakes/wechatpay/), method by
// method, in common and institutional mode, public-key and certificate signing. Everything
// runs on 127.0.0.1; every server is stopped in an after hook.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ProviderError, type CreatePaymentRequest, type PaymentContext } from '../../../src/channels/provider.js';
import type { WechatpayProvider } from '../../../src/channels/wechatpay/wechatpay-provider.js';
import { FakeWechatPay } from '../../fakes/wechatpay/fake-wechatpay.js';
import { makeWechatMerchant, NotificationInbox, wechatProvider, type WechatMerchant } from '../../helpers/wechatpay.js';

let counter = 0;
/** A fresh attempt id: 19 digits and 2, like the gateway's. */
function attemptId(): string {
  counter += 1;
  return `${Date.now()}${String(counter).padStart(6, '0')}01`;
}

const PC: PaymentContext = { device: 'pc', purpose: 'payment_page', returnUrl: 'http://gateway.test/pay/n' };
const IN_WECHAT: PaymentContext = { device: 'wechat', purpose: 'payment_page', payerOpenId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o', returnUrl: 'http://gateway.test/pay/n' };
/** The merchant's mini program, bound to its WeChat Pay merchant. */
const MINI_APP = 'wxm1n1000000000001';
const IN_MINI_PROGRAM: PaymentContext = { device: 'wechat', purpose: 'mini_program', payerAppId: MINI_APP, payerOpenId: 'oMiniUser00000000000000000001', returnUrl: '' };

function paymentRequest(notifyUrl: string, overrides: Partial<CreatePaymentRequest> = {}): CreatePaymentRequest {
  const id = overrides.attemptId ?? attemptId();
  return {
    attemptId: id,
    orderId: id.slice(0, -2),
    method: 'wechat',
    amountMinor: 12_000,
    currency: 'NZD',
    subject: 'Pinot Noir, Otago',
    notifyUrl,
    expiresAt: Date.now() + 2 * 3600_000,
    context: PC,
    ...overrides,
  };
}

async function rejects(promise: Promise<unknown>, outcome: ProviderError['outcome'], providerCode?: string): Promise<ProviderError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ProviderError, `expected a ProviderError, got ${String(caught)}`);
  assert.equal(caught.outcome, outcome, caught.message);
  if (providerCode !== undefined) assert.equal(caught.providerCode, providerCode);
  return caught;
}

describe('WeChat Pay adapter: common mode, WeChat Pay public key', () => {
  let fake: FakeWechatPay;
  let merchant: WechatMerchant;
  let inbox: NotificationInbox;
  let wechat: WechatpayProvider;

  before(async () => {
    merchant = makeWechatMerchant();
    fake = await FakeWechatPay.start({ merchants: [{ ...merchant.fake, appids: [MINI_APP] }] });
    inbox = new NotificationInbox();
    await inbox.start();
    wechat = wechatProvider(fake, merchant, inbox.url);
    inbox.provider = wechat;
  });

  after(async () => {
    await fake.stop();
    await inbox.stop();
  });

  test('declares what it supports', () => {
    assert.equal(wechat.name, 'wechatpay');
    assert.deepEqual(wechat.capabilities.methods, ['wechat']);
    assert.deepEqual(wechat.capabilities.flows, ['qr', 'in_app', 'barcode']);
    assert.equal(wechat.capabilities.partialRefunds, true);
    assert.equal(wechat.capabilities.maxRefundsPerPayment, 50);
    assert.deepEqual(wechat.capabilities.miniPrograms, ['wechat']);
    assert.equal(wechat.payerIdentity, undefined, 'no AppSecret, no OAuth');
  });

  test('createPayment on a PC: a Native order, its code_url as the QR; the body has what the global API requires', async () => {
    const request = paymentRequest(inbox.url);
    const created = await wechat.createPayment(request);
    assert.equal(created.flow, 'qr');
    assert.equal(created.nextAction.type, 'show_qr');
    const order = fake.order(request.attemptId);
    assert.ok(order);
    assert.equal(created.nextAction.type === 'show_qr' && created.nextAction.qrContent, order.codeUrl);
    assert.equal(order.tradeType, 'NATIVE');
    assert.equal(order.total, 12_000);
    assert.equal(order.currency, 'NZD');
    assert.equal(order.notifyUrl, inbox.url);
    assert.deepEqual(
      { ...order.request, time_expire: undefined },
      {
        appid: merchant.appid,
        mchid: merchant.mchid,
        description: 'Pinot Noir, Otago',
        out_trade_no: request.attemptId,
        trade_type: 'NATIVE',
        merchant_category_code: '5812',
        amount: { total: 12_000, currency: 'NZD' },
        notify_url: inbox.url,
        time_expire: undefined,
      },
    );
    assert.equal(Date.parse(String(order.request.time_expire)), Math.floor(request.expiresAt / 1000) * 1000);
    assert.match(String(order.request.time_expire), /\+08:00$/);
    const sent = fake.requestsTo('/v3/global/transactions/native').at(-1);
    assert.match(String(sent?.headers.authorization), new RegExp(`^WECHATPAY2-SHA256-RSA2048 mchid="${merchant.mchid}",nonce_str="[A-Za-z0-9]{32}",timestamp="\\d+",serial_no="${merchant.serial}",signature="`));
  });

  test('createPayment again for the same attempt sends the same order and gets the same code_url (no second order)', async () => {
    const request = paymentRequest(inbox.url);
    const first = await wechat.createPayment(request);
    const again = await wechat.createPayment(request);
    assert.deepEqual(again.nextAction, first.nextAction);
    assert.equal(fake.requestsTo('/v3/global/transactions/native').filter((r) => r.body.includes(request.attemptId)).length, 2);
  });

  test('a mobile browser, a merchant-hosted QR, and WeChat without the payer\'s openid all get the Native QR', async () => {
    for (const context of [
      { ...PC, device: 'mobile' as const },
      { ...IN_WECHAT, purpose: 'merchant_qr' as const },
      { ...IN_WECHAT, payerOpenId: undefined },
    ]) {
      const created = await wechat.createPayment(paymentRequest(inbox.url, { context }));
      assert.equal(created.flow, 'qr', JSON.stringify(context));
      assert.match(created.nextAction.type === 'show_qr' ? created.nextAction.qrContent : '', /^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    }
  });

  test('inside WeChat with the payer\'s openid: a JSAPI order, and WeixinJSBridge parameters WeChat accepts', async () => {
    const request = paymentRequest(inbox.url, { context: IN_WECHAT });
    const created = await wechat.createPayment(request);
    assert.equal(created.flow, 'in_app');
    assert.equal(created.nextAction.type, 'open_wallet');
    if (created.nextAction.type !== 'open_wallet') return;
    assert.equal(created.nextAction.wallet, 'wechat_jsapi');
    const params = created.nextAction.params as { appId: string; timeStamp: string; nonceStr: string; package: string; signType: string; paySign: string };
    assert.deepEqual(Object.keys(params).sort(), ['appId', 'nonceStr', 'package', 'paySign', 'signType', 'timeStamp']);
    assert.equal(params.appId, merchant.appid);
    assert.equal(params.signType, 'RSA');
    assert.equal(fake.checkJsapiInvoke(merchant.mchid, params), null);
    assert.match(fake.checkJsapiInvoke(merchant.mchid, { ...params, package: 'prepay_id=wx0' }) ?? '', /package/);
    const order = fake.order(request.attemptId);
    assert.equal(order?.tradeType, 'JSAPI');
    assert.deepEqual(order?.request.payer, { openid: IN_WECHAT.payerOpenId });
  });

  test('a mini program: a JSAPI order with the mini program\'s appid and its user\'s openid, and wx.requestPayment parameters WeChat accepts', async () => {
    fake.miniProgramLogin(MINI_APP, IN_MINI_PROGRAM.payerOpenId);
    const request = paymentRequest(inbox.url, { context: IN_MINI_PROGRAM });
    const created = await wechat.createPayment(request);
    assert.equal(created.flow, 'in_app');
    if (created.nextAction.type !== 'open_wallet') return assert.fail('an open_wallet next action');
    const params = created.nextAction.params as { appId: string; timeStamp: string; nonceStr: string; package: string; signType: string; paySign: string };
    assert.equal(params.appId, MINI_APP);
    assert.equal(params.signType, 'RSA');
    assert.equal(fake.checkJsapiInvoke(merchant.mchid, params), null);
    assert.match(fake.checkJsapiInvoke(merchant.mchid, { ...params, appId: merchant.appid }) ?? '', /appId/, "the official account's appid is not the order's");
    const order = fake.order(request.attemptId);
    assert.equal(order?.tradeType, 'JSAPI');
    assert.equal(order?.request.appid, MINI_APP);
    assert.equal(order?.request.mchid, merchant.mchid);
    assert.deepEqual(order?.request.payer, { openid: IN_MINI_PROGRAM.payerOpenId });
  });

  test('a mini program: without its appid or its user\'s openid nothing is sent (not_done); an appid not bound to the merchant is refused (misconfigured)', async () => {
    const sent = fake.requests.length;
    await rejects(wechat.createPayment(paymentRequest(inbox.url, { context: { ...IN_MINI_PROGRAM, payerAppId: undefined } })), 'not_done');
    await rejects(wechat.createPayment(paymentRequest(inbox.url, { context: { ...IN_MINI_PROGRAM, payerOpenId: '' } })), 'not_done');
    assert.equal(fake.requests.length, sent);
    await rejects(wechat.createPayment(paymentRequest(inbox.url, { context: { ...IN_MINI_PROGRAM, payerAppId: 'wxn0tb0und0000001' } })), 'misconfigured', 'APPID_MCHID_NOT_MATCH');
    const crossed = fake.miniProgramLogin(merchant.appid);
    await rejects(wechat.createPayment(paymentRequest(inbox.url, { context: { ...IN_MINI_PROGRAM, payerOpenId: crossed } })), 'not_done', 'PARAM_ERROR');
  });

  test('an empty subject becomes "Order <id>"; a long one is cut to 127 bytes at a character boundary', async () => {
    const empty = paymentRequest(inbox.url, { subject: '  ' });
    await wechat.createPayment(empty);
    assert.equal(fake.order(empty.attemptId)?.request.description, `Order ${empty.orderId}`);
    const long = paymentRequest(inbox.url, { subject: '葡萄酒'.repeat(60) });
    await wechat.createPayment(long);
    const description = String(fake.order(long.attemptId)?.request.description);
    assert.ok(Buffer.byteLength(description) <= 127);
    assert.equal(description, '葡萄酒'.repeat(14), '126 bytes: one more character would make 129');
  });

  test('a notify URL with a query is refused before anything is sent (misconfigured)', async () => {
    const before = fake.requests.length;
    await rejects(wechat.createPayment(paymentRequest(`${inbox.url}?x=1`)), 'misconfigured');
    assert.equal(fake.requests.length, before);
  });

  test('queryPayment: NOTPAY is pending; SUCCESS is paid with the payer\'s CNY amount and the rate as a decimal; unknown is closed', async () => {
    const request = paymentRequest(inbox.url);
    await wechat.createPayment(request);
    const ref = { attemptId: request.attemptId, providerPaymentId: null };
    assert.equal((await wechat.queryPayment(ref)).state, 'pending');
    await fake.pay(request.attemptId, { payerTotal: 51_320, payerCurrency: 'CNY', rate: 427_666_667, openid: 'oPAYER0000000000000000000042', notify: false });
    const paid = await wechat.queryPayment(ref);
    assert.equal(paid.state, 'paid');
    assert.equal(paid.attemptId, request.attemptId);
    assert.equal(paid.amountMinor, 12_000);
    assert.equal(paid.currency, 'NZD');
    assert.equal(paid.payerAmountMinor, 51_320);
    assert.equal(paid.payerCurrency, 'CNY');
    assert.equal(paid.payerRate, '4.27666667');
    assert.equal(paid.providerPaymentId, fake.order(request.attemptId)?.transactionId);
    assert.equal(paid.occurredAt, Math.floor(Number(fake.order(request.attemptId)?.successTime) / 1000) * 1000);
    assert.deepEqual((paid.raw as { payer: unknown }).payer, { openid: 'oPAY********************0042' }, 'the openid is masked in the audit trail');
    const unknown = await wechat.queryPayment({ attemptId: attemptId(), providerPaymentId: null });
    assert.equal(unknown.state, 'closed');
  });

  test('queryPayment: PAYERROR is failed, CLOSED closed, and a refunded order (REFUND) still paid', async () => {
    const declined = paymentRequest(inbox.url);
    await wechat.createPayment(declined);
    fake.decline(declined.attemptId);
    assert.equal((await wechat.queryPayment({ attemptId: declined.attemptId, providerPaymentId: null })).state, 'failed');
    const expired = paymentRequest(inbox.url);
    await wechat.createPayment(expired);
    fake.expire(expired.attemptId);
    assert.equal((await wechat.queryPayment({ attemptId: expired.attemptId, providerPaymentId: null })).state, 'closed');
    const refunded = paymentRequest(inbox.url);
    await wechat.createPayment(refunded);
    await fake.pay(refunded.attemptId, { notify: false });
    await wechat.refund({ refundId: `R${attemptId()}`, attemptId: refunded.attemptId, providerPaymentId: null, amountMinor: 100, paymentAmountMinor: 12_000, currency: 'NZD', reason: '', notifyUrl: inbox.url });
    assert.equal(fake.order(refunded.attemptId)?.state, 'REFUND');
    assert.equal((await wechat.queryPayment({ attemptId: refunded.attemptId, providerPaymentId: null })).state, 'paid');
  });

  test('closePayment closes an unpaid order; a paid one, a closed one and an unknown one are left as they are', async () => {
    const open = paymentRequest(inbox.url);
    await wechat.createPayment(open);
    await wechat.closePayment({ attemptId: open.attemptId, providerPaymentId: null });
    assert.equal(fake.order(open.attemptId)?.state, 'CLOSED');
    await wechat.closePayment({ attemptId: open.attemptId, providerPaymentId: null });
    assert.equal(fake.order(open.attemptId)?.state, 'CLOSED');
    const paid = paymentRequest(inbox.url);
    await wechat.createPayment(paid);
    await fake.pay(paid.attemptId, { notify: false });
    await wechat.closePayment({ attemptId: paid.attemptId, providerPaymentId: null });
    assert.equal(fake.order(paid.attemptId)?.state, 'SUCCESS');
    await wechat.closePayment({ attemptId: attemptId(), providerPaymentId: null });
    // A closed number cannot be ordered again.
    await rejects(wechat.createPayment(open), 'not_done', 'ORDER_CLOSED');
  });

  test('refund: accepted as processing, numbered with our refund id; asked again it is the same refund; the query follows it to the end', async () => {
    const request = paymentRequest(inbox.url);
    await wechat.createPayment(request);
    await fake.pay(request.attemptId, { notify: false });
    const refundId = `R${attemptId()}`;
    const refund = { refundId, attemptId: request.attemptId, providerPaymentId: null, amountMinor: 2_000, paymentAmountMinor: 12_000, currency: 'NZD', reason: 'customer asked', notifyUrl: inbox.url };
    const first = await wechat.refund(refund);
    assert.equal(first.state, 'processing');
    assert.equal(first.refundId, refundId);
    assert.equal(first.providerRefundId, fake.refund(refundId)?.refundId);
    const again = await wechat.refund(refund);
    assert.equal(again.providerRefundId, first.providerRefundId);
    assert.equal(fake.refundsOf(request.attemptId).length, 1, 'refunded once');
    assert.deepEqual(fake.refund(refundId)?.request.amount, { refund: 2_000, total: 12_000, currency: 'NZD' });
    assert.equal(fake.refund(refundId)?.reason, 'customer asked');
    const ref = { refundId, attemptId: request.attemptId, providerPaymentId: null, reason: 'customer asked' };
    assert.equal((await wechat.queryRefund(ref)).state, 'processing');
    await fake.completeRefund(refundId, 'ABNORMAL', { notify: false });
    assert.equal((await wechat.queryRefund(ref)).state, 'processing', 'ABNORMAL waits on the merchant platform');
    await fake.completeRefund(refundId, 'SUCCESS', { notify: false });
    const done = await wechat.queryRefund(ref);
    assert.equal(done.state, 'succeeded');
    assert.equal(done.providerRefundId, first.providerRefundId);
  });

  test('refund: a closed refund (REFUNDCLOSE in the query) failed; NOT_ENOUGH is declined; a 5xx unknown', async () => {
    const request = paymentRequest(inbox.url);
    await wechat.createPayment(request);
    await fake.pay(request.attemptId, { notify: false });
    const base = { attemptId: request.attemptId, providerPaymentId: null, amountMinor: 1_000, paymentAmountMinor: 12_000, currency: 'NZD', reason: '', notifyUrl: inbox.url };
    const closedId = `R${attemptId()}`;
    await wechat.refund({ ...base, refundId: closedId });
    await fake.completeRefund(closedId, 'CLOSED', { notify: false });
    const closed = await wechat.queryRefund({ refundId: closedId, attemptId: request.attemptId, providerPaymentId: null, reason: '' });
    assert.equal(closed.state, 'failed');
    assert.match(String(closed.reason), /REFUNDCLOSE/);
    fake.failNext('/v3/global/refunds', { status: 403, body: { code: 'NOT_ENOUGH', message: '基本账户余额不足' } });
    await rejects(wechat.refund({ ...base, refundId: `R${attemptId()}` }), 'declined', 'NOT_ENOUGH');
    fake.failNext('/v3/global/refunds', { status: 500, afterProcessing: true });
    const lostId = `R${attemptId()}`;
    await rejects(wechat.refund({ ...base, refundId: lostId }), 'unknown', 'SYSTEM_ERROR');
    assert.equal((await wechat.refund({ ...base, refundId: lostId })).state, 'processing', 'asked again: the same refund');
    assert.equal(fake.refundsOf(request.attemptId).filter((r) => r.outRefundNo === lostId).length, 1);
    await rejects(wechat.queryRefund({ refundId: 'R-none', attemptId: request.attemptId, providerPaymentId: null, reason: '' }), 'not_done', 'RESOURCE_NOT_EXISTS');
  });

  test('receiveNotification: TRANSACTION.SUCCESS is verified, decrypted and reported paid (event id = notification id); answered 204', async () => {
    const request = paymentRequest(inbox.url);
    await wechat.createPayment(request);
    const before = inbox.received.length;
    const record = await fake.pay(request.attemptId, { payerTotal: 50_000, payerCurrency: 'CNY', rate: 416_666_667, openid: 'oPAYER0000000000000000000042' });
    assert.ok(record?.acknowledged, 'WeChat Pay took the answer as an acknowledgement');
    const got = inbox.received[before];
    assert.equal(got.status, 204);
    assert.equal(got.events?.length, 1);
    const event = got.events?.[0];
    assert.equal(event?.kind, 'payment');
    assert.equal(event?.eventId, record?.id);
    if (event?.kind !== 'payment') return;
    assert.equal(event.report.state, 'paid');
    assert.equal(event.report.attemptId, request.attemptId);
    assert.equal(event.report.amountMinor, 12_000);
    assert.equal(event.report.currency, 'NZD');
    assert.equal(event.report.payerAmountMinor, 50_000);
    assert.equal(event.report.payerRate, '4.16666667');
    assert.equal((event.report.raw as { payer: { openid: string } }).payer.openid, 'oPAY********************0042');
    assert.ok(!JSON.stringify(event.report.raw).includes('oPAYER0000000000000000000042'));
  });

  test('receiveNotification refuses a bad signature, a stale timestamp, a probe, an unknown key and a wrong APIv3 key with 4XX/5XX and {"code":"FAIL"}', async () => {
    const request = paymentRequest(inbox.url);
    await wechat.createPayment(request);
    for (const tampering of [{ badSignature: true }, { staleTimestampSeconds: 301 }, { probeSignature: true }, { unknownSerial: true }, { wrongApiV3Key: true }]) {
      const before = inbox.received.length;
      const record = await fake.notifyRaw(request.attemptId, tampering);
      const got = inbox.received[before];
      assert.ok(got.rejected, JSON.stringify(tampering));
      assert.ok(got.status >= 400 && got.status < 600, JSON.stringify(tampering));
      assert.equal(JSON.parse(got.body).code, 'FAIL');
      assert.equal(record.acknowledged, false, 'WeChat Pay will send it again');
    }
    // Four minutes old is still fine.
    const before = inbox.received.length;
    await fake.notifyRaw(request.attemptId, { staleTimestampSeconds: 240 });
    assert.equal(inbox.received[before].status, 204);
  });

  test('receiveNotification: a redelivery carries the same event id; refund notifications report the refund (CLOSED: failed)', async () => {
    const request = paymentRequest(inbox.url);
    await wechat.createPayment(request);
    const record = await fake.pay(request.attemptId);
    const first = inbox.received.length;
    await fake.redeliver(String(record?.id));
    assert.equal(inbox.received[first].events?.[0]?.eventId, record?.id);

    const base = { attemptId: request.attemptId, providerPaymentId: null, amountMinor: 1_000, paymentAmountMinor: 12_000, currency: 'NZD', reason: '', notifyUrl: inbox.url };
    for (const [status, state] of [['SUCCESS', 'succeeded'], ['CLOSED', 'failed'], ['ABNORMAL', 'processing']] as const) {
      const refundId = `R${attemptId()}`;
      await wechat.refund({ ...base, refundId });
      const at = inbox.received.length;
      const notification = await fake.completeRefund(refundId, status);
      const event = inbox.received[at].events?.[0];
      assert.equal(inbox.received[at].status, 204);
      assert.equal(event?.kind, 'refund');
      assert.equal(event?.eventId, notification?.id);
      assert.equal(event?.kind === 'refund' && event.report.refundId, refundId);
      assert.equal(event?.kind === 'refund' && event.report.state, state, status);
    }
  });

  test('error answers: PARAM_ERROR is not_done; a wrong merchant serial (SIGN_ERROR) misconfigured; 5xx unknown', async () => {
    await rejects(wechat.createPayment(paymentRequest(inbox.url, { currency: 'nzd' })), 'not_done', 'PARAM_ERROR');
    const wrongSerial = wechatProvider(fake, merchant, inbox.url, { serial: 'ABCDEF0123456789' });
    await rejects(wrongSerial.createPayment(paymentRequest(inbox.url)), 'misconfigured', 'SIGN_ERROR');
    fake.failNext('/v3/global/transactions/native', { status: 503 });
    await rejects(wechat.createPayment(paymentRequest(inbox.url)), 'unknown', 'SYSTEM_ERROR');
    fake.failNext('/v3/global/transactions/out-trade-no/', { status: 500 });
    await rejects(wechat.queryPayment({ attemptId: attemptId(), providerPaymentId: null }), 'unknown');
  });

  test('an answer that does not verify (spoilt, unsigned, from another key) is not believed: unknown', async () => {
    for (const failure of [{ badResponseSignature: true as const }, { unsignedResponse: true as const }]) {
      const request = paymentRequest(inbox.url);
      fake.failNext('/v3/global/transactions/native', failure);
      await rejects(wechat.createPayment(request), 'unknown', 'UNVERIFIED_ANSWER');
      assert.ok(fake.order(request.attemptId), 'the order was placed: only its answer was lost');
    }
    const other = await FakeWechatPay.start({ merchants: [merchant.fake] });
    try {
      // Configured with this fake's public key, talking to another: every answer is signed by a key it does not hold.
      const confused = wechatProvider(fake, merchant, inbox.url, { 'base-url': other.baseUrl });
      await rejects(confused.queryPayment({ attemptId: attemptId(), providerPaymentId: null }), 'unknown', 'UNVERIFIED_ANSWER');
    } finally {
      await other.stop();
    }
  });

  test('no answer in time, a reset after sending: unknown (it may have happened); a refused connection: not_done', async () => {
    const quick = wechatProvider(fake, merchant, inbox.url, {}, { timeoutMs: 200 });
    const slow = paymentRequest(inbox.url);
    fake.failNext('/v3/global/transactions/native', { delayMs: 1_000 });
    await rejects(quick.createPayment(slow), 'unknown');
    await fake.idle();
    assert.ok(fake.order(slow.attemptId), 'placed even though the answer came too late');
    const dropped = paymentRequest(inbox.url);
    fake.failNext('/v3/global/transactions/native', { dropConnection: true, afterProcessing: true });
    await rejects(wechat.createPayment(dropped), 'unknown');
    assert.equal((await wechat.createPayment(dropped)).flow, 'qr', 'the same order asked again');

    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const nowhere = wechatProvider(fake, merchant, inbox.url, { 'base-url': `http://127.0.0.1:${port}` });
    await rejects(nowhere.createPayment(paymentRequest(inbox.url)), 'not_done');
  });

  test('a clock five minutes off: answers are not believed (their timestamps are stale)', async () => {
    const skewed = wechatProvider(fake, merchant, inbox.url, {}, { clock: () => Date.now() + 301_000 });
    await rejects(skewed.queryPayment({ attemptId: attemptId(), providerPaymentId: null }), 'unknown', 'UNVERIFIED_ANSWER');
  });
});

describe('WeChat Pay adapter: Quick Pay', () => {
  let fake: FakeWechatPay;
  let merchant: WechatMerchant;
  let wechat: WechatpayProvider;

  before(async () => {
    merchant = makeWechatMerchant();
    fake = await FakeWechatPay.start({ merchants: [merchant.fake] });
    wechat = wechatProvider(fake, merchant, 'http://127.0.0.1:9/channels/wechatpay/notify/pa');
  });

  after(() => fake.stop());

  const charge = (payCode: string) => {
    const request = paymentRequest('http://127.0.0.1:9/channels/wechatpay/notify/pa', { amountMinor: 480 });
    return { request, result: wechat.chargeCode({ ...request, payCode }) };
  };

  test('a pay code paid at once: paid, with no notify_url sent', async () => {
    const { request, result } = charge('134567890123456789');
    const report = await result;
    assert.equal(report.state, 'paid');
    assert.equal(report.amountMinor, 480);
    assert.equal(report.currency, 'NZD');
    assert.ok(report.providerPaymentId);
    const order = fake.order(request.attemptId);
    assert.equal(order?.tradeType, 'MICROPAY');
    assert.deepEqual(order?.request.payer, { auth_code: '134567890123456789' });
    assert.equal(order?.request.notify_url, undefined);
  });

  test('USERPAYING is pending; the query finds it paid once the customer confirms', async () => {
    fake.onPayCode('134567890123450011', 'USERPAYING');
    const { request, result } = charge('134567890123450011');
    assert.equal((await result).state, 'pending');
    await fake.pay(request.attemptId);
    assert.equal((await wechat.queryPayment({ attemptId: request.attemptId, providerPaymentId: null })).state, 'paid');
  });

  test('a declined pay code (NOT_ENOUGH) is declined; a 5xx or a lost answer unknown', async () => {
    fake.onPayCode('134567890123450012', { declined: { status: 403, code: 'NOT_ENOUGH', message: '余额不足' } });
    await rejects(charge('134567890123450012').result, 'declined', 'NOT_ENOUGH');
    fake.failNext('/v3/global/micropay/transactions/pay', { status: 500, afterProcessing: true });
    const { request, result } = charge('134567890123456789');
    await rejects(result, 'unknown');
    assert.equal((await wechat.queryPayment({ attemptId: request.attemptId, providerPaymentId: null })).state, 'paid', 'the query says what happened');
  });

  test('closePayment reverses a Quick Pay order still waiting for the customer (close is not for Quick Pay)', async () => {
    fake.onPayCode('134567890123450013', 'USERPAYING');
    const { request, result } = charge('134567890123450013');
    await result;
    await wechat.closePayment({ attemptId: request.attemptId, providerPaymentId: null });
    assert.equal(fake.order(request.attemptId)?.state, 'REVOKED');
    assert.equal(fake.requestsTo(`/v3/global/micropay/transactions/out-trade-no/${request.attemptId}/reverse`).length, 1);
    assert.equal((await wechat.queryPayment({ attemptId: request.attemptId, providerPaymentId: null })).state, 'closed');
    const paid = charge('134567890123456789');
    await paid.result;
    await wechat.closePayment({ attemptId: paid.request.attemptId, providerPaymentId: null });
    assert.equal(fake.order(paid.request.attemptId)?.state, 'SUCCESS', 'a paid order is never reversed by a close');
  });
});

describe('WeChat Pay adapter: institutional mode, platform certificates', () => {
  let fake: FakeWechatPay;
  let merchant: WechatMerchant;
  let inbox: NotificationInbox;

  before(async () => {
    merchant = makeWechatMerchant({ mode: 'institutional', mchid: '20000100', appid: 'wx5555555555555555' });
    fake = await FakeWechatPay.start({ merchants: [merchant.fake], signWith: 'certificate' });
    inbox = new NotificationInbox();
    await inbox.start();
  });

  after(async () => {
    await fake.stop();
    await inbox.stop();
  });

  test('orders, queries, refunds and notifications with sp_mchid / sub_mchid, signed by the institution, verified with the platform certificate', async () => {
    const wechat = wechatProvider(fake, merchant, inbox.url, { 'platform-certificate-file': fake.platformCertificatePem });
    inbox.provider = wechat;
    const request = paymentRequest(inbox.url);
    await wechat.createPayment(request);
    const order = fake.order(request.attemptId);
    assert.equal(order?.subMchid, '20000100');
    assert.deepEqual(
      { sp_appid: order?.request.sp_appid, sp_mchid: order?.request.sp_mchid, sub_mchid: order?.request.sub_mchid, sub_appid: order?.request.sub_appid },
      { sp_appid: merchant.spAppid, sp_mchid: merchant.spMchid, sub_mchid: '20000100', sub_appid: 'wx5555555555555555' },
    );
    assert.match(String(fake.requests.at(-1)?.headers.authorization), new RegExp(`mchid="${merchant.spMchid}"`));
    assert.match(String(fake.requestsTo('/v3/global/transactions/out-trade-no/').at(-1)?.path ?? '?sp_mchid='), /./);
    const before = inbox.received.length;
    await fake.pay(request.attemptId);
    assert.equal(inbox.received[before].status, 204);
    assert.equal(inbox.received[before].events?.[0]?.kind, 'payment');
    const report = await wechat.queryPayment({ attemptId: request.attemptId, providerPaymentId: null });
    assert.equal(report.state, 'paid');
    assert.match(String(fake.requestsTo('/v3/global/transactions/out-trade-no/').at(-1)?.path), /\?sp_mchid=1900000100&sub_mchid=20000100$/);
    const refund = await wechat.refund({ refundId: `R${attemptId()}`, attemptId: request.attemptId, providerPaymentId: null, amountMinor: 500, paymentAmountMinor: 12_000, currency: 'NZD', reason: '', notifyUrl: inbox.url });
    assert.equal(refund.state, 'processing');
  });

  test('JSAPI with the sub-merchant\'s own AppID: payer.sub_openid, and WeixinJSBridge gets the sub AppID', async () => {
    const wechat = wechatProvider(fake, merchant, inbox.url, { 'platform-certificate-file': fake.platformCertificatePem });
    const request = paymentRequest(inbox.url, { context: IN_WECHAT });
    const created = await wechat.createPayment(request);
    assert.deepEqual(fake.order(request.attemptId)?.request.payer, { sub_openid: IN_WECHAT.payerOpenId });
    assert.equal(created.nextAction.type === 'open_wallet' && fake.checkJsapiInvoke(String(merchant.spMchid), created.nextAction.params as never), null);
    assert.equal(created.nextAction.type === 'open_wallet' && created.nextAction.params.appId, 'wx5555555555555555');
  });

  test('the sub-merchant without an AppID of its own (--appid = --sp-appid): payer.sp_openid', async () => {
    const wechat = wechatProvider(fake, merchant, inbox.url, { appid: merchant.spAppid, 'platform-certificate-file': fake.platformCertificatePem });
    const request = paymentRequest(inbox.url, { context: IN_WECHAT });
    const created = await wechat.createPayment(request);
    assert.deepEqual(fake.order(request.attemptId)?.request.payer, { sp_openid: IN_WECHAT.payerOpenId });
    assert.equal(fake.order(request.attemptId)?.request.sub_appid, undefined);
    assert.equal(created.nextAction.type === 'open_wallet' && fake.checkJsapiInvoke(String(merchant.spMchid), created.nextAction.params as never), null);
  });

  test('a mini program: its appid as sub_appid with payer.sub_openid; the institution\'s own appid with payer.sp_openid', async () => {
    const wechat = wechatProvider(fake, merchant, inbox.url, { 'platform-certificate-file': fake.platformCertificatePem });
    const request = paymentRequest(inbox.url, { context: IN_MINI_PROGRAM });
    const created = await wechat.createPayment(request);
    const order = fake.order(request.attemptId);
    assert.equal(order?.request.sub_appid, MINI_APP);
    assert.equal(order?.request.sp_appid, merchant.spAppid);
    assert.deepEqual(order?.request.payer, { sub_openid: IN_MINI_PROGRAM.payerOpenId });
    assert.equal(created.nextAction.type === 'open_wallet' && created.nextAction.params.appId, MINI_APP);
    assert.equal(created.nextAction.type === 'open_wallet' && fake.checkJsapiInvoke(String(merchant.spMchid), created.nextAction.params as never), null);

    const own = paymentRequest(inbox.url, { context: { ...IN_MINI_PROGRAM, payerAppId: merchant.spAppid } });
    const ownCreated = await wechat.createPayment(own);
    assert.equal(fake.order(own.attemptId)?.request.sub_appid, undefined);
    assert.deepEqual(fake.order(own.attemptId)?.request.payer, { sp_openid: IN_MINI_PROGRAM.payerOpenId });
    assert.equal(ownCreated.nextAction.type === 'open_wallet' && fake.checkJsapiInvoke(String(merchant.spMchid), ownCreated.nextAction.params as never), null);
  });

  test('a certificate rotation: the new serial is fetched from the certificate list once, then both are believed', async () => {
    const wechat = wechatProvider(fake, merchant, inbox.url, { 'platform-certificate-file': fake.platformCertificatePem });
    inbox.provider = wechat;
    const request = paymentRequest(inbox.url);
    await wechat.createPayment(request);
    const downloads = fake.requestsTo('/v3/global/certificates').length;
    fake.rotatePlatformCertificate();
    assert.equal((await wechat.queryPayment({ attemptId: request.attemptId, providerPaymentId: null })).state, 'pending');
    assert.equal(fake.requestsTo('/v3/global/certificates').length, downloads + 1);
    const before = inbox.received.length;
    await fake.pay(request.attemptId);
    assert.equal(inbox.received[before].status, 204, 'a notification signed with the new certificate');
    await wechat.queryPayment({ attemptId: request.attemptId, providerPaymentId: null });
    assert.equal(fake.requestsTo('/v3/global/certificates').length, downloads + 1, 'fetched once');
  });

  test('an unknown certificate serial on a notification is refused after one look at the list; without configured certificates, at once', async () => {
    const wechat = wechatProvider(fake, merchant, inbox.url, { 'platform-certificate-file': fake.platformCertificatePem });
    inbox.provider = wechat;
    const request = paymentRequest(inbox.url);
    await wechat.createPayment(request);
    const before = inbox.received.length;
    await fake.notifyRaw(request.attemptId, { unknownSerial: true });
    assert.ok(inbox.received[before].rejected);
    assert.equal(inbox.received[before].status, 401);
    // Configured with the public key only: certificate-signed answers are never believed, and the list is not asked for.
    const keyOnly = wechatProvider(fake, merchant, inbox.url);
    const downloads = fake.requestsTo('/v3/global/certificates').length;
    await rejects(keyOnly.queryPayment({ attemptId: request.attemptId, providerPaymentId: null }), 'unknown', 'UNVERIFIED_ANSWER');
    assert.equal(fake.requestsTo('/v3/global/certificates').length, downloads);
  });
});

describe('WeChat Pay adapter: the payer\'s openid through the official account\'s OAuth', () => {
  let fake: FakeWechatPay;
  let merchant: WechatMerchant;
  const secret = 'b'.repeat(32);

  before(async () => {
    merchant = makeWechatMerchant();
    fake = await FakeWechatPay.start({ merchants: [merchant.fake], officialAccounts: [{ appid: merchant.appid, secret }] });
  });

  after(() => fake.stop());

  test('authorizeUrl is snsapi_base with the parameters in WeChat\'s order; a code gives the openid once', async () => {
    const wechat = wechatProvider(fake, merchant, 'http://127.0.0.1:9/n', { 'oauth-app-secret-file': `${secret}\n` }, {
      oauth: { authorizeUrl: `${fake.baseUrl}/connect/oauth2/authorize`, apiBaseUrl: fake.baseUrl },
    });
    const identity = wechat.payerIdentity;
    assert.ok(identity);
    const url = identity.authorizeUrl('http://gateway.test/pay/abc', 'state123');
    assert.equal(
      url,
      `${fake.baseUrl}/connect/oauth2/authorize?appid=${merchant.appid}&redirect_uri=${encodeURIComponent('http://gateway.test/pay/abc')}&response_type=code&scope=snsapi_base&state=state123#wechat_redirect`,
    );
    fake.signInAs(merchant.appid, 'oPAYER0000000000000000000077');
    const res = await fetch(url.replace('#wechat_redirect', ''), { redirect: 'manual' });
    const code = String(new URL(String(res.headers.get('location'))).searchParams.get('code'));
    assert.equal(await identity.openIdFor(code), 'oPAYER0000000000000000000077');
    await rejects(identity.openIdFor(code), 'declined', '40163');
    await rejects(identity.openIdFor('not a code'), 'declined');
  });

  test('the default authorisation host is WeChat\'s (never contacted in tests: only the URL is built)', () => {
    const wechat = wechatProvider(fake, merchant, 'http://127.0.0.1:9/n', { 'oauth-app-secret-file': secret });
    assert.match(wechat.payerIdentity?.authorizeUrl('http://gateway.test/pay/abc', 's') ?? '', /^https:\/\/open\.weixin\.qq\.com\/connect\/oauth2\/authorize\?appid=/);
  });

  test('a wrong AppSecret is misconfigured', async () => {
    const wechat = wechatProvider(fake, merchant, 'http://127.0.0.1:9/n', { 'oauth-app-secret-file': 'c'.repeat(32) }, { oauth: { apiBaseUrl: fake.baseUrl } });
    const res = await fetch(`${fake.baseUrl}/connect/oauth2/authorize?appid=${merchant.appid}&redirect_uri=http%3A%2F%2F127.0.0.1%2F&response_type=code&scope=snsapi_base&state=s`, { redirect: 'manual' });
    const code = String(new URL(String(res.headers.get('location'))).searchParams.get('code'));
    await rejects(wechat.payerIdentity?.openIdFor(code) ?? Promise.resolve(), 'misconfigured', '40125');
  });
});
