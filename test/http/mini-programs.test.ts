// The mini program payments (spec §4.13) served by the sandbox: POST /v2/miniapppay
// (WeChat's wx.requestPayment) and POST /v2/minialipay (Alipay's my.tradePay), their
// answers, every refusal, spec §2.4's mini Alipay vector, and the journey to a paid
// order whose callback is retried until the merchant says `sent`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { ParamValue } from '../../src/domain/signature.js';
import { findOrderById } from '../../src/store/orders.js';
import { listAttemptsOfOrder } from '../../src/store/payment-attempts.js';
import { assignWallet, insertOrganisation, insertUser, insertWallet } from '../../src/store/merchants.js';
import { failFirst, startMerchantServer, type MerchantServer } from '../e2e/helpers.js';
import { startFakeAntom, makeAntomMerchant, configureAntom, antomFactories } from '../helpers/antom.js';
import { createTestGateway, signed, type TestGateway } from '../helpers/gateway.js';
import type { CreatedMerchant } from '../../src/gateway/create-merchant.js';
import { answerOf, countOrders, hmac, ordersSnapshot, settleOrder } from './support.js';

const APP_ID = 'wx721398712681232';
const OPEN_ID = 'obRdo5H-72b_PH2Lvr5_Dw9bXKHs';

let counter = 0;
const newReference = (prefix: string) => `${prefix}-${Date.now()}-${++counter}`;

/** The fields of Latipay's /v2/miniapppay example, for `merchant`. */
function wechatFields(merchant: CreatedMerchant, overrides: Record<string, ParamValue> = {}): Record<string, ParamValue> {
  return {
    user_id: merchant.user_id,
    wallet_id: merchant.wallet_id,
    amount: '120.00',
    notify_url: 'https://merchantsite.com/latipay/notify',
    merchant_reference: newReference('mini'),
    product_name: 'Online Ticket',
    app_id: APP_ID,
    open_id: OPEN_ID,
    ...overrides,
  };
}

/** The fields of Latipay's /v2/minialipay example (those of POST /v2/transaction without payment_method and return_url). */
function alipayFields(merchant: CreatedMerchant, overrides: Record<string, ParamValue> = {}): Record<string, ParamValue> {
  return {
    user_id: merchant.user_id,
    wallet_id: merchant.wallet_id,
    amount: '120.00',
    callback_url: 'https://merchantsite.com/confirm',
    merchant_reference: newReference('alimini'),
    ip: '122.122.122.1',
    version: '2.0',
    product_name: 'Pinot Noir, Otago',
    ...overrides,
  };
}

function post(gw: TestGateway, url: string, body: Record<string, ParamValue>): Promise<LightMyRequestResponse> {
  return gw.app.inject({ method: 'POST', url, payload: body });
}

/** What the merchant's server does with a /v2/miniapppay answer: checks the sandbox's paySign with its api_key. */
function sandboxPaySignOf(apiKey: string, appId: string, payment: Record<string, string>): string {
  return hmac(apiKey, `${appId}\n${payment.timeStamp}\n${payment.nonceStr}\n${payment.packageStr}\n`);
}

/** What the merchant's server does with a /v2/minialipay answer: its request-signing function over every field but sign and sign_type. */
function sandboxSignOf(apiKey: string, gatewaydata: Record<string, string>): string {
  const message = Object.keys(gatewaydata)
    .filter((k) => k !== 'sign' && k !== 'sign_type' && gatewaydata[k] !== '')
    .sort()
    .map((k) => `${k}=${gatewaydata[k]}`)
    .join('&');
  return hmac(apiKey, message + apiKey);
}

describe('POST /v2/miniapppay with the sandbox', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(() => gw.close());

  test("answers wx.requestPayment's parameters and the order id, in the documented shape; paySign is HMAC-SHA256 over WeChat's four lines with the api_key", async () => {
    const fields = wechatFields(gw.merchant);
    const response = await post(gw, '/v2/miniapppay', signed(fields, gw.merchant.api_key));
    assert.equal(response.statusCode, 200);
    const answer = answerOf(response);
    assert.deepEqual(Object.keys(answer), ['code', 'message', 'payment', 'paydata']);
    assert.equal(answer.code, 0, response.body);
    assert.equal(answer.message, 'SUCCESS');
    const payment = answer.payment as Record<string, string>;
    assert.deepEqual(Object.keys(payment), ['nonceStr', 'paySign', 'signType', 'timeStamp', 'packageStr']);
    for (const value of Object.values(payment)) assert.equal(typeof value, 'string');
    assert.equal(payment.signType, 'HMAC-SHA256');
    assert.match(payment.timeStamp, /^\d{10}$/);
    assert.ok(Math.abs(Number(payment.timeStamp) - Date.now() / 1000) < 600);
    assert.match(payment.nonceStr, /^[0-9A-Za-z]{1,32}$/);
    assert.match(payment.packageStr, /^prepay_id=SBX[0-9a-f]{24}$/);
    assert.equal(payment.paySign, sandboxPaySignOf(gw.merchant.api_key, APP_ID, payment));
    assert.notEqual(payment.paySign, sandboxPaySignOf(gw.merchant.api_key, 'wx0ther', payment), 'the appId is signed');

    const orderId = String((answer.paydata as Record<string, string>).order_id);
    assert.deepEqual(Object.keys(answer.paydata as object), ['order_id']);
    const order = await findOrderById(gw.store.db, orderId);
    assert.equal(order?.merchant_reference, fields.merchant_reference);
    assert.equal(order?.payment_method, 'wechat');
    assert.equal(order?.callback_url, fields.notify_url);
    assert.equal(Number(order?.amount_minor), 12_000);
    assert.equal(order?.status, 'pending');
    const attempts = await listAttemptsOfOrder(gw.store.db, orderId);
    assert.deepEqual(attempts.map((a) => [a.provider, a.flow, a.status, a.provider_payment_id]), [['sandbox', 'in_app', 'pending', payment.packageStr.slice('prepay_id='.length)]]);
  });

  test('the same request again (a retry) answers the same order and the same payment; another payer for the reference is 207 and changes nothing', async () => {
    const fields = wechatFields(gw.merchant);
    const first = answerOf(await post(gw, '/v2/miniapppay', signed(fields, gw.merchant.api_key)));
    const again = answerOf(await post(gw, '/v2/miniapppay', signed(fields, gw.merchant.api_key)));
    assert.equal(again.code, 0);
    assert.deepEqual(again, first);
    const before = await ordersSnapshot(gw);
    for (const change of [{ open_id: 'oAnotherPayer000000000000001' }, { amount: '121.00' }, { app_id: 'wx0ther000000001' }]) {
      const other = answerOf(await post(gw, '/v2/miniapppay', signed({ ...fields, ...change }, gw.merchant.api_key)));
      assert.equal(other.code, 207, JSON.stringify(change));
    }
    assert.equal(await ordersSnapshot(gw), before);
    const orderId = String((first.paydata as Record<string, string>).order_id);
    assert.equal((await listAttemptsOfOrder(gw.store.db, orderId)).length, 1);
  });

  test('a paid order settles through the sandbox: the mini program\'s own attempt is the one paid, and the query answers paid, signed', async () => {
    const fields = wechatFields(gw.merchant);
    const answer = answerOf(await post(gw, '/v2/miniapppay', signed(fields, gw.merchant.api_key)));
    const orderId = String((answer.paydata as Record<string, string>).order_id);
    const settled = answerOf(await settleOrder(gw, orderId, 'paid'));
    assert.equal(settled.status, 'paid');
    const attempts = await listAttemptsOfOrder(gw.store.db, orderId);
    assert.deepEqual(attempts.map((a) => [a.flow, a.status]), [['in_app', 'paid']]);
    const reference = String(fields.merchant_reference);
    const query = await gw.app.inject({
      method: 'GET',
      url: `/v2/transaction/${reference}?user_id=${gw.merchant.user_id}&signature=${hmac(gw.merchant.api_key, `merchant_reference=${reference}&user_id=${gw.merchant.user_id}${gw.merchant.api_key}`)}`,
    });
    const queried = answerOf(query);
    assert.equal(queried.code, 0);
    assert.equal(queried.status, 'paid');
    assert.equal(queried.order_id, orderId);
    assert.equal(queried.payment_method, 'wechat');
    assert.equal(queried.signature, hmac(gw.merchant.api_key, `${reference}wechatpaidNZD120.00`));
    const again = answerOf(await post(gw, '/v2/miniapppay', signed(fields, gw.merchant.api_key)));
    assert.equal(again.code, 207, 'a paid order is not paid twice');
  });

  test('a missing or empty field is 204, naming it', async () => {
    for (const name of ['user_id', 'wallet_id', 'amount', 'notify_url', 'merchant_reference', 'product_name', 'app_id', 'open_id', 'signature']) {
      const body: Record<string, ParamValue> = signed(wechatFields(gw.merchant), gw.merchant.api_key);
      for (const emptied of [undefined, '']) {
        const sent = { ...body };
        if (emptied === undefined) delete sent[name];
        else sent[name] = emptied;
        const answer = answerOf(await post(gw, '/v2/miniapppay', sent));
        assert.equal(answer.code, 204, `${name} ${emptied === undefined ? 'missing' : 'empty'}`);
        assert.match(answer.message, new RegExp(name));
      }
    }
  });

  test('refusals: 206 bad signature, 205 unknown user, 207 bad values; none creates an order', async () => {
    const before = await countOrders(gw);
    const badSignature = { ...signed(wechatFields(gw.merchant), gw.merchant.api_key), signature: 'f'.repeat(64) };
    assert.equal(answerOf(await post(gw, '/v2/miniapppay', badSignature)).code, 206);
    const otherKey = signed(wechatFields(gw.merchant), 'not-the-key');
    assert.equal(answerOf(await post(gw, '/v2/miniapppay', otherKey)).code, 206);
    const unknownUser = signed(wechatFields(gw.merchant, { user_id: 'U999999999' }), gw.merchant.api_key);
    assert.equal(answerOf(await post(gw, '/v2/miniapppay', unknownUser)).code, 205);
    for (const change of [
      { amount: '0' },
      { amount: '12.345' },
      { amount: 'abc' },
      { notify_url: 'not a url' },
      { notify_url: 'ftp://merchantsite.com/notify' },
      { app_id: 'wx 721398712681232' },
      { app_id: 'w'.repeat(33) },
      { open_id: 'o/../x' },
      { merchant_reference: 'r'.repeat(129) },
      { product_name: 'p'.repeat(256) },
    ]) {
      const answer = answerOf(await post(gw, '/v2/miniapppay', signed(wechatFields(gw.merchant, change), gw.merchant.api_key)));
      assert.equal(answer.code, 207, JSON.stringify(change));
    }
    assert.equal(await countOrders(gw), before);
  });

  test('the wallet: 450 when not assigned to the user, 304 when WeChat is not enabled on it, 454 over its single-payment limit', async () => {
    const other = await gw.addMerchant();
    assert.equal(answerOf(await post(gw, '/v2/miniapppay', signed(wechatFields(gw.merchant, { wallet_id: other.wallet_id }), gw.merchant.api_key))).code, 450);
    const alipayOnly = await gw.addMerchant({ methods: ['alipay'] });
    assert.equal(answerOf(await post(gw, '/v2/miniapppay', signed(wechatFields(alipayOnly), alipayOnly.api_key))).code, 304);
    const limited = await gw.addMerchant({ limit: '100' });
    assert.equal(answerOf(await post(gw, '/v2/miniapppay', signed(wechatFields(limited, { amount: '100.01' }), limited.api_key))).code, 454);
    assert.equal(answerOf(await post(gw, '/v2/miniapppay', signed(wechatFields(limited, { amount: '100.00' }), limited.api_key))).code, 0);
  });

  test('a form-encoded request and a JSON number amount are taken, as for every create', async () => {
    const fields = wechatFields(gw.merchant, { amount: 0.5 });
    const json = answerOf(await post(gw, '/v2/miniapppay', signed(fields, gw.merchant.api_key)));
    assert.equal(json.code, 0);
    const form = signed(wechatFields(gw.merchant), gw.merchant.api_key);
    const response = await gw.app.inject({
      method: 'POST',
      url: '/v2/miniapppay',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(form as Record<string, string>).toString(),
    });
    assert.equal(answerOf(response).code, 0, response.body);
  });
});

describe('POST /v2/minialipay with the sandbox', () => {
  let gw: TestGateway;
  const docs = { organisation_id: 0, user_id: 'U000334333', wallet_id: 'W00000001', api_key: '111222333', test: false };
  before(async () => {
    gw = await createTestGateway();
    // The merchant of spec §2.4's vectors: U000334333, W00000001, api key 111222333.
    const db = gw.store.db;
    const now = Date.now();
    const organisationId = await insertOrganisation(db, 'Docs Example', now);
    await insertUser(db, { id: docs.user_id, organisation_id: organisationId, name: 'docs', api_key_sealed: gw.secrets.seal(docs.api_key), active: 1 }, now);
    await insertWallet(db, { id: docs.wallet_id, organisation_id: organisationId, name: 'docs NZD', currency: 'NZD', methods: 'alipay,wechat', single_limit_minor: null }, now);
    await assignWallet(db, docs.wallet_id, docs.user_id);
  });
  after(() => gw.close());

  test("spec §2.4's mini Alipay vector: Latipay's example request is taken as signed, without payment_method and with it (as the example sends it)", async () => {
    const message =
      'amount=120.00&callback_url=https://merchantsite.com/confirm&ip=122.122.122.1&merchant_reference=dsi39ej430sks03&product_name=Pinot Noir, Otago&user_id=U000334333&version=2.0&wallet_id=W00000001111222333';
    const vector = '1f8e75dd34fc5ca7b478772efdb6fa9e1a5c89e8e0412ccde81912fc16e2ed07';
    assert.equal(hmac('111222333', message), vector);
    const body = { ...alipayFields(docs, { merchant_reference: 'dsi39ej430sks03' }), signature: vector };
    const first = answerOf(await post(gw, '/v2/minialipay', body));
    assert.equal(first.code, 0, JSON.stringify(first));
    const example = {
      user_id: 'U000334333',
      wallet_id: 'W00000001',
      amount: '120.00',
      payment_method: 'alipay',
      callback_url: 'https://merchantsite.com/confirm',
      merchant_reference: 'dsi39ej430sks03',
      ip: '122.122.122.1',
      version: '2.0',
      product_name: 'Pinot Noir, Otago',
      signature: vector,
    };
    const second = answerOf(await post(gw, '/v2/minialipay', example));
    assert.equal(second.code, 0, JSON.stringify(second));
    assert.deepEqual(second.paydata, first.paydata, 'the same payment');
    const signedWithMethod = signed({ ...example, signature: undefined }, '111222333');
    assert.equal(answerOf(await post(gw, '/v2/minialipay', signedWithMethod)).code, 0, 'signed with payment_method too');
    assert.equal(answerOf(await post(gw, '/v2/minialipay', { ...example, signature: 'e'.repeat(64) })).code, 206);
  });

  test("answers my.tradePay's order fields and the order, in the documented shape; sign is the merchant's own request signature over them", async () => {
    const fields = alipayFields(gw.merchant);
    const response = await post(gw, '/v2/minialipay', signed(fields, gw.merchant.api_key));
    const answer = answerOf(response);
    assert.deepEqual(Object.keys(answer), ['code', 'message', 'messageCN', 'gatewaydata', 'paydata']);
    assert.equal(answer.code, 0, response.body);
    assert.equal(answer.message, 'SUCCESS');
    assert.equal(answer.messageCN, '操作成功');
    const gatewaydata = answer.gatewaydata as Record<string, string>;
    const paydata = answer.paydata as Record<string, string>;
    const orderId = paydata.orderId;
    assert.deepEqual(paydata, { orderId, customerOrderId: fields.merchant_reference, amount: '120.00', currency: 'NZD' });
    const [attempt] = await listAttemptsOfOrder(gw.store.db, orderId);
    const walletUrl = `${gw.config.publicUrl}/sandbox/wallet/${attempt.provider_payment_id}`;
    assert.deepEqual(gatewaydata, {
      service: 'create_forex_trade_wap',
      partner: 'sandbox',
      _input_charset: 'UTF-8',
      sign_type: 'HMAC-SHA256',
      sign: gatewaydata.sign,
      notify_url: `${gw.config.publicUrl}/channels/sandbox/notify/sandbox`,
      return_url: walletUrl,
      subject: 'Pinot Noir, Otago',
      body: 'Pinot Noir, Otago',
      out_trade_no: attempt.attempt_id,
      currency: 'NZD',
      total_fee: '120.00',
      product_code: 'NEW_WAP_OVERSEAS_SELLER',
      app_pay: 'Y',
    });
    assert.deepEqual(Object.keys(gatewaydata).slice(0, 5), ['service', 'partner', '_input_charset', 'sign_type', 'sign']);
    assert.equal(gatewaydata.sign, sandboxSignOf(gw.merchant.api_key, gatewaydata));
    assert.notEqual(gatewaydata.sign, sandboxSignOf(gw.merchant.api_key, { ...gatewaydata, total_fee: '1.20' }), 'the amount is signed');
    // The mini program joins the fields as the docs show: the order string is the fields in order.
    const orderStr = Object.entries(gatewaydata).map(([k, v]) => `${k}=${v}`).join('&');
    assert.ok(orderStr.startsWith('service=create_forex_trade_wap&partner=sandbox&_input_charset=UTF-8&sign_type=HMAC-SHA256&sign='));
    const order = await findOrderById(gw.store.db, orderId);
    assert.equal(order?.payment_method, 'alipay');
    assert.equal(order?.ip, '122.122.122.1');
    assert.equal(order?.callback_url, fields.callback_url);
    assert.equal(attempt.flow, 'in_app');
  });

  test('the payer pays on the sandbox wallet page return_url names; the order is paid and the page offers no way to a payment page', async () => {
    const fields = alipayFields(gw.merchant);
    const answer = answerOf(await post(gw, '/v2/minialipay', signed(fields, gw.merchant.api_key)));
    const gatewaydata = answer.gatewaydata as Record<string, string>;
    const path = new URL(gatewaydata.return_url).pathname;
    const page = await gw.app.inject({ method: 'GET', url: path, headers: { accept: 'text/html' } });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /120\.00/);
    assert.ok(!page.body.includes('/pay/'), 'no link to a hosted page: the order has none');
    const paid = await gw.app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'outcome=paid' });
    assert.equal(paid.statusCode, 200);
    const orderId = (answer.paydata as Record<string, string>).orderId;
    assert.equal((await findOrderById(gw.store.db, orderId))?.status, 'paid');
  });

  test('a missing or empty field is 204; payment_method other than alipay is 303; bad values 207; wallet 450/304/454', async () => {
    const before = await countOrders(gw);
    for (const name of ['user_id', 'wallet_id', 'amount', 'callback_url', 'merchant_reference', 'ip', 'version', 'product_name', 'signature']) {
      const body: Record<string, ParamValue> = signed(alipayFields(gw.merchant), gw.merchant.api_key);
      delete body[name];
      assert.equal(answerOf(await post(gw, '/v2/minialipay', body)).code, 204, name);
      assert.equal(answerOf(await post(gw, '/v2/minialipay', { ...signed(alipayFields(gw.merchant), gw.merchant.api_key), [name]: '' })).code, 204, `${name} empty`);
    }
    for (const method of ['wechat', 'bitcoin']) {
      assert.equal(answerOf(await post(gw, '/v2/minialipay', signed(alipayFields(gw.merchant, { payment_method: method }), gw.merchant.api_key))).code, 303, method);
    }
    for (const change of [{ amount: '-1' }, { version: '1.0' }, { ip: 'somewhere' }, { callback_url: 'merchantsite.com/confirm' }]) {
      assert.equal(answerOf(await post(gw, '/v2/minialipay', signed(alipayFields(gw.merchant, change), gw.merchant.api_key))).code, 207, JSON.stringify(change));
    }
    assert.equal(answerOf(await post(gw, '/v2/minialipay', signed(alipayFields(gw.merchant, { user_id: 'U999999999' }), gw.merchant.api_key))).code, 205);
    assert.equal(answerOf(await post(gw, '/v2/minialipay', { ...signed(alipayFields(gw.merchant), gw.merchant.api_key), amount: '99.00' })).code, 206);
    const other = await gw.addMerchant();
    assert.equal(answerOf(await post(gw, '/v2/minialipay', signed(alipayFields(gw.merchant, { wallet_id: other.wallet_id }), gw.merchant.api_key))).code, 450);
    const wechatOnly = await gw.addMerchant({ methods: ['wechat'] });
    assert.equal(answerOf(await post(gw, '/v2/minialipay', signed(alipayFields(wechatOnly), wechatOnly.api_key))).code, 304);
    const limited = await gw.addMerchant({ limit: '50' });
    assert.equal(answerOf(await post(gw, '/v2/minialipay', signed(alipayFields(limited), limited.api_key))).code, 454);
    assert.equal(await countOrders(gw), before);
  });
});

describe('mini program payments no provider can take', () => {
  test('with the sandbox off and no provider configured, both answer 302; nothing is created', async () => {
    const gw = await createTestGateway({ env: { SANDBOX: 'false' } });
    try {
      assert.equal(answerOf(await post(gw, '/v2/miniapppay', signed(wechatFields(gw.merchant), gw.merchant.api_key))).code, 302);
      assert.equal(answerOf(await post(gw, '/v2/minialipay', signed(alipayFields(gw.merchant), gw.merchant.api_key))).code, 302);
      assert.equal(await countOrders(gw), 0);
    } finally {
      await gw.close();
    }
  });

  test("a wallet whose Alipay is Antom's: /v2/minialipay answers 302 without calling Antom (its API gives no my.tradePay orderStr); the hosted page still works", async () => {
    const merchant = makeAntomMerchant();
    const fake = await startFakeAntom([merchant]);
    const gw = await createTestGateway({ providerFactories: antomFactories() });
    try {
      await configureAntom(gw, gw.merchant.wallet_id, fake, merchant);
      const answer = answerOf(await post(gw, '/v2/minialipay', signed(alipayFields(gw.merchant), gw.merchant.api_key)));
      assert.equal(answer.code, 302);
      assert.match(answer.message, /antom/);
      assert.equal(fake.requests.length, 0);
      assert.equal(await countOrders(gw), 0);
      const wechat = answerOf(await post(gw, '/v2/miniapppay', signed(wechatFields(gw.merchant), gw.merchant.api_key)));
      assert.equal(wechat.code, 0, "the wallet's WeChat is still the sandbox's");
    } finally {
      await gw.close();
      await fake.stop();
    }
  });
});

describe('mini program payments end to end: the callback is retried until the merchant says sent', () => {
  let gw: TestGateway;
  let shop: MerchantServer;
  before(async () => {
    shop = await startMerchantServer(failFirst(1));
    gw = await createTestGateway({ worker: true, env: { NOTIFY_RETRY_SECONDS: '1' } });
  });
  after(async () => {
    await gw.close();
    await shop.close();
  });

  for (const kind of ['miniapppay', 'minialipay'] as const) {
    test(`${kind}: paid in the sandbox, the signed callback reaches the merchant's ${kind === 'miniapppay' ? 'notify_url' : 'callback_url'}, refused once, then sent`, { timeout: 30_000 }, async () => {
      const fields =
        kind === 'miniapppay' ? wechatFields(gw.merchant, { notify_url: shop.callbackUrl }) : alipayFields(gw.merchant, { callback_url: shop.callbackUrl });
      const answer = answerOf(await post(gw, `/v2/${kind}`, signed(fields, gw.merchant.api_key)));
      assert.equal(answer.code, 0, JSON.stringify(answer));
      const paydata = answer.paydata as Record<string, string>;
      const orderId = paydata.order_id ?? paydata.orderId;
      assert.equal(answerOf(await settleOrder(gw, orderId, 'paid')).status, 'paid');
      const reference = String(fields.merchant_reference);
      const callbacks = await shop.waitForCallbacks(reference, 2, 20_000);
      assert.deepEqual(callbacks.map((c) => c.answer), ['fail', 'sent']);
      const method = kind === 'miniapppay' ? 'wechat' : 'alipay';
      for (const callback of callbacks) {
        assert.equal(callback.fields.order_id, orderId);
        assert.equal(callback.fields.status, 'paid');
        assert.equal(callback.fields.payment_method, method);
        assert.equal(callback.fields.amount, '120.00');
        assert.equal(callback.fields.signature, hmac(gw.merchant.api_key, `${reference}${method}paidNZD120.00`));
      }
    });
  }
});
