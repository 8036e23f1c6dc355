// The Antom adapter against the fake Antom, method by method, without the gateway: what it
// sends (the fake verifies every signature and field as Antom does), what it concludes from
// each answer, and that a repeated request never pays or refunds twice.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { NotificationRejectedError, ProviderError, type CreatePaymentRequest, type PaymentContext, type ReceivedNotification } from '../../../src/channels/provider.js';
import type { AntomProvider } from '../../../src/channels/antom/antom-provider.js';
import type { FakeAntom } from '../../fakes/antom/fake-antom.js';
import { makeAntomMerchant, startFakeAntom, testAntomProvider, type AntomMerchant } from '../../helpers/antom.js';

let seq = 0;
/** A fresh order id (19 digits) and its first attempt id, as the gateway makes them. */
function newIds(): { orderId: string; attemptId: string } {
  const orderId = `${Date.now()}${String(++seq).padStart(6, '0')}`;
  return { orderId, attemptId: `${orderId}01` };
}

const PC: PaymentContext = { device: 'pc', purpose: 'payment_page', returnUrl: 'http://127.0.0.1:9/pay/abc' };

function paymentRequest(notifyUrl: string, context: PaymentContext = PC, overrides: Partial<CreatePaymentRequest> = {}): CreatePaymentRequest {
  const { orderId, attemptId } = newIds();
  return {
    attemptId, orderId, method: 'alipay', amountMinor: 12000, currency: 'NZD', subject: 'Pinot Noir, Otago',
    notifyUrl, expiresAt: Date.now() + 3_600_000, context, ...overrides,
  };
}

function rejectsWith(outcome: ProviderError['outcome'], code?: string) {
  return (error: unknown) => {
    assert.ok(error instanceof ProviderError, String(error));
    assert.equal(error.outcome, outcome, error.message);
    if (code) assert.equal(error.providerCode, code);
    return true;
  };
}

/** A loopback server that hands Antom's notifications to the adapter and answers what it says. */
async function startReceiver(): Promise<{ url: string; received: Array<ReceivedNotification | Error>; setProvider(p: AntomProvider): void; close(): Promise<void> }> {
  const received: Array<ReceivedNotification | Error> = [];
  let provider: AntomProvider | undefined;
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    try {
      const result = await (provider as AntomProvider).receiveNotification({ headers, rawBody: Buffer.concat(chunks) });
      received.push(result);
      res.writeHead(result.ack.status, { 'content-type': result.ack.contentType }).end(result.ack.body);
    } catch (error) {
      received.push(error as Error);
      const ack = error instanceof NotificationRejectedError ? error.ack : { status: 500, contentType: 'text/plain', body: 'error' };
      res.writeHead(ack.status, { 'content-type': ack.contentType }).end(ack.body);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/channels/antom/notify/pa_antom_test`,
    received,
    setProvider: (p) => void (provider = p),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('Antom adapter against the fake Antom', () => {
  let fake: FakeAntom;
  let merchant: AntomMerchant;
  let provider: AntomProvider;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  before(async () => {
    merchant = makeAntomMerchant();
    fake = await startFakeAntom([merchant]);
    receiver = await startReceiver();
    provider = testAntomProvider(fake, merchant, receiver.url);
    receiver.setProvider(provider);
  });

  after(async () => {
    await fake.stop();
    await receiver.close();
  });

  describe('createPayment', () => {
    test('on a PC: Cashier Payment (WEB) answered U/PAYMENT_IN_PROCESS is a redirect to normalUrl; our ids, string amounts, our URLs', async () => {
      const request = paymentRequest(receiver.url);
      const created = await provider.createPayment(request);
      const payment = fake.payment(request.attemptId);
      assert.ok(payment);
      assert.equal(created.flow, 'redirect');
      assert.deepEqual(created.nextAction, { type: 'redirect', url: `${fake.baseUrl}/cashier/checkout?paymentId=${payment.paymentId}` });
      assert.equal(created.providerPaymentId, payment.paymentId);
      const [logged] = fake.requestsTo('pay').filter((r) => r.body.includes(request.attemptId));
      assert.equal(logged.path, '/ams/sandbox/api/v1/payments/pay', 'a SANDBOX_ client pays online at the sandbox path');
      assert.equal(logged.resultCode, 'PAYMENT_IN_PROCESS');
      const body = JSON.parse(logged.body) as Record<string, any>;
      assert.equal(body.productCode, 'CASHIER_PAYMENT');
      assert.equal(body.paymentRequestId, request.attemptId);
      assert.deepEqual(body.paymentAmount, { currency: 'NZD', value: '12000' });
      assert.deepEqual(body.order.orderAmount, { currency: 'NZD', value: '12000' });
      assert.equal(body.order.referenceOrderId, request.orderId);
      assert.equal(body.paymentMethod.paymentMethodType, 'ALIPAY_CN');
      assert.equal(body.paymentNotifyUrl, receiver.url);
      assert.equal(body.paymentRedirectUrl, PC.returnUrl);
      assert.deepEqual(body.env, { terminalType: 'WEB' });
      assert.equal(Date.parse(body.paymentExpiryTime), Math.floor(request.expiresAt / 1000) * 1000);
      assert.match(String(logged.headers['request-time']), /^\d{13}$/, 'Request-Time in milliseconds');
      assert.match(String(logged.headers.signature), /^algorithm=RSA256,keyVersion=1,signature=[A-Za-z0-9%]+$/, 'URL-encoded: no raw + / =');
    });

    test('in a phone browser: WAP with the OS, applinkUrl first; inside Alipay: schemeUrl', async () => {
      const iphone = paymentRequest(receiver.url, { ...PC, device: 'mobile', os: 'ios' });
      const mobile = await provider.createPayment(iphone);
      const paymentId = fake.payment(iphone.attemptId)?.paymentId;
      assert.deepEqual(mobile.nextAction, { type: 'redirect', url: `${fake.baseUrl}/cashier/applink?paymentId=${paymentId}` });
      assert.deepEqual((JSON.parse(fake.requestsTo('pay').at(-1)?.body ?? '{}') as Record<string, unknown>).env, { terminalType: 'WAP', osType: 'IOS' });

      const inAlipay = paymentRequest(receiver.url, { ...PC, device: 'alipay' });
      const app = await provider.createPayment(inAlipay);
      assert.equal(app.flow, 'redirect');
      assert.match(app.nextAction.type === 'redirect' ? app.nextAction.url : '', /^alipays:\/\/platformapi\/startapp\?/);
      assert.deepEqual((JSON.parse(fake.requestsTo('pay').at(-1)?.body ?? '{}') as Record<string, unknown>).env, { terminalType: 'WAP', osType: 'ANDROID' });
    });

    test("a merchant's own QR: in-store Order Code (S = the code was issued) at /ams/api even for a sandbox client", async () => {
      const request = paymentRequest(receiver.url, { ...PC, purpose: 'merchant_qr' });
      const created = await provider.createPayment(request);
      const payment = fake.payment(request.attemptId);
      assert.equal(created.flow, 'qr');
      assert.deepEqual(created.nextAction, { type: 'show_qr', qrContent: `${fake.baseUrl}/qr/${payment?.paymentId}` });
      assert.equal(payment?.status, 'PROCESSING', 'issued, not paid');
      const logged = fake.requestsTo('pay').at(-1);
      assert.equal(logged?.path, '/ams/api/v1/payments/pay');
      const body = JSON.parse(logged?.body ?? '{}') as Record<string, any>;
      assert.equal(body.productCode, 'IN_STORE_PAYMENT');
      assert.equal(body.paymentFactor.inStorePaymentScenario, 'OrderCode');
      assert.equal(body.paymentNotifyUrl, receiver.url);
    });

    test('a 5xx, a dropped connection after Antom acted, or an unknown exception: asked once more with the same id, one payment', async () => {
      for (const failure of [{ status: 502 }, { dropConnection: true as const, afterProcessing: true }, { result: { resultCode: 'UNKNOWN_EXCEPTION', resultStatus: 'U' as const, resultMessage: 'x' }, afterProcessing: true }]) {
        const request = paymentRequest(receiver.url);
        fake.failNext('pay', failure);
        const created = await provider.createPayment(request);
        assert.equal(created.flow, 'redirect');
        const sent = fake.requestsTo('pay').filter((r) => r.body.includes(request.attemptId));
        assert.equal(sent.length, 2, JSON.stringify(failure));
        assert.equal(new Set(sent.map((r) => (JSON.parse(r.body) as { paymentRequestId: string }).paymentRequestId)).size, 1);
        assert.equal(created.providerPaymentId, fake.payment(request.attemptId)?.paymentId);
      }
    });

    test('an answer that cannot be trusted twice over is unknown; refusals map to their outcomes', async () => {
      fake.failNext('pay', { unsignedResponse: true }, { times: 2 });
      await assert.rejects(provider.createPayment(paymentRequest(receiver.url)), rejectsWith('unknown'));
      fake.failNext('pay', { badResponseSignature: true }, { times: 2 });
      await assert.rejects(provider.createPayment(paymentRequest(receiver.url)), rejectsWith('unknown'));
      fake.failNext('pay', { delayMs: 3_000 }, { times: 2 });
      await assert.rejects(provider.createPayment(paymentRequest(receiver.url)), rejectsWith('unknown'));
      fake.failNext('pay', { result: { resultCode: 'PARAM_ILLEGAL', resultStatus: 'F', resultMessage: 'bad' } });
      await assert.rejects(provider.createPayment(paymentRequest(receiver.url)), rejectsWith('not_done', 'PARAM_ILLEGAL'));
      fake.failNext('pay', { result: { resultCode: 'ACCESS_DENIED', resultStatus: 'F', resultMessage: 'no contract' } });
      await assert.rejects(provider.createPayment(paymentRequest(receiver.url)), rejectsWith('misconfigured', 'ACCESS_DENIED'));
      // The same id with another amount: Antom's idempotency refuses it; the amount is never "repaired".
      const request = paymentRequest(receiver.url);
      await provider.createPayment(request);
      await assert.rejects(provider.createPayment({ ...request, amountMinor: 100 }), rejectsWith('not_done', 'REPEAT_REQ_INCONSISTENT'));
    });

    test('authentication refusals come unsigned and say the account is misconfigured', async () => {
      const stranger = testAntomProvider(fake, makeAntomMerchant({ clientId: 'SANDBOX_UNKNOWN', keyIndex: 0 }), receiver.url);
      await assert.rejects(stranger.createPayment(paymentRequest(receiver.url)), rejectsWith('misconfigured', 'KEY_NOT_FOUND'));
      const wrongKey = testAntomProvider(fake, { ...merchant, ...makeAntomMerchant({ clientId: merchant.clientId, keyIndex: 1 }) }, receiver.url);
      await assert.rejects(wrongKey.createPayment(paymentRequest(receiver.url)), rejectsWith('misconfigured', 'INVALID_SIGNATURE'));
      const late = testAntomProvider(fake, merchant, receiver.url, { clock: () => Date.now() - 3_600_000 });
      await assert.rejects(late.createPayment(paymentRequest(receiver.url)), rejectsWith('misconfigured', 'INVALID_SIGNATURE'));
    });
  });

  describe('queryPayment and closePayment', () => {
    test('pending, then paid: amounts in the order currency, the payer CNY from customsDeclarationAmount, the rate derived', async () => {
      const request = paymentRequest(receiver.url);
      const created = await provider.createPayment(request);
      const ref = { attemptId: request.attemptId, providerPaymentId: created.providerPaymentId ?? null };
      assert.equal((await provider.queryPayment(ref)).state, 'pending');
      await fake.pay(request.attemptId, { notify: false });
      const report = await provider.queryPayment(ref);
      assert.equal(report.state, 'paid');
      assert.equal(report.amountMinor, 12000);
      assert.equal(report.currency, 'NZD');
      assert.equal(report.payerCurrency, 'CNY');
      assert.equal(report.payerAmountMinor, 50400);
      assert.equal(report.payerRate, '4.2');
      assert.equal(report.providerPaymentId, created.providerPaymentId);
      assert.ok(Math.abs(report.occurredAt - Date.now()) < 60_000);
    });

    test('a quoted rate is taken as quoted (paymentQuote), the payer amount from actualPaymentAmount', async () => {
      const quoting = await startFakeAntom([merchant], { quoteStyle: 'actual', rates: { 'NZD/CNY': '4.21234567' }, payerCurrency: 'CNY' });
      try {
        const adapter = testAntomProvider(quoting, merchant, receiver.url);
        const request = paymentRequest(receiver.url, PC, { amountMinor: 1001 });
        await adapter.createPayment(request);
        await quoting.pay(request.attemptId, { notify: false });
        const report = await adapter.queryPayment({ attemptId: request.attemptId, providerPaymentId: null });
        assert.equal(report.payerAmountMinor, 4217);
        assert.equal(report.payerRate, '4.21234567');
      } finally {
        await quoting.stop();
      }
    });

    test('declined, expired and cancelled payments; an unknown one is closed', async () => {
      const declined = paymentRequest(receiver.url);
      await provider.createPayment(declined);
      await fake.decline(declined.attemptId, { notify: false });
      assert.equal((await provider.queryPayment({ attemptId: declined.attemptId, providerPaymentId: null })).state, 'failed');
      const open = paymentRequest(receiver.url);
      const created = await provider.createPayment(open);
      await provider.closePayment({ attemptId: open.attemptId, providerPaymentId: created.providerPaymentId ?? null });
      assert.equal(fake.payment(open.attemptId)?.status, 'CANCELLED');
      assert.equal((await provider.queryPayment({ attemptId: open.attemptId, providerPaymentId: null })).state, 'closed');
      await provider.closePayment({ attemptId: open.attemptId, providerPaymentId: null });
      assert.equal((await provider.queryPayment({ attemptId: newIds().attemptId, providerPaymentId: null })).state, 'closed');
    });

    test('closing never cancels a paid payment (Antom would give the money back)', async () => {
      const request = paymentRequest(receiver.url);
      await provider.createPayment(request);
      await fake.pay(request.attemptId, { notify: false });
      const cancels = fake.requestsTo('cancel').length;
      await provider.closePayment({ attemptId: request.attemptId, providerPaymentId: null });
      assert.equal(fake.requestsTo('cancel').length, cancels);
      assert.equal(fake.payment(request.attemptId)?.status, 'SUCCESS');
    });

    test('an inquiry without an answer is unknown, never a result', async () => {
      fake.failNext('inquiryPayment', { status: 503 });
      await assert.rejects(provider.queryPayment({ attemptId: newIds().attemptId, providerPaymentId: null }), rejectsWith('unknown'));
      fake.failNext('inquiryPayment', { unsignedResponse: true });
      await assert.rejects(provider.queryPayment({ attemptId: newIds().attemptId, providerPaymentId: null }), rejectsWith('unknown'));
    });
  });

  describe('refund and queryRefund', () => {
    async function paid(): Promise<{ attemptId: string; paymentId: string }> {
      const request = paymentRequest(receiver.url);
      const created = await provider.createPayment(request);
      await fake.pay(request.attemptId, { notify: false });
      return { attemptId: request.attemptId, paymentId: created.providerPaymentId as string };
    }

    test("processing (U/REFUND_IN_PROCESS) with Antom's paymentId, then succeeded; a repeat refunds nothing more", async () => {
      const { attemptId, paymentId } = await paid();
      const refundId = `R${newIds().orderId}`;
      const request = { refundId, attemptId, providerPaymentId: paymentId, amountMinor: 2000, paymentAmountMinor: 12000, currency: 'NZD', reason: 'broken cork', notifyUrl: receiver.url };
      const first = await provider.refund(request);
      assert.equal(first.state, 'processing');
      assert.equal(first.providerRefundId, fake.refund(refundId)?.refundId);
      const body = JSON.parse(fake.requestsTo('refund').at(-1)?.body ?? '{}') as Record<string, unknown>;
      assert.deepEqual(body, { refundRequestId: refundId, paymentId, refundAmount: { currency: 'NZD', value: '2000' }, refundNotifyUrl: receiver.url, refundReason: 'broken cork' });
      assert.equal((await provider.refund(request)).state, 'processing');
      assert.equal(fake.refundsOf(attemptId).length, 1);
      const ref = { refundId, attemptId, providerPaymentId: paymentId, reason: '' };
      assert.equal((await provider.queryRefund(ref)).state, 'processing');
      await fake.completeRefund(refundId, 'SUCCESS', { notify: false });
      assert.equal((await provider.queryRefund(ref)).state, 'succeeded');
    });

    test('over the refundable amount: failed; an attempt without paymentId learns it by an inquiry', async () => {
      const { attemptId } = await paid();
      const over = await provider.refund({ refundId: `R${newIds().orderId}`, attemptId, providerPaymentId: null, amountMinor: 12001, paymentAmountMinor: 12000, currency: 'NZD', reason: '', notifyUrl: receiver.url });
      assert.equal(over.state, 'failed');
      assert.match(over.reason ?? '', /REFUND_AMOUNT_EXCEED/);
      const fits = await provider.refund({ refundId: `R${newIds().orderId}`, attemptId, providerPaymentId: null, amountMinor: 12000, paymentAmountMinor: 12000, currency: 'NZD', reason: '', notifyUrl: receiver.url });
      assert.equal(fits.state, 'processing');
    });

    test('a refund whose answer is lost is unknown (the gateway asks again with the same id)', async () => {
      const { attemptId, paymentId } = await paid();
      const refundId = `R${newIds().orderId}`;
      const request = { refundId, attemptId, providerPaymentId: paymentId, amountMinor: 500, paymentAmountMinor: 12000, currency: 'NZD', reason: '', notifyUrl: receiver.url };
      fake.failNext('refund', { dropConnection: true, afterProcessing: true });
      await assert.rejects(provider.refund(request), rejectsWith('unknown'));
      assert.equal((await provider.refund(request)).state, 'processing');
      assert.equal(fake.refundsOf(attemptId).length, 1);
    });
  });

  describe('chargeCode (user-presented code)', () => {
    function codeRequest(code: string) {
      const { orderId, attemptId } = newIds();
      return { attemptId, orderId, method: 'alipay' as const, amountMinor: 1250, currency: 'NZD', subject: 'Flat white', notifyUrl: receiver.url, expiresAt: Date.now() + 3_600_000, payCode: code };
    }

    test('paid at once: S with the amounts; the in-store body carries the code, the scenario and the terminal', async () => {
      fake.presentCode('281234567890123451', 'paid');
      const request = codeRequest('281234567890123451');
      const report = await provider.chargeCode(request);
      assert.equal(report.state, 'paid');
      assert.equal(report.amountMinor, 1250);
      const logged = fake.requestsTo('pay').at(-1);
      assert.equal(logged?.path, '/ams/api/v1/payments/pay');
      const body = JSON.parse(logged?.body ?? '{}') as Record<string, any>;
      assert.equal(body.paymentFactor.inStorePaymentScenario, 'PaymentCode');
      assert.equal(body.paymentMethod.paymentMethodId, '281234567890123451');
      assert.equal(body.order.env.storeTerminalId, 'W000000001');
    });

    test('the customer must confirm: pending with the payment id; declined: a declined ProviderError', async () => {
      fake.presentCode('281234567890123452', 'confirm');
      const pending = await provider.chargeCode(codeRequest('281234567890123452'));
      assert.equal(pending.state, 'pending');
      assert.ok(pending.providerPaymentId);
      fake.presentCode('281234567890123453', 'declined');
      await assert.rejects(provider.chargeCode(codeRequest('281234567890123453')), rejectsWith('declined', 'USER_BALANCE_NOT_ENOUGH'));
    });

    test('an unknown answer is inquired about: the payment in process is pending', async () => {
      fake.presentCode('281234567890123454', 'unknown');
      const request = codeRequest('281234567890123454');
      const report = await provider.chargeCode(request);
      assert.equal(report.state, 'pending');
      assert.equal(fake.requestsTo('inquiryPayment').filter((r) => r.body.includes(request.attemptId)).length, 1);
    });

    test('a pay that never landed (the inquiry finds nothing) is sent again with the same id: charged once', async () => {
      fake.presentCode('281234567890123455', 'lost');
      const request = codeRequest('281234567890123455');
      const report = await provider.chargeCode(request);
      assert.equal(report.state, 'paid');
      const pays = fake.requestsTo('pay').filter((r) => r.body.includes(request.attemptId));
      assert.equal(pays.length, 2);
      assert.equal(fake.payment(request.attemptId)?.status, 'SUCCESS');
    });

    test('no answer and no inquiry either: unknown (never "nothing charged")', async () => {
      const request = codeRequest('281234567890123456');
      fake.failNext('pay', { dropConnection: true, afterProcessing: true });
      fake.failNext('inquiryPayment', { result: { resultCode: 'PARAM_ILLEGAL', resultStatus: 'F', resultMessage: 'x' } });
      await assert.rejects(provider.chargeCode(request), rejectsWith('unknown'));
      assert.equal(fake.payment(request.attemptId)?.status, 'SUCCESS', 'it was paid: only an inquiry later finds out');
    });
  });

  describe('receiveNotification', () => {
    test('a genuine notifyPayment: one paid event with the payer amount, answered exactly as Antom requires', async () => {
      const request = paymentRequest(receiver.url);
      await provider.createPayment(request);
      const before = receiver.received.length;
      const record = await fake.pay(request.attemptId);
      assert.ok(record?.acknowledged);
      assert.equal(record?.attempts.at(-1)?.exactAcknowledgement, true);
      const received = receiver.received[before] as ReceivedNotification;
      assert.equal(received.events.length, 1);
      const [event] = received.events;
      assert.equal(event.kind, 'payment');
      assert.equal(event.kind === 'payment' && event.report.state, 'paid');
      assert.equal(event.kind === 'payment' && event.report.attemptId, request.attemptId);
      assert.equal(event.kind === 'payment' && event.report.payerAmountMinor, 50400);
    });

    test('a failed payment and a refund result are events; their ids repeat on redelivery', async () => {
      const request = paymentRequest(receiver.url);
      await provider.createPayment(request);
      const before = receiver.received.length;
      const record = await fake.decline(request.attemptId);
      await fake.redeliver(record?.id as string);
      const [first, second] = receiver.received.slice(before) as ReceivedNotification[];
      assert.equal(first.events[0].kind === 'payment' && first.events[0].report.state, 'failed');
      assert.equal(first.events[0].eventId, second.events[0].eventId);
    });

    test('bad signature, stale time, unknown key version: rejected (not acknowledged, so Antom retries)', async () => {
      const request = paymentRequest(receiver.url);
      await provider.createPayment(request);
      for (const tampering of [{ badSignature: true }, { staleTimeSeconds: 3_600 }, { unknownKeyVersion: true }]) {
        const before = receiver.received.length;
        const record = await fake.notifyRaw(request.attemptId, tampering);
        assert.equal(record.acknowledged, false, JSON.stringify(tampering));
        assert.equal(record.attempts.at(-1)?.status, 401);
        assert.ok(receiver.received[before] instanceof NotificationRejectedError);
      }
    });
  });
});
