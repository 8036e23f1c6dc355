import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import type { CreatedMerchant } from '../../src/gateway/create-merchant.js';
import { buildApp } from '../../src/http/app.js';
import { findOrderById } from '../../src/store/orders.js';
import { findLatestAttempt } from '../../src/store/payment-attempts.js';
import { createTestGateway, signed, transactionFields, type TestGateway } from '../helpers/gateway.js';
import {
  assertHtml,
  assertOneCallback,
  assertPageSecurity,
  assertSignedReturn,
  callbacksOf,
  getPage,
  hrefOf,
  pathOf,
  postForm,
  queryOrder,
  tagOf,
  textOf,
} from '../helpers/method-pages.js';
import { cancel, refund } from '../helpers/money.js';
import { answerOf, createOrder, IPHONE_UA, postTransaction, settleOrder } from './support.js';

/**
 * NZ banks (`onlineBank`), POLi (`polipay`) and UnionPay (`upi_upop`) in the sandbox: the
 * payment page → (a bank list →) the bank's page → approve, decline or cancel → back to the
 * result → the merchant's return_url; and what the merchant is told (callback, query).
 */
describe('bank payments in the sandbox (NZ banks, POLi, UnionPay)', () => {
  let gw: TestGateway;
  let nz: CreatedMerchant;
  let au: CreatedMerchant;
  before(async () => {
    gw = await createTestGateway();
    nz = await gw.addMerchant({ name: 'Kiwi Pantry', currency: 'NZD', methods: ['onlineBank', 'polipay', 'upi_upop'] });
    au = await gw.addMerchant({ name: 'Sydney Deli', currency: 'AUD', methods: ['polipay'] });
  });
  after(() => gw.close());

  /** Creates an order and follows the payment page to the provider's page; answers its path and the order. */
  async function toProviderPage(method: string, merchant = nz, headers: Record<string, string> = {}) {
    const order = await createOrder(gw, { payment_method: method }, merchant);
    const body = assertHtml(await getPage(gw, `/pay/${order.nonce}`, headers));
    return { ...order, body, providerPath: pathOf(hrefOf(body, 'redirect')) };
  }

  /** The bank list → one bank's page; answers the bank page's path. */
  async function chooseBank(listPath: string, bank: string): Promise<string> {
    const list = assertHtml(await getPage(gw, listPath));
    const bankPath = pathOf(hrefOf(list, `bank-${bank}`));
    assert.match(bankPath, new RegExp(`^/sandbox/bank/SBX[0-9a-f]+/${bank}\\?lang=en$`));
    return bankPath.split('?')[0];
  }

  test('NZ banks: the page leads, in this tab, to the bank list, the chosen bank approves, and the payer is back at the result, then the return_url', async () => {
    const order = await toProviderPage('onlineBank');
    assert.equal(textOf(order.body, 'method'), 'NZ bank account');
    assert.match(tagOf(order.body, 'method-logo'), /data-method="onlineBank"/);
    const button = tagOf(order.body, 'redirect');
    assert.doesNotMatch(button, /target=/, 'the bank comes back to the result: same tab');
    assert.doesNotMatch(button, /data-auto-redirect/, 'on a PC the payer starts it');
    assert.match(order.providerPath, /^\/sandbox\/bank\/SBX[0-9a-f]+$/);
    assert.doesNotMatch(order.body, /data-test="amount-cny"/, 'a payer paying from a NZ bank sees no CNY amount');

    const listResponse = await getPage(gw, order.providerPath);
    assertPageSecurity(listResponse);
    const list = assertHtml(listResponse);
    for (const bank of ['anz', 'asb', 'bnz', 'kiwibank', 'westpac', 'tsb']) assert.match(list, new RegExp(`data-test="bank-${bank}"`));
    assert.equal(textOf(list, 'bank-amount'), '120.00 NZD');

    const bankPath = await chooseBank(order.providerPath, 'kiwibank');
    const bankPage = assertHtml(await getPage(gw, bankPath));
    assert.match(textOf(bankPage, 'bank-brand'), /Kiwibank internet banking/);
    for (const button of ['approve', 'decline', 'cancel']) assert.match(bankPage, new RegExp(`data-test="${button}"`));

    const approved = await postForm(gw, `${bankPath}?lang=en`, { outcome: 'paid' });
    assert.equal(approved.statusCode, 303);
    assert.equal(approved.headers.location, `/pay/${order.nonce}/result?lang=en`);

    assert.equal((await findOrderById(gw.store.db, order.orderId))?.status, 'paid');
    const callback = await assertOneCallback(gw, nz, order.orderId, { reference: order.reference, method: 'onlineBank', status: 'paid', currency: 'NZD', amount: '120.00' });
    assert.match(callback.pay_time, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.equal('payId' in callback || 'message' in callback || 'blockData' in callback, false, "PayID's fields are PayID's only");
    const answer = await queryOrder(gw, nz, order.reference);
    assert.equal(answer.status, 'paid');
    assert.equal(answer.payment_method, 'onlineBank');

    const result = assertHtml(await getPage(gw, `/pay/${order.nonce}/result?lang=en`));
    assert.equal(tagOf(result, 'result').includes('data-outcome="paid"'), true);
    const back = await getPage(gw, `/pay/${order.nonce}`);
    assert.equal(back.statusCode, 302);
    assertSignedReturn(nz.api_key, String(back.headers.location), { reference: order.reference, method: 'onlineBank', status: 'paid' });

    // The bank the payer chose is kept with the attempt's provider messages (the audit trail).
    const attempt = await findLatestAttempt(gw.store.db, order.orderId);
    const messages = await gw.store.db.selectFrom('provider_messages').select('body').where('attempt_id', '=', String(attempt?.attempt_id)).execute();
    assert.ok(messages.some((m) => JSON.parse(m.body).bank === 'kiwibank'), JSON.stringify(messages));
  });

  test('NZ banks: a declined payment fails, and the way back tells the merchant cancel_or_fail', async () => {
    const order = await toProviderPage('onlineBank');
    const bankPath = await chooseBank(order.providerPath, 'asb');
    assert.equal((await postForm(gw, bankPath, { outcome: 'failed' })).statusCode, 303);
    await assertOneCallback(gw, nz, order.orderId, { reference: order.reference, method: 'onlineBank', status: 'failed', currency: 'NZD', amount: '120.00' });
    assert.equal((await queryOrder(gw, nz, order.reference)).status, 'failed');
    const result = assertHtml(await getPage(gw, `/pay/${order.nonce}/result`));
    assert.match(tagOf(result, 'result'), /data-outcome="failed"/);
    assertSignedReturn(nz.api_key, hrefOf(result, 'return'), { reference: order.reference, method: 'onlineBank', status: 'cancel_or_fail' });
  });

  test('POLi: cancelling at the bank ends the order canceled; the result says so; cancel and refund refuse sensibly', async () => {
    const order = await toProviderPage('polipay');
    assert.equal(textOf(order.body, 'method'), 'POLi');
    const bankPath = await chooseBank(order.providerPath, 'bnz');
    assert.equal((await postForm(gw, bankPath, { outcome: 'canceled' })).statusCode, 303);
    await assertOneCallback(gw, nz, order.orderId, { reference: order.reference, method: 'polipay', status: 'canceled', currency: 'NZD', amount: '120.00' });
    assert.equal((await queryOrder(gw, nz, order.reference)).status, 'canceled');
    const result = assertHtml(await getPage(gw, `/pay/${order.nonce}/result`));
    assert.match(tagOf(result, 'result'), /data-outcome="canceled"/);
    assert.equal(textOf(result, 'reason'), 'The payment was cancelled, at the bank or by the merchant.');
    assertSignedReturn(nz.api_key, hrefOf(result, 'return'), { reference: order.reference, method: 'polipay', status: 'cancel_or_fail' });
    assert.equal((await cancel(gw, nz, order.reference)).code, 0, 'already cancelled: success again');
    assert.equal((await refund(gw, nz, order.orderId, '1.00', 'nothing was paid')).code, 556);
  });

  test('POLi on an AUD wallet offers Australian banks', async () => {
    const order = await toProviderPage('polipay', au);
    const list = assertHtml(await getPage(gw, order.providerPath));
    for (const bank of ['commbank', 'nab', 'westpac-au', 'anz-au']) assert.match(list, new RegExp(`data-test="bank-${bank}"`));
    assert.doesNotMatch(list, /data-test="bank-kiwibank"/);
    assert.equal((await getPage(gw, `${order.providerPath}/kiwibank`)).statusCode, 404, 'a bank not on the list has no page');
    const bankPath = await chooseBank(order.providerPath, 'commbank');
    assert.equal((await postForm(gw, bankPath, { outcome: 'paid' })).statusCode, 303);
    await assertOneCallback(gw, au, order.orderId, { reference: order.reference, method: 'polipay', status: 'paid', currency: 'AUD', amount: '120.00' });
  });

  test('UnionPay: the page leads to the sandbox UnionPay page (card, approve/decline/cancel) and back', async () => {
    const order = await toProviderPage('upi_upop');
    assert.equal(textOf(order.body, 'method'), 'UnionPay online');
    assert.match(order.providerPath, /^\/sandbox\/unionpay\/SBX[0-9a-f]+$/);
    assert.match(order.body, /data-test="amount-cny"/, 'a UnionPay card may be charged in CNY: the page shows it');
    const response = await getPage(gw, order.providerPath);
    assertPageSecurity(response);
    const page = assertHtml(response);
    assert.match(textOf(page, 'card'), /^6216 /);
    for (const button of ['approve', 'decline', 'cancel']) assert.match(page, new RegExp(`data-test="${button}"`));
    const paid = await postForm(gw, `${order.providerPath}?lang=zh`, { outcome: 'paid' });
    assert.equal(paid.statusCode, 303);
    assert.equal(paid.headers.location, `/pay/${order.nonce}/result?lang=zh`);
    await assertOneCallback(gw, nz, order.orderId, { reference: order.reference, method: 'upi_upop', status: 'paid', currency: 'NZD', amount: '120.00' });
    assert.equal((await queryOrder(gw, nz, order.reference)).status, 'paid');
    assert.equal((await refund(gw, nz, order.orderId, '20.00', 'partial')).code, 0, 'a paid UnionPay order refunds like any other');
  });

  test('a bank page posted again after the outcome changes nothing; a closed trade can no longer be paid', async () => {
    const order = await toProviderPage('onlineBank');
    const bankPath = await chooseBank(order.providerPath, 'anz');
    await postForm(gw, bankPath, { outcome: 'failed' });
    const again = await postForm(gw, bankPath, { outcome: 'paid' });
    assert.equal(again.statusCode, 303, 'back to the result, as the first time');
    assert.equal((await findOrderById(gw.store.db, order.orderId))?.status, 'failed');
    assert.equal((await callbacksOf(gw, order.orderId)).length, 1);
    const ended = assertHtml(await getPage(gw, bankPath));
    assert.match(tagOf(ended, 'trade-ended'), /data-status="TRADE_CLOSED"/);
    assert.doesNotMatch(ended, /data-test="approve"/);
  });

  test("a trade is served only by its own method's pages; unknown trades and bad outcomes are refused", async () => {
    const bank = await toProviderPage('onlineBank');
    const unionPay = await toProviderPage('upi_upop');
    const bankTrade = bank.providerPath.split('/').pop() as string;
    const unionTrade = unionPay.providerPath.split('/').pop() as string;
    assert.equal((await getPage(gw, `/sandbox/unionpay/${bankTrade}`)).statusCode, 404);
    assert.equal((await getPage(gw, `/sandbox/bank/${unionTrade}`)).statusCode, 404);
    assert.equal((await getPage(gw, `/sandbox/wallet/${bankTrade}`)).statusCode, 404, 'the wallet app page is for Alipay and WeChat trades');
    assert.equal((await getPage(gw, `/sandbox/payid/${bankTrade}`)).statusCode, 404);
    assert.equal((await getPage(gw, '/sandbox/bank/SBX000000000000000000000000')).statusCode, 404);
    const bad = await postForm(gw, `/sandbox/unionpay/${unionTrade}`, { outcome: 'rejected' });
    assert.equal(bad.json().code, 207, 'UnionPay does not reject');
    assert.equal((await findOrderById(gw.store.db, unionPay.orderId))?.status, 'pending');
  });

  test('on a phone the page goes to the bank by itself (once)', async () => {
    const order = await toProviderPage('onlineBank', nz, { 'user-agent': IPHONE_UA });
    assert.match(tagOf(order.body, 'redirect'), /data-auto-redirect="1"/);
  });

  test('the test API settles bank orders with each outcome, and refuses what a bank cannot do', async () => {
    for (const [method, outcome] of [['onlineBank', 'canceled'], ['polipay', 'failed'], ['upi_upop', 'paid']] as const) {
      const order = await createOrder(gw, { payment_method: method }, nz);
      const answer = answerOf(await settleOrder(gw, order.orderId, outcome));
      assert.equal(answer.code, 0, JSON.stringify(answer));
      assert.equal(answer.status, outcome);
      await assertOneCallback(gw, nz, order.orderId, { reference: order.reference, method, status: outcome, currency: 'NZD', amount: '120.00' });
    }
    const order = await createOrder(gw, { payment_method: 'onlineBank' }, nz);
    assert.equal(answerOf(await settleOrder(gw, order.orderId, 'rejected')).code, 207, 'only PayID rejects');
    const wallet = await createOrder(gw, { payment_method: 'alipay' }, gw.merchant);
    assert.equal(answerOf(await settleOrder(gw, wallet.orderId, 'canceled')).code, 207, 'a wallet app has no Cancel');
    assert.equal((await findOrderById(gw.store.db, wallet.orderId))?.status, 'pending');
  });

  test('merchant-hosted QR (host_type=1) takes alipay and wechat only', async () => {
    const fields = transactionFields(nz, { payment_method: 'onlineBank', host_type: '1', return_url: '' });
    assert.equal(answerOf(await postTransaction(gw, signed(fields, nz.api_key))).code, 207);
  });

  test('in production the bank pages of a live wallet answer 404, even for a trade opened before', async () => {
    const order = await toProviderPage('onlineBank');
    const unionPay = await toProviderPage('upi_upop');
    const config = loadConfig({
      DATABASE_URL: gw.config.databaseUrl,
      SECRET_KEY: gw.config.secretKey as string,
      LOG_LEVEL: 'silent',
      NODE_ENV: 'production',
      PUBLIC_URL: 'https://pay.example.test',
      SANDBOX: 'on',
    });
    const production = await buildApp({ config, store: gw.store, secrets: gw.secrets, logger: pino({ level: 'silent' }) });
    try {
      const inject = (method: 'GET' | 'POST', url: string) =>
        production.inject({ method, url, headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' }, ...(method === 'POST' ? { payload: 'outcome=paid' } : {}) });
      assert.equal((await inject('GET', order.providerPath)).statusCode, 404);
      assert.equal((await inject('GET', `${order.providerPath}/anz`)).statusCode, 404);
      assert.equal((await inject('POST', `${order.providerPath}/anz`)).statusCode, 404);
      assert.equal((await inject('POST', unionPay.providerPath)).statusCode, 404);
      assert.equal((await findOrderById(gw.store.db, order.orderId))?.status, 'pending');
      // And a live wallet's create is answered 302, as today: no provider serves it.
      const create = await production.inject({ method: 'POST', url: '/v2/transaction', payload: signed(transactionFields(nz, { payment_method: 'polipay' }), nz.api_key) });
      assert.equal(create.json().code, 302);
    } finally {
      await production.close();
    }
  });
});
