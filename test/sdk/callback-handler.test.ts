import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import Fastify from 'fastify';
import {
  createCallbackHandler,
  expressCallbackHandler,
  fastifyCallbackHandler,
  Latipay,
  LatipaySignatureError,
  signResult,
  type CallbackEvent,
} from '../../sdk/src/index.js';

// The ready-made callback endpoints over real HTTP: `sent` only when the merchant's
// listener succeeded, `fail` (and a status that says why) otherwise.

const KEY = 'callback-test-key';
const latipay = new Latipay({ userId: 'U1', walletId: 'W1', apiKey: KEY, baseUrl: 'http://127.0.0.1:9' });
const signed = { merchant_reference: 'order-9', payment_method: 'wechat', status: 'paid', currency: 'NZD', amount: '8.00' };
const genuine = new URLSearchParams({ ...signed, order_id: '2026000009', pay_time: '2026-01-02 03:04:05', signature: signResult(signed, KEY) }).toString();
const tampered = genuine.replace('amount=8.00', 'amount=800.00');

async function serve(t: TestContext, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
}

async function post(url: string, body: string, method = 'POST') {
  const response = await fetch(url, {
    method,
    headers: method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
    body: method === 'POST' ? body : undefined,
    signal: AbortSignal.timeout(5_000),
  });
  return { status: response.status, body: await response.text() };
}

test('node http: a genuine callback reaches the listener typed and is answered sent', async (t) => {
  const events: CallbackEvent[] = [];
  const url = await serve(t, createCallbackHandler(latipay, async (event) => void events.push(event)));
  assert.deepEqual(await post(url, genuine), { status: 200, body: 'sent' });
  assert.equal(events.length, 1);
  assert.equal(events[0].merchant_reference, 'order-9');
  assert.equal(events[0].order_id, '2026000009');
  assert.equal(events[0].paid, true);
});

test('node http: a listener that throws gets fail (HTTP 500) so the gateway retries', async (t) => {
  const errors: unknown[] = [];
  let calls = 0;
  const handler = createCallbackHandler(
    latipay,
    async () => {
      calls++;
      if (calls === 1) throw new Error('database down');
    },
    { onError: (error) => errors.push(error) },
  );
  const url = await serve(t, handler);
  assert.deepEqual(await post(url, genuine), { status: 500, body: 'fail' });
  assert.match(String(errors[0]), /database down/);
  assert.deepEqual(await post(url, genuine), { status: 200, body: 'sent' });
  assert.equal(calls, 2);
});

test('node http: a tampered callback never reaches the listener', async (t) => {
  const errors: unknown[] = [];
  let calls = 0;
  const url = await serve(t, createCallbackHandler(latipay, () => void calls++, { onError: (error) => errors.push(error) }));
  assert.deepEqual(await post(url, tampered), { status: 400, body: 'fail' });
  assert.deepEqual(await post(url, ''), { status: 400, body: 'fail' });
  assert.equal(calls, 0);
  assert.ok(errors.every((error) => error instanceof LatipaySignatureError));
});

test('node http: not a POST, or a body over the limit, is refused', async (t) => {
  let calls = 0;
  const url = await serve(t, createCallbackHandler(latipay, () => void calls++, { maxBodyBytes: 256, onError: () => {} }));
  assert.deepEqual(await post(url, '', 'GET'), { status: 405, body: 'fail' });
  assert.deepEqual(await post(url, `${genuine}&padding=${'x'.repeat(300)}`), { status: 413, body: 'fail' });
  assert.equal(calls, 0);
});

test('express: works with a body that express.urlencoded() parsed, and with an unread stream', async (t) => {
  const events: CallbackEvent[] = [];
  const handler = expressCallbackHandler(latipay, (event) => void events.push(event), { onError: () => {} });
  // What express.urlencoded() leaves on the request: the fields as an object, the stream read.
  const parsedUrl = await serve(t, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handler(Object.assign(req, { body: Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString())) }), res));
  });
  assert.deepEqual(await post(parsedUrl, genuine), { status: 200, body: 'sent' });
  assert.deepEqual(await post(parsedUrl, tampered), { status: 400, body: 'fail' });
  // Body parsers that skipped the request leave `{}` and the stream unread.
  const unreadUrl = await serve(t, (req, res) => handler(Object.assign(req, { body: {} }), res));
  assert.deepEqual(await post(unreadUrl, genuine), { status: 200, body: 'sent' });
  assert.equal(events.length, 2);
});

test('fastify: a route with a form parser answers sent, fail on tampering and on a failing listener', async (t) => {
  const app = Fastify();
  t.after(() => app.close());
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  let fail = false;
  const events: CallbackEvent[] = [];
  app.post(
    '/callback',
    fastifyCallbackHandler(
      latipay,
      (event) => {
        if (fail) throw new Error('not now');
        events.push(event);
      },
      { onError: () => {} },
    ),
  );
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const ok = await app.inject({ method: 'POST', url: '/callback', headers: form, payload: genuine });
  assert.equal(ok.statusCode, 200);
  assert.equal(ok.body, 'sent');
  assert.equal(events[0].amount, '8.00');
  const forged = await app.inject({ method: 'POST', url: '/callback', headers: form, payload: tampered });
  assert.deepEqual([forged.statusCode, forged.body], [400, 'fail']);
  fail = true;
  const failing = await app.inject({ method: 'POST', url: '/callback', headers: form, payload: genuine });
  assert.deepEqual([failing.statusCode, failing.body], [500, 'fail']);
  assert.equal(events.length, 1);
});
