import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import type { CreatedMerchant } from '../../src/gateway/create-merchant.js';
import { answerOf, hmac } from './support.js';

function detail(gw: TestGateway, walletId: string, query: Record<string, string>): Promise<LightMyRequestResponse> {
  return gw.app.inject({ method: 'GET', url: `/v2/detail/${walletId}?${new URLSearchParams(query).toString()}` });
}

/** Sorted over wallet_id (from the path) and user_id: `user_id=…&wallet_id=…` + key. */
function sortedSignature(merchant: CreatedMerchant, walletId = merchant.wallet_id): string {
  return hmac(merchant.api_key, `user_id=${merchant.user_id}&wallet_id=${walletId}${merchant.api_key}`);
}

/** The legacy form of spec §2.2.6: HMAC(wallet_id + user_id), no key appended. */
function legacySignature(merchant: CreatedMerchant, walletId = merchant.wallet_id): string {
  return hmac(merchant.api_key, walletId + merchant.user_id);
}

function assertMethods(response: LightMyRequestResponse, methods: string): void {
  assert.equal(response.statusCode, 200, response.body);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  assert.deepEqual(answerOf(response), { code: 0, message: 'SUCCESS', payment_method: methods });
}

function assertRejected(response: LightMyRequestResponse, code: number): void {
  assert.equal(response.statusCode, 200, response.body);
  const answer = answerOf(response);
  assert.equal(answer.code, code, response.body);
  assert.equal(answer.payment_method, undefined);
}

describe('GET /v2/detail/{wallet_id}', () => {
  let gw: TestGateway;
  let single: CreatedMerchant;
  let many: CreatedMerchant;
  before(async () => {
    gw = await createTestGateway();
    single = await gw.addMerchant({ name: 'WeChat Only', methods: ['wechat'] });
    many = await gw.addMerchant({ name: 'Everything', methods: ['wechat', 'alipay', 'upi_upop', 'moneymore', 'payid', 'onlineBank', 'polipay', 'coin_payments'] });
  });
  after(async () => {
    await gw.close();
  });

  describe('signature forms', () => {
    test('sorted over wallet_id and user_id', async () => {
      const m = gw.merchant;
      assertMethods(await detail(gw, m.wallet_id, { user_id: m.user_id, signature: sortedSignature(m) }), 'Alipay,Wechat');
    });

    test('legacy HMAC(wallet_id + user_id)', async () => {
      const m = gw.merchant;
      assertMethods(await detail(gw, m.wallet_id, { user_id: m.user_id, signature: legacySignature(m) }), 'Alipay,Wechat');
    });

    test('received order: the path wallet_id, then the query', async () => {
      const m = gw.merchant;
      const signature = hmac(m.api_key, `wallet_id=${m.wallet_id}&user_id=${m.user_id}${m.api_key}`);
      assertMethods(await detail(gw, m.wallet_id, { user_id: m.user_id, signature }), 'Alipay,Wechat');
    });

    test('a trailing slash is tolerated', async () => {
      const m = gw.merchant;
      const response = await gw.app.inject({
        method: 'GET',
        url: `/v2/detail/${m.wallet_id}/?user_id=${m.user_id}&signature=${legacySignature(m)}`,
      });
      assertMethods(response, 'Alipay,Wechat');
    });
  });

  test("names the wallet's methods as display names, in the wallet's order, leaving out those no provider serves", async () => {
    assertMethods(await detail(gw, single.wallet_id, { user_id: single.user_id, signature: sortedSignature(single) }), 'Wechat');
    // The sandbox serves the NZ and Australian methods too; nothing here serves moneymore or coin_payments.
    assertMethods(await detail(gw, many.wallet_id, { user_id: many.user_id, signature: legacySignature(many) }), 'Wechat,Alipay,UPI_UPOP,PayID,OnlineBank,Polipay');
  });

  test('in production a live wallet lists none of the methods the sandbox would serve; a test wallet lists them', async () => {
    const production = await createTestGateway({ env: { NODE_ENV: 'production', PUBLIC_URL: 'https://pay.example.test', SANDBOX: 'on' } });
    try {
      const methods = ['payid', 'onlineBank', 'polipay', 'upi_upop'];
      const live = await production.addMerchant({ name: 'Live', methods });
      const tester = await production.addMerchant({ name: 'Tester', methods, test: true });
      assertMethods(await detail(production, live.wallet_id, { user_id: live.user_id, signature: legacySignature(live) }), '');
      assertMethods(await detail(production, tester.wallet_id, { user_id: tester.user_id, signature: legacySignature(tester) }), 'PayID,OnlineBank,Polipay,UPI_UPOP');
    } finally {
      await production.close();
    }
  });

  describe('errors', () => {
    test('a missing user_id or signature answers 204', async () => {
      const m = gw.merchant;
      assertRejected(await detail(gw, m.wallet_id, { signature: legacySignature(m) }), 204);
      assertRejected(await detail(gw, m.wallet_id, { user_id: m.user_id }), 204);
    });

    test('an unknown user answers 205', async () => {
      const m = gw.merchant;
      const ghost = { ...m, user_id: 'U000000000' };
      assertRejected(await detail(gw, m.wallet_id, { user_id: ghost.user_id, signature: legacySignature(ghost) }), 205);
    });

    test('a disabled user answers 205', async () => {
      const m = await gw.addMerchant({ name: 'Disabled' });
      await gw.store.db.updateTable('users').set({ active: 0 }).where('id', '=', m.user_id).execute();
      gw.app.gateway.credentials.forget(m.user_id);
      assertRejected(await detail(gw, m.wallet_id, { user_id: m.user_id, signature: legacySignature(m) }), 205);
    });

    test('a wrong signature answers 206', async () => {
      const m = gw.merchant;
      assertRejected(await detail(gw, m.wallet_id, { user_id: m.user_id, signature: legacySignature(single) }), 206);
      // Signed for another wallet than the path names.
      assertRejected(await detail(gw, m.wallet_id, { user_id: m.user_id, signature: legacySignature(m, single.wallet_id) }), 206);
      // The legacy concatenation in the other order is not a form clients send.
      assertRejected(await detail(gw, m.wallet_id, { user_id: m.user_id, signature: hmac(m.api_key, m.user_id + m.wallet_id) }), 206);
    });

    test("another merchant's wallet answers 450", async () => {
      const m = gw.merchant;
      assertRejected(await detail(gw, single.wallet_id, { user_id: m.user_id, signature: sortedSignature(m, single.wallet_id) }), 450);
    });

    test('an unknown wallet answers 450', async () => {
      const m = gw.merchant;
      assertRejected(await detail(gw, 'W99999999', { user_id: m.user_id, signature: legacySignature(m, 'W99999999') }), 450);
    });
  });
});
