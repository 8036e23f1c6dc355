import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createOrder, IPHONE_UA, PC_UA } from './support.js';

/**
 * Every HTML page the gateway answers carries a Content-Security-Policy that lets only its
 * own inline script (by nonce) and style (by hash) run, refuses to be framed, sends no
 * referrer, and forbids sniffing; HSTS only when PUBLIC_URL is https.
 */

/** The directives of a CSP header, by name. */
function policyOf(response: LightMyRequestResponse): Map<string, string[]> {
  const header = String(response.headers['content-security-policy'] ?? '');
  assert.ok(header, 'a Content-Security-Policy header');
  return new Map(
    header
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .map(([name, ...values]) => [name, values] as [string, string[]]),
  );
}

function assertPageHeaders(response: LightMyRequestResponse, what: string, https = false): void {
  const policy = policyOf(response);
  assert.deepEqual(policy.get('default-src'), ["'none'"], what);
  assert.deepEqual(policy.get('frame-ancestors'), ["'none'"], what);
  assert.deepEqual(policy.get('base-uri'), ["'none'"], what);
  assert.deepEqual(policy.get('form-action'), ["'self'"], what);
  assert.deepEqual(policy.get('connect-src'), ["'self'"], what);
  assert.ok(policy.get('img-src')?.includes('data:'), what);
  for (const [name, values] of policy) {
    for (const forbidden of ["'unsafe-inline'", "'unsafe-eval'", '*', 'http:', 'https:']) assert.ok(!values.includes(forbidden), `${what}: ${name} allows ${forbidden}`);
  }
  assert.equal(policy.has('upgrade-insecure-requests'), https, what);
  assert.equal(response.headers['x-frame-options'], 'DENY', what);
  assert.equal(response.headers['referrer-policy'], 'no-referrer', what);
  assert.equal(response.headers['x-content-type-options'], 'nosniff', what);
  if (https) assert.match(String(response.headers['strict-transport-security']), /^max-age=\d{7,}/, what);
  else assert.equal(response.headers['strict-transport-security'], undefined, what);
}

/** Every inline script carries the response's nonce, every inline style is allowed by its hash, and nothing inline needs more. */
function assertInlineContentAllowed(response: LightMyRequestResponse, what: string): { scripts: number } {
  const policy = policyOf(response);
  const body = response.body;
  const scriptSources = policy.get('script-src') ?? [];
  let scripts = 0;
  for (const match of body.matchAll(/<script([^>]*)>/g)) {
    scripts++;
    const nonce = /nonce="([^"]+)"/.exec(match[1])?.[1];
    assert.ok(nonce && scriptSources.includes(`'nonce-${nonce}'`), `${what}: script nonce ${nonce} in ${scriptSources.join(' ')}`);
  }
  for (const match of body.matchAll(/<style[^>]*>([\s\S]*?)<\/style>/g)) {
    const hash = `'sha256-${createHash('sha256').update(match[1], 'utf8').digest('base64')}'`;
    assert.ok(policy.get('style-src')?.includes(hash), `${what}: style hash ${hash}`);
  }
  assert.doesNotMatch(body, /\son[a-z]+\s*=/i, `${what}: no inline event handler attributes`);
  assert.doesNotMatch(body, /\sstyle\s*=/i, `${what}: no style attributes`);
  return { scripts };
}

describe('security headers on HTML pages', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(async () => {
    await gw.close();
  });

  function get(url: string, userAgent = PC_UA): Promise<LightMyRequestResponse> {
    return gw.app.inject({ method: 'GET', url, headers: { accept: 'text/html', 'user-agent': userAgent } });
  }

  test('the payment page (PC and phone): headers, and its live-status script runs by nonce', async () => {
    const { nonce } = await createOrder(gw);
    for (const userAgent of [PC_UA, IPHONE_UA]) {
      const response = await get(`/pay/${nonce}`, userAgent);
      assert.equal(response.statusCode, 200);
      assertPageHeaders(response, 'payment page');
      assert.equal(assertInlineContentAllowed(response, 'payment page').scripts, 1);
    }
  });

  test('each response has nonces of its own', async () => {
    const { nonce } = await createOrder(gw);
    const first = policyOf(await get(`/pay/${nonce}`)).get('script-src');
    const second = policyOf(await get(`/pay/${nonce}`)).get('script-src');
    assert.ok(first?.[0]?.startsWith("'nonce-"));
    assert.notDeepEqual(first, second);
  });

  test('the result page, the redirect to return_url, and the sandbox wallet (shown and posted)', async () => {
    const { nonce } = await createOrder(gw);
    const page = await get(`/pay/${nonce}`);
    const walletUrl = (/data-qr-url="http:\/\/gateway\.test([^"]+)"/.exec(page.body) ?? [])[1];
    assert.ok(walletUrl, 'the QR opens the sandbox wallet');
    const wallet = await get(walletUrl);
    assert.equal(wallet.statusCode, 200);
    assertPageHeaders(wallet, 'sandbox wallet');
    assertInlineContentAllowed(wallet, 'sandbox wallet');
    const posted = await gw.app.inject({
      method: 'POST',
      url: walletUrl,
      payload: 'outcome=paid',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    });
    assert.equal(posted.statusCode, 200, posted.body);
    assertPageHeaders(posted, 'sandbox wallet, posted');
    assertInlineContentAllowed(posted, 'sandbox wallet, posted');

    const redirect = await get(`/pay/${nonce}`);
    assert.equal(redirect.statusCode, 302);
    assert.match(String(redirect.headers.location), /^https:\/\/merchant\.example\/return\?/);
    assertPageHeaders(redirect, 'redirect to return_url');
    const result = await get(`/pay/${nonce}/result`);
    assert.equal(result.statusCode, 200);
    assertPageHeaders(result, 'result page');
    assert.equal(assertInlineContentAllowed(result, 'result page').scripts, 1, 'the result page moves on by script');
  });

  test('message pages: unknown nonce, unknown path, a URL the router cannot read, a body it cannot read, a body too large', async () => {
    const pages: Array<[string, InjectOptions, number]> = [
      ['unknown nonce', { method: 'GET', url: `/pay/${'0'.repeat(64)}` }, 404],
      ['unknown path', { method: 'GET', url: '/no/such/page' }, 404],
      ['bad percent-encoding', { method: 'GET', url: '/pay/%zz' }, 400],
      ['malformed wallet form', { method: 'POST', url: '/sandbox/wallet/T1', payload: '{"outcome":', headers: { 'content-type': 'application/json' } }, 400],
      ['oversized wallet form', { method: 'POST', url: '/sandbox/wallet/T1', payload: `outcome=${'x'.repeat(70_000)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 413],
    ];
    for (const [what, options, status] of pages) {
      const response = await gw.app.inject({ ...options, headers: { accept: 'text/html', 'user-agent': PC_UA, ...(options.headers ?? {}) } });
      assert.equal(response.statusCode, status, `${what}: ${response.body.slice(0, 200)}`);
      assert.match(String(response.headers['content-type']), /^text\/html/, what);
      assertPageHeaders(response, what);
      assert.equal(assertInlineContentAllowed(response, what).scripts, 0);
    }
  });

  test('the merchant API answers run none of it (its hot paths stay as they were)', async () => {
    const { nonce, reference } = await createOrder(gw);
    for (const options of [
      { method: 'POST', url: '/v2/transaction', payload: {} },
      { method: 'GET', url: `/v2/transaction/${reference}?user_id=${gw.merchant.user_id}&signature=x` },
      { method: 'GET', url: `/pay/${nonce}/status` },
    ] as InjectOptions[]) {
      const response = await gw.app.inject(options);
      assert.equal(response.headers['content-security-policy'], undefined, options.url as string);
      assert.match(String(response.headers['content-type']), /^application\/json/);
    }
  });
});

describe('with an https PUBLIC_URL', () => {
  test('pages also get HSTS and upgrade-insecure-requests', async () => {
    const gw = await createTestGateway({ env: { PUBLIC_URL: 'https://pay.example' } });
    try {
      const { nonce } = await createOrder(gw);
      const page = await gw.app.inject({ method: 'GET', url: `/pay/${nonce}`, headers: { accept: 'text/html', 'user-agent': PC_UA } });
      assertPageHeaders(page, 'payment page', true);
      const missing = await gw.app.inject({ method: 'GET', url: '/no/such/page', headers: { accept: 'text/html' } });
      assertPageHeaders(missing, 'unknown path', true);
    } finally {
      await gw.close();
    }
  });
});
