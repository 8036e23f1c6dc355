import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { rawRequest, type RawAnswer } from '../helpers/raw-http.js';
import { createOrder, settleOrder } from './support.js';
import { createInvoice } from './invoice-support.js';

/**
 * Hostile input to every endpoint: bodies nested thousands of levels deep, over the body
 * limit, malformed (bad JSON, bad forms, wrong content types, NUL characters, invalid
 * UTF-8, prototype-pollution keys), URLs and headers over Node's limits, bytes that are not
 * HTTP. Whatever arrives, nothing answers 5xx, and the merchant API answers
 * `{code: integer, message: string}` JSON (spec §1). Requests Node must refuse before
 * fastify sees them go over a real socket; the rest through `inject`. Bounded runs.
 */

const INJECT_RUNS = 300;
const SOCKET_RUNS = 60;

/** Every route the gateway registers (checked against the router below), and what answers it gives. */
interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  /** The merchant API: every answer is `{code, message}` JSON. */
  api: boolean;
  /** Answers a JSON document of its own (the OpenAPI document) when it succeeds. */
  document?: true;
}

const ROUTES: Route[] = [
  { method: 'GET', path: '/healthz', api: false },
  { method: 'POST', path: '/v2/transaction', api: true },
  { method: 'GET', path: '/v2/transaction/:merchant_reference', api: true },
  { method: 'POST', path: '/refund', api: true },
  { method: 'POST', path: '/v2/refund', api: true },
  { method: 'POST', path: '/finance/refund', api: true },
  { method: 'POST', path: '/cancel', api: true },
  { method: 'POST', path: '/barcode', api: true },
  { method: 'POST', path: '/v2/barcode', api: true },
  { method: 'GET', path: '/v2/merchanthosted/gatewaydata/:nonce', api: true },
  { method: 'GET', path: '/merchanthosted/gatewaydata/:nonce', api: true },
  { method: 'GET', path: '/v2/all_rate', api: true },
  { method: 'GET', path: '/v2/detail/:wallet_id', api: true },
  { method: 'POST', path: '/v2/miniapppay', api: true },
  { method: 'POST', path: '/v2/minialipay', api: true },
  { method: 'POST', path: '/v2/invoice', api: true },
  { method: 'GET', path: '/v2/invoice', api: true },
  { method: 'PUT', path: '/v2/invoice', api: true },
  { method: 'DELETE', path: '/v2/invoice', api: true },
  { method: 'GET', path: '/v2/invoices', api: true },
  { method: 'POST', path: '/v2/invoice/refund', api: true },
  { method: 'GET', path: '/invoice/:token', api: false },
  { method: 'POST', path: '/invoice/:token', api: false },
  { method: 'POST', path: '/channels/:provider/notify', api: false },
  { method: 'POST', path: '/channels/:provider/notify/:account', api: false },
  { method: 'GET', path: '/pay/:nonce', api: false },
  { method: 'GET', path: '/pay/:nonce/result', api: false },
  { method: 'GET', path: '/pay/:nonce/status', api: false },
  { method: 'GET', path: '/pay/:nonce/events', api: false },
  { method: 'GET', path: '/sandbox/wallet/:tradeNo', api: false },
  { method: 'POST', path: '/sandbox/wallet/:tradeNo', api: false },
  { method: 'POST', path: '/sandbox/orders/:orderId', api: true },
  // The sandbox's pages of NZ banks, POLi, UnionPay and PayID (payment-methods.md).
  { method: 'GET', path: '/sandbox/bank/:tradeNo', api: false },
  { method: 'GET', path: '/sandbox/bank/:tradeNo/:bank', api: false },
  { method: 'POST', path: '/sandbox/bank/:tradeNo/:bank', api: false },
  { method: 'GET', path: '/sandbox/unionpay/:tradeNo', api: false },
  { method: 'POST', path: '/sandbox/unionpay/:tradeNo', api: false },
  { method: 'GET', path: '/sandbox/payid/:tradeNo', api: false },
  { method: 'POST', path: '/sandbox/payid/:tradeNo', api: false },
  { method: 'GET', path: '/brand/logo', api: false },
  // The operator's: metrics, the API document and its page (Swagger UI's files under /docs/static/*).
  { method: 'GET', path: '/metrics', api: false },
  { method: 'GET', path: '/openapi.json', api: false, document: true },
  { method: 'GET', path: '/docs', api: false },
  { method: 'GET', path: '/docs*', api: false },
  { method: 'GET', path: '/docs/json', api: false, document: true },
  { method: 'GET', path: '/docs/yaml', api: false },
  { method: 'GET', path: '/docs/static/index.html', api: false },
  { method: 'GET', path: '/docs/static/swagger-initializer.js', api: false },
  // The merchant portal (docs/portal.md): HTML pages and forms, signed in or sent to the sign-in page.
  { method: 'GET', path: '/portal', api: false },
  { method: 'GET', path: '/portal/account', api: false },
  { method: 'GET', path: '/portal/assets/portal.css', api: false },
  { method: 'GET', path: '/portal/audit', api: false },
  { method: 'GET', path: '/portal/balance', api: false },
  { method: 'GET', path: '/portal/developers', api: false },
  { method: 'GET', path: '/portal/developers/signature', api: false },
  { method: 'GET', path: '/portal/login', api: false },
  { method: 'GET', path: '/portal/operator', api: false },
  { method: 'GET', path: '/portal/operator/organisations/:id', api: false },
  { method: 'GET', path: '/portal/payment-links', api: false },
  { method: 'GET', path: '/portal/payment-links/:id', api: false },
  { method: 'GET', path: '/portal/payment-links/new', api: false },
  { method: 'GET', path: '/portal/set-password/:token', api: false },
  { method: 'GET', path: '/portal/users', api: false },
  { method: 'POST', path: '/portal/account/password', api: false },
  { method: 'POST', path: '/portal/account/sign-out-everywhere', api: false },
  { method: 'POST', path: '/portal/account/two-factor/disable', api: false },
  { method: 'POST', path: '/portal/account/two-factor/enable', api: false },
  { method: 'POST', path: '/portal/developers/signature', api: false },
  { method: 'POST', path: '/portal/developers/users/:userId/rotate-key', api: false },
  { method: 'POST', path: '/portal/login', api: false },
  { method: 'POST', path: '/portal/login/code', api: false },
  { method: 'POST', path: '/portal/logout', api: false },
  { method: 'POST', path: '/portal/operator/organisations', api: false },
  { method: 'POST', path: '/portal/operator/organisations/:id/disable', api: false },
  { method: 'POST', path: '/portal/operator/organisations/:id/enable', api: false },
  { method: 'POST', path: '/portal/operator/organisations/:id/users/:userId/reset-password', api: false },
  { method: 'POST', path: '/portal/payment-links/:id/deactivate', api: false },
  { method: 'POST', path: '/portal/payment-links/new', api: false },
  { method: 'POST', path: '/portal/set-password/:token', api: false },
  { method: 'POST', path: '/portal/users/:userId/remove', api: false },
  { method: 'POST', path: '/portal/users/:userId/reset-password', api: false },
  { method: 'POST', path: '/portal/users/:userId/role', api: false },
  { method: 'POST', path: '/portal/users/invite', api: false },
  { method: 'GET', path: '/portal/transactions', api: false },
  { method: 'GET', path: '/portal/transactions.csv', api: false },
  { method: 'GET', path: '/portal/orders/:orderId', api: false },
  { method: 'POST', path: '/portal/orders/:orderId/refund', api: false },
  { method: 'POST', path: '/portal/orders/:orderId/cancel', api: false },
  { method: 'POST', path: '/portal/orders/:orderId/resend-callback', api: false },
  // Unknown paths and methods.
  { method: 'GET', path: '/no/such/:thing', api: false },
  { method: 'POST', path: '/v2/no_such_endpoint', api: false },
  { method: 'POST', path: '/healthz', api: false },
];

/** The method and path of every route in fastify's printRoutes tree (HEAD left out: fastify adds it to each GET). */
function registeredRoutes(tree: string): string[] {
  const out: string[] = [];
  const prefixes: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│ ]*)[├└]── (\S+) \(([^)]+)\)$/.exec(line);
    if (!match) continue;
    const depth = match[1].length / 4;
    const path = (prefixes[depth - 1] ?? '') + match[2];
    prefixes[depth] = path;
    for (const method of match[3].split(', ')) if (method !== 'HEAD') out.push(`${method} ${path}`);
  }
  return out.sort();
}

// ---------------------------------------------------------------------------------------
// Generators

const CONTENT_TYPES = [
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'application/x-www-form-urlencoded',
  'text/plain',
  'text/html',
  'application/xml',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'application/json; charset=latin1',
  'application/jsonx',
  ';;;',
];

/** JSON nested `depth` levels, as arrays, objects, both, or inside a field of an otherwise fine body. */
const deepJson = fc
  .record({ depth: fc.integer({ min: 33, max: 25_000 }), shape: fc.constantFrom('array', 'object', 'mixed', 'field') })
  .map(({ depth, shape }) => {
    if (shape === 'array') return '['.repeat(depth) + ']'.repeat(depth);
    if (shape === 'object') return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    if (shape === 'mixed') return '[{"a":'.repeat(depth >> 1) + 'null' + '}]'.repeat(depth >> 1);
    return `{"user_id":"U1","amount":"1.00","x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
  });

const pollution = fc.constantFrom(
  '{"__proto__":{"polluted":"yes"}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"a":[{"__proto__":{"polluted":"yes"}}]}',
  '__proto__[polluted]=yes&user_id=U1',
  'constructor[prototype][polluted]=yes',
  '__proto__=x&constructor=y&toString=z&hasOwnProperty=1',
);

const malformed = fc.oneof(
  fc.constantFrom('{', '{"a":', '{"a":1,}', '[1,2', '{"a":"\\x"}', 'null', 'true', '1e999', '"text"', '{"a":1}{"b":2}', '%zz=1&a', '=&=&==', '&&&', 'a=%', '\u0000', '{"a":"b\u0000"}', 'a=b%00c'),
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

/** A body as bytes: text of all of the above, bytes that are not UTF-8, or more than the 64 KiB limit. */
const bodyBytes = fc.oneof(
  { weight: 3, arbitrary: deepJson.map((text) => Buffer.from(text)) },
  { weight: 2, arbitrary: pollution.map((text) => Buffer.from(text)) },
  { weight: 3, arbitrary: malformed.map((text) => Buffer.from(text)) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)) },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ minLength: 1, maxLength: 20 }).map((bytes) => Buffer.concat([Buffer.from('{"user_id":"'), Buffer.from(bytes), Buffer.from([0xff, 0xc3]), Buffer.from('"}')])),
  },
  { weight: 1, arbitrary: fc.integer({ min: 64 * 1024 + 1, max: 200_000 }).map((size) => Buffer.from(`{"a":"${'x'.repeat(size)}"}`)) },
);

const segment = fc.oneof(
  fc.constantFrom('x', '%zz', '%00', '%C3', '..', '%2F', 'a'.repeat(1_100), '__proto__', 'constructor', '%E0%A4%A', '0'.repeat(64)),
  fc.string({ maxLength: 40 }).map((s) => encodeURIComponent(s)),
);

const query = fc.oneof(
  fc.constant(''),
  fc.constantFrom('?user_id=U1&signature=x&is_block=1', '?__proto__[x]=1', '?a=%zz', '?a=%00', '?lang=zh', '?user_id=U1&user_id=U2', `?x=${'y'.repeat(5_000)}`),
  fc.array(fc.tuple(fc.constantFrom('user_id', 'wallet_id', 'signature', 'is_block', 'lang', '__proto__', 'constructor'), fc.string({ maxLength: 30 })), { maxLength: 5 }).map((pairs) => `?${new URLSearchParams(pairs)}`),
);

// ---------------------------------------------------------------------------------------
// Assertions

function isJson(contentType: string | undefined): boolean {
  return /^application\/json/.test(contentType ?? '');
}

/** The gateway's answer: no 5xx; the merchant API answers {code: integer, message: string}; other JSON has a code or a status. */
function assertAnswer(route: Route, status: number, contentType: string | undefined, body: string, what: string): void {
  assert.ok(status < 500, `${what} → ${status} ${body.slice(0, 200)}`);
  if (route.api) assert.ok(isJson(contentType), `${what} → ${status} ${contentType}: the API answers JSON`);
  if (!isJson(contentType)) return;
  // The document itself, or (a refused query, e.g. with a NUL) the usual {code, message}, checked below.
  if (route.document && status === 200 && /^\{"openapi":"3\./.test(body)) return;
  let parsed: { code?: unknown; message?: unknown; status?: unknown };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return assert.fail(`${what} → ${status}: not JSON: ${body.slice(0, 200)}`);
  }
  if (route.api || parsed.status === undefined) {
    assert.ok(Number.isInteger(parsed.code), `${what} → ${status}: integer code in ${body.slice(0, 200)}`);
    assert.equal(typeof parsed.message, 'string', `${what}: ${body.slice(0, 200)}`);
  } else {
    assert.equal(typeof parsed.status, 'string', `${what}: ${body.slice(0, 200)}`);
  }
}

// ---------------------------------------------------------------------------------------

describe('hostile input to every endpoint', () => {
  let gw: TestGateway;
  let port: number;
  /** Real identifiers, so some requests reach past the lookups: a pending order and a paid one. */
  let ids: { pendingNonce: string; paidNonce: string; reference: string; orderId: string; wallet: string; trade: string; token: string };

  before(async () => {
    gw = await createTestGateway({ env: { LONG_POLL_SECONDS: '1' } });
    const pending = await createOrder(gw);
    const paid = await createOrder(gw);
    const page = await gw.app.inject({ method: 'GET', url: `/pay/${pending.nonce}`, headers: { accept: 'text/html' } });
    const trade = /\/sandbox\/wallet\/([^"?]+)/.exec(page.body)?.[1] ?? 'T1';
    assert.equal((await settleOrder(gw, paid.orderId, 'paid')).statusCode, 200);
    const invoice = await createInvoice(gw, gw.merchant);
    ids = { pendingNonce: pending.nonce, paidNonce: paid.nonce, reference: pending.reference, orderId: pending.orderId, wallet: gw.merchant.wallet_id, trade, token: invoice.token };
    await gw.app.listen({ port: 0, host: '127.0.0.1' });
    port = (gw.app.server.address() as AddressInfo).port;
  });
  after(async () => {
    await gw.close();
  });

  /** `route`'s path with its parameter filled: a real identifier, or something hostile. */
  function fill(route: Route, choice: string | null): string {
    return route.path.replace(/:(\w+)/, (_, name: string) => {
      // A pending order's stream stays open: streams are exercised in connection-limits.test.ts.
      if (route.path.endsWith('/events') && choice === null) return ids.paidNonce;
      if (choice !== null) return choice;
      return { merchant_reference: ids.reference, nonce: ids.pendingNonce, wallet_id: ids.wallet, channel: 'sandbox', tradeNo: ids.trade, orderId: ids.orderId, token: ids.token, thing: 'x' }[name] ?? 'x';
    });
  }

  test('the routes listed here are every route the gateway has', async () => {
    const listed = ROUTES.filter((route) => !/no_such|no\/such/.test(route.path) && !(route.method === 'POST' && route.path === '/healthz'))
      .map((route) => `${route.method} ${route.path}`)
      .sort();
    assert.deepEqual(listed, registeredRoutes(gw.app.printRoutes({ commonPrefix: false })));
  });

  test('through inject: hostile bodies, paths, queries and content types', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        fc.option(segment, { freq: 2 }),
        query,
        bodyBytes,
        fc.constantFrom(...CONTENT_TYPES),
        fc.constantFrom(undefined, 'text/html', 'application/json', '*/*'),
        async (route, choice, search, body, contentType, accept) => {
          let url = fill(route, choice) + search;
          // The events stream of a pending order would stay open; so would a long-poll on it (bounded by LONG_POLL_SECONDS=1 anyway).
          if (route.path.endsWith('/events') && url.includes(ids.pendingNonce)) url = url.replace(ids.pendingNonce, ids.paidNonce);
          const headers: Record<string, string> = {};
          if (contentType !== undefined) headers['content-type'] = contentType;
          if (accept !== undefined) headers.accept = accept;
          const response: LightMyRequestResponse = await gw.app.inject({
            method: route.method,
            url,
            headers,
            ...(route.method !== 'GET' ? { payload: body } : {}),
          });
          assertAnswer(route, response.statusCode, response.headers['content-type'] as string | undefined, response.body, `${route.method} ${url.slice(0, 80)} ${contentType} ${body.subarray(0, 40).toString('latin1')}`);
        },
      ),
      { numRuns: INJECT_RUNS },
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was polluted');
  });

  test('over a real socket: URLs and headers over the limits, bodies over the limit, bytes that are not HTTP', { timeout: 120_000 }, async () => {
    const hostile = fc.oneof(
      // Headers over 16 KiB, in one header or many.
      fc.record({ kind: fc.constant('headers' as const), size: fc.integer({ min: 17_000, max: 60_000 }), split: fc.integer({ min: 1, max: 40 }) }),
      // A URL over 16 KiB.
      fc.record({ kind: fc.constant('url' as const), size: fc.integer({ min: 17_000, max: 60_000 }) }),
      // A body over 64 KiB, announced or chunked.
      fc.record({ kind: fc.constant('body' as const), size: fc.integer({ min: 64 * 1024 + 1, max: 150_000 }), chunked: fc.boolean() }),
      // A well-formed request carrying one of the hostile bodies.
      fc.record({ kind: fc.constant('hostileBody' as const), body: bodyBytes, contentType: fc.constantFrom(...CONTENT_TYPES) }),
      // Bytes that are not HTTP (starting with one that cannot begin a request, so the server never waits for more).
      fc.record({ kind: fc.constant('garbage' as const), bytes: fc.uint8Array({ maxLength: 400 }) }),
      // A request line, then header bytes that may or may not be HTTP.
      fc.record({ kind: fc.constant('garbageHeaders' as const), bytes: fc.uint8Array({ maxLength: 400 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES), hostile, async (route, input) => {
        const path = fill(route, null);
        const head = (target: string, extra = '') => `${route.method} ${target} HTTP/1.1\r\nHost: gateway.test\r\nConnection: close\r\n${extra}`;
        let request: Buffer;
        let refusal: number | undefined;
        switch (input.kind) {
          case 'headers': {
            const each = Math.ceil(input.size / input.split);
            const lines = Array.from({ length: input.split }, (_, i) => `X-Big-${i}: ${'h'.repeat(each)}\r\n`).join('');
            request = Buffer.from(head(path, lines) + '\r\n');
            refusal = 431;
            break;
          }
          case 'url':
            request = Buffer.from(`${route.method} ${path}?q=${'u'.repeat(input.size)} HTTP/1.1\r\nHost: gateway.test\r\n\r\n`);
            refusal = 414;
            break;
          case 'body': {
            const payload = Buffer.from(`{"a":"${'b'.repeat(input.size)}"}`);
            request = input.chunked
              ? Buffer.concat([Buffer.from(head(path, 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n') + '\r\n'), Buffer.from(`${payload.length.toString(16)}\r\n`), payload, Buffer.from('\r\n0\r\n\r\n')])
              : Buffer.concat([Buffer.from(head(path, `Content-Type: application/json\r\nContent-Length: ${payload.length}\r\n`) + '\r\n'), payload]);
            // Only routes that read a body refuse it; a GET is answered without reading it.
            refusal = route.method !== 'GET' && !route.path.includes('no_such') && route.path !== '/healthz' ? 413 : undefined;
            break;
          }
          case 'hostileBody': {
            const type = input.contentType === undefined ? '' : `Content-Type: ${input.contentType}\r\n`;
            request = Buffer.concat([Buffer.from(head(path, `${type}Content-Length: ${input.body.length}\r\n`) + '\r\n'), input.body]);
            break;
          }
          case 'garbage':
            request = Buffer.concat([Buffer.from([0x01]), Buffer.from(input.bytes), Buffer.from('\r\n\r\n')]);
            refusal = 400;
            break;
          case 'garbageHeaders':
            request = Buffer.concat([Buffer.from(head(path)), Buffer.from(input.bytes), Buffer.from('\r\n\r\n')]);
            break;
        }
        const answer: RawAnswer = await rawRequest(port, request, { timeoutMs: 10_000 });
        const what = `${route.method} ${path.slice(0, 60)} ${input.kind}`;
        assert.ok(answer.status !== undefined, `${what}: the server answered (${answer.raw.slice(0, 100)})`);
        if (refusal !== undefined) assert.equal(answer.status, refusal, `${what}: ${answer.raw.slice(0, 200)}`);
        // What Node refuses before any route is JSON with an integer code, whatever the route.
        // (Header bytes that Node accepts may reach a route that answers text or a page.)
        const beforeRouting = input.kind === 'headers' || input.kind === 'url' || input.kind === 'garbage';
        assertAnswer(beforeRouting ? { ...route, api: true } : route, answer.status as number, answer.headers['content-type'], answer.body, what);
      }),
      { numRuns: SOCKET_RUNS },
    );
    // And the gateway still answers.
    const health = await rawRequest(port, 'GET /healthz HTTP/1.1\r\nHost: gateway.test\r\nConnection: close\r\n\r\n');
    assert.equal(health.status, 200, health.raw);
  });
});
