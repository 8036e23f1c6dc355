import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { SandboxProvider } from '../../src/channels/sandbox/sandbox-provider.js';
import { findLatestAttempt } from '../../src/store/payment-attempts.js';
import type { CreatedMerchant } from '../../src/gateway/create-merchant.js';
import { listLedgerEntries, walletBalance } from '../../src/store/ledger.js';
import { assignWallet, insertOrganisation, insertUser, insertWallet } from '../../src/store/merchants.js';
import { listNotificationsForOrder } from '../../src/store/notifications.js';
import { findOrderById } from '../../src/store/orders.js';
import { startMerchantServer } from '../e2e/helpers.js';
import { createTestGateway, signed, type TestGateway } from '../helpers/gateway.js';
import { answerOf, createOrder, hmac, ordersSnapshot } from './support.js';

// ---------------------------------------------------------------------------------------
// Pay codes: WeChat 10–15 + 16 digits (18 in all), Alipay 25–30 and 16–24 digits in all.

function digits(n: number): string {
  let out = '';
  while (out.length < n) out += String(randomInt(0, 10));
  return out;
}

/** A WeChat pay code ending in `last` (the sandbox's outcome digit). */
function wechatCode(last: number | string, prefix = 13): string {
  return String(prefix) + digits(15) + String(last);
}

/** An Alipay pay code of `length` digits ending in `last`. */
function alipayCode(last: number | string, prefix = 28, length = 18): string {
  return String(prefix) + digits(length - 3) + String(last);
}

function newReference(): string {
  return 'bc-' + randomBytes(6).toString('hex');
}

function barcodeFields(merchant: CreatedMerchant, overrides: Record<string, string | number> = {}): Record<string, string | number> {
  return {
    user_id: merchant.user_id,
    wallet_id: merchant.wallet_id,
    amount: '12.50',
    pay_code: wechatCode(0),
    merchant_reference: newReference(),
    ...overrides,
  };
}

function postBarcode(gw: TestGateway, body: Record<string, unknown>, url = '/barcode'): Promise<LightMyRequestResponse> {
  return gw.app.inject({ method: 'POST', url, payload: body });
}

/** Posts a barcode payment signed by `merchant` and returns its order id (asserting success). */
async function pay(gw: TestGateway, merchant: CreatedMerchant, overrides: Record<string, string | number> = {}) {
  const fields = barcodeFields(merchant, overrides);
  const response = await postBarcode(gw, signed(fields, merchant.api_key));
  const answer = answerOf(response);
  assert.equal(response.statusCode, 200);
  assert.equal(answer.code, 0, response.body);
  assert.equal(answer.message, 'SUCCESS');
  assert.match(String(answer.order_id), /^\d{19}$/);
  assert.deepEqual(Object.keys(answer).sort(), ['code', 'message', 'order_id']);
  return { orderId: String(answer.order_id), reference: String(fields.merchant_reference), fields };
}

function assertRejected(response: LightMyRequestResponse, code: number, field?: string): void {
  assert.equal(response.statusCode, 200, response.body);
  const answer = answerOf(response);
  assert.equal(answer.code, code, response.body);
  assert.equal(answer.order_id, undefined);
  if (field !== undefined) assert.ok(answer.message.includes(field), `message names ${field}: ${answer.message}`);
}

/** Sends `body` and asserts it was refused with `code` (naming `field`) and wrote no order. */
async function assertRefused(gw: TestGateway, body: Record<string, unknown>, code: number, field?: string): Promise<void> {
  const before = await ordersSnapshot(gw);
  assertRejected(await postBarcode(gw, body), code, field);
  assert.equal(await ordersSnapshot(gw), before, 'a refused request writes no order');
}

/** The query API's answer (spec §4.6) for `reference`, checking its signature. */
async function queryOrder(gw: TestGateway, merchant: CreatedMerchant, reference: string, block = false) {
  const signature = hmac(merchant.api_key, `merchant_reference=${reference}&user_id=${merchant.user_id}${merchant.api_key}`);
  const params = new URLSearchParams({ user_id: merchant.user_id, signature, ...(block ? { is_block: '1' } : {}) });
  const response = await gw.app.inject({ method: 'GET', url: `/v2/transaction/${encodeURIComponent(reference)}?${params}` });
  const answer = answerOf(response);
  assert.equal(answer.code, 0, response.body);
  const expected = hmac(
    merchant.api_key,
    `${answer.merchant_reference}${answer.payment_method}${answer.status}${answer.currency}${answer.amount}`,
  );
  assert.equal(answer.signature, expected, 'the query answer is signed');
  return answer;
}

function sandboxOf(gw: TestGateway): SandboxProvider {
  const sandbox = gw.app.gateway.providers.sandbox;
  assert.ok(sandbox, 'the sandbox is on');
  return sandbox;
}

async function orderOf(gw: TestGateway, orderId: string) {
  const order = await findOrderById(gw.store.db, orderId);
  assert.ok(order, `order ${orderId} exists`);
  return order;
}

// ---------------------------------------------------------------------------------------

describe('POST /barcode: outcomes by the pay code\'s last digit (sandbox)', () => {
  let gw: TestGateway;
  before(async () => {
    // Pending payments stay pending until the test settles them.
    gw = await createTestGateway({ env: { SANDBOX_BARCODE_PENDING_MS: '600000' } });
  });
  after(async () => {
    await gw.close();
  });

  for (const last of [0, 1, 2, 3, 4, 5]) {
    test(`a code ending in ${last} pays at once: paid, queryable, and credited to the wallet`, async () => {
      const merchant = await gw.addMerchant();
      const code = last % 2 === 0 ? wechatCode(last) : alipayCode(last);
      const { orderId, reference } = await pay(gw, merchant, { pay_code: code, amount: '12.50' });

      const order = await orderOf(gw, orderId);
      assert.equal(order.status, 'paid');
      const attempt = await findLatestAttempt(gw.store.db, orderId);
      assert.equal(attempt?.flow, 'barcode');
      assert.equal(attempt?.status, 'paid');
      assert.ok(attempt?.provider_payment_id, 'the provider trade is recorded on the attempt');
      const answer = await queryOrder(gw, merchant, reference);
      assert.equal(answer.status, 'paid');
      assert.equal(answer.order_id, orderId);
      assert.equal(answer.amount, '12.50');
      assert.equal(answer.payment_method, last % 2 === 0 ? 'wechat' : 'alipay');
      assert.notEqual(answer.pay_time, '');

      assert.equal(await walletBalance(gw.store.db, merchant.wallet_id), 1250);
      const entries = await listLedgerEntries(gw.store.db, merchant.wallet_id);
      assert.equal(entries.length, 1);
      assert.equal(entries[0].kind, 'payment');
      assert.equal(entries[0].order_id, orderId);
    });
  }

  test('a code ending in 6 is declined: failed, and nothing is credited', async () => {
    const merchant = await gw.addMerchant();
    const { orderId, reference } = await pay(gw, merchant, { pay_code: wechatCode(6) });
    assert.equal((await orderOf(gw, orderId)).status, 'failed');
    assert.equal((await queryOrder(gw, merchant, reference)).status, 'failed');
    assert.equal(await walletBalance(gw.store.db, merchant.wallet_id), 0);
  });

  test('a code ending in 7 is pending, then paid when the customer confirms (provider notification)', async () => {
    const merchant = await gw.addMerchant();
    const { orderId, reference } = await pay(gw, merchant, { pay_code: alipayCode(7), amount: '3.20' });
    const order = await orderOf(gw, orderId);
    assert.equal(order.status, 'pending');
    assert.equal((await queryOrder(gw, merchant, reference)).status, 'pending');
    assert.equal(await walletBalance(gw.store.db, merchant.wallet_id), 0);

    const trade = await sandboxOf(gw).findTradeOfOrder(orderId);
    assert.ok(trade);
    assert.equal(trade.trade_no, (await findLatestAttempt(gw.store.db, orderId))?.provider_payment_id);
    await sandboxOf(gw).settle(trade.trade_no, 'paid');

    assert.equal((await queryOrder(gw, merchant, reference)).status, 'paid');
    assert.equal(await walletBalance(gw.store.db, merchant.wallet_id), 320);
  });

  test('a code ending in 8 is pending, then failed when the customer gives up', async () => {
    const merchant = await gw.addMerchant();
    const { orderId, reference } = await pay(gw, merchant, { pay_code: wechatCode(8) });
    assert.equal((await orderOf(gw, orderId)).status, 'pending');
    const trade = await sandboxOf(gw).findTradeOfOrder(orderId);
    assert.ok(trade);
    await sandboxOf(gw).settle(trade.trade_no, 'failed');
    assert.equal((await queryOrder(gw, merchant, reference)).status, 'failed');
    assert.equal(await walletBalance(gw.store.db, merchant.wallet_id), 0);
  });

  test('a pending payment can be settled at once through POST /sandbox/orders/{order_id}', async () => {
    const merchant = await gw.addMerchant();
    const { orderId, reference } = await pay(gw, merchant, { pay_code: wechatCode(7), amount: '1.10' });
    assert.equal((await orderOf(gw, orderId)).status, 'pending');
    const response = await gw.app.inject({ method: 'POST', url: `/sandbox/orders/${orderId}`, payload: { outcome: 'paid' } });
    assert.equal(answerOf(response).code, 0, response.body);
    assert.equal((await queryOrder(gw, merchant, reference)).status, 'paid');
    assert.equal(await walletBalance(gw.store.db, merchant.wallet_id), 110);
  });

  test('a code ending in 9 is a provider error: code 1, the order is failed with no trade, and a repeat answers the same', async () => {
    const merchant = await gw.addMerchant();
    const fields = barcodeFields(merchant, { pay_code: alipayCode(9) });
    const body = signed(fields, merchant.api_key);
    assertRejected(await postBarcode(gw, body), 1);

    const answer = await queryOrder(gw, merchant, String(fields.merchant_reference));
    assert.equal(answer.status, 'failed');
    const order = await orderOf(gw, String(answer.order_id));
    const attempt = await findLatestAttempt(gw.store.db, order.order_id);
    assert.equal(attempt?.status, 'failed');
    assert.equal(attempt?.provider_payment_id, null, 'the provider never opened a trade');
    assert.equal(await sandboxOf(gw).findTradeOfOrder(order.order_id), undefined);
    assert.equal(await walletBalance(gw.store.db, merchant.wallet_id), 0);

    const before = await ordersSnapshot(gw);
    assertRejected(await postBarcode(gw, body), 1);
    assert.equal(await ordersSnapshot(gw), before, 'the repeat charges nothing and writes nothing');
  });
});

describe('POST /barcode: a pending payment settles on its own', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway({ env: { SANDBOX_BARCODE_PENDING_MS: '100' } });
  });
  after(async () => {
    await gw.close();
  });

  test('ending in 7: a long-poll of the query answers paid once the sandbox customer confirms', async () => {
    const merchant = await gw.addMerchant();
    const { orderId, reference } = await pay(gw, merchant, { pay_code: wechatCode(7), amount: '8.00' });
    const answer = await queryOrder(gw, merchant, reference, true);
    assert.equal(answer.status, 'paid');
    assert.equal(answer.order_id, orderId);
    assert.equal(await walletBalance(gw.store.db, merchant.wallet_id), 800);
  });

  test('ending in 8: a long-poll of the query answers failed', async () => {
    const merchant = await gw.addMerchant();
    const { reference } = await pay(gw, merchant, { pay_code: alipayCode(8, 25, 16) });
    assert.equal((await queryOrder(gw, merchant, reference, true)).status, 'failed');
    assert.equal(await walletBalance(gw.store.db, merchant.wallet_id), 0);
  });
});

describe('POST /barcode: the pay code picks the wallet', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(async () => {
    await gw.close();
  });

  for (const prefix of [10, 11, 12, 13, 14, 15]) {
    test(`${prefix} + 16 digits is WeChat`, async () => {
      const { orderId } = await pay(gw, gw.merchant, { pay_code: wechatCode(1, prefix) });
      assert.equal((await orderOf(gw, orderId)).payment_method, 'wechat');
    });
  }

  for (const [prefix, length] of [
    [25, 16],
    [26, 18],
    [27, 20],
    [28, 22],
    [29, 24],
    [30, 17],
  ]) {
    test(`${prefix}… with ${length} digits is Alipay`, async () => {
      const { orderId } = await pay(gw, gw.merchant, { pay_code: alipayCode(1, prefix, length) });
      assert.equal((await orderOf(gw, orderId)).payment_method, 'alipay');
    });
  }

  const malformed: Array<[string, string]> = [
    ['a WeChat prefix with 17 digits', '13' + digits(15)],
    ['a WeChat prefix with 19 digits', '13' + digits(17)],
    ['an Alipay prefix with 15 digits', '28' + digits(13)],
    ['an Alipay prefix with 25 digits', '28' + digits(23)],
    ['an unknown prefix 16', '16' + digits(16)],
    ['an unknown prefix 20', '20' + digits(16)],
    ['an unknown prefix 31', '31' + digits(16)],
    ['an unknown prefix 09', '09' + digits(16)],
    ['letters', '13' + digits(10) + 'abcdef'],
    ['a space inside', '1345885585 14585062'],
    ['a sign', '-' + '13' + digits(16)],
    ['a decimal point', '13' + digits(14) + '.0'],
    ['full-width digits', '１３' + digits(16)],
  ];
  for (const [what, code] of malformed) {
    test(`${what} answers 207 naming pay_code, and writes nothing`, async () => {
      await assertRefused(gw, signed(barcodeFields(gw.merchant, { pay_code: code }), gw.merchant.api_key), 207, 'pay_code');
    });
  }

  test('a code sent as a JSON number is read by its digits', async () => {
    // 16 digits fit in a double exactly below 2^53 (9007199254740992): an Alipay code of 16 digits starting 25.
    const code = 2500000000000001;
    const { orderId } = await pay(gw, gw.merchant, { pay_code: code });
    assert.equal((await orderOf(gw, orderId)).payment_method, 'alipay');
  });

  test('a WeChat code at a wallet that only takes Alipay answers 304', async () => {
    const merchant = await gw.addMerchant({ methods: ['alipay'] });
    await assertRefused(gw, signed(barcodeFields(merchant, { pay_code: wechatCode(0) }), merchant.api_key), 304);
    await pay(gw, merchant, { pay_code: alipayCode(0) });
  });

  test('an Alipay code at a wallet that only takes WeChat answers 304', async () => {
    const merchant = await gw.addMerchant({ methods: ['wechat'] });
    await assertRefused(gw, signed(barcodeFields(merchant, { pay_code: alipayCode(0) }), merchant.api_key), 304);
  });
});

describe('POST /barcode: request checks', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(async () => {
    await gw.close();
  });

  for (const field of ['user_id', 'wallet_id', 'amount', 'pay_code', 'signature']) {
    test(`without ${field} answers 204 naming it`, async () => {
      const body: Record<string, unknown> = signed(barcodeFields(gw.merchant), gw.merchant.api_key);
      delete body[field];
      await assertRefused(gw, body, 204, field);
    });
  }

  test('an unknown user answers 205', async () => {
    await assertRefused(gw, signed(barcodeFields(gw.merchant, { user_id: 'U000000000' }), gw.merchant.api_key), 205);
  });

  test('a wrong signature answers 206', async () => {
    const body = signed(barcodeFields(gw.merchant), gw.merchant.api_key);
    await assertRefused(gw, { ...body, signature: hmac('wrong-key', 'x') }, 206);
    await assertRefused(gw, { ...body, amount: '12.51' }, 206);
  });

  for (const amount of ['0', '0.00', '-1', '12.345', 'abc', '1e3', '']) {
    test(`amount ${JSON.stringify(amount)} answers ${amount === '' ? 204 : 207}`, async () => {
      const code = amount === '' ? 204 : 207;
      await assertRefused(gw, signed(barcodeFields(gw.merchant, { amount }), gw.merchant.api_key), code, 'amount');
    });
  }

  test('a wallet not assigned to the user answers 450', async () => {
    const other = await gw.addMerchant();
    await assertRefused(gw, signed(barcodeFields(gw.merchant, { wallet_id: other.wallet_id }), gw.merchant.api_key), 450);
  });

  test('an amount over the wallet single-payment limit answers 454', async () => {
    const merchant = await gw.addMerchant({ limit: '100' });
    await assertRefused(gw, signed(barcodeFields(merchant, { amount: '100.01' }), merchant.api_key), 454);
    await pay(gw, merchant, { amount: '100.00' });
  });

  test('a callback_url that is not an absolute http(s) URL answers 207 naming it', async () => {
    await assertRefused(gw, signed(barcodeFields(gw.merchant, { callback_url: 'ftp://x' }), gw.merchant.api_key), 207, 'callback_url');
  });

  test('a form-encoded request works, also at /v2/barcode', async () => {
    const fields = barcodeFields(gw.merchant, { product_name: 'Flat white' });
    const body = new URLSearchParams(signed(fields, gw.merchant.api_key) as Record<string, string>).toString();
    const response = await gw.app.inject({
      method: 'POST',
      url: '/v2/barcode',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: body,
    });
    assert.equal(answerOf(response).code, 0, response.body);
    const order = await orderOf(gw, String(answerOf(response).order_id));
    assert.equal(order.product_name, 'Flat white');
    assert.equal(order.merchant_reference, fields.merchant_reference);
  });

  test('an amount sent as a JSON number is accepted', async () => {
    const { orderId } = await pay(gw, gw.merchant, { amount: 0.5 });
    assert.equal(Number((await orderOf(gw, orderId)).amount_minor), 50);
  });
});

describe('POST /barcode: the documented example (spec §2.4 vector)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
    // The merchant of the documentation's example: U00001534, W00000001, api key 111222333.
    const db = gw.store.db;
    const now = Date.now();
    const organisationId = await insertOrganisation(db, 'Docs Example', now);
    await insertUser(db, { id: 'U00001534', organisation_id: organisationId, name: 'docs', api_key_sealed: gw.secrets.seal('111222333'), active: 1 }, now);
    await insertWallet(db, { id: 'W00000001', organisation_id: organisationId, name: 'docs NZD', currency: 'NZD', methods: 'alipay,wechat', single_limit_minor: null }, now);
    await assignWallet(db, 'W00000001', 'U00001534');
  });
  after(async () => {
    await gw.close();
  });

  test('the example request, signed without merchant_reference, pays; its order id is its merchant_reference', async () => {
    assert.equal(
      hmac('111222333', 'amount=0.05&pay_code=134588558514585062&user_id=U00001534&wallet_id=W00000001111222333'),
      'e66d54f711bc6a1dde59838c8b0de73ccc8b025a2ae65ae878216f010a05f599',
    );
    const response = await postBarcode(gw, {
      user_id: 'U00001534',
      wallet_id: 'W00000001',
      amount: '0.05',
      pay_code: '134588558514585062',
      signature: 'e66d54f711bc6a1dde59838c8b0de73ccc8b025a2ae65ae878216f010a05f599',
    });
    const answer = answerOf(response);
    assert.equal(answer.code, 0, response.body);
    assert.equal(answer.message, 'SUCCESS');
    const orderId = String(answer.order_id);
    const order = await orderOf(gw, orderId);
    assert.equal(order.merchant_reference, orderId);
    assert.equal(order.payment_method, 'wechat');
    assert.equal(order.status, 'paid', 'the example code ends in 2: the sandbox pays it');
    const merchant = { organisation_id: 0, user_id: 'U00001534', wallet_id: 'W00000001', api_key: '111222333', test: false };
    const queried = await queryOrder(gw, merchant, orderId);
    assert.equal(queried.status, 'paid');
    assert.equal(queried.amount, '0.05');
  });

  test('without merchant_reference every request is a new payment', async () => {
    const fields = { user_id: 'U00001534', wallet_id: 'W00000001', amount: '1.00', pay_code: wechatCode(3) };
    const body = signed(fields, '111222333');
    const first = answerOf(await postBarcode(gw, body));
    const second = answerOf(await postBarcode(gw, body));
    assert.equal(first.code, 0);
    assert.equal(second.code, 0);
    assert.notEqual(first.order_id, second.order_id);
  });
});

describe('POST /barcode: a repeated merchant_reference', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(async () => {
    await gw.close();
  });

  test('with identical parameters answers the same order and charges once', async () => {
    const merchant = await gw.addMerchant();
    const fields = barcodeFields(merchant, { pay_code: wechatCode(4), amount: '20.00' });
    const body = signed(fields, merchant.api_key);
    const answers = await Promise.all([postBarcode(gw, body), postBarcode(gw, body), postBarcode(gw, body)]);
    const ids = new Set(answers.map((r) => {
      const a = answerOf(r);
      assert.equal(a.code, 0, r.body);
      return String(a.order_id);
    }));
    assert.equal(ids.size, 1, 'one order');
    assert.equal(answerOf(await postBarcode(gw, body)).order_id, [...ids][0]);
    assert.equal(await walletBalance(gw.store.db, merchant.wallet_id), 2000, 'credited once');
    assert.equal((await listLedgerEntries(gw.store.db, merchant.wallet_id)).length, 1);
  });

  test('a declined payment repeated answers the same (failed) order', async () => {
    const fields = barcodeFields(gw.merchant, { pay_code: alipayCode(6) });
    const body = signed(fields, gw.merchant.api_key);
    const first = answerOf(await postBarcode(gw, body));
    const again = answerOf(await postBarcode(gw, body));
    assert.equal(again.code, 0);
    assert.equal(again.order_id, first.order_id);
  });

  for (const [what, change] of [
    ['another amount', { amount: '20.01' }],
    ['another pay code', { pay_code: wechatCode(4) }],
    ['another callback_url', { callback_url: 'https://merchant.example/other' }],
  ] as const) {
    test(`with ${what} answers 207 and changes nothing`, async () => {
      const fields = barcodeFields(gw.merchant, { pay_code: wechatCode(4), amount: '20.00' });
      await pay(gw, gw.merchant, fields);
      await assertRefused(gw, signed({ ...fields, ...change }, gw.merchant.api_key), 207, 'merchant_reference');
    });
  }

  test('used by an online order (POST /v2/transaction) answers 207 and changes nothing', async () => {
    const online = await createOrder(gw);
    await assertRefused(gw, signed(barcodeFields(gw.merchant, { merchant_reference: online.reference }), gw.merchant.api_key), 207, 'merchant_reference');
  });
});

describe('POST /barcode: callbacks', () => {
  let gw: TestGateway;
  let merchantServer: Awaited<ReturnType<typeof startMerchantServer>>;
  before(async () => {
    merchantServer = await startMerchantServer(() => 'sent');
    gw = await createTestGateway({ worker: true, env: { SANDBOX_BARCODE_PENDING_MS: '100' } });
  });
  after(async () => {
    await gw.close();
    await merchantServer.close();
  });

  function assertSignedCallback(fields: Record<string, string>, apiKey: string): void {
    assert.equal(fields.signature, hmac(apiKey, fields.merchant_reference + fields.payment_method + fields.status + fields.currency + fields.amount));
  }

  test('a paid payment with a callback_url is notified there (signed, status paid)', async () => {
    const { orderId, reference } = await pay(gw, gw.merchant, { pay_code: wechatCode(5), amount: '7.70', callback_url: merchantServer.callbackUrl });
    const [callback] = await merchantServer.waitForCallbacks(reference, 1);
    assert.equal(callback.fields.status, 'paid');
    assert.equal(callback.fields.order_id, orderId);
    assert.equal(callback.fields.amount, '7.70');
    assert.equal(callback.fields.payment_method, 'wechat');
    assertSignedCallback(callback.fields, gw.merchant.api_key);
  });

  test('a declined payment is notified with status failed', async () => {
    const { reference } = await pay(gw, gw.merchant, { pay_code: alipayCode(6), callback_url: merchantServer.callbackUrl });
    const [callback] = await merchantServer.waitForCallbacks(reference, 1);
    assert.equal(callback.fields.status, 'failed');
    assert.equal(callback.fields.payment_method, 'alipay');
    assertSignedCallback(callback.fields, gw.merchant.api_key);
  });

  test('a pending payment is notified when it settles', async () => {
    const { reference } = await pay(gw, gw.merchant, { pay_code: wechatCode(7), callback_url: merchantServer.callbackUrl });
    const [callback] = await merchantServer.waitForCallbacks(reference, 1);
    assert.equal(callback.fields.status, 'paid');
    assertSignedCallback(callback.fields, gw.merchant.api_key);
  });

  test('a provider error is notified with status failed', async () => {
    const fields = barcodeFields(gw.merchant, { pay_code: wechatCode(9), callback_url: merchantServer.callbackUrl });
    assertRejected(await postBarcode(gw, signed(fields, gw.merchant.api_key)), 1);
    const [callback] = await merchantServer.waitForCallbacks(String(fields.merchant_reference), 1);
    assert.equal(callback.fields.status, 'failed');
  });

  test('without a callback_url there is no outbox row', async () => {
    const paid = await pay(gw, gw.merchant, { pay_code: wechatCode(0) });
    const declined = await pay(gw, gw.merchant, { pay_code: wechatCode(6) });
    assert.equal((await orderOf(gw, paid.orderId)).status, 'paid');
    assert.equal((await orderOf(gw, declined.orderId)).status, 'failed');
    assert.deepEqual(await listNotificationsForOrder(gw.store.db, paid.orderId), []);
    assert.deepEqual(await listNotificationsForOrder(gw.store.db, declined.orderId), []);
  });
});
