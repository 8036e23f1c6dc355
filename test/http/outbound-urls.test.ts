import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createTestGateway, signed, transactionFields, type TestGateway } from '../helpers/gateway.js';
import { answerOf, countOrders } from './support.js';

// callback_url is a URL the gateway itself will POST to: with the outbound guard on
// (production, or OUTBOUND_GUARD=on) a literal private or local host is refused at once.
// Nothing here is delivered: no worker runs.

const FORBIDDEN_CALLBACKS = [
  'http://127.0.0.1/callback',
  'http://[::1]/callback',
  'http://localhost/callback',
  'http://shop.localhost/callback',
  'http://2130706433/callback',
  'http://0x7f000001/callback',
  'http://127.1/callback',
  'http://[::ffff:127.0.0.1]/callback',
  'http://127.0.0.1:5432/',
  'http://10.0.0.1/callback',
  'http://169.254.169.254/latest/meta-data/',
  'http://[fd00:ec2::254]/',
  'http://100.64.0.1/',
  'http://[fe80::1]/',
  'http://0.0.0.0/',
];

const PRODUCTION = { NODE_ENV: 'production', PUBLIC_URL: 'https://gateway.test', SANDBOX: 'on' };

function barcodeFields(gw: TestGateway, overrides: Record<string, string>): Record<string, string> {
  const payCode = '13' + '0'.repeat(15) + '0';
  return { user_id: gw.merchant.user_id, wallet_id: gw.merchant.wallet_id, amount: '12.50', pay_code: payCode, merchant_reference: `bc-${Math.random()}`, ...overrides };
}

function assertBadParameter(response: LightMyRequestResponse, url: string): void {
  assert.equal(response.statusCode, 200, response.body);
  const answer = answerOf(response);
  assert.equal(answer.code, 207, `${url}: ${response.body}`);
  assert.ok(answer.message.includes('callback_url'), `the message names callback_url: ${answer.message}`);
}

describe('callback_url in production: private and local hosts are refused with 207', () => {
  let gw: TestGateway;
  before(async () => {
    // In production the sandbox serves test wallets only.
    gw = await createTestGateway({ env: PRODUCTION, merchant: { test: true } });
  });
  after(() => gw.close());

  test('the configuration is production with the guard on', () => {
    assert.equal(gw.config.mode, 'production');
    assert.equal(gw.config.outboundGuard, true);
  });

  for (const url of FORBIDDEN_CALLBACKS) {
    test(`POST /v2/transaction and POST /barcode refuse ${url}`, async () => {
      const before = await countOrders(gw);
      const created = await gw.app.inject({ method: 'POST', url: '/v2/transaction', payload: signed(transactionFields(gw.merchant, { callback_url: url }), gw.merchant.api_key) });
      assertBadParameter(created, url);
      const barcode = await gw.app.inject({ method: 'POST', url: '/barcode', payload: signed(barcodeFields(gw, { callback_url: url }), gw.merchant.api_key) });
      assertBadParameter(barcode, url);
      assert.equal(await countOrders(gw), before, 'no order is written');
    });
  }

  test('a public host name is accepted, and return_url / backPage_url are not checked (browser redirects only)', async () => {
    const fields = transactionFields(gw.merchant, {
      callback_url: 'https://shop.example/latipay/callback',
      return_url: 'http://localhost:3000/return',
      backPage_url: 'http://127.0.0.1/back',
    });
    const answer = answerOf(await gw.app.inject({ method: 'POST', url: '/v2/transaction', payload: signed(fields, gw.merchant.api_key) }));
    assert.equal(answer.code, 0, JSON.stringify(answer));
    const barcode = answerOf(
      await gw.app.inject({ method: 'POST', url: '/barcode', payload: signed(barcodeFields(gw, { callback_url: 'https://shop.example/cb' }), gw.merchant.api_key) }),
    );
    assert.equal(barcode.code, 0, JSON.stringify(barcode));
  });
});

describe('callback_url with the guard on and an allow-list', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway({ env: { ...PRODUCTION, OUTBOUND_ALLOW_CIDRS: '127.0.0.0/8' }, merchant: { test: true } });
  });
  after(() => gw.close());

  test('an allowed network is accepted; the rest is still refused', async () => {
    const allowed = await gw.app.inject({
      method: 'POST',
      url: '/v2/transaction',
      payload: signed(transactionFields(gw.merchant, { callback_url: 'http://127.0.0.1:8081/callback' }), gw.merchant.api_key),
    });
    assert.equal(answerOf(allowed).code, 0, allowed.body);
    const refused = await gw.app.inject({
      method: 'POST',
      url: '/v2/transaction',
      payload: signed(transactionFields(gw.merchant, { callback_url: 'http://10.0.0.1/callback' }), gw.merchant.api_key),
    });
    assertBadParameter(refused, 'http://10.0.0.1/callback');
  });
});

describe('callback_url in development (guard off): merchants test on localhost', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(() => gw.close());

  test('a loopback callback_url is accepted', async () => {
    assert.equal(gw.config.outboundGuard, false);
    for (const url of ['http://127.0.0.1:3000/callback', 'http://localhost:3000/callback']) {
      const response = await gw.app.inject({ method: 'POST', url: '/v2/transaction', payload: signed(transactionFields(gw.merchant, { callback_url: url }), gw.merchant.api_key) });
      assert.equal(answerOf(response).code, 0, response.body);
    }
  });
});
