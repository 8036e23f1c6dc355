import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import Fastify from 'fastify';
import {
  createCallbackHandler,
  expressCallbackHandler,
  fastifyCallbackHandler,
  Latipay,
  LatipaySignatureError,
  verifyCallbackFields,
  verifyWebhookHeaders,
  type CallbackEvent,
} from '../../sdk/src/index.js';

// The SDK's check of the Standard Webhooks headers. The callbacks are signed here, from the
// spec's words and node:crypto alone: `v1,` + base64(HMAC-SHA256(api_key bytes,
// id + "." + timestamp + "." + body)); Latipay's field signature is the hex HMAC of
// merchant_reference + payment_method + status + currency + amount.

const KEY = 'webhook-test-key';
const OLD_KEY = 'the-key-being-replaced';

function fieldSignature(key: string, f: Record<string, string>): string {
  return createHmac('sha256', key).update(f.merchant_reference + f.payment_method + f.status + f.currency + f.amount).digest('hex');
}

function callbackBody(key = KEY, reference = 'order-7'): string {
  const fields = { merchant_reference: reference, order_id: '2026000007', currency: 'NZD', amount: '8.00', payment_method: 'alipay', status: 'paid', pay_time: '2026-01-02 03:04:05' };
  return new URLSearchParams({ ...fields, signature: fieldSignature(key, fields) }).toString();
}

function v1(key: string, id: string, timestamp: number, body: string): string {
  return 'v1,' + createHmac('sha256', Buffer.from(key, 'utf8')).update(`${id}.${timestamp}.${body}`).digest('base64');
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

function headersFor(body: string, { id = 'msg_12_abc', timestamp = nowSeconds(), keys = [KEY] }: { id?: string; timestamp?: number; keys?: string[] } = {}) {
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': keys.map((k) => v1(k, id, timestamp, body)).join(' ') };
}

const refused = (fn: () => unknown, message: RegExp) => assert.throws(fn, (error: unknown) => error instanceof LatipaySignatureError && message.test(error.message));

describe('verifyWebhookHeaders', () => {
  const body = callbackBody();

  test('accepts a genuine signature and returns the id and timestamp', () => {
    const t = nowSeconds();
    assert.deepEqual(verifyWebhookHeaders(headersFor(body, { timestamp: t }), body, KEY), { id: 'msg_12_abc', timestamp: t });
    assert.deepEqual(verifyWebhookHeaders(headersFor(body, { timestamp: t }), Buffer.from(body), KEY).timestamp, t);
  });

  test('header names in any case, from a plain object or a fetch Headers', () => {
    const upper = Object.fromEntries(Object.entries(headersFor(body)).map(([k, v]) => [k.toUpperCase(), v]));
    assert.equal(verifyWebhookHeaders(upper, body, KEY).id, 'msg_12_abc');
    assert.equal(verifyWebhookHeaders(new Headers(headersFor(body)), body, KEY).id, 'msg_12_abc');
  });

  test('any of the space-separated v1 signatures may match; other versions are ignored', () => {
    const h = headersFor(body);
    const other = v1('someone else', h['webhook-id'], Number(h['webhook-timestamp']), body);
    assert.ok(verifyWebhookHeaders({ ...h, 'webhook-signature': `${other} ${h['webhook-signature']}` }, body, KEY));
    assert.ok(verifyWebhookHeaders({ ...h, 'webhook-signature': `v1a,AAAA ${h['webhook-signature']}` }, body, KEY));
    refused(() => verifyWebhookHeaders({ ...h, 'webhook-signature': h['webhook-signature'].replace('v1,', 'v2,') }, body, KEY), /does not match/);
    refused(() => verifyWebhookHeaders({ ...h, 'webhook-signature': other }, body, KEY), /does not match/);
  });

  test('a changed body, id or timestamp, or another key, does not verify', () => {
    const h = headersFor(body);
    refused(() => verifyWebhookHeaders(h, body.replace('8.00', '800.00'), KEY), /does not match/);
    refused(() => verifyWebhookHeaders({ ...h, 'webhook-id': 'msg_13_abc' }, body, KEY), /does not match/);
    refused(() => verifyWebhookHeaders({ ...h, 'webhook-timestamp': String(Number(h['webhook-timestamp']) - 1) }, body, KEY), /does not match/);
    refused(() => verifyWebhookHeaders(h, body, 'another key'), /does not match/);
  });

  test('a timestamp beyond the tolerance, past or future, is refused; the tolerance is configurable', () => {
    const now = Date.UTC(2026, 0, 1, 12);
    const at = (offset: number) => headersFor(body, { timestamp: now / 1000 + offset });
    assert.ok(verifyWebhookHeaders(at(-300), body, KEY, { now }));
    assert.ok(verifyWebhookHeaders(at(300), body, KEY, { now }));
    refused(() => verifyWebhookHeaders(at(-301), body, KEY, { now }), /old/);
    refused(() => verifyWebhookHeaders(at(301), body, KEY, { now }), /ahead/);
    refused(() => verifyWebhookHeaders(at(-11), body, KEY, { now, toleranceSeconds: 10 }), /old/);
    assert.ok(verifyWebhookHeaders(at(-3_000), body, KEY, { now, toleranceSeconds: 3_600 }));
  });

  test('a missing header, a timestamp that is not seconds, or a repeated header is refused', () => {
    const h = headersFor(body);
    for (const name of Object.keys(h)) {
      const partial: Record<string, string> = { ...h };
      delete partial[name];
      refused(() => verifyWebhookHeaders(partial, body, KEY), /lacks/);
    }
    refused(() => verifyWebhookHeaders({ ...h, 'webhook-timestamp': `${h['webhook-timestamp']}.5` }, body, KEY), /Unix seconds/);
    refused(() => verifyWebhookHeaders({ ...h, 'webhook-id': ['a', 'b'] }, body, KEY), /repeats/);
  });
});

describe('verifyCallbackFields / latipay.verifyCallback with headers', () => {
  test('both the webhook headers and the Latipay signature must verify; the event carries the webhook id', () => {
    const body = callbackBody();
    const event = verifyCallbackFields(body, KEY, { headers: headersFor(body) });
    assert.deepEqual(event.webhook?.id, 'msg_12_abc');
    assert.equal(event.merchant_reference, 'order-7');
    // Headers signed right over a body whose field signature is wrong: refused.
    const forgedField = callbackBody('not the key');
    refused(() => verifyCallbackFields(forgedField, KEY, { headers: headersFor(forgedField) }), /signature does not match its fields/);
    // Without headers, only the fields are checked, unless headers are required.
    assert.equal(verifyCallbackFields(body, KEY).webhook, undefined);
    refused(() => verifyCallbackFields(body, KEY, { requireWebhookHeaders: true }), /no Standard Webhooks headers/);
  });

  test('a body parsed into an object is serialised again in its order and verifies', () => {
    const body = callbackBody('webhook-test-key', 'order 7 / ✓ & co');
    const parsed = Object.fromEntries(new URLSearchParams(body));
    assert.equal(verifyCallbackFields(parsed, KEY, { headers: headersFor(body) }).merchant_reference, 'order 7 / ✓ & co');
    assert.equal(verifyCallbackFields(new URLSearchParams(body), KEY, { headers: headersFor(body) }).webhook?.id, 'msg_12_abc');
  });

  test('during a key rotation: a client with previousApiKey accepts the old key’s form signature and either header signature', () => {
    // What the gateway sends in a grace period: the form signed with the old key, the header with both.
    const body = callbackBody(OLD_KEY);
    const headers = headersFor(body, { keys: [OLD_KEY, KEY] });
    const switched = new Latipay({ userId: 'U1', walletId: 'W1', apiKey: KEY, previousApiKey: OLD_KEY, baseUrl: 'http://127.0.0.1:9' });
    assert.equal(switched.verifyCallback(body, headers).webhook?.id, 'msg_12_abc');
    const notYet = new Latipay({ userId: 'U1', walletId: 'W1', apiKey: OLD_KEY, baseUrl: 'http://127.0.0.1:9' });
    assert.equal(notYet.verifyCallback(body, headers).status, 'paid');
    // The new key alone does not accept a form signed with the old one.
    const newOnly = new Latipay({ userId: 'U1', walletId: 'W1', apiKey: KEY, baseUrl: 'http://127.0.0.1:9' });
    refused(() => newOnly.verifyCallback(body, headers), /signature does not match its fields/);
  });

  test('the client’s tolerance and requirement options apply', () => {
    const body = callbackBody();
    const strict = new Latipay({ userId: 'U1', walletId: 'W1', apiKey: KEY, baseUrl: 'http://127.0.0.1:9', webhookToleranceSeconds: 5, requireWebhookHeaders: true });
    assert.ok(strict.verifyCallback(body, headersFor(body)));
    refused(() => strict.verifyCallback(body, headersFor(body, { timestamp: nowSeconds() - 60 })), /old/);
    refused(() => strict.verifyCallback(body, {}), /no Standard Webhooks headers/);
    refused(() => strict.verifyCallback(body), /no Standard Webhooks headers/);
  });
});

describe('callback handlers pass the headers and the raw body through', () => {
  const latipay = new Latipay({ userId: 'U1', walletId: 'W1', apiKey: KEY, baseUrl: 'http://127.0.0.1:9' });

  async function serve(t: TestContext, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
    const server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
  }

  async function post(url: string, body: string, headers: Record<string, string>) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
      signal: AbortSignal.timeout(5_000),
    });
    return { status: response.status, body: await response.text() };
  }

  test('node http: verified headers reach the listener; a stale or tampered one is answered 400 fail', async (t) => {
    const events: CallbackEvent[] = [];
    const url = await serve(t, createCallbackHandler(latipay, (event) => void events.push(event), { onError: () => {} }));
    const body = callbackBody();
    assert.deepEqual(await post(url, body, headersFor(body)), { status: 200, body: 'sent' });
    assert.equal(events[0].webhook?.id, 'msg_12_abc');
    assert.deepEqual(await post(url, body, headersFor(body, { timestamp: nowSeconds() - 600 })), { status: 400, body: 'fail' });
    const h = headersFor(body);
    assert.deepEqual(await post(url, body, { ...h, 'webhook-signature': v1('another key', h['webhook-id'], Number(h['webhook-timestamp']), body) }), { status: 400, body: 'fail' });
    assert.equal(events.length, 1);
  });

  test('express: with the raw body kept by the parser, and with only the parsed fields', async (t) => {
    const events: CallbackEvent[] = [];
    const handler = expressCallbackHandler(latipay, (event) => void events.push(event), { onError: () => {} });
    // express.urlencoded({ verify }) keeps the bytes as rawBody and leaves the fields parsed.
    const parse = (keepRaw: boolean) => (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        handler(Object.assign(req, { body: Object.fromEntries(new URLSearchParams(raw.toString())), ...(keepRaw ? { rawBody: raw } : {}) }), res);
      });
    };
    const body = callbackBody(KEY, 'order with spaces+plus');
    for (const keepRaw of [true, false]) {
      const url = await serve(t, parse(keepRaw));
      assert.deepEqual(await post(url, body, headersFor(body)), { status: 200, body: 'sent' }, `rawBody kept: ${keepRaw}`);
      assert.deepEqual(await post(url, body, headersFor(body, { timestamp: nowSeconds() + 600 })), { status: 400, body: 'fail' });
    }
    assert.equal(events.length, 2);
    assert.ok(events.every((e) => e.merchant_reference === 'order with spaces+plus' && e.webhook?.id === 'msg_12_abc'));
  });

  test('fastify: a text parser keeps the raw body; the headers are read from the request', async (t) => {
    const app = Fastify();
    t.after(() => app.close());
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    const events: CallbackEvent[] = [];
    app.post('/callback', fastifyCallbackHandler(latipay, (event) => void events.push(event), { onError: () => {} }));
    const body = callbackBody();
    const send = (headers: Record<string, string>) =>
      app.inject({ method: 'POST', url: '/callback', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: body });
    const ok = await send(headersFor(body));
    assert.deepEqual([ok.statusCode, ok.body], [200, 'sent']);
    assert.equal(events[0].webhook?.id, 'msg_12_abc');
    const replayed = await send(headersFor(body, { timestamp: nowSeconds() - 301 }));
    assert.deepEqual([replayed.statusCode, replayed.body], [400, 'fail']);
    assert.equal(events.length, 1);
  });
});
