// The public clients' behaviours of spec §6, end to end against real providers: a gateway with
// the sandbox off, whose merchant's wallet has Alipay served by Antom and WeChat Pay by WeChat
// Pay (the protocol-exact fakes on loopback), listening on a loopback port; a merchant's web
// server on another. Each client is emulated as its public code behaves (its signature form,
// the fields it compares, the paths it calls), over real sockets: it creates the payment, the
// customer pays at the provider, whose signed notification reaches the gateway, the merchant's
// server gets the callback, and the client queries and refunds as it does. Signatures are
// computed here with node:crypto, as the clients do, never with the gateway's functions.
// What these clients do against the sandbox is in test/http (create-transaction, query-
// transaction, refund, detail) and test/e2e/payment-flow.test.ts; this is about real providers.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { ProviderFactory } from '../../src/channels/provider-registry.js';
import { findOrderById } from '../../src/store/orders.js';
import { findLatestAttempt, type AttemptRecord } from '../../src/store/payment-attempts.js';
import { findRefund } from '../../src/store/refunds.js';
import type { FakeAntom } from '../fakes/antom/fake-antom.js';
import { FakeWechatPay } from '../fakes/wechatpay/fake-wechatpay.js';
import { antomFactories, configureAntom, makeAntomMerchant, startFakeAntom } from '../helpers/antom.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { configureWechat, makeWechatMerchant, wechatFactories } from '../helpers/wechatpay.js';
import { findFreePort, newReference, waitFor } from './helpers.js';

const PC_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';
const IPHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';

// ---------------------------------------------------------------------------------------------
// Signatures as the clients compute them (spec §2)

function hmac(key: string, message: string): string {
  return createHmac('sha256', key).update(message, 'utf8').digest('hex');
}

/** The sorted form (§2.1); `keepEmpty`: the Ruby client keeps `reference=`. */
function sortedSignature(params: Record<string, string>, apiKey: string, keepEmpty = false): string {
  const message = Object.keys(params)
    .filter((key) => key !== 'signature' && (keepEmpty || params[key] !== ''))
    .sort()
    .map((key) => `${key}=${params[key]}`)
    .join('&');
  return hmac(apiKey, message + apiKey);
}

/** What callbacks, redirects and query answers are signed with (§2.3). */
function resultSignature(fields: Record<string, unknown>, apiKey: string): string {
  return hmac(apiKey, ['merchant_reference', 'payment_method', 'status', 'currency', 'amount'].map((k) => String(fields[k])).join(''));
}

// ---------------------------------------------------------------------------------------------
// The merchant's web server: every request kept; a POST is a callback (answered `sent`)

interface ShopRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  fields: Record<string, string>;
}

async function startShop(): Promise<{ url: string; requests: ShopRequest[]; close(): Promise<void> }> {
  const requests: ShopRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = req.url ?? '/';
      const body = Buffer.concat(chunks).toString('utf8');
      const fields = Object.fromEntries(new URLSearchParams(req.method === 'POST' ? body : new URL(url, 'http://shop.test').search));
      requests.push({ method: req.method ?? '', url, fields });
      if (req.method === 'POST') res.writeHead(200, { 'content-type': 'text/plain' }).end('sent');
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<p>thank you</p>');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------

interface Answer {
  code: unknown;
  message: unknown;
  [field: string]: unknown;
}

describe('the public clients of spec §6, end to end, with Alipay through Antom and WeChat Pay (the fakes), the sandbox off', () => {
  let gw: TestGateway;
  let base: string;
  let antom: FakeAntom;
  let wechat: FakeWechatPay;
  let shop: Awaited<ReturnType<typeof startShop>>;
  let apiKey: string;
  let userId: string;
  let walletId: string;

  before(async () => {
    const antomMerchant = makeAntomMerchant();
    const wechatMerchant = makeWechatMerchant();
    antom = await startFakeAntom([antomMerchant]);
    wechat = await FakeWechatPay.start({ merchants: [wechatMerchant.fake] });
    shop = await startShop();
    const port = await findFreePort();
    base = `http://127.0.0.1:${port}`;
    const factories = new Map<string, ProviderFactory>([...antomFactories(), ...wechatFactories(wechat)]);
    gw = await createTestGateway({
      env: { PUBLIC_URL: base, SANDBOX: 'off', NOTIFY_RETRY_SECONDS: '1' },
      worker: true,
      providerFactories: factories,
    });
    await gw.app.listen({ port, host: '127.0.0.1' });
    await configureAntom(gw, gw.merchant.wallet_id, antom, antomMerchant);
    await configureWechat(gw, wechat, wechatMerchant);
    ({ api_key: apiKey, user_id: userId, wallet_id: walletId } = gw.merchant);
  });

  after(async () => {
    await gw?.close();
    await antom?.stop();
    await wechat?.stop();
    await shop?.close();
  });

  // -------------------------------------------------------------------------------------------
  // What every client does over HTTP

  async function call(method: 'GET' | 'POST', path: string, body?: { json: Record<string, string> } | { form: Record<string, string> }): Promise<Answer> {
    const init: RequestInit = { method };
    if (body && 'json' in body) init.body = JSON.stringify(body.json);
    if (body && 'form' in body) init.body = new URLSearchParams(body.form).toString();
    if (body) init.headers = { 'content-type': 'json' in body ? 'application/json;charset=UTF-8' : 'application/x-www-form-urlencoded' };
    const response = await fetch(`${base}${path}`, init);
    assert.equal(response.status, 200, `${method} ${path}: HTTP ${response.status}`);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    return (await response.json()) as Answer;
  }

  /** The fields a client sends to create a payment. */
  function paymentFields(method: string, reference: string, returnUrl: string, callbackUrl: string, amount = '120.00'): Record<string, string> {
    return {
      user_id: userId,
      wallet_id: walletId,
      amount,
      payment_method: method,
      return_url: returnUrl,
      callback_url: callbackUrl,
      merchant_reference: reference,
      ip: '122.122.122.1',
      version: '2.0',
      product_name: 'Pinot Noir, Otago',
    };
  }

  /** What the clients that redirect check before sending the customer on (the PHP SDK's rule); the page URL. */
  function hostedPage(answer: Answer): string {
    assert.strictEqual(answer.code, 0, JSON.stringify(answer));
    assert.strictEqual(answer.message, 'SUCCESS');
    const { host_url: hostUrl, nonce, signature } = answer;
    assert.ok(typeof hostUrl === 'string' && typeof nonce === 'string', 'host_url and nonce exist');
    assert.strictEqual(signature, hmac(apiKey, nonce + hostUrl), 'signature == HMAC(nonce + host_url)');
    return `${hostUrl}/${nonce}`;
  }

  /** The customer's browser opens the hosted page. */
  async function openPage(pageUrl: string, userAgent: string): Promise<string> {
    const response = await fetch(pageUrl, { headers: { 'user-agent': userAgent, accept: 'text/html' } });
    assert.equal(response.status, 200);
    return response.text();
  }

  function attribute(html: string, pattern: RegExp): string {
    const match = pattern.exec(html);
    assert.ok(match, `the page has ${pattern}`);
    return match[1].replaceAll('&amp;', '&');
  }

  async function attemptOf(reference: string): Promise<AttemptRecord> {
    const order = await gw.store.db.selectFrom('orders').select('order_id').where('merchant_reference', '=', reference).executeTakeFirstOrThrow();
    const attempt = await findLatestAttempt(gw.store.db, order.order_id);
    assert.ok(attempt, `order ${order.order_id} has a payment with its provider`);
    return attempt;
  }

  /** The customer follows the page's Alipay link and pays at Antom; Antom notifies the gateway, signed. */
  async function payAtAntom(reference: string, html: string): Promise<void> {
    const link = attribute(html, /<a [^>]*data-test="redirect"[^>]*href="([^"]*)"|<a [^>]*href="([^"]*)"[^>]*data-test="redirect"/);
    const attempt = await attemptOf(reference);
    assert.equal(attempt.provider, 'antom');
    const payment = antom.payment(attempt.attempt_id);
    assert.ok(payment && link.includes(`paymentId=${payment.paymentId}`), `the page links to Antom's cashier for this payment: ${link}`);
    const cashier = await fetch(link);
    assert.equal(cashier.status, 200, "Antom's cashier page");
    await cashier.arrayBuffer();
    const notification = await antom.pay(attempt.attempt_id);
    assert.equal(notification?.acknowledged, true);
    assert.equal(notification?.attempts[0].exactAcknowledgement, true);
  }

  /** The customer scans the page's QR with WeChat and pays; WeChat Pay notifies the gateway, signed and encrypted. */
  async function payAtWechat(reference: string, html: string): Promise<void> {
    const qr = attribute(html, /data-qr-url="([^"]*)"/);
    const attempt = await attemptOf(reference);
    assert.equal(attempt.provider, 'wechatpay');
    assert.equal(wechat.order(attempt.attempt_id)?.codeUrl, qr, "the page's QR is WeChat Pay's code_url for this payment");
    const notification = await wechat.pay(attempt.attempt_id);
    assert.equal(notification?.acknowledged, true);
  }

  /** The merchant's server got the paid callback at `path` (its query too); answers its fields. */
  async function paidCallback(reference: string, url: string): Promise<Record<string, string>> {
    const callback = await waitFor(`the callback for ${reference}`, () => shop.requests.find((r) => r.method === 'POST' && r.fields.merchant_reference === reference));
    assert.equal(callback.url, url);
    return callback.fields;
  }

  /** The customer's browser, back on the page after paying, is sent to return_url; answers the redirect's fields. */
  async function returnRedirect(pageUrl: string, returnUrl: string): Promise<Record<string, string>> {
    const response = await fetch(pageUrl, { redirect: 'manual', headers: { 'user-agent': PC_UA } });
    assert.equal(response.status, 302);
    await response.arrayBuffer();
    const location = String(response.headers.get('location'));
    assert.ok(location.startsWith(returnUrl), `${location} is return_url with the result`);
    const landed = await fetch(location);
    assert.equal(landed.status, 200);
    await landed.arrayBuffer();
    const arrived = [...shop.requests].reverse().find((r) => r.method === 'GET' && location.endsWith(r.url));
    assert.ok(arrived, 'the browser landed at the merchant');
    return arrived.fields;
  }

  async function refundStatus(refundId: unknown): Promise<string | undefined> {
    return (await findRefund(gw.store.db, String(refundId)))?.status;
  }

  // -------------------------------------------------------------------------------------------

  test('the PHP SDK with Alipay (Antom) on a PC: redirects only on a good signature, the cashier, the callback, the query, a refund', async () => {
    const reference = newReference('php');
    const returnUrl = `${shop.url}/php/return`;
    const callbackUrl = `${shop.url}/php/notify`;
    const fields = paymentFields('alipay', reference, returnUrl, callbackUrl);
    const created = await call('POST', '/v2/transaction', { json: { ...fields, signature: sortedSignature(fields, apiKey) } });
    const pageUrl = hostedPage(created);

    const html = await openPage(pageUrl, PC_UA);
    assert.match(html, /data-test="redirect"[^>]*target="_blank"/, 'a PC opens the cashier in a new tab');
    await payAtAntom(reference, html);

    const callback = await paidCallback(reference, '/php/notify');
    assert.strictEqual(callback.signature, resultSignature(callback, apiKey));
    assert.equal(callback.status, 'paid');
    assert.equal(callback.amount, '120.00');
    assert.equal(callback.currency, 'NZD');
    assert.equal(callback.payment_method, 'alipay');

    const back = await returnRedirect(pageUrl, returnUrl);
    assert.strictEqual(back.signature, resultSignature(back, apiKey));
    assert.equal(back.status, 'paid');

    const queried = await call('GET', `/v2/transaction/${encodeURIComponent(reference)}?user_id=${userId}&signature=${sortedSignature({ merchant_reference: reference, user_id: userId }, apiKey)}`);
    assert.strictEqual(queried.code, 0);
    assert.equal(queried.status, 'paid');
    assert.equal(queried.order_id, callback.order_id);
    assert.strictEqual(queried.signature, resultSignature(queried, apiKey));

    const refundFields = { user_id: userId, order_id: callback.order_id, refund_amount: '20.00', reference: 'corked' };
    const refunded = await call('POST', '/refund', { json: { ...refundFields, signature: sortedSignature(refundFields, apiKey) } });
    assert.strictEqual(refunded.code, 0, JSON.stringify(refunded));
    const atAntom = antom.refund(String(refunded.refund_id));
    assert.deepEqual(atAntom?.amount, { currency: 'NZD', value: '2000' }, 'Antom was asked for NZD 20.00');
    await antom.completeRefund(String(refunded.refund_id), 'SUCCESS');
    assert.equal(await refundStatus(refunded.refund_id), 'succeeded');
  });

  test('the Ruby client with WeChat Pay: a CGI-escaped reference, queries signed sorted keeping empty values, a refund to /refund signed with `reference=`', async () => {
    const reference = `rb order ${Date.now()} & co/é+1`;
    const returnUrl = `${shop.url}/ruby/return`;
    const callbackUrl = `${shop.url}/ruby/notify`;
    const fields = paymentFields('wechat', reference, returnUrl, callbackUrl);
    // A form post, signed in the sorted form.
    const created = await call('POST', '/v2/transaction', { form: { ...fields, signature: sortedSignature(fields, apiKey, true) } });
    const pageUrl = hostedPage(created);

    const html = await openPage(pageUrl, PC_UA);
    await payAtWechat(reference, html);
    const callback = await paidCallback(reference, '/ruby/notify');
    assert.strictEqual(callback.signature, resultSignature(callback, apiKey));
    assert.equal(callback.payment_method, 'wechat');
    assert.equal(callback.status, 'paid');

    // CGI.escape: form encoding of the path segment ("+" for a space, %2F, %26, %2B).
    const escaped = new URLSearchParams({ r: reference }).toString().slice(2);
    assert.ok(escaped.includes('+') && escaped.includes('%2F') && escaped.includes('%2B'), escaped);
    // The gem sends its optional parameters empty, and signs them.
    const params = { merchant_reference: reference, user_id: userId, reference: '' };
    const query = new URLSearchParams({ user_id: userId, reference: '', signature: sortedSignature(params, apiKey, true) });
    const queried = await call('GET', `/v2/transaction/${escaped}?${query}`);
    assert.strictEqual(queried.code, 0, JSON.stringify(queried));
    assert.equal(queried.merchant_reference, reference);
    assert.equal(queried.status, 'paid');
    assert.strictEqual(queried.signature, resultSignature(queried, apiKey));

    const refundFields = { user_id: userId, order_id: String(queried.order_id), refund_amount: '120.00', reference: '' };
    const signature = sortedSignature(refundFields, apiKey, true);
    assert.notEqual(signature, sortedSignature(refundFields, apiKey), 'the test exercises the keep-empty form');
    const refunded = await call('POST', '/refund', { json: { ...refundFields, signature } });
    assert.strictEqual(refunded.code, 0, JSON.stringify(refunded));
    const [atWechat] = wechat.refundsOf((await attemptOf(reference)).attempt_id);
    assert.equal(atWechat?.outRefundNo, refunded.refund_id, 'WeChat Pay was asked with the gateway refund id');
    await wechat.completeRefund(String(refunded.refund_id), 'SUCCESS', { notify: true });
    await waitFor('the refund to succeed', async () => (await refundStatus(refunded.refund_id)) === 'succeeded');
  });

  test('the omnipay driver with Alipay (Antom) on a phone: status === "paid" from the callback and the query, a refund to /v2/refund', async () => {
    const reference = newReference('omnipay');
    const returnUrl = `${shop.url}/omnipay/complete`;
    const callbackUrl = `${shop.url}/omnipay/notify`;
    const fields = paymentFields('alipay', reference, returnUrl, callbackUrl, '35.50');
    const created = await call('POST', '/v2/transaction', { json: { ...fields, signature: sortedSignature(fields, apiKey) } });
    const pageUrl = hostedPage(created);

    const html = await openPage(pageUrl, IPHONE_UA);
    assert.match(html, /data-test="redirect" data-auto-redirect="1"/, 'a phone goes to Alipay by itself');
    assert.equal(antom.payment((await attemptOf(reference)).attempt_id)?.terminalType, 'WAP');
    await payAtAntom(reference, html);

    // completePurchase: the notification is paid when its signature holds and status === "paid".
    const callback = await paidCallback(reference, '/omnipay/notify');
    assert.ok(callback.signature === resultSignature(callback, apiKey) && callback.status === 'paid');
    assert.equal(callback.amount, '35.50');
    const queried = await call('GET', `/v2/transaction/${encodeURIComponent(reference)}?user_id=${userId}&signature=${sortedSignature({ merchant_reference: reference, user_id: userId }, apiKey)}`);
    assert.ok(queried.code === 0 && queried.status === 'paid', JSON.stringify(queried));

    const refundFields = { user_id: userId, order_id: callback.order_id, refund_amount: '35.50', reference: 'omnipay refund' };
    const refunded = await call('POST', '/v2/refund', { json: { ...refundFields, signature: sortedSignature(refundFields, apiKey) } });
    assert.strictEqual(refunded.code, 0, JSON.stringify(refunded));
    assert.deepEqual(antom.refund(String(refunded.refund_id))?.amount, { currency: 'NZD', value: '3550' });
    const again = await call('POST', '/v2/refund', { json: { ...refundFields, signature: sortedSignature(refundFields, apiKey) } });
    assert.strictEqual(again.code, 562, 'the same refund again is a duplicate, never a second refund at Antom');
    assert.equal(antom.refundsOf((await attemptOf(reference)).attempt_id).length, 1);
  });

  test('the Laravel client with WeChat Pay: /v2/detail lists both real providers, a legacy concatenated create signature, the legacy query', async () => {
    const detail = await call('GET', `/v2/detail/${walletId}?user_id=${userId}&signature=${hmac(apiKey, walletId + userId)}`);
    assert.deepEqual(detail, { code: 0, message: 'SUCCESS', payment_method: 'Alipay,Wechat' }, 'served by Antom and WeChat Pay with the sandbox off');

    const reference = newReference('laravel');
    const returnUrl = `${shop.url}/laravel/return`;
    const callbackUrl = `${shop.url}/laravel/notify`;
    const fields = paymentFields('wechat', reference, returnUrl, callbackUrl, '9.90');
    const legacy = hmac(apiKey, fields.user_id + fields.wallet_id + fields.amount + fields.payment_method + fields.return_url + fields.callback_url);
    const created = await call('POST', '/v2/transaction', { json: { ...fields, signature: legacy } });
    const pageUrl = hostedPage(created);

    await payAtWechat(reference, await openPage(pageUrl, PC_UA));
    const callback = await paidCallback(reference, '/laravel/notify');
    assert.strictEqual(callback.signature, resultSignature(callback, apiKey));
    assert.equal(callback.amount, '9.90');
    const queried = await call('GET', `/v2/transaction/${encodeURIComponent(reference)}?user_id=${userId}&signature=${hmac(apiKey, reference + userId)}`);
    assert.strictEqual(queried.code, 0);
    assert.equal(queried.status, 'paid');

    const refundFields = { user_id: userId, order_id: callback.order_id, refund_amount: '9.90', reference: 'laravel' };
    const refunded = await call('POST', '/refund', { json: { ...refundFields, signature: sortedSignature(refundFields, apiKey) } });
    assert.strictEqual(refunded.code, 0, JSON.stringify(refunded));
    assert.equal(await refundStatus(refunded.refund_id), 'processing', 'WeChat Pay accepted it; it ends later');
  });

  for (const method of ['alipay', 'wechat'] as const) {
    test(`an e-commerce plugin with ${method === 'alipay' ? 'Alipay (Antom)' : 'WeChat Pay'}: one URL (with its own query) for return_url and callback_url`, async () => {
      const reference = newReference(`plugin-${method}`);
      const oneUrl = `${shop.url}/?wc-api=latipay&order=${encodeURIComponent(reference)}`;
      const fields = paymentFields(method, reference, oneUrl, oneUrl);
      const created = await call('POST', '/v2/transaction', { json: { ...fields, signature: sortedSignature(fields, apiKey) } });
      const pageUrl = hostedPage(created);
      const html = await openPage(pageUrl, PC_UA);
      if (method === 'alipay') await payAtAntom(reference, html);
      else await payAtWechat(reference, html);

      // The server side: the callback is a POST to the URL, its query kept; the fields are in the body.
      const callback = await paidCallback(reference, `/?wc-api=latipay&order=${encodeURIComponent(reference)}`);
      assert.strictEqual(callback.signature, resultSignature(callback, apiKey));
      assert.equal(callback.status, 'paid');
      // The browser side: a GET to the same URL, the plugin's query first, the result after it.
      const back = await returnRedirect(pageUrl, `${oneUrl}&merchant_reference=`);
      assert.equal(back['wc-api'], 'latipay');
      assert.equal(back.order, reference);
      assert.strictEqual(back.signature, resultSignature(back, apiKey));
      assert.equal(back.status, 'paid');
      const order = await findOrderById(gw.store.db, callback.order_id);
      assert.equal(order?.status, 'paid');
      assert.equal(order?.provider_account_id, (await attemptOf(reference)).account_id, 'served by the provider account of the method');
    });
  }
});
