import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  hmacSha256Hex,
  Latipay,
  LatipayConnectionError,
  LatipayError,
  LatipayHttpError,
  LatipaySignatureError,
  signParams,
  signResult,
  type FetchLike,
  type LatipayOptions,
} from '../../sdk/src/index.js';
import { backoffMs } from '../../sdk/src/transport.js';

// The client's behaviour with a fake fetch: which calls are retried (idempotent GETs
// only), the time budget, Latipay's error codes, and answers whose signature is wrong.

const KEY = 'k3y-for-tests';
const HOST_URL = 'https://pay.example/pay';
const NONCE = 'c'.repeat(64);
const RESULT = { merchant_reference: 'order-1', payment_method: 'alipay', status: 'paid', currency: 'NZD', amount: '12.50' };

type Reply = Response | Error | 'hang';

/** A fetch that answers each call with the next scripted reply (the last one repeats), and counts calls. */
function scriptedFetch(...replies: Array<Reply | (() => Reply)>) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const fetch: FetchLike = (url, init) => {
    calls.push({ url, init });
    const next = replies[Math.min(calls.length - 1, replies.length - 1)];
    const reply = typeof next === 'function' ? next() : next;
    if (reply === 'hang') {
      return new Promise((_, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason), { once: true }));
    }
    return reply instanceof Error ? Promise.reject(reply) : Promise.resolve(reply);
  };
  return { fetch, calls };
}

const json = (body: object, status = 200) => () => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const unavailable = () => new Response('<html>502 Bad Gateway</html>', { status: 503 });
const refused = () => new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }) });

const queryAnswer = { code: 0, message: 'SUCCESS', ...RESULT, order_id: '2026000001', pay_time: '2026-01-01 10:00:00', signature: hmacSha256Hex(KEY, 'order-1alipaypaidNZD12.50') };
const createAnswer = { code: 0, message: 'SUCCESS', host_url: HOST_URL, nonce: NONCE, signature: hmacSha256Hex(KEY, NONCE + HOST_URL) };

function client(fetch: FetchLike, options: Partial<LatipayOptions> = {}): Latipay {
  return new Latipay({ userId: 'U000000001', walletId: 'W000000001', apiKey: KEY, baseUrl: 'https://api.example/', fetch, retries: 2, retryDelayMs: 1, ...options });
}

const CREATE = {
  amount: '12.50',
  payment_method: 'alipay' as const,
  merchant_reference: 'order-1',
  product_name: 'Flat white',
  return_url: 'https://shop.example/return',
  callback_url: 'https://shop.example/callback',
  ip: '127.0.0.1',
};

/** The calls that may have been carried out even when the answer was lost: never retried. */
const NON_IDEMPOTENT: Array<[string, (latipay: Latipay) => Promise<unknown>]> = [
  ['createTransaction', (l) => l.createTransaction(CREATE)],
  ['refund', (l) => l.refund({ order_id: '2026000001', refund_amount: '1.00' })],
  ['cancel', (l) => l.cancel('order-1')],
  ['barcode', (l) => l.barcode({ amount: '1.00', pay_code: '280000000000000001' })],
];

describe('retries', () => {
  test('a query is retried after HTTP 5xx and connection errors, then answers', async () => {
    const gateway = scriptedFetch(unavailable, refused, json(queryAnswer));
    const result = await client(gateway.fetch).queryTransaction('order-1');
    assert.equal(result.status, 'paid');
    assert.equal(gateway.calls.length, 3);
  });

  test('every GET endpoint is retried', async () => {
    const rates = { code: 0, message: 'SUCCESS', currency: 'NZD', rates: [], signature: signParams({ currency: 'NZD' }, KEY) };
    const detail = { code: 0, message: 'SUCCESS', payment_method: 'Alipay,Wechat' };
    const dataFields = { order_id: '1', nonce: NONCE, organisation_id: 7, amount: '1.00' };
    const data = { code: 0, message: 'SUCCESS', data: { ...dataFields, signature: signParams(dataFields, KEY) } };
    for (const [answer, call] of [
      [detail, (l: Latipay) => l.walletDetail()],
      [rates, (l: Latipay) => l.rates()],
      [data, (l: Latipay) => l.gatewayData(NONCE)],
    ] as const) {
      const gateway = scriptedFetch(unavailable, json(answer));
      await call(client(gateway.fetch));
      assert.equal(gateway.calls.length, 2);
      assert.equal(gateway.calls[0].init.method, 'GET');
    }
  });

  test('gives up after `retries` further attempts with the last failure', async () => {
    const http = scriptedFetch(unavailable);
    await assert.rejects(client(http.fetch, { retries: 3 }).queryTransaction('order-1'), (error: unknown) => error instanceof LatipayHttpError && error.status === 503);
    assert.equal(http.calls.length, 4);

    const connection = scriptedFetch(refused);
    await assert.rejects(client(connection.fetch).walletDetail(), (error: unknown) => {
      assert.ok(error instanceof LatipayConnectionError);
      assert.equal(error.timedOut, false);
      assert.match(error.message, /ECONNREFUSED/);
      return true;
    });
    assert.equal(connection.calls.length, 3);
  });

  test('retries: 0 makes one attempt', async () => {
    const gateway = scriptedFetch(unavailable);
    await assert.rejects(client(gateway.fetch, { retries: 0 }).queryTransaction('order-1'), LatipayHttpError);
    assert.equal(gateway.calls.length, 1);
  });

  for (const [name, call] of NON_IDEMPOTENT) {
    test(`${name} is not retried after HTTP 5xx nor after a connection error`, async () => {
      const http = scriptedFetch(unavailable, json({ code: 0, message: 'SUCCESS' }));
      await assert.rejects(call(client(http.fetch)), (error: unknown) => error instanceof LatipayHttpError && error.status === 503);
      assert.equal(http.calls.length, 1);
      assert.equal(http.calls[0].init.method, 'POST');

      const connection = scriptedFetch(refused, json({ code: 0, message: 'SUCCESS' }));
      await assert.rejects(call(client(connection.fetch)), LatipayConnectionError);
      assert.equal(connection.calls.length, 1);
    });
  }

  test('a 4xx answer and a Latipay error code are not retried, even for a GET', async () => {
    const tooLarge = scriptedFetch(() => new Response('too large', { status: 413 }), json(queryAnswer));
    await assert.rejects(client(tooLarge.fetch).queryTransaction('order-1'), (error: unknown) => error instanceof LatipayHttpError && error.status === 413);
    assert.equal(tooLarge.calls.length, 1);

    const notFound = scriptedFetch(json({ code: 201, message: 'order does not exist' }), json(queryAnswer));
    await assert.rejects(client(notFound.fetch).queryTransaction('order-1'), (error: unknown) => error instanceof LatipayError && error.code === 201);
    assert.equal(notFound.calls.length, 1);
  });

  test('backoff grows exponentially up to its ceiling, with full jitter', () => {
    const settings = { retryDelayMs: 100, maxRetryDelayMs: 1_000 };
    const top = (attempt: number) => backoffMs({ ...settings, random: () => 0.999999 }, attempt);
    assert.deepEqual([1, 2, 3, 4, 5, 6].map(top), [99, 199, 399, 799, 999, 999]);
    assert.equal(backoffMs({ ...settings, random: () => 0 }, 3), 0);
    assert.equal(backoffMs({ ...settings, random: () => 0.5 }, 3), 200);
  });
});

describe('time budget and cancellation', () => {
  test('a call that gets no answer fails as timed out', async () => {
    const gateway = scriptedFetch('hang');
    await assert.rejects(client(gateway.fetch, { timeoutMs: 50 }).createTransaction(CREATE), (error: unknown) => {
      assert.ok(error instanceof LatipayConnectionError);
      assert.equal(error.timedOut, true);
      return true;
    });
  });

  test('the budget covers retries and their pauses: a GET failing forever stops when it runs out', async () => {
    const gateway = scriptedFetch(refused);
    const latipay = client(gateway.fetch, { timeoutMs: 80, retries: 1_000, retryDelayMs: 20 });
    await assert.rejects(latipay.walletDetail(), (error: unknown) => error instanceof LatipayConnectionError && error.timedOut);
    assert.ok(gateway.calls.length < 1_000, `stopped after ${gateway.calls.length} attempts`);
  });

  test('a per-call timeoutMs overrides the client default', async () => {
    const gateway = scriptedFetch('hang');
    await assert.rejects(client(gateway.fetch, { timeoutMs: 60_000 }).queryTransaction('order-1', { timeoutMs: 30 }), (error: unknown) => error instanceof LatipayConnectionError && error.timedOut);
  });

  test("the caller's abort signal ends the call with the caller's reason", async () => {
    const gateway = scriptedFetch('hang');
    const controller = new AbortController();
    const call = client(gateway.fetch).queryTransaction('order-1', { signal: controller.signal });
    controller.abort(new Error('customer left'));
    await assert.rejects(call, /customer left/);
  });
});

describe('answers', () => {
  test('code !== 0 throws LatipayError carrying the code and the answer', async () => {
    const gateway = scriptedFetch(json({ code: 206, message: 'signature from merchant request is wrong' }));
    await assert.rejects(client(gateway.fetch).createTransaction(CREATE), (error: unknown) => {
      assert.ok(error instanceof LatipayError);
      assert.equal(error.code, 206);
      assert.equal(error.response.message, 'signature from merchant request is wrong');
      return true;
    });
  });

  test('an answer that is not a JSON object, or has no integer code, is an HTTP error', async () => {
    for (const body of ['<html>maintenance</html>', '[1,2]', '{"message":"SUCCESS"}', '{"code":"0"}']) {
      const gateway = scriptedFetch(() => new Response(body, { status: 200 }));
      await assert.rejects(client(gateway.fetch).cancel('order-1'), LatipayHttpError, body);
    }
  });

  test('createTransaction refuses an answer not signed with the api_key (nonce + host_url)', async () => {
    const forged = [
      { ...createAnswer, host_url: 'https://evil.example/pay' },
      { ...createAnswer, nonce: 'd'.repeat(64) },
      { ...createAnswer, signature: hmacSha256Hex('another key', NONCE + HOST_URL) },
      { code: 0, message: 'SUCCESS', host_url: HOST_URL, nonce: NONCE },
    ];
    for (const answer of forged) {
      await assert.rejects(client(scriptedFetch(json(answer)).fetch).createTransaction(CREATE), LatipaySignatureError);
    }
    const created = await client(scriptedFetch(json(createAnswer)).fetch).createTransaction(CREATE);
    assert.equal(created.payment_url, `${HOST_URL}/${NONCE}`);
  });

  test('queryTransaction refuses an answer whose signed fields were altered', async () => {
    for (const change of [{ status: 'pending' }, { amount: '1250.00' }, { merchant_reference: 'order-2' }, { signature: 'f'.repeat(64) }]) {
      await assert.rejects(client(scriptedFetch(json({ ...queryAnswer, ...change })).fetch).queryTransaction('order-1'), LatipaySignatureError);
    }
    const result = await client(scriptedFetch(json(queryAnswer)).fetch).queryTransaction('order-1');
    assert.deepEqual(result, { ...RESULT, order_id: '2026000001', pay_time: '2026-01-01 10:00:00', signature: queryAnswer.signature, paid: true });
  });

  test('queryTransaction refuses a genuine answer about another order', async () => {
    await assert.rejects(client(scriptedFetch(json(queryAnswer)).fetch).queryTransaction('order-2'), LatipaySignatureError);
  });

  test('gatewayData and rates refuse answers whose signed fields were altered', async () => {
    const fields = { order_id: '1', nonce: NONCE, organisation_id: 7, amount: '1.00', qr_code_url: 'https://pay.example/sandbox/wallet/T1', currency_rate: '' };
    const data = { ...fields, signature: signParams(fields, KEY) };
    const ok = await client(scriptedFetch(json({ code: 0, message: 'SUCCESS', data })).fetch).gatewayData(NONCE);
    assert.equal(ok.qr_code_url, fields.qr_code_url);
    await assert.rejects(
      client(scriptedFetch(json({ code: 0, message: 'SUCCESS', data: { ...data, qr_code_url: 'https://evil.example/qr' } })).fetch).gatewayData(NONCE),
      LatipaySignatureError,
    );
    await assert.rejects(client(scriptedFetch(json({ code: 0, message: 'SUCCESS', data: { ...data, organisation_id: 8 } })).fetch).gatewayData(NONCE), LatipaySignatureError);
    await assert.rejects(client(scriptedFetch(json({ code: 0, message: 'SUCCESS', data })).fetch).gatewayData('e'.repeat(64)), LatipaySignatureError);

    // During a key rotation's grace period the gateway signs gatewaydata with the old key.
    const byOldKey = { ...fields, signature: signParams(fields, 'the-old-key') };
    const rotated = await client(scriptedFetch(json({ code: 0, message: 'SUCCESS', data: byOldKey })).fetch, { previousApiKey: 'the-old-key' }).gatewayData(NONCE);
    assert.equal(rotated.signature, byOldKey.signature);
    await assert.rejects(client(scriptedFetch(json({ code: 0, message: 'SUCCESS', data: byOldKey })).fetch).gatewayData(NONCE), LatipaySignatureError);

    const rates = [{ currency: 'CNY', rate: '4.6449', updated_at: '2026-01-01 00:00:00' }];
    const signature = signParams({ currency: 'NZD', rates: 'CNY:4.6449' }, KEY);
    const answer = { code: 0, message: 'SUCCESS', currency: 'NZD', rates, signature };
    assert.deepEqual((await client(scriptedFetch(json(answer)).fetch).rates()).rates, rates);
    await assert.rejects(
      client(scriptedFetch(json({ ...answer, rates: [{ ...rates[0], rate: '5.0000' }] })).fetch).rates(),
      LatipaySignatureError,
    );
  });
});

describe('requests', () => {
  test('a long-poll asks with is_block=1 and the reference is escaped in the path', async () => {
    const fields = { ...RESULT, merchant_reference: 'order 1/x' };
    const gateway = scriptedFetch(json({ ...queryAnswer, ...fields, signature: signResult(fields, KEY) }));
    const result = await client(gateway.fetch).queryTransaction('order 1/x', { block: true });
    assert.equal(result.merchant_reference, 'order 1/x');
    const url = new URL(gateway.calls[0].url);
    assert.equal(url.pathname, '/v2/transaction/order%201%2Fx');
    assert.equal(url.searchParams.get('is_block'), '1');
    assert.equal(url.searchParams.get('user_id'), 'U000000001');
    assert.equal(url.searchParams.get('signature'), signParams({ merchant_reference: 'order 1/x', user_id: 'U000000001' }, KEY));
  });

  test('amounts are sent as two-decimal text; a float with more decimals is refused before sending', async () => {
    const gateway = scriptedFetch(json(createAnswer));
    await client(gateway.fetch).createTransaction({ ...CREATE, amount: 12.5 });
    assert.equal(JSON.parse(String(gateway.calls[0].init.body)).amount, '12.50');
    await assert.rejects(client(gateway.fetch).createTransaction({ ...CREATE, amount: 0.1 + 0.2 }), TypeError);
    assert.equal(gateway.calls.length, 1);
  });

  test('extra fields are signed and sent; walletDetail names methods as the wire does', async () => {
    const gateway = scriptedFetch(json(createAnswer), json({ code: 0, message: 'SUCCESS', payment_method: 'Alipay,Wechat,UPI_UPOP,Unknown' }));
    const latipay = client(gateway.fetch);
    await latipay.createTransaction({ ...CREATE, extra: { source: 'ios' } });
    const body = JSON.parse(String(gateway.calls[0].init.body)) as Record<string, string>;
    assert.equal(body.source, 'ios');
    assert.equal(body.signature, signParams(body, KEY));
    const detail = await latipay.walletDetail();
    assert.deepEqual(detail.payment_methods, ['alipay', 'wechat', 'upi_upop']);
    const detailUrl = new URL(gateway.calls[1].url);
    assert.equal(detailUrl.pathname, '/v2/detail/W000000001');
    assert.equal(detailUrl.searchParams.get('signature'), signParams({ wallet_id: 'W000000001', user_id: 'U000000001' }, KEY));
  });

  test('the constructor refuses missing credentials', () => {
    assert.throws(() => new Latipay({ userId: 'U1', walletId: 'W1', apiKey: '', baseUrl: 'http://x' }), TypeError);
  });
});

