// The hosted payment page with WeChat Pay (the fake) behind it: the Native QR on a PC and
// inside WeChat without OAuth (long-pressed), and with the official account's OAuth the
// payer's openid, a JSAPI attempt and the button that opens WeChat Pay's sheet.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { findOrderById } from '../../../src/store/orders.js';
import { listAttemptsOfOrder } from '../../../src/store/payment-attempts.js';
import { FakeWechatPay } from '../../fakes/wechatpay/fake-wechatpay.js';
import { createTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { configureWechat, makeWechatMerchant, wechatFactories, type WechatMerchant } from '../../helpers/wechatpay.js';
import { createOrder, PC_UA, WECHAT_UA } from '../../http/support.js';
import { waitFor } from '../../e2e/helpers.js';

const APP_SECRET = 'AppSecret0123456789abcdefABCDEF0';

function page(gw: TestGateway, url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return gw.app.inject({ method: 'GET', url, headers: { 'user-agent': PC_UA, accept: 'text/html', ...headers } });
}

function attr(body: string, test: string, name: string): string {
  const match = new RegExp(`<[^>]*data-test="${test}"[^>]*>`).exec(body);
  assert.ok(match, `the page has data-test="${test}"`);
  const value = new RegExp(`${name}="([^"]*)"`).exec(match[0]);
  assert.ok(value, `data-test="${test}" has ${name}`);
  return value[1].replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>');
}

function cookieOf(response: LightMyRequestResponse): string {
  const header = String(response.headers['set-cookie'] ?? '');
  return header.split(';')[0];
}

describe('the payment page with WeChat Pay', () => {
  let fake: FakeWechatPay;
  let merchant: WechatMerchant;
  let gw: TestGateway;
  let now = Date.now();

  before(async () => {
    merchant = makeWechatMerchant();
    fake = await FakeWechatPay.start({ merchants: [merchant.fake], officialAccounts: [{ appid: merchant.appid, secret: APP_SECRET }] });
    gw = await createTestGateway({ providerFactories: wechatFactories(fake), clock: () => now });
  });

  after(async () => {
    await gw.close();
    await fake.stop();
  });

  async function wechatOrder(oauth: boolean) {
    await configureWechat(gw, fake, merchant, oauth ? { 'oauth-app-secret-file': APP_SECRET } : {});
    return createOrder(gw, { payment_method: 'wechat' });
  }

  /** Goes through the fake's OAuth as the customer's WeChat would: answers the URL it sends the customer back to. */
  async function throughOAuth(authorizeUrl: string, openid: string): Promise<URL> {
    fake.signInAs(merchant.appid, openid);
    const res = await fetch(authorizeUrl.replace(/#wechat_redirect$/, ''), { redirect: 'manual' });
    assert.equal(res.status, 302);
    return new URL(String(res.headers.get('location')));
  }

  test('on a PC: the Native order\'s code_url as the QR', async () => {
    const { nonce, orderId } = await wechatOrder(false);
    const body = (await page(gw, `/pay/${nonce}`)).body;
    const qr = attr(body, 'qr', 'data-qr-url');
    assert.match(qr, /^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    assert.equal(fake.order(`${orderId}01`)?.codeUrl, qr);
    assert.ok(!body.includes('data-test="sandbox-banner"'));
  });

  test('inside WeChat without an AppSecret: the Native QR, to long-press; no OAuth', async () => {
    const { nonce, orderId } = await wechatOrder(false);
    const response = await page(gw, `/pay/${nonce}`, { 'user-agent': WECHAT_UA });
    assert.equal(response.statusCode, 200);
    assert.ok(response.body.includes('data-test="long-press"'));
    assert.match(attr(response.body, 'qr', 'data-qr-url'), /^weixin:\/\//);
    assert.ok(!response.body.includes('data-test="pay-in-app"'), 'no weixin:// link: it does not open from a page');
    assert.equal(fake.order(`${orderId}01`)?.tradeType, 'NATIVE');
  });

  test('inside WeChat with the AppSecret: OAuth (snsapi_base) and back, a JSAPI order for the payer, and the button with WeixinJSBridge\'s parameters', async () => {
    const { nonce, orderId } = await wechatOrder(true);
    const first = await page(gw, `/pay/${nonce}?lang=zh`, { 'user-agent': WECHAT_UA });
    assert.equal(first.statusCode, 302);
    const authorize = String(first.headers.location);
    const url = new URL(authorize);
    assert.equal(`${url.origin}${url.pathname}`, `${fake.baseUrl}/connect/oauth2/authorize`);
    assert.equal(url.searchParams.get('appid'), merchant.appid);
    assert.equal(url.searchParams.get('redirect_uri'), `${gw.config.publicUrl}/pay/${nonce}`);
    assert.equal(url.searchParams.get('scope'), 'snsapi_base');
    assert.match(String(url.searchParams.get('state')), /^[0-9a-f]{40,60}$/);
    assert.ok(authorize.endsWith('#wechat_redirect'));
    const cookie = cookieOf(first);
    assert.match(String(first.headers['set-cookie']), /^latipay_oauth=[0-9a-f]{16}; Max-Age=600; Path=\/pay\/[0-9a-f]{64}; HttpOnly; SameSite=Lax$/);
    assert.equal(fake.order(`${orderId}01`), undefined, 'nothing is ordered before the payer is known');

    const back = await throughOAuth(authorize, 'oPAYER0000000000000000000088');
    assert.equal(`${back.origin}${back.pathname}`, `${gw.config.publicUrl}/pay/${nonce}`);
    const returned = await page(gw, `${back.pathname}${back.search}`, { 'user-agent': WECHAT_UA, cookie });
    assert.equal(returned.statusCode, 302, returned.body.slice(0, 200));
    assert.equal(returned.headers.location, `/pay/${nonce}`, 'the code leaves the address');
    assert.match(String(returned.headers['set-cookie']), /^latipay_oauth=; Max-Age=0/);
    const order = fake.order(`${orderId}01`);
    assert.equal(order?.tradeType, 'JSAPI');
    assert.deepEqual(order?.request.payer, { openid: 'oPAYER0000000000000000000088' });

    const shown = await page(gw, `/pay/${nonce}`, { 'user-agent': WECHAT_UA });
    assert.equal(shown.statusCode, 200, 'the in-app attempt is shown again: no second round trip');
    const params = JSON.parse(attr(shown.body, 'wechat-jsapi', 'data-params')) as Record<string, string>;
    assert.equal(fake.checkJsapiInvoke(merchant.mchid, params as never), null, 'WeChat would accept the parameters');
    assert.equal(params.package, `prepay_id=${order?.prepayId}`);
    const csp = String(shown.headers['content-security-policy']);
    const scriptNonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(scriptNonce, 'the page has a CSP script nonce');
    assert.ok(shown.body.includes(`<script nonce="${scriptNonce}">`));
    assert.ok(shown.body.includes("WeixinJSBridge.invoke('getBrandWCPayRequest',p,"));
    assert.equal((await listAttemptsOfOrder(gw.store.db, orderId)).length, 1);
  });

  test('a state that is forged, from another order, without its cookie, or too old falls back to the QR; its code is never exchanged', async () => {
    const other = await wechatOrder(true);
    const otherStart = await page(gw, `/pay/${other.nonce}`, { 'user-agent': WECHAT_UA });
    const otherState = String(new URL(String(otherStart.headers.location)).searchParams.get('state'));

    const cases: Array<{ name: string; state?: (own: string) => string; cookie?: (own: string) => string | undefined; later?: number }> = [
      { name: 'forged', state: (own) => own.slice(0, -4) + (own.endsWith('0000') ? '1111' : '0000') },
      { name: "another order's", state: () => otherState, cookie: () => cookieOf(otherStart) },
      { name: 'without its cookie', cookie: () => undefined },
      { name: "another browser's cookie", cookie: () => 'latipay_oauth=0123456789abcdef' },
      { name: 'eleven minutes old', later: 11 * 60_000 },
    ];
    for (const c of cases) {
      const { nonce, orderId } = await wechatOrder(true);
      const start = await page(gw, `/pay/${nonce}`, { 'user-agent': WECHAT_UA });
      const back = await throughOAuth(String(start.headers.location), 'oPAYER0000000000000000000099');
      const state = String(back.searchParams.get('state'));
      back.searchParams.set('state', c.state ? c.state(state) : state);
      const cookie = c.cookie ? c.cookie(cookieOf(start)) : cookieOf(start);
      const exchanges = fake.requestsTo('/sns/oauth2/access_token').length;
      now += c.later ?? 0;
      const response = await page(gw, `${back.pathname}${back.search}`, { 'user-agent': WECHAT_UA, ...(cookie ? { cookie } : {}) });
      now = Date.now();
      assert.equal(response.statusCode, 200, c.name);
      assert.ok(response.body.includes('data-test="long-press"'), `${c.name}: the QR`);
      assert.equal(fake.requestsTo('/sns/oauth2/access_token').length, exchanges, `${c.name}: the code is not used`);
      assert.equal(fake.order(`${orderId}01`)?.tradeType, 'NATIVE', c.name);
    }
  });

  test('opened in WeChat (JSAPI), then on a PC: a Native QR there, and the JSAPI order is closed', async () => {
    const { nonce, orderId } = await wechatOrder(true);
    const start = await page(gw, `/pay/${nonce}`, { 'user-agent': WECHAT_UA });
    const back = await throughOAuth(String(start.headers.location), 'oPAYER0000000000000000000066');
    await page(gw, `${back.pathname}${back.search}`, { 'user-agent': WECHAT_UA, cookie: cookieOf(start) });
    assert.equal(fake.order(`${orderId}01`)?.tradeType, 'JSAPI');
    const pc = await page(gw, `/pay/${nonce}`);
    assert.match(attr(pc.body, 'qr', 'data-qr-url'), /^weixin:\/\//);
    assert.equal(fake.order(`${orderId}02`)?.tradeType, 'NATIVE');
    // The superseded attempt is closed after the answer, in the background.
    await waitFor('the JSAPI order closed', () => fake.order(`${orderId}01`)?.state === 'CLOSED', { timeoutMs: 5_000 });
    assert.equal((await findOrderById(gw.store.db, orderId))?.status, 'pending');
  });
});
