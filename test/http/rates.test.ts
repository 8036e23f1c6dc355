import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createTestGateway, signed, type TestGateway } from '../helpers/gateway.js';
import { upsertRate } from '../../src/store/fx-rates.js';
import type { CreatedMerchant } from '../../src/gateway/create-merchant.js';
import { answerOf, hmac } from './support.js';

interface RateAnswer {
  code: number;
  message: string;
  currency: string;
  rates: Array<{ currency: string; rate: string; updated_at: string }>;
  signature: string;
}

/** The documented all_rate signature: sorted form over `currency` and `rates` (`QUOTE:RATE` joined by `,`), then the key. */
function expectedSignature(apiKey: string, currency: string, rates: RateAnswer['rates']): string {
  const joined = rates.map((r) => `${r.currency}:${r.rate}`).join(',');
  const message = joined === '' ? `currency=${currency}` : `currency=${currency}&rates=${joined}`;
  return hmac(apiKey, message + apiKey);
}

function allRate(gw: TestGateway, query: Record<string, string>): Promise<LightMyRequestResponse> {
  return gw.app.inject({ method: 'GET', url: `/v2/all_rate?${new URLSearchParams(query).toString()}` });
}

function signedAllRate(gw: TestGateway, merchant: CreatedMerchant = gw.merchant): Promise<LightMyRequestResponse> {
  return allRate(gw, signed({ user_id: merchant.user_id, wallet_id: merchant.wallet_id }, merchant.api_key));
}

function assertRates(response: LightMyRequestResponse, apiKey: string): RateAnswer {
  assert.equal(response.statusCode, 200, response.body);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  const answer = answerOf(response) as unknown as RateAnswer;
  assert.equal(answer.code, 0, response.body);
  assert.equal(answer.message, 'SUCCESS');
  assert.deepEqual(Object.keys(answer).sort(), ['code', 'currency', 'message', 'rates', 'signature']);
  for (const rate of answer.rates) {
    assert.deepEqual(Object.keys(rate).sort(), ['currency', 'rate', 'updated_at']);
    assert.match(rate.updated_at, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  }
  assert.equal(answer.signature, expectedSignature(apiKey, answer.currency, answer.rates));
  return answer;
}

function assertRejected(response: LightMyRequestResponse, code: number): void {
  assert.equal(response.statusCode, 200, response.body);
  const answer = answerOf(response);
  assert.equal(answer.code, code, response.body);
  assert.equal(answer.rates, undefined);
  assert.equal(answer.signature, undefined);
}

describe('GET /v2/all_rate', () => {
  let gw: TestGateway;
  let aud: CreatedMerchant;
  let sgd: CreatedMerchant;
  const setAt = Date.parse('2026-01-02T03:04:05Z');
  before(async () => {
    gw = await createTestGateway();
    aud = await gw.addMerchant({ name: 'Sydney Coffee', currency: 'AUD' });
    sgd = await gw.addMerchant({ name: 'Singapore Laksa', currency: 'SGD' });
    await upsertRate(gw.store.db, 'NZD', 'CNY', '4.6449', setAt);
  });
  after(async () => {
    await gw.close();
  });

  test("answers the wallet currency's rates with the time they were set, signed", async () => {
    const answer = assertRates(await signedAllRate(gw), gw.merchant.api_key);
    assert.equal(answer.currency, 'NZD');
    // updated_at in TIMEZONE_OFFSET (+08:00 by default), like every wire time.
    assert.deepEqual(answer.rates, [{ currency: 'CNY', rate: '4.6449', updated_at: '2026-01-02 11:04:05' }]);
    assert.equal(
      answer.signature,
      hmac(gw.merchant.api_key, `currency=NZD&rates=CNY:4.6449${gw.merchant.api_key}`),
      'the message documented in the README',
    );
  });

  test("each wallet gets its own currency's rates", async () => {
    const answer = assertRates(await signedAllRate(gw, aud), aud.api_key);
    assert.equal(answer.currency, 'AUD');
    assert.deepEqual(
      answer.rates.map((r) => [r.currency, r.rate]),
      [['CNY', '4.7512']],
    );
  });

  test('every quote of the base is listed, in currency order, and the signature covers them all', async () => {
    await upsertRate(gw.store.db, 'AUD', 'USD', '0.6521', setAt);
    await upsertRate(gw.store.db, 'AUD', 'EUR', '0.6', setAt);
    const answer = assertRates(await signedAllRate(gw, aud), aud.api_key);
    assert.deepEqual(
      answer.rates.map((r) => `${r.currency}:${r.rate}`),
      ['CNY:4.7512', 'EUR:0.6', 'USD:0.6521'],
    );
  });

  test('a currency without rates answers an empty list, signed over the currency alone', async () => {
    const answer = assertRates(await signedAllRate(gw, sgd), sgd.api_key);
    assert.equal(answer.currency, 'SGD');
    assert.deepEqual(answer.rates, []);
    assert.equal(answer.signature, hmac(sgd.api_key, `currency=SGD${sgd.api_key}`));
  });

  test('a rate changed at run time shows at once (the table is read fresh)', async () => {
    await upsertRate(gw.store.db, 'NZD', 'CNY', '4.7001', Date.parse('2026-02-03T16:30:00Z'));
    try {
      const answer = assertRates(await signedAllRate(gw), gw.merchant.api_key);
      assert.deepEqual(answer.rates, [{ currency: 'CNY', rate: '4.7001', updated_at: '2026-02-04 00:30:00' }]);
    } finally {
      await upsertRate(gw.store.db, 'NZD', 'CNY', '4.6449', setAt);
    }
  });

  describe('signature forms', () => {
    test('parameters in the order received (wallet_id before user_id)', async () => {
      const { user_id, wallet_id, api_key } = gw.merchant;
      const signature = hmac(api_key, `wallet_id=${wallet_id}&user_id=${user_id}${api_key}`);
      assert.notEqual(signature, signed({ user_id, wallet_id }, api_key).signature, 'the test exercises a different message');
      assertRates(await allRate(gw, { wallet_id, user_id, signature }), api_key);
    });

    test('extra parameters the client signed take part', async () => {
      const { user_id, wallet_id, api_key } = gw.merchant;
      assertRates(await allRate(gw, signed({ user_id, wallet_id, lang: 'en' }, api_key)), api_key);
    });

    test('an uppercase hex signature is accepted', async () => {
      const { user_id, wallet_id, api_key } = gw.merchant;
      const { signature } = signed({ user_id, wallet_id }, api_key);
      assertRates(await allRate(gw, { user_id, wallet_id, signature: signature.toUpperCase() }), api_key);
    });
  });

  describe('errors', () => {
    test('a missing field answers 204', async () => {
      const { user_id, wallet_id, api_key } = gw.merchant;
      assertRejected(await allRate(gw, signed({ wallet_id }, api_key)), 204);
      assertRejected(await allRate(gw, signed({ user_id }, api_key)), 204);
      assertRejected(await allRate(gw, { user_id, wallet_id }), 204);
      assertRejected(await allRate(gw, { user_id, wallet_id, signature: '' }), 204);
    });

    test('an unknown user answers 205', async () => {
      const { wallet_id, api_key } = gw.merchant;
      assertRejected(await allRate(gw, signed({ user_id: 'U000000000', wallet_id }, api_key)), 205);
    });

    test('a wrong signature answers 206', async () => {
      const { user_id, wallet_id } = gw.merchant;
      assertRejected(await allRate(gw, signed({ user_id, wallet_id }, aud.api_key)), 206);
      assertRejected(await allRate(gw, { user_id, wallet_id, signature: 'f'.repeat(64) }), 206);
      // Signed over another wallet than the one asked for.
      const other = signed({ user_id, wallet_id: aud.wallet_id }, gw.merchant.api_key).signature;
      assertRejected(await allRate(gw, { user_id, wallet_id, signature: other }), 206);
    });

    test("another merchant's wallet, or an unknown one, answers 450", async () => {
      const { user_id, api_key } = gw.merchant;
      assertRejected(await allRate(gw, signed({ user_id, wallet_id: aud.wallet_id }, api_key)), 450);
      assertRejected(await allRate(gw, signed({ user_id, wallet_id: 'W99999999' }, api_key)), 450);
    });
  });
});
