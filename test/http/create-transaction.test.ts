import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createTestGateway, signed, transactionFields, type TestGateway } from '../helpers/gateway.js';
import type { ParamValue } from '../../src/domain/signature.js';
import { answerOf, countOrders, createOrder, findOrder, hmac, ordersSnapshot, postTransaction, settleOrder } from './support.js';

const PUBLIC_URL = 'http://gateway.test';

/** Asserts an HTTP 200 business error with integer `code`, naming `field` when given. */
function assertRejected(response: LightMyRequestResponse, code: number, field?: string): void {
  assert.equal(response.statusCode, 200, response.body);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  const answer = answerOf(response);
  assert.ok(Number.isInteger(answer.code), `code is an integer: ${response.body}`);
  assert.equal(answer.code, code, response.body);
  assert.equal(typeof answer.message, 'string');
  assert.equal(answer.host_url, undefined);
  assert.equal(answer.nonce, undefined);
  if (field !== undefined) assert.ok(answer.message.includes(field), `message names ${field}: ${answer.message}`);
}

/** Asserts a successful create answer signed with `apiKey`, and returns its nonce. */
function assertCreated(response: LightMyRequestResponse, apiKey: string, hostUrl = `${PUBLIC_URL}/pay`): string {
  assert.equal(response.statusCode, 200, response.body);
  const answer = answerOf(response);
  assert.equal(answer.code, 0, response.body);
  assert.equal(answer.message, 'SUCCESS');
  assert.equal(answer.host_url, hostUrl);
  assert.match(String(answer.nonce), /^[0-9a-f]{64}$/);
  assert.equal(answer.signature, hmac(apiKey, String(answer.nonce) + hostUrl));
  return String(answer.nonce);
}

/** Runs `send` and asserts it was rejected with `code` and left the orders table as it was. */
async function assertRejectedWithoutChange(
  gw: TestGateway,
  send: () => Promise<LightMyRequestResponse>,
  code: number,
  field?: string,
): Promise<void> {
  const before = await ordersSnapshot(gw);
  assertRejected(await send(), code, field);
  assert.equal(await ordersSnapshot(gw), before, 'a rejected request changes no order');
}

function without(fields: Record<string, ParamValue>, name: string): Record<string, ParamValue> {
  const copy = { ...fields };
  delete copy[name];
  return copy;
}

describe('POST /v2/transaction', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(async () => {
    await gw.close();
  });

  describe('success', () => {
    test('a signed JSON body creates one pending order and answers host_url, nonce and its signature', async () => {
      const fields = transactionFields(gw.merchant);
      const before = await countOrders(gw);
      const nonce = assertCreated(await postTransaction(gw, signed(fields, gw.merchant.api_key)), gw.merchant.api_key);
      assert.equal(await countOrders(gw), before + 1);
      const order = await findOrder(gw, gw.merchant.user_id, String(fields.merchant_reference));
      assert.ok(order);
      assert.equal(order.status, 'pending');
      assert.equal(order.nonce, nonce);
      assert.equal(Number(order.amount_minor), 12000);
      assert.equal(order.currency, 'NZD');
      assert.match(order.order_id, /^\d+$/);
    });

    test('a form body (application/x-www-form-urlencoded) is accepted', async () => {
      const fields = signed(transactionFields(gw.merchant), gw.merchant.api_key);
      const body = new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, String(v)])).toString();
      const response = await gw.app.inject({
        method: 'POST',
        url: '/v2/transaction',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: body,
      });
      assertCreated(response, gw.merchant.api_key);
      assert.ok(await findOrder(gw, gw.merchant.user_id, String(fields.merchant_reference)));
    });

    test('a JSON body sent without a content type is accepted', async () => {
      const fields = signed(transactionFields(gw.merchant), gw.merchant.api_key);
      const response = await gw.app.inject({ method: 'POST', url: '/v2/transaction', payload: JSON.stringify(fields) });
      assertCreated(response, gw.merchant.api_key);
    });

    test('a JSON charset content type is accepted', async () => {
      const fields = signed(transactionFields(gw.merchant), gw.merchant.api_key);
      const response = await gw.app.inject({
        method: 'POST',
        url: '/v2/transaction',
        headers: { 'content-type': 'application/json;charset=UTF-8' },
        payload: JSON.stringify(fields),
      });
      assertCreated(response, gw.merchant.api_key);
    });

    test('an amount sent as a JSON number is accepted and signed as String(number)', async () => {
      const fields = transactionFields(gw.merchant, { amount: 120 });
      assertCreated(await postTransaction(gw, signed(fields, gw.merchant.api_key)), gw.merchant.api_key);
      const order = await findOrder(gw, gw.merchant.user_id, String(fields.merchant_reference));
      assert.equal(Number(order?.amount_minor), 12000);
    });

    test('trailing zeros beyond two places are accepted ("12.3400" = 12.34)', async () => {
      const fields = transactionFields(gw.merchant, { amount: '12.3400' });
      assertCreated(await postTransaction(gw, signed(fields, gw.merchant.api_key)), gw.merchant.api_key);
      const order = await findOrder(gw, gw.merchant.user_id, String(fields.merchant_reference));
      assert.equal(Number(order?.amount_minor), 1234);
    });

    test('an unknown extra field (source=ios) takes part in the signature and is otherwise ignored', async () => {
      const fields = transactionFields(gw.merchant, { source: 'ios' });
      assertCreated(await postTransaction(gw, signed(fields, gw.merchant.api_key)), gw.merchant.api_key);
      // Signed without the extra field, the same body is not authentic.
      const unsignedExtra = { ...signed(transactionFields(gw.merchant), gw.merchant.api_key), source: 'ios' };
      assertRejected(await postTransaction(gw, unsignedExtra), 206);
    });

    test('a signature in uppercase hex is accepted', async () => {
      const body = signed(transactionFields(gw.merchant), gw.merchant.api_key);
      assertCreated(await postTransaction(gw, { ...body, signature: body.signature.toUpperCase() }), gw.merchant.api_key);
    });

    test('host_type=1 with an empty return_url is accepted and answers the merchant-hosted host_url', async () => {
      const fields = transactionFields(gw.merchant, { host_type: '1', return_url: '' });
      assertCreated(
        await postTransaction(gw, signed(fields, gw.merchant.api_key)),
        gw.merchant.api_key,
        `${PUBLIC_URL}/v2/merchanthosted/gatewaydata`,
      );
    });

    test('a trailing slash on the path is tolerated', async () => {
      const body = signed(transactionFields(gw.merchant), gw.merchant.api_key);
      assertCreated(await gw.app.inject({ method: 'POST', url: '/v2/transaction/', payload: body }), gw.merchant.api_key);
    });
  });

  describe('every signature form of spec §2.2 is accepted', () => {
    const key = () => gw.merchant.api_key;

    test('sorted, dropping empty values (§2.1)', async () => {
      const fields = transactionFields(gw.merchant, { backPage_url: '' });
      const message =
        Object.keys(fields)
          .filter((k) => fields[k] !== '')
          .sort()
          .map((k) => `${k}=${String(fields[k])}`)
          .join('&') + key();
      assertCreated(await postTransaction(gw, { ...fields, signature: hmac(key(), message) }), key());
    });

    test('sorted, keeping empty values (the Ruby client)', async () => {
      const fields = transactionFields(gw.merchant, { backPage_url: '', source: '' });
      const message =
        Object.keys(fields)
          .sort()
          .map((k) => `${k}=${String(fields[k])}`)
          .join('&') + key();
      assertCreated(await postTransaction(gw, { ...fields, signature: hmac(key(), message) }), key());
    });

    test('in the order received, not sorted', async () => {
      const fields = transactionFields(gw.merchant);
      const inOrder = Object.entries(fields).map(([k, v]) => `${k}=${String(v)}`).join('&') + key();
      const sorted =
        Object.keys(fields)
          .sort()
          .map((k) => `${k}=${String(fields[k])}`)
          .join('&') + key();
      assert.notEqual(inOrder, sorted, 'the test exercises a different message');
      assertCreated(await postTransaction(gw, { ...fields, signature: hmac(key(), inOrder) }), key());
    });

    test('in the order received, as a form', async () => {
      const fields = transactionFields(gw.merchant);
      const inOrder = Object.entries(fields).map(([k, v]) => `${k}=${String(v)}`).join('&') + key();
      const body = new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, String(v)]));
      body.append('signature', hmac(key(), inOrder));
      const response = await gw.app.inject({
        method: 'POST',
        url: '/v2/transaction',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: body.toString(),
      });
      assertCreated(response, key());
    });

    test('the legacy concatenation user_id+wallet_id+amount+payment_method+return_url+callback_url', async () => {
      const f = transactionFields(gw.merchant);
      const message = `${f.user_id}${f.wallet_id}${f.amount}${f.payment_method}${f.return_url}${f.callback_url}`;
      assertCreated(await postTransaction(gw, { ...f, signature: hmac(key(), message) }), key());
    });

    test('the oldest concatenation without return_url', async () => {
      const f = transactionFields(gw.merchant);
      const message = `${f.user_id}${f.wallet_id}${f.amount}${f.payment_method}${f.callback_url}`;
      assertCreated(await postTransaction(gw, { ...f, signature: hmac(key(), message) }), key());
    });

    test('the legacy concatenation with the key appended is not a legal form', async () => {
      const f = transactionFields(gw.merchant);
      const message = `${f.user_id}${f.wallet_id}${f.amount}${f.payment_method}${f.return_url}${f.callback_url}${key()}`;
      await assertRejectedWithoutChange(gw, () => postTransaction(gw, { ...f, signature: hmac(key(), message) }), 206);
    });

    test('the sorted form without the key appended is not a legal form', async () => {
      const f = transactionFields(gw.merchant);
      const message = Object.keys(f)
        .sort()
        .map((k) => `${k}=${String(f[k])}`)
        .join('&');
      await assertRejectedWithoutChange(gw, () => postTransaction(gw, { ...f, signature: hmac(key(), message) }), 206);
    });
  });

  describe('validation', () => {
    const ALWAYS_REQUIRED = [
      'user_id',
      'wallet_id',
      'amount',
      'payment_method',
      'callback_url',
      'merchant_reference',
      'ip',
      'version',
      'product_name',
    ];

    for (const field of ALWAYS_REQUIRED) {
      test(`204 when ${field} is missing`, async () => {
        const body = signed(without(transactionFields(gw.merchant), field), gw.merchant.api_key);
        await assertRejectedWithoutChange(gw, () => postTransaction(gw, body), 204, field);
      });

      test(`204 when ${field} is the empty string`, async () => {
        const body = signed(transactionFields(gw.merchant, { [field]: '' }), gw.merchant.api_key);
        await assertRejectedWithoutChange(gw, () => postTransaction(gw, body), 204, field);
      });
    }

    test('204 when a required field is JSON null', async () => {
      const body = signed(transactionFields(gw.merchant, { product_name: null }), gw.merchant.api_key);
      await assertRejectedWithoutChange(gw, () => postTransaction(gw, body), 204, 'product_name');
    });

    test('204 when signature is missing', async () => {
      await assertRejectedWithoutChange(gw, () => postTransaction(gw, transactionFields(gw.merchant)), 204, 'signature');
    });

    test('204 when signature is the empty string', async () => {
      await assertRejectedWithoutChange(gw, () => postTransaction(gw, { ...transactionFields(gw.merchant), signature: '' }), 204, 'signature');
    });

    test('204 when return_url is missing and host_type is not 1', async () => {
      const noHostType = signed(without(transactionFields(gw.merchant), 'return_url'), gw.merchant.api_key);
      await assertRejectedWithoutChange(gw, () => postTransaction(gw, noHostType), 204, 'return_url');
      const hostType0 = signed(transactionFields(gw.merchant, { return_url: '', host_type: '0' }), gw.merchant.api_key);
      await assertRejectedWithoutChange(gw, () => postTransaction(gw, hostType0), 204, 'return_url');
    });

    test('205 for an unknown user', async () => {
      const body = signed(transactionFields(gw.merchant, { user_id: 'U999999999' }), gw.merchant.api_key);
      await assertRejectedWithoutChange(gw, () => postTransaction(gw, body), 205, 'user_id');
    });

    test('205 for a disabled user', async () => {
      const other = await gw.addMerchant({ name: 'Closed Shop' });
      await gw.store.db.updateTable('users').set({ active: 0 }).where('id', '=', other.user_id).execute();
      const body = signed(transactionFields(other), other.api_key);
      await assertRejectedWithoutChange(gw, () => postTransaction(gw, body), 205, 'user_id');
    });

    test('206 for a wrong signature', async () => {
      const body = signed(transactionFields(gw.merchant), gw.merchant.api_key);
      const flipped = (body.signature[0] === '0' ? '1' : '0') + body.signature.slice(1);
      await assertRejectedWithoutChange(gw, () => postTransaction(gw, { ...body, signature: flipped }), 206);
    });

    test('206 for a signature made with another key', async () => {
      const body = signed(transactionFields(gw.merchant), 'not-the-key');
      await assertRejectedWithoutChange(gw, () => postTransaction(gw, body), 206);
    });

    test('206 when a signed field was changed after signing', async () => {
      const body = signed(transactionFields(gw.merchant), gw.merchant.api_key);
      await assertRejectedWithoutChange(gw, () => postTransaction(gw, { ...body, amount: '1.00' }), 206);
    });

    test('206 for a signature that is not 64 hex characters', async () => {
      const body = transactionFields(gw.merchant);
      await assertRejectedWithoutChange(gw, () => postTransaction(gw, { ...body, signature: 'abc' }), 206);
    });

    for (const amount of ['0', '0.00', '-1', '1e3', '12.345', 'abc', ' 1.00', '1,00', '.5', '1.']) {
      test(`207 for amount ${JSON.stringify(amount)}`, async () => {
        const body = signed(transactionFields(gw.merchant, { amount }), gw.merchant.api_key);
        await assertRejectedWithoutChange(gw, () => postTransaction(gw, body), 207, 'amount');
      });
    }

    for (const amount of [0, -1, 12.345, true]) {
      test(`207 for amount as JSON ${JSON.stringify(amount)}`, async () => {
        const body = signed(transactionFields(gw.merchant, { amount }), gw.merchant.api_key);
        await assertRejectedWithoutChange(gw, () => postTransaction(gw, body), 207, 'amount');
      });
    }

    const BAD_VALUES: Array<[string, ParamValue]> = [
      ['callback_url', 'not a url'],
      ['callback_url', 'ftp://merchant.example/callback'],
      ['callback_url', '/relative/callback'],
      ['return_url', 'javascript:alert(1)'],
      ['return_url', 'merchant.example/return'],
      ['backPage_url', 'javascript:history.back()'],
      ['ip', '999.1.1.1'],
      ['ip', 'localhost'],
      ['ip', '122.122.122'],
      ['version', '1.0'],
      ['version', '2'],
      ['version', '2.00'],
      ['host_type', '2'],
      ['present_qr', 'yes'],
      ['merchant_reference', 'r'.repeat(129)],
      ['product_name', 'p'.repeat(256)],
    ];
    for (const [field, value] of BAD_VALUES) {
      test(`207 for ${field}=${JSON.stringify(value).slice(0, 40)}`, async () => {
        const body = signed(transactionFields(gw.merchant, { [field]: value }), gw.merchant.api_key);
        await assertRejectedWithoutChange(gw, () => postTransaction(gw, body), 207, field);
      });
    }

    for (const field of ['user_id', 'wallet_id', 'merchant_reference', 'product_name', 'source']) {
      test(`207 for a NUL character in ${field} (PostgreSQL text cannot hold it)`, async () => {
        const body = signed(transactionFields(gw.merchant, { [field]: 'a\u0000b' }), gw.merchant.api_key);
        await assertRejectedWithoutChange(gw, () => postTransaction(gw, body), 207, field);
      });
    }

    test('207 for a nested object value, naming the field', async () => {
      const body = { ...signed(transactionFields(gw.merchant), gw.merchant.api_key), product_name: { en: 'wine' } };
      await assertRejectedWithoutChange(
        gw,
        () => gw.app.inject({ method: 'POST', url: '/v2/transaction', payload: body as unknown as Record<string, string> }),
        207,
        'product_name',
      );
    });

    test('207 for an array value, naming the field', async () => {
      const body = { ...signed(transactionFields(gw.merchant), gw.merchant.api_key), amount: ['120.00'] };
      await assertRejectedWithoutChange(
        gw,
        () => gw.app.inject({ method: 'POST', url: '/v2/transaction', payload: body as unknown as Record<string, string> }),
        207,
        'amount',
      );
    });

    test('207 for malformed JSON, saying the body is not valid JSON', async () => {
      await assertRejectedWithoutChange(
        gw,
        () =>
          gw.app.inject({
            method: 'POST',
            url: '/v2/transaction',
            headers: { 'content-type': 'application/json' },
            payload: '{"user_id": "U1", ',
          }),
        207,
        'JSON',
      );
    });

    test('207 for malformed JSON sent without a content type', async () => {
      await assertRejectedWithoutChange(
        gw,
        () => gw.app.inject({ method: 'POST', url: '/v2/transaction', payload: '{"user_id": ' }),
        207,
        'JSON',
      );
    });

    test('207 for a JSON array body', async () => {
      const body = [signed(transactionFields(gw.merchant), gw.merchant.api_key)];
      await assertRejectedWithoutChange(
        gw,
        () =>
          gw.app.inject({
            method: 'POST',
            url: '/v2/transaction',
            headers: { 'content-type': 'application/json' },
            payload: JSON.stringify(body),
          }),
        207,
      );
    });

    test('a JSON scalar body answers an error code, not a crash', async () => {
      for (const payload of ['"text"', '42', 'null', 'true']) {
        const before = await countOrders(gw);
        const response = await gw.app.inject({
          method: 'POST',
          url: '/v2/transaction',
          headers: { 'content-type': 'application/json' },
          payload,
        });
        assert.equal(response.statusCode, 200, `${payload}: ${response.body}`);
        const answer = answerOf(response);
        assert.ok(Number.isInteger(answer.code) && answer.code !== 0, `${payload}: ${response.body}`);
        assert.equal(await countOrders(gw), before);
      }
    });

    test('303 for an unknown payment method', async () => {
      const body = signed(transactionFields(gw.merchant, { payment_method: 'bitcoin' }), gw.merchant.api_key);
      await assertRejectedWithoutChange(gw, () => postTransaction(gw, body), 303, 'payment_method');
    });

    test('450 for a wallet of another merchant', async () => {
      const other = await gw.addMerchant({ name: 'Other Shop' });
      const body = signed(transactionFields(gw.merchant, { wallet_id: other.wallet_id }), gw.merchant.api_key);
      await assertRejectedWithoutChange(gw, () => postTransaction(gw, body), 450, 'wallet_id');
    });

    test('450 for an unknown wallet', async () => {
      const body = signed(transactionFields(gw.merchant, { wallet_id: 'W99999999' }), gw.merchant.api_key);
      await assertRejectedWithoutChange(gw, () => postTransaction(gw, body), 450, 'wallet_id');
    });

    test('304 for a payment method the wallet does not enable', async () => {
      const alipayOnly = await gw.addMerchant({ name: 'Alipay Shop', methods: ['alipay'] });
      const body = signed(transactionFields(alipayOnly, { payment_method: 'wechat' }), alipayOnly.api_key);
      await assertRejectedWithoutChange(gw, () => postTransaction(gw, body), 304, 'wechat');
      // The same merchant can take alipay.
      assertCreated(await postTransaction(gw, signed(transactionFields(alipayOnly), alipayOnly.api_key)), alipayOnly.api_key);
    });

    test('454 over the single-payment limit; the limit itself is accepted', async () => {
      const limited = await gw.addMerchant({ name: 'Limited Shop', limit: '100' });
      const over = signed(transactionFields(limited, { amount: '100.01' }), limited.api_key);
      await assertRejectedWithoutChange(gw, () => postTransaction(gw, over), 454);
      const far = signed(transactionFields(limited, { amount: '120.00' }), limited.api_key);
      await assertRejectedWithoutChange(gw, () => postTransaction(gw, far), 454);
      const at = signed(transactionFields(limited, { amount: '100.00' }), limited.api_key);
      assertCreated(await postTransaction(gw, at), limited.api_key);
    });

    test('HTTP 413 for a body larger than 64 KiB', async () => {
      const body = signed(transactionFields(gw.merchant, { product_name: 'x'.repeat(65 * 1024) }), gw.merchant.api_key);
      const before = await ordersSnapshot(gw);
      const response = await postTransaction(gw, body);
      assert.equal(response.statusCode, 413);
      assert.ok(Number.isInteger(answerOf(response).code));
      assert.equal(await ordersSnapshot(gw), before);
    });
  });

  describe('re-using a merchant_reference', () => {
    test('an identical request on a pending order answers a fresh nonce for the same order', async () => {
      const first = await createOrder(gw);
      const before = await countOrders(gw);
      const again = signed(first.fields, gw.merchant.api_key);
      const nonce = assertCreated(await postTransaction(gw, again), gw.merchant.api_key);
      assert.notEqual(nonce, first.nonce);
      assert.equal(await countOrders(gw), before);
      const rows = await gw.store.db
        .selectFrom('orders')
        .selectAll()
        .where('user_id', '=', gw.merchant.user_id)
        .where('merchant_reference', '=', first.reference)
        .execute();
      assert.equal(rows.length, 1);
      assert.equal(rows[0].order_id, first.orderId);
      assert.equal(rows[0].nonce, nonce);
      assert.equal(rows[0].status, 'pending');
    });

    test('the same new checkout sent several times at once makes one order, and every answer names it', async () => {
      const fields = signed(transactionFields(gw.merchant, { merchant_reference: `burst-${Date.now()}` }), gw.merchant.api_key);
      const before = await countOrders(gw);
      const answers = (await Promise.all(Array.from({ length: 6 }, () => postTransaction(gw, fields)))).map(answerOf);
      assert.deepEqual(answers.map((a) => a.code), [0, 0, 0, 0, 0, 0], JSON.stringify(answers));
      assert.equal(await countOrders(gw), before + 1);
    });

    test('the page of the earlier nonce moves on to the current one (also after two retries at once); its status still answers', async () => {
      const first = await createOrder(gw);
      const again = signed(first.fields, gw.merchant.api_key);
      const [a, b] = await Promise.all([postTransaction(gw, again), postTransaction(gw, again)]);
      const nonces = [assertCreated(a, gw.merchant.api_key), assertCreated(b, gw.merchant.api_key)];
      const current = (await findOrder(gw, gw.merchant.user_id, first.reference))?.nonce;
      assert.ok(current && nonces.includes(current));
      for (const earlier of [first.nonce, ...nonces.filter((n) => n !== current)]) {
        const page = await gw.app.inject({ method: 'GET', url: `/pay/${earlier}?lang=zh` });
        assert.equal(page.statusCode, 302, earlier);
        assert.equal(page.headers.location, `/pay/${current}?lang=zh`);
        const status = await gw.app.inject({ method: 'GET', url: `/pay/${earlier}/status` });
        assert.deepEqual(status.json(), { status: 'pending' });
      }
      assert.equal((await gw.app.inject({ method: 'GET', url: `/pay/${current}` })).statusCode, 200);
      assert.equal((await gw.app.inject({ method: 'GET', url: `/pay/${'0'.repeat(64)}` })).statusCode, 404);
    });

    test('a retry from another customer ip, signed in another form, is still the same checkout', async () => {
      const first = await createOrder(gw);
      const f: Record<string, ParamValue> = { ...first.fields, ip: '10.0.0.1' };
      const legacy = `${f.user_id}${f.wallet_id}${f.amount}${f.payment_method}${f.return_url}${f.callback_url}`;
      assertCreated(await postTransaction(gw, { ...f, signature: hmac(gw.merchant.api_key, legacy) }), gw.merchant.api_key);
      const order = await findOrder(gw, gw.merchant.user_id, first.reference);
      assert.equal(order?.order_id, first.orderId);
    });

    test('a different amount answers 207 and changes nothing', async () => {
      const first = await createOrder(gw);
      const body = signed({ ...first.fields, amount: '121.00' }, gw.merchant.api_key);
      await assertRejectedWithoutChange(gw, () => postTransaction(gw, body), 207, 'merchant_reference');
      const order = await findOrder(gw, gw.merchant.user_id, first.reference);
      assert.equal(order?.nonce, first.nonce, 'the old nonce stays valid');
      assert.equal(Number(order?.amount_minor), 12000);
    });

    test('different other parameters (product_name, callback_url, payment_method) answer 207', async () => {
      const first = await createOrder(gw);
      for (const change of [
        { product_name: 'Something else' },
        { callback_url: 'https://merchant.example/other' },
        { payment_method: 'wechat' },
      ]) {
        const body = signed({ ...first.fields, ...change }, gw.merchant.api_key);
        await assertRejectedWithoutChange(gw, () => postTransaction(gw, body), 207, 'merchant_reference');
      }
    });

    test('an order that is no longer pending answers an error and changes nothing', async () => {
      const first = await createOrder(gw);
      const settled = await settleOrder(gw, first.orderId, 'paid');
      assert.equal(answerOf(settled).code, 0, settled.body);
      const body = signed(first.fields, gw.merchant.api_key);
      await assertRejectedWithoutChange(gw, () => postTransaction(gw, body), 207, 'merchant_reference');
      const order = await findOrder(gw, gw.merchant.user_id, first.reference);
      assert.equal(order?.status, 'paid');
      assert.equal(order?.nonce, first.nonce);
    });

    test('a failed order is not reopened either', async () => {
      const first = await createOrder(gw);
      assert.equal(answerOf(await settleOrder(gw, first.orderId, 'failed')).code, 0);
      await assertRejectedWithoutChange(gw, () => postTransaction(gw, signed(first.fields, gw.merchant.api_key)), 207, 'merchant_reference');
    });

    test('the same merchant_reference is independent between users', async () => {
      const first = await createOrder(gw);
      const other = await gw.addMerchant({ name: 'Second Shop' });
      const body = signed(transactionFields(other, { merchant_reference: first.reference }), other.api_key);
      const before = await countOrders(gw);
      assertCreated(await postTransaction(gw, body), other.api_key);
      assert.equal(await countOrders(gw), before + 1);
    });
  });
});
