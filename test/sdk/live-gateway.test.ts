import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createCallbackHandler, Latipay, LatipayError, type CallbackEvent } from '../../sdk/src/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import {
  createMerchantViaCli,
  newReference,
  newSecretKey,
  settleOrder,
  startGatewayProcess,
  waitFor,
  type CreatedMerchant,
  type GatewayProcess,
} from '../e2e/helpers.js';

// The SDK against the gateway running as a process (bin/latipay.mjs serve) on a real
// port: every endpoint the gateway serves, and the callback handler answering the
// gateway's real callback.

interface Answered {
  event: CallbackEvent | undefined;
  status: number;
  body: string;
}

let database: TestDatabase;
let gateway: GatewayProcess;
let merchant: CreatedMerchant;
let latipay: Latipay;
let merchantServer: Server;
let callbackUrl: string;
/** What the callback handler answered the gateway, in order. */
const answered: Answered[] = [];
/** Listener failures to simulate, per merchant_reference: the first N callbacks throw. */
const failFirst = new Map<string, number>();
const seen = new Map<string, number>();

before(async () => {
  database = await createTestDatabase();
  const secretKey = newSecretKey();
  merchant = await createMerchantViaCli(database.url, database.dataDir, secretKey, { name: 'SDK Wines' });
  gateway = await startGatewayProcess({
    databaseUrl: database.url,
    dataDir: database.dataDir,
    secretKey,
    env: { NOTIFY_RETRY_SECONDS: '1', LONG_POLL_SECONDS: '30', SANDBOX_BARCODE_PENDING_MS: '200' },
  });
  // Callbacks without the gateway's Standard Webhooks headers are refused: every one must carry them.
  latipay = new Latipay({ userId: merchant.user_id, walletId: merchant.wallet_id, apiKey: merchant.api_key, baseUrl: gateway.baseUrl, timeoutMs: 10_000, requireWebhookHeaders: true });

  let current: CallbackEvent | undefined;
  const handler = createCallbackHandler(
    latipay,
    async (event) => {
      current = event;
      const count = (seen.get(event.merchant_reference) ?? 0) + 1;
      seen.set(event.merchant_reference, count);
      if (count <= (failFirst.get(event.merchant_reference) ?? 0)) throw new Error('the shop database is busy');
    },
    { onError: () => {} },
  );
  merchantServer = createServer((req, res) => {
    current = undefined;
    // Record what the handler answers, as the gateway sees it.
    const end = res.end.bind(res);
    res.end = ((chunk?: unknown) => {
      answered.push({ event: current, status: res.statusCode, body: String(chunk ?? '') });
      return end(chunk as string);
    }) as typeof res.end;
    void handler(req, res);
  });
  await new Promise<void>((resolve) => merchantServer.listen(0, '127.0.0.1', resolve));
  callbackUrl = `http://127.0.0.1:${(merchantServer.address() as AddressInfo).port}/latipay/callback`;
}, { timeout: 90_000 });

after(async () => {
  gateway?.kill();
  await gateway?.exited;
  merchantServer?.closeAllConnections();
  await new Promise<void>((resolve) => (merchantServer ? merchantServer.close(() => resolve()) : resolve()));
  await database?.cleanup();
}, { timeout: 60_000 });

function order(reference: string, extra: Partial<Parameters<Latipay['createTransaction']>[0]> = {}) {
  return latipay.createTransaction({
    amount: '12.50',
    payment_method: 'alipay',
    merchant_reference: reference,
    product_name: 'Pinot Noir, Otago',
    return_url: 'https://shop.example/return',
    callback_url: callbackUrl,
    ip: '122.122.122.1',
    ...extra,
  });
}

const codeOf = (code: number) => (error: unknown) => error instanceof LatipayError && error.code === code;

describe('the SDK against a running gateway', () => {
  test('wallet detail and rates', async () => {
    const detail = await latipay.walletDetail();
    assert.deepEqual(detail.payment_methods, ['alipay', 'wechat']);
    assert.equal(detail.payment_method, 'Alipay,Wechat');

    const rates = await latipay.rates();
    assert.equal(rates.currency, 'NZD');
    const cny = rates.rates.find((rate) => rate.currency === 'CNY');
    assert.ok(cny, JSON.stringify(rates));
    assert.match(cny.rate, /^\d+(\.\d+)?$/);
  });

  test('create → query pending → settle → long-poll paid → callback verified and answered sent (after a failed attempt) → signed redirect', async () => {
    const reference = newReference('sdk');
    failFirst.set(reference, 1);
    const created = await order(reference);
    assert.equal(created.host_url, `${gateway.baseUrl}/pay`);
    assert.equal(created.payment_url, `${gateway.baseUrl}/pay/${created.nonce}`);

    const pending = await latipay.queryTransaction(reference);
    assert.equal(pending.status, 'pending');
    assert.equal(pending.paid, false);
    assert.equal(pending.amount, '12.50');
    assert.equal(pending.currency, 'NZD');

    const longPoll = latipay.queryTransaction(reference, { block: true, timeoutMs: 40_000 });
    const settled = await settleOrder(gateway.baseUrl, pending.order_id, 'paid');
    assert.equal(settled.code, 0, JSON.stringify(settled));
    const paid = await longPoll;
    assert.equal(paid.status, 'paid');
    assert.equal(paid.paid, true);
    assert.equal(paid.order_id, pending.order_id);
    assert.match(paid.pay_time, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);

    // The gateway's callback: the listener fails once (fail, HTTP 500), the gateway retries, then sent.
    const delivered = await waitFor('the callback answered sent', () =>
      answered.find((a) => a.event?.merchant_reference === reference && a.body === 'sent'),
    { timeoutMs: 20_000 });
    const forThisOrder = answered.filter((a) => a.event?.merchant_reference === reference);
    assert.deepEqual(forThisOrder.slice(0, 2).map((a) => [a.status, a.body]), [[500, 'fail'], [200, 'sent']]);
    assert.equal(delivered.status, 200);
    assert.equal(delivered.event?.order_id, pending.order_id);
    assert.equal(delivered.event?.status, 'paid');
    assert.equal(delivered.event?.amount, '12.50');
    // Its webhook headers verified; the retry kept the notification's webhook-id.
    assert.match(delivered.event?.webhook?.id ?? '', /^msg_/);
    assert.equal(forThisOrder[0].event?.webhook?.id, delivered.event?.webhook?.id);

    // The payment page of a final order redirects to the signed return_url.
    const page = await fetch(created.payment_url, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
    await page.arrayBuffer();
    assert.equal(page.status, 302);
    const back = latipay.verifyReturn(page.headers.get('location') ?? '');
    assert.equal(back.paid, true);
    assert.equal(back.merchant_reference, reference);
  });

  test('refund: partial, duplicate (562) and over the paid amount (550); only paid orders (556)', async () => {
    const reference = newReference('sdk-refund');
    await order(reference, { amount: '20.00' });
    const { order_id } = await latipay.queryTransaction(reference);
    await assert.rejects(latipay.refund({ order_id, refund_amount: '1.00' }), codeOf(556));
    await settleOrder(gateway.baseUrl, order_id, 'paid');
    await latipay.queryTransaction(reference, { block: true });

    const refund = await latipay.refund({ order_id, refund_amount: '5.00', reference: 'one bottle was corked' });
    assert.equal(refund.message, 'SUCCESS');
    await assert.rejects(latipay.refund({ order_id, refund_amount: '5.00', reference: 'one bottle was corked' }), codeOf(562));
    await assert.rejects(latipay.refund({ order_id, refund_amount: '15.01' }), codeOf(550));
    const rest = await latipay.refund({ order_id, refund_amount: 15 });
    assert.equal(rest.message, 'SUCCESS');
    await assert.rejects(latipay.refund({ order_id: '2099000000000000', refund_amount: '1.00' }), codeOf(551));
  });

  test('cancel: a pending order becomes canceled and is notified; a paid one answers 900', async () => {
    const reference = newReference('sdk-cancel');
    await order(reference, { payment_method: 'wechat' });
    await latipay.cancel(reference);
    const canceled = await latipay.queryTransaction(reference);
    assert.equal(canceled.status, 'canceled');
    await latipay.cancel(reference); // again: still success
    const notified = await waitFor('the cancel callback', () => answered.find((a) => a.event?.merchant_reference === reference), { timeoutMs: 20_000 });
    assert.equal(notified.event?.status, 'canceled');
    assert.equal(notified.body, 'sent');

    const paidReference = newReference('sdk-cancel-paid');
    await order(paidReference);
    await settleOrder(gateway.baseUrl, (await latipay.queryTransaction(paidReference)).order_id, 'paid');
    await assert.rejects(latipay.cancel(paidReference), codeOf(900));
    await assert.rejects(latipay.cancel(newReference('never-created')), codeOf(201));
  });

  test('barcode: an Alipay code is charged at once; a declined one fails; a pending one settles later', async () => {
    const paidReference = newReference('sdk-till');
    const paid = await latipay.barcode({ amount: '8.50', pay_code: '280000000000000001', merchant_reference: paidReference, product_name: 'Flat white' });
    assert.match(paid.order_id, /^\d+$/);
    const paidResult = await latipay.queryTransaction(paidReference);
    assert.equal(paidResult.status, 'paid');
    assert.equal(paidResult.payment_method, 'alipay');
    assert.equal(paidResult.order_id, paid.order_id);

    const declinedReference = newReference('sdk-till');
    await latipay.barcode({ amount: '8.50', pay_code: '134588558514585066', merchant_reference: declinedReference });
    const declined = await latipay.queryTransaction(declinedReference);
    assert.equal(declined.status, 'failed');
    assert.equal(declined.payment_method, 'wechat');

    const laterReference = newReference('sdk-till');
    await latipay.barcode({ amount: '8.50', pay_code: '280000000000000007', merchant_reference: laterReference, callback_url: callbackUrl });
    const later = await latipay.queryTransaction(laterReference, { block: true, timeoutMs: 40_000 });
    assert.equal(later.status, 'paid');

    await assert.rejects(latipay.barcode({ amount: '8.50', pay_code: '99' }), codeOf(207));
  });

  test('merchant-hosted QR: gatewaydata of a host_type=1 order, verified', async () => {
    const reference = newReference('sdk-kiosk');
    const created = await order(reference, { host_type: '1', return_url: undefined, amount: '3.00' });
    assert.equal(created.host_url, `${gateway.baseUrl}/v2/merchanthosted/gatewaydata`);
    const data = await latipay.gatewayData(created.nonce);
    assert.equal(data.merchant_reference, reference);
    assert.equal(data.amount, '3.00');
    assert.equal(data.currency, 'NZD');
    assert.equal(data.user_id, merchant.user_id);
    assert.equal(data.wallet_id, merchant.wallet_id);
    assert.match(data.qr_code, /^data:image\/png;base64,/);
    assert.ok(data.qr_code_url.startsWith(`${gateway.baseUrl}/sandbox/wallet/`), data.qr_code_url);

    // A hosted-page order's nonce is not for gatewaydata.
    const hosted = await order(newReference('sdk-kiosk'));
    await assert.rejects(latipay.gatewayData(hosted.nonce), codeOf(207));
  });

  test("errors carry Latipay's code: unknown order 201, wrong api_key 206, unknown user 205, wallet not assigned 450", async () => {
    await assert.rejects(latipay.queryTransaction(newReference('missing')), codeOf(201));
    const wrongKey = new Latipay({ userId: merchant.user_id, walletId: merchant.wallet_id, apiKey: 'f'.repeat(32), baseUrl: gateway.baseUrl });
    await assert.rejects(wrongKey.walletDetail(), codeOf(206));
    const unknownUser = new Latipay({ userId: 'U999999999', walletId: merchant.wallet_id, apiKey: merchant.api_key, baseUrl: gateway.baseUrl });
    await assert.rejects(unknownUser.queryTransaction('x'), codeOf(205));
    await assert.rejects(latipay.walletDetail('W999999999'), codeOf(450));
  });
});
