import assert from 'node:assert/strict';
import { findLatestAttempt, listAttemptsOfOrder } from '../../src/store/payment-attempts.js';
import { after, before, describe, test } from 'node:test';
import jsqr from 'jsqr';
import { PNG } from 'pngjs';
import { createTestGateway, signed, transactionFields, type TestGateway } from '../helpers/gateway.js';
import { upsertRate } from '../../src/store/fx-rates.js';
import type { CreatedMerchant } from '../../src/gateway/create-merchant.js';
import { answerOf, createOrder, findOrder, hmac, postTransaction, settleOrder } from './support.js';

// jsqr is CommonJS exporting `default`: NodeNext types its default import as the whole module.
const jsQR = jsqr.default;

const DATA_FIELDS = [
  'order_id',
  'nonce',
  'payment_method',
  'amount',
  'amount_cny',
  'currency',
  'product_name',
  'organisation_id',
  'organisation_name',
  'user_id',
  'user_name',
  'wallet_id',
  'wallet_name',
  'qr_code',
  'qr_code_url',
  'currency_rate',
  'merchant_reference',
  'signature',
].sort();

type Data = Record<string, string | number>;

/** The sorted signature of spec §2.1, written here independently of src/domain/signature.ts. */
function sortedSignature(fields: Data, apiKey: string): string {
  const message = Object.keys(fields)
    .filter((key) => key !== 'signature' && String(fields[key]) !== '')
    .sort()
    .map((key) => `${key}=${String(fields[key])}`)
    .join('&');
  return hmac(apiKey, message + apiKey);
}

/** amount × rate rounded half up to 2 decimals, in decimal arithmetic (BigInt), as the merchant would check it. */
function expectedCny(amount: string, rate: string): string {
  const [aWhole, aFraction = ''] = amount.split('.');
  const [rWhole, rFraction = ''] = rate.split('.');
  const a = BigInt(aWhole + aFraction.padEnd(2, '0')); // in cents
  const r = BigInt(rWhole + rFraction); // scaled by 10^rFraction.length
  const scale = 10n ** BigInt(rFraction.length);
  const cents = (a * r * 2n + scale) / (2n * scale);
  return `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;
}

function gatewayData(gw: TestGateway, nonce: string) {
  return gw.app.inject({ method: 'GET', url: `/v2/merchanthosted/gatewaydata/${nonce}` });
}

/** Creates a host_type=1 order and returns it with the path its host_url + "/" + nonce names. */
async function createHostedOrder(gw: TestGateway, overrides: Record<string, string> = {}, merchant: CreatedMerchant = gw.merchant) {
  const fields = transactionFields(merchant, { host_type: '1', return_url: '', ...overrides });
  const answer = answerOf(await postTransaction(gw, signed(fields, merchant.api_key)));
  assert.equal(answer.code, 0, JSON.stringify(answer));
  assert.equal(answer.host_url, 'http://gateway.test/v2/merchanthosted/gatewaydata');
  const order = await findOrder(gw, merchant.user_id, String(fields.merchant_reference));
  assert.ok(order);
  return { nonce: String(answer.nonce), path: new URL(`${answer.host_url}/${answer.nonce}`).pathname, order, fields };
}

/** Asserts a successful, correctly signed gatewaydata answer and returns its data. */
async function fetchData(gw: TestGateway, path: string, apiKey: string): Promise<Data> {
  const response = await gw.app.inject({ method: 'GET', url: path });
  assert.equal(response.statusCode, 200, response.body);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  const answer = answerOf(response);
  assert.equal(answer.code, 0, response.body);
  assert.equal(answer.message, 'SUCCESS');
  assert.deepEqual(Object.keys(answer).sort(), ['code', 'data', 'message']);
  const data = answer.data as Data;
  assert.deepEqual(Object.keys(data).sort(), DATA_FIELDS);
  assert.equal(data.signature, sortedSignature(data, apiKey), 'sorted signature over every data field but signature');
  return data;
}

function decodeQr(dataUrl: string): string | undefined {
  const prefix = 'data:image/png;base64,';
  assert.ok(dataUrl.startsWith(prefix), dataUrl.slice(0, 40));
  const png = PNG.sync.read(Buffer.from(dataUrl.slice(prefix.length), 'base64'));
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
}

function assertRejected(response: { statusCode: number; body: string }, code: number): void {
  assert.equal(response.statusCode, 200, response.body);
  const answer = JSON.parse(response.body) as { code: number; message: string; data?: unknown };
  assert.equal(answer.code, code, response.body);
  assert.equal(answer.data, undefined);
  assert.ok(answer.message.length > 0);
}

describe('GET /v2/merchanthosted/gatewaydata/{nonce}', () => {
  let gw: TestGateway;
  let aud: CreatedMerchant;
  let cny: CreatedMerchant;
  let usd: CreatedMerchant;
  before(async () => {
    // AUD at 4.645 puts some conversions exactly on a half cent.
    gw = await createTestGateway({ env: { FX_RATES: 'NZD:CNY=4.6449,AUD:CNY=4.645' }, merchant: { name: 'Kiwi Wines' } });
    aud = await gw.addMerchant({ name: 'Sydney Coffee', currency: 'AUD' });
    cny = await gw.addMerchant({ name: 'Shanghai Tea', currency: 'CNY' });
    usd = await gw.addMerchant({ name: 'Boston Books', currency: 'USD' });
  });
  after(async () => {
    await gw.close();
  });

  test('the older path without /v2 answers the same data', async () => {
    const { nonce } = await createHostedOrder(gw, { amount: '15.00' });
    const current = await gatewayData(gw, nonce);
    const older = await gw.app.inject({ method: 'GET', url: `/merchanthosted/gatewaydata/${nonce}` });
    assert.equal(older.statusCode, 200);
    const body = older.json() as { code: number; data: Record<string, unknown> };
    assert.equal(body.code, 0);
    assert.deepEqual({ ...body.data, qr_code: undefined }, { ...(current.json() as { data: Record<string, unknown> }).data, qr_code: undefined });
    assert.equal((await gw.app.inject({ method: 'GET', url: `/merchanthosted/gatewaydata/${'0'.repeat(64)}` })).json().code, 201);
    // Like /v2/, the older path is the merchant API: JSON even to a browser, even for a URL the router cannot read.
    const unreadable = await gw.app.inject({ method: 'GET', url: '/merchanthosted/gatewaydata/%zz', headers: { accept: 'text/html' } });
    assert.equal(unreadable.statusCode, 400);
    assert.equal(unreadable.json().code, 207);
  });

  test('answers every field of §4.3 with the sorted signature, keyed by the api_key', async () => {
    const { path, nonce, order, fields } = await createHostedOrder(gw, { amount: '120.00', payment_method: 'wechat' });
    const data = await fetchData(gw, path, gw.merchant.api_key);
    const after = await findOrder(gw, gw.merchant.user_id, String(fields.merchant_reference));
    const attemptAfter = after ? await findLatestAttempt(gw.store.db, after.order_id) : undefined;
    assert.deepEqual(
      { ...data, qr_code: undefined, signature: undefined },
      {
        order_id: order.order_id,
        nonce,
        payment_method: 'wechat',
        amount: '120.00',
        amount_cny: '557.39',
        currency: 'NZD',
        product_name: 'Pinot Noir, Otago',
        organisation_id: gw.merchant.organisation_id,
        organisation_name: 'Kiwi Wines',
        user_id: gw.merchant.user_id,
        user_name: 'Kiwi Wines API user',
        wallet_id: gw.merchant.wallet_id,
        wallet_name: 'Kiwi Wines NZD',
        qr_code: undefined,
        qr_code_url: attemptAfter ? JSON.parse(String(attemptAfter.next_action)).qrContent : undefined,
        currency_rate: '4.6449',
        merchant_reference: fields.merchant_reference,
        signature: undefined,
      },
    );
    assert.equal(typeof data.organisation_id, 'number');
    assert.match(String(data.qr_code_url), /^http:\/\/gateway\.test\/sandbox\/wallet\/SBX[0-9a-f]+$/);
    assert.ok(attemptAfter?.provider_payment_id, 'the provider trade was opened');
    // A signature with another key, or over a changed field, does not match.
    assert.notEqual(data.signature, sortedSignature(data, aud.api_key));
    assert.notEqual(data.signature, sortedSignature({ ...data, amount: '121.00' }, gw.merchant.api_key));
  });

  test('qr_code is a real PNG whose QR decodes to qr_code_url, which opens the sandbox wallet', async () => {
    const { path } = await createHostedOrder(gw);
    const data = await fetchData(gw, path, gw.merchant.api_key);
    const decoded = decodeQr(String(data.qr_code));
    assert.equal(decoded, data.qr_code_url);
    const wallet = await gw.app.inject({ method: 'GET', url: new URL(String(decoded)).pathname });
    assert.equal(wallet.statusCode, 200);
  });

  test('asking again answers the same provider trade and QR (the register may reload)', async () => {
    const { path } = await createHostedOrder(gw);
    const first = await fetchData(gw, path, gw.merchant.api_key);
    const second = await fetchData(gw, path, gw.merchant.api_key);
    assert.deepEqual(second, first);
    const attempts = await listAttemptsOfOrder(gw.store.db, String(first.order_id));
    assert.equal(attempts.length, 1);
    const trades = await gw.store.db.selectFrom('sandbox_trades').selectAll().where('out_trade_no', '=', attempts[0].attempt_id).execute();
    assert.equal(trades.length, 1);
  });

  test('the QR is paid through the sandbox like a hosted-page order, and then the nonce answers 900', async () => {
    const { path, order } = await createHostedOrder(gw);
    await fetchData(gw, path, gw.merchant.api_key);
    assert.equal(answerOf(await settleOrder(gw, order.order_id, 'paid')).code, 0);
    assertRejected(await gw.app.inject({ method: 'GET', url: path }), 900);
  });

  test('amount_cny is amount × the recorded rate, rounded half up to the fen', async () => {
    const cases: Array<[CreatedMerchant, string, string, string]> = [
      // merchant, amount, rate, amount_cny
      [gw.merchant, '0.01', '4.6449', '0.05'],
      [gw.merchant, '120.00', '4.6449', '557.39'],
      [gw.merchant, '99999.99', '4.6449', '464489.95'], // 464489.953551
      [aud, '1.00', '4.645', '4.65'], // 4.645 exactly: half up (half-even would give 4.64)
      [aud, '0.10', '4.645', '0.46'], // 0.4645
      [aud, '0.30', '4.645', '1.39'], // 1.3935
      [aud, '2.50', '4.645', '11.61'], // 11.6125
      [cny, '88.88', '1', '88.88'],
    ];
    for (const [merchant, amount, rate, amountCny] of cases) {
      assert.equal(expectedCny(amount, rate), amountCny, `the table itself: ${amount} × ${rate}`);
      const { path } = await createHostedOrder(gw, { amount }, merchant);
      const data = await fetchData(gw, path, merchant.api_key);
      assert.equal(data.amount, amount);
      assert.equal(data.currency_rate, rate);
      assert.equal(data.amount_cny, amountCny, `${amount} at ${rate}`);
    }
  });

  test('a wallet currency without a CNY rate answers empty amount_cny and currency_rate, left out of the signature', async () => {
    const { path } = await createHostedOrder(gw, { amount: '10.00' }, usd);
    const data = await fetchData(gw, path, usd.api_key);
    assert.equal(data.currency, 'USD');
    assert.equal(data.amount_cny, '');
    assert.equal(data.currency_rate, '');
  });

  test('a later rate change does not alter an existing order', async () => {
    const { path, order } = await createHostedOrder(gw, { amount: '120.00' });
    const before = await fetchData(gw, path, gw.merchant.api_key);
    assert.equal(before.currency_rate, '4.6449');
    await upsertRate(gw.store.db, 'NZD', 'CNY', '5.0123', Date.now());
    try {
      // The table did change (all_rate reads it fresh)…
      const query = { user_id: gw.merchant.user_id, wallet_id: gw.merchant.wallet_id };
      const rates = answerOf(
        await gw.app.inject({ method: 'GET', url: `/v2/all_rate?${new URLSearchParams(signed(query, gw.merchant.api_key))}` }),
      );
      assert.deepEqual((rates.rates as Array<{ rate: string }>).map((r) => r.rate), ['5.0123']);
      // …but the order keeps what it recorded.
      const later = await fetchData(gw, path, gw.merchant.api_key);
      assert.deepEqual(later, before);
      const row = await findOrder(gw, gw.merchant.user_id, order.merchant_reference);
      assert.equal(row?.currency_rate, '4.6449');
      assert.equal(Number(row?.amount_cny_minor), 55739);
    } finally {
      await upsertRate(gw.store.db, 'NZD', 'CNY', '4.6449', Date.now());
    }
  });

  describe('errors', () => {
    test('an unknown nonce answers 201', async () => {
      assertRejected(await gatewayData(gw, 'ab'.repeat(32)), 201);
    });

    test('a malformed nonce answers 201', async () => {
      assertRejected(await gatewayData(gw, 'not-a-nonce'), 201);
      assertRejected(await gatewayData(gw, 'AB'.repeat(32)), 201);
    });

    test('a nonce replaced by a checkout retry still answers the same order, naming its current nonce', async () => {
      const { nonce, fields, order } = await createHostedOrder(gw);
      const retry = answerOf(await postTransaction(gw, signed(fields, gw.merchant.api_key)));
      assert.equal(retry.code, 0);
      assert.notEqual(retry.nonce, nonce);
      const current = await fetchData(gw, `/v2/merchanthosted/gatewaydata/${retry.nonce}`, gw.merchant.api_key);
      assert.equal(current.nonce, retry.nonce);
      const earlier = await fetchData(gw, `/v2/merchanthosted/gatewaydata/${nonce}`, gw.merchant.api_key);
      assert.equal(earlier.order_id, order.order_id);
      assert.equal(earlier.nonce, retry.nonce);
    });

    test('the nonce of a hosted-page order (no host_type=1) is refused with 207', async () => {
      const { nonce } = await createOrder(gw);
      assertRejected(await gatewayData(gw, nonce), 207);
    });

    test('a failed order answers 901', async () => {
      const { nonce, order } = await createHostedOrder(gw);
      assert.equal(answerOf(await settleOrder(gw, order.order_id, 'failed')).code, 0);
      assertRejected(await gatewayData(gw, nonce), 901);
    });

    test('a disabled user answers 205 (nothing can be signed for them)', async () => {
      const merchant = await gw.addMerchant({ name: 'Soon Disabled' });
      const { nonce } = await createHostedOrder(gw, {}, merchant);
      await gw.store.db.updateTable('users').set({ active: 0 }).where('id', '=', merchant.user_id).execute();
      gw.app.gateway.credentials.forget(merchant.user_id);
      assertRejected(await gatewayData(gw, nonce), 205);
    });
  });
});

describe('GET /v2/merchanthosted/gatewaydata/{nonce} after the payment window', () => {
  let now = Date.parse('2026-03-01T00:00:00Z');
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway({ clock: () => now, env: { ORDER_TTL_SECONDS: '600' } });
  });
  after(async () => {
    await gw.close();
  });

  test('answers while the order may be paid, then 901 once its window has passed', async () => {
    const { path, nonce } = await createHostedOrder(gw);
    now += 599_000;
    await fetchData(gw, path, gw.merchant.api_key);
    now += 1_000;
    assertRejected(await gatewayData(gw, nonce), 901);
  });
});
