import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { createTestGateway, signed, type TestGateway } from '../helpers/gateway.js';
import { createOrder } from './support.js';

/**
 * Whatever a client sends, the gateway answers without a server error, and the merchant
 * API answers JSON with an integer `code` (spec §1: clients parse every answer).
 */

const RUNS = 200;

const KNOWN_FIELDS = [
  'user_id',
  'wallet_id',
  'amount',
  'payment_method',
  'return_url',
  'callback_url',
  'merchant_reference',
  'ip',
  'version',
  'product_name',
  'signature',
  'backPage_url',
  'present_qr',
  'host_type',
  'is_block',
  'outcome',
  '__proto__',
  'constructor',
  'toString',
];

const CONTENT_TYPES = [
  undefined,
  'application/json',
  'application/json; charset=UTF-8',
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-8',
  'text/plain',
  'text/html',
  'application/xml',
  'multipart/form-data; boundary=xyz',
  'application/octet-stream',
  'application/json; charset=latin1',
  '*/*',
  'garbage',
];

/** Text that exercises parsers: unicode, control characters, URL and JSON punctuation. */
const tricky = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('%', '&', '=', '+', '?', '#', '/', '\\', '"', '{', '}', '[', ']', ' ', '\u0000', '\n', 'é', '1', '.', '-', 'e', 'a'), maxLength: 30 }),
  fc.constantFrom('', '0', '-1', '1e3', '12.345', 'NaN', 'Infinity', '2.0', 'alipay', 'wechat', 'http://x', '122.122.122.1', 'null', 'true'),
);

const scalar = fc.oneof(
  tricky,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(1e21, -0, Number.MAX_SAFE_INTEGER + 2, 0.1 + 0.2),
);

const value = fc.oneof({ weight: 4, arbitrary: scalar }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });

const knownFieldObject = fc.dictionary(fc.constantFrom(...KNOWN_FIELDS), value, { maxKeys: 14 });

/** A request body: the payload as sent and the content type it is sent with. */
const body = fc.oneof(
  fc.record({ payload: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'), contentType: fc.constant<string | undefined>('application/json') }),
  fc.record({ payload: knownFieldObject.map((o) => JSON.stringify(o)), contentType: fc.constantFrom(...CONTENT_TYPES) }),
  fc.record({
    payload: knownFieldObject.map((o) => new URLSearchParams(Object.entries(o).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v) ?? ''])).toString()),
    contentType: fc.constantFrom(...CONTENT_TYPES),
  }),
  fc.record({ payload: fc.oneof(tricky, fc.string({ unit: 'binary', maxLength: 200 })), contentType: fc.constantFrom(...CONTENT_TYPES) }),
);

/** A path segment as a client might put it in a URL: encoded, raw, or broken. */
const segment = fc.oneof(
  tricky.map((s) => encodeURIComponent(s)),
  fc.string({ unit: fc.constantFrom('a', '0', 'f', '%', '+', '.', '-', '_', '~', '!', '$', "'", '(', '*', ',', ';', ':', '@'), maxLength: 70 }),
  fc.constantFrom('%', '%zz', '%C3', '%00', '..', '.', '%2F', '%2e%2e', 'a'.repeat(1100)),
);

const queryString = fc.oneof(
  fc.array(fc.tuple(fc.constantFrom(...KNOWN_FIELDS, 'lang'), tricky), { maxLength: 6 }).map((pairs) => new URLSearchParams(pairs).toString()),
  fc.string({ unit: fc.constantFrom('a', '=', '&', '%', '+', '[', ']', '.', '1', 'user_id', 'signature', 'is_block'), maxLength: 40 }),
);

function assertNoServerError(response: LightMyRequestResponse, what: string): void {
  assert.ok(response.statusCode < 500, `${what} → ${response.statusCode} ${response.body.slice(0, 200)}`);
}

function assertLatipayJson(response: LightMyRequestResponse, what: string): void {
  assertNoServerError(response, what);
  assert.match(String(response.headers['content-type']), /^application\/json/, `${what} answers JSON`);
  let parsed: unknown;
  assert.doesNotThrow(() => {
    parsed = JSON.parse(response.body);
  }, `${what} answers parseable JSON: ${response.body.slice(0, 200)}`);
  const code = (parsed as { code?: unknown }).code;
  assert.ok(Number.isInteger(code), `${what} answers an integer code: ${response.body.slice(0, 200)}`);
}

describe('requests the router cannot read', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(async () => {
    await gw.close();
  });

  test('a path that is not valid percent-encoding answers 400 with an integer code', async () => {
    for (const [method, url] of [
      ['GET', '/v2/transaction/%zz?user_id=U1&signature=x'],
      ['GET', '/v2/transaction/%C3'],
      ['POST', '/sandbox/orders/%zz'],
    ] as const) {
      const response = await gw.app.inject({ method, url, payload: method === 'POST' ? { outcome: 'paid' } : undefined });
      assert.equal(response.statusCode, 400, url);
      assert.deepEqual(Object.keys(response.json() as object).sort(), ['code', 'message']);
      assert.equal((response.json() as { code: unknown }).code, 207, url);
    }
  });

  test('a browser gets an HTML page for a bad payment-page URL', async () => {
    const response = await gw.app.inject({ method: 'GET', url: '/pay/%zz', headers: { accept: 'text/html' } });
    assert.equal(response.statusCode, 400);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    assert.ok(response.body.includes('data-test="message-title">Bad request<'));
  });

  test('an over-long path parameter answers 414 with an integer code', async () => {
    const response = await gw.app.inject({ method: 'GET', url: `/v2/transaction/${'a'.repeat(1100)}?user_id=U1&signature=x` });
    assert.equal(response.statusCode, 414);
    assert.equal((response.json() as { code: unknown }).code, 207);
  });
});

describe('no request makes the gateway answer 5xx', () => {
  let gw: TestGateway;
  let nonce: string;
  let reference: string;
  before(async () => {
    gw = await createTestGateway();
    // A real order, so some random requests reach past the lookups.
    const order = await createOrder(gw);
    nonce = order.nonce;
    reference = order.reference;
  });
  after(async () => {
    await gw.close();
  });

  test('POST /v2/transaction with random bodies and content types', async () => {
    await fc.assert(
      fc.asyncProperty(body, fc.boolean(), async ({ payload, contentType }, trailingSlash) => {
        const response = await gw.app.inject({
          method: 'POST',
          url: trailingSlash ? '/v2/transaction/' : '/v2/transaction',
          headers: contentType === undefined ? {} : { 'content-type': contentType },
          payload,
        });
        assertLatipayJson(response, `POST ${contentType} ${payload.slice(0, 80)}`);
      }),
      { numRuns: RUNS },
    );
  });

  test('POST /v2/transaction with random known fields, signed correctly', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom(...KNOWN_FIELDS.filter((k) => k !== 'signature')), scalar, { maxKeys: 14 }), async (fields) => {
        const base = { user_id: gw.merchant.user_id, wallet_id: gw.merchant.wallet_id, ...fields };
        const response = await gw.app.inject({ method: 'POST', url: '/v2/transaction', payload: signed(base, gw.merchant.api_key) });
        assertLatipayJson(response, `POST signed ${JSON.stringify(base).slice(0, 120)}`);
      }),
      { numRuns: RUNS },
    );
  });

  test('GET /v2/transaction/{random} with random query strings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(segment, fc.constant(encodeURIComponent(reference))), queryString, async (ref, query) => {
        const url = `/v2/transaction/${ref}?${query}`;
        assertLatipayJson(await gw.app.inject({ method: 'GET', url }), `GET ${url}`);
      }),
      { numRuns: RUNS },
    );
  });

  test('GET /v2/transaction/{reference} with user_id and random signatures and is_block', async () => {
    await fc.assert(
      fc.asyncProperty(tricky, fc.option(tricky), async (signature, isBlock) => {
        const params = new URLSearchParams({ user_id: gw.merchant.user_id, signature });
        if (isBlock !== null) params.set('is_block', isBlock);
        const url = `/v2/transaction/${encodeURIComponent(reference)}?${params.toString()}`;
        assertLatipayJson(await gw.app.inject({ method: 'GET', url }), `GET ${url}`);
      }),
      { numRuns: RUNS },
    );
  });

  test('GET random paths under /pay/', async () => {
    const suffix = fc.constantFrom('', '/result', '/status', '/events', '/', '/x', '/result/');
    await fc.assert(
      fc.asyncProperty(fc.oneof(segment, fc.constant(nonce)), suffix, fc.option(queryString), fc.constantFrom(undefined, 'text/html', 'application/json'), async (seg, tail, query, accept) => {
        // The events stream of a pending order stays open: its behaviour is covered in payment-page.test.ts.
        if (seg === nonce && tail === '/events') return;
        const url = `/pay/${seg}${tail}${query === null ? '' : `?${query}`}`;
        const response = await gw.app.inject({ method: 'GET', url, headers: accept ? { accept } : {} });
        assertNoServerError(response, `GET ${url}`);
        // Browsers get pages; a JSON answer, when there is one, is never fastify's own shape.
        if (/^application\/json/.test(String(response.headers['content-type']))) {
          const parsed = response.json() as { code?: unknown; status?: unknown };
          assert.ok(Number.isInteger(parsed.code) || typeof parsed.status === 'string', `GET ${url}: ${response.body.slice(0, 200)}`);
        }
      }),
      { numRuns: RUNS },
    );
  });

  test('POST /sandbox/orders/{random} with random bodies', async () => {
    await fc.assert(
      fc.asyncProperty(segment, body, async (id, { payload, contentType }) => {
        const url = `/sandbox/orders/${id}`;
        const response = await gw.app.inject({
          method: 'POST',
          url,
          headers: contentType === undefined ? {} : { 'content-type': contentType },
          payload,
        });
        assertLatipayJson(response, `POST ${url}`);
      }),
      { numRuns: RUNS },
    );
  });

  test('POST /channels/sandbox/notify with random bodies', async () => {
    const notification = fc.record(
      {
        event_id: tricky,
        trade_no: tricky,
        out_trade_no: tricky,
        trade_status: fc.constantFrom('TRADE_SUCCESS', 'TRADE_CLOSED', 'WAIT_BUYER_PAY', ''),
        total_amount: scalar,
        currency: tricky,
        gmt_payment: scalar,
        sign: tricky,
      },
      { requiredKeys: [] },
    );
    const notifyBody = fc.oneof(body, notification.map((n) => ({ payload: JSON.stringify(n), contentType: 'application/json' as string | undefined })));
    await fc.assert(
      fc.asyncProperty(notifyBody, async ({ payload, contentType }) => {
        const response = await gw.app.inject({
          method: 'POST',
          url: '/channels/sandbox/notify',
          headers: contentType === undefined ? {} : { 'content-type': contentType },
          payload,
        });
        assertNoServerError(response, `notify ${payload.slice(0, 80)}`);
        assert.ok(response.statusCode === 200 || response.statusCode === 400 || response.statusCode === 413, String(response.statusCode));
      }),
      { numRuns: RUNS },
    );
  });
});
