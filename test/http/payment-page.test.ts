import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { configureProvider, createTestGateway, signed, type TestGateway } from '../helpers/gateway.js';
import type { PaymentProvider } from '../../src/channels/provider.js';
import type { SandboxProvider } from '../../src/channels/sandbox/sandbox-provider.js';
import { findSandboxTradeByOutTradeNo } from '../../src/store/sandbox-trades.js';
import { cancelFields, postCancel } from '../helpers/money.js';
import { answerOf, createOrder, hmac, IPHONE_UA, PC_UA, settleOrder, WECHAT_UA } from './support.js';

const PUBLIC_URL = 'http://gateway.test';

function page(gw: TestGateway, url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return gw.app.inject({ method: 'GET', url, headers: { 'user-agent': PC_UA, accept: 'text/html', ...headers } });
}

function assertHtml(response: LightMyRequestResponse, status = 200): string {
  assert.equal(response.statusCode, status, response.body.slice(0, 300));
  assert.match(String(response.headers['content-type']), /^text\/html/);
  return response.body;
}

/** The sandbox wallet URL the page's QR encodes. */
function qrUrlOf(body: string): string {
  const match = /data-qr-url="([^"]+)"/.exec(body);
  assert.ok(match, 'the page has a QR with data-qr-url');
  return match[1].replaceAll('&amp;', '&');
}

function querySignature(gw: TestGateway, reference: string): string {
  return signed({ merchant_reference: reference, user_id: gw.merchant.user_id }, gw.merchant.api_key).signature;
}

async function queryStatus(gw: TestGateway, reference: string): Promise<string> {
  const response = await gw.app.inject({
    method: 'GET',
    url: `/v2/transaction/${encodeURIComponent(reference)}?user_id=${gw.merchant.user_id}&signature=${querySignature(gw, reference)}`,
  });
  const answer = answerOf(response);
  assert.equal(answer.code, 0, response.body);
  return String(answer.status);
}

/** The text of the first element carrying `data-test="name"` (tags inside it dropped, entities of the pages decoded). */
function textOf(body: string, name: string): string {
  const match = new RegExp(`data-test="${name}"[^>]*>([\\s\\S]*?)</(p|h1|dd|div|a|span)>`).exec(body);
  assert.ok(match, `the page has data-test="${name}"`);
  return match[1].replace(/<[^>]+>/g, '').replaceAll('&amp;', '&').replaceAll('&#39;', "'").replace(/\s+/g, ' ').trim();
}

/** The href of the element carrying `data-test="name"`, entities decoded. */
function hrefOf(body: string, name: string): string {
  const match = new RegExp(`<a [^>]*href="([^"]*)"[^>]*data-test="${name}"|<a [^>]*data-test="${name}"[^>]*href="([^"]*)"`).exec(body);
  assert.ok(match, `the page has a link data-test="${name}"`);
  return (match[1] ?? match[2]).replaceAll('&amp;', '&');
}

/** The sandbox wallet page after the tester presses confirm (`paid`) or decline (`failed`). */
function postWallet(gw: TestGateway, path: string, outcome: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return gw.app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': IPHONE_UA, ...headers },
    payload: `outcome=${outcome}`,
  });
}

/** Asserts `url` is the merchant's return_url with the signed result of spec §4.5. */
function assertSignedReturn(gw: TestGateway, url: string, expected: { reference: string; method?: string; status: string }): void {
  const location = new URL(url);
  assert.equal(location.origin + location.pathname, 'https://merchant.example/return', url);
  const q = location.searchParams;
  assert.equal(q.get('merchant_reference'), expected.reference);
  assert.equal(q.get('status'), expected.status);
  const message = `${expected.reference}${expected.method ?? 'alipay'}${expected.status}NZD120.00`;
  assert.equal(q.get('signature'), hmac(gw.merchant.api_key, message));
}

async function orderRow(gw: TestGateway, orderId: string) {
  return gw.store.db.selectFrom('orders').selectAll().where('order_id', '=', orderId).executeTakeFirstOrThrow();
}

describe('hosted payment page', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(async () => {
    await gw.close();
  });

  describe('GET /pay/{nonce}', () => {
    test('on a PC shows merchant, product, amount, currency and a QR under the sandbox wallet', async () => {
      const { nonce, orderId } = await createOrder(gw);
      const body = assertHtml(await page(gw, `/pay/${nonce}`));
      assert.match(body, /data-test="merchant">Test Shop</);
      assert.match(body, /data-test="product">Pinot Noir, Otago</);
      assert.match(body, /data-test="amount">120\.00 <span class="muted">NZD<\/span>/);
      assert.match(body, /<svg[^>]*>/);
      assert.match(body, /data-test="qr" data-qr-url="[^"]+" role="img" aria-label="Open Alipay and scan the QR code to pay"/);
      assert.ok(qrUrlOf(body).startsWith(`${PUBLIC_URL}/sandbox/wallet/`), qrUrlOf(body));
      assert.ok(body.includes(orderId));
      assert.match(body, /<html lang="en"/);
      assert.equal((await page(gw, `/pay/${nonce}`)).headers['cache-control'], 'no-store');
    });

    test('the QR stays the same trade when the page is opened again', async () => {
      const { nonce } = await createOrder(gw);
      const first = qrUrlOf(assertHtml(await page(gw, `/pay/${nonce}`)));
      const second = qrUrlOf(assertHtml(await page(gw, `/pay/${nonce}`)));
      assert.equal(first, second);
    });

    test('English by default', async () => {
      const { nonce } = await createOrder(gw);
      const body = assertHtml(await page(gw, `/pay/${nonce}`));
      assert.match(body, /<html lang="en"/);
      assert.ok(body.includes('Product'));
      assert.ok(body.includes('Open Alipay and scan the QR code to pay'));
    });

    test('Chinese for Accept-Language zh-CN', async () => {
      const { nonce } = await createOrder(gw);
      const body = assertHtml(await page(gw, `/pay/${nonce}`, { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' }));
      assert.match(body, /<html lang="zh-CN"/);
      assert.ok(body.includes('商品'));
      assert.ok(body.includes('打开支付宝扫一扫付款'));
    });

    test('Chinese via ?lang=zh, which wins over Accept-Language', async () => {
      const { nonce } = await createOrder(gw);
      const body = assertHtml(await page(gw, `/pay/${nonce}?lang=zh`, { 'accept-language': 'en-NZ' }));
      assert.match(body, /<html lang="zh-CN"/);
      assert.ok(body.includes('商品'));
      const english = assertHtml(await page(gw, `/pay/${nonce}?lang=en`, { 'accept-language': 'zh-CN' }));
      assert.match(english, /<html lang="en"/);
    });

    test('a mobile browser with alipay offers to open the Alipay app', async () => {
      const { nonce } = await createOrder(gw, { payment_method: 'alipay' });
      const body = assertHtml(await page(gw, `/pay/${nonce}`, { 'user-agent': IPHONE_UA }));
      const button = /<a class="button alipay" data-test="open-app" href="([^"]+)"/.exec(body);
      assert.ok(button, 'the open-app button is shown');
      assert.ok(button[1].startsWith(`${PUBLIC_URL}/sandbox/wallet/`));
      assert.ok(!body.includes('data-test="open-in-wechat"'));
    });

    test('a mobile browser with wechat explains it must be opened in WeChat', async () => {
      const { nonce } = await createOrder(gw, { payment_method: 'wechat' });
      const body = assertHtml(await page(gw, `/pay/${nonce}`, { 'user-agent': IPHONE_UA }));
      assert.ok(body.includes('data-test="open-in-wechat"'));
      assert.ok(!body.includes('data-test="open-app"'));
      assert.ok(!body.includes('data-qr-url'), 'no QR unless present_qr=1');
    });

    test('a mobile browser with wechat and present_qr=1 also shows the QR', async () => {
      const { nonce } = await createOrder(gw, { payment_method: 'wechat', present_qr: '1' });
      const body = assertHtml(await page(gw, `/pay/${nonce}`, { 'user-agent': IPHONE_UA }));
      assert.ok(body.includes('data-test="open-in-wechat"'));
      assert.ok(body.includes('data-qr-url'));
    });

    test("WeChat's own browser with wechat pays in the app", async () => {
      const { nonce } = await createOrder(gw, { payment_method: 'wechat' });
      const body = assertHtml(await page(gw, `/pay/${nonce}`, { 'user-agent': WECHAT_UA }));
      assert.match(body, /data-test="pay-in-app" href="http:\/\/gateway\.test\/sandbox\/wallet\//);
      assert.ok(!body.includes('data-test="open-in-wechat"'));
    });

    test("WeChat's own browser with alipay says to open it elsewhere", async () => {
      const { nonce } = await createOrder(gw, { payment_method: 'alipay' });
      const body = assertHtml(await page(gw, `/pay/${nonce}`, { 'user-agent': WECHAT_UA }));
      assert.ok(body.includes('data-test="wrong-app"'));
      assert.ok(!body.includes('data-test="pay-in-app"'));
    });

    test('backPage_url is shown as a back link', async () => {
      const { nonce } = await createOrder(gw, { backPage_url: 'https://merchant.example/cart?x=1&y=2' });
      const body = assertHtml(await page(gw, `/pay/${nonce}`));
      assert.ok(body.includes('<a href="https://merchant.example/cart?x=1&amp;y=2" data-test="back">'), body);
    });

    test('no back link without backPage_url', async () => {
      const { nonce } = await createOrder(gw);
      assert.ok(!assertHtml(await page(gw, `/pay/${nonce}`)).includes('data-test="back"'));
    });

    test('the product name and merchant name are HTML-escaped', async () => {
      const shop = await gw.addMerchant({ name: 'Bad <b>Shop</b> & "Co"' });
      const { nonce } = await createOrder(gw, { product_name: '<script>alert("x")</script> & <img src=x onerror=alert(1)>' }, shop);
      const body = assertHtml(await page(gw, `/pay/${nonce}`));
      assert.ok(!body.includes('<script>alert'), 'no injected script');
      assert.ok(!body.includes('<img src=x'), 'no injected element');
      assert.ok(body.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;'));
      assert.ok(body.includes('Bad &lt;b&gt;Shop&lt;/b&gt; &amp; &quot;Co&quot;'));
    });

    test('an unknown nonce answers a 404 HTML page', async () => {
      const body = assertHtml(await page(gw, `/pay/${randomBytes(32).toString('hex')}`), 404);
      assert.ok(body.includes('data-test="message-title">Payment not found<'));
    });

    test('a nonce that is not 64 lowercase hex answers 404', async () => {
      const { nonce } = await createOrder(gw);
      for (const bad of ['not-a-nonce', nonce.toUpperCase(), nonce.slice(1), `${nonce}0`, '%20', '..%2F..%2Fetc']) {
        const response = await page(gw, `/pay/${bad}`);
        assert.equal(response.statusCode, 404, bad);
      }
    });

    test('an order whose expires_at has passed answers 410 (through the database)', async () => {
      const { nonce, orderId } = await createOrder(gw);
      await gw.store.db.updateTable('orders').set({ expires_at: Date.now() - 1000 }).where('order_id', '=', orderId).execute();
      assertHtml(await page(gw, `/pay/${nonce}`), 410);
    });
  });

  describe('after the payment', () => {
    test('a paid order redirects (302) to return_url with the signed result', async () => {
      const { nonce, orderId, reference } = await createOrder(gw, { return_url: 'https://merchant.example/return?cart=9#top' });
      assert.equal(answerOf(await settleOrder(gw, orderId, 'paid')).code, 0);
      const response = await page(gw, `/pay/${nonce}`);
      assert.equal(response.statusCode, 302);
      const location = new URL(String(response.headers.location));
      assert.equal(location.origin + location.pathname, 'https://merchant.example/return');
      assert.equal(location.hash, '#top');
      const q = location.searchParams;
      assert.equal(q.get('cart'), '9');
      assert.equal(q.get('merchant_reference'), reference);
      assert.equal(q.get('payment_method'), 'alipay');
      assert.equal(q.get('status'), 'paid');
      assert.equal(q.get('currency'), 'NZD');
      assert.equal(q.get('amount'), '120.00');
      const message = `${reference}alipaypaidNZD120.00`;
      assert.equal(q.get('signature'), hmac(gw.merchant.api_key, message));
    });

    test('a failed order redirects with status=cancel_or_fail', async () => {
      const { nonce, orderId, reference } = await createOrder(gw, { payment_method: 'wechat' });
      assert.equal(answerOf(await settleOrder(gw, orderId, 'failed')).code, 0);
      const response = await page(gw, `/pay/${nonce}`);
      assert.equal(response.statusCode, 302);
      const q = new URL(String(response.headers.location)).searchParams;
      assert.equal(q.get('status'), 'cancel_or_fail');
      assert.equal(q.get('signature'), hmac(gw.merchant.api_key, `${reference}wechatcancel_or_failNZD120.00`));
    });

    test('a final merchant-hosted order without return_url shows the result page instead', async () => {
      const { nonce, orderId } = await createOrder(gw, { host_type: '1', return_url: '' });
      assert.equal(answerOf(await settleOrder(gw, orderId, 'paid')).code, 0);
      const body = assertHtml(await page(gw, `/pay/${nonce}`));
      assert.ok(body.includes('data-test="result" data-status="paid"'));
    });

    test('/pay/{nonce}/result shows the result once final, and sends a pending order back to the page', async () => {
      const { nonce, orderId } = await createOrder(gw);
      const pending = await page(gw, `/pay/${nonce}/result`);
      assert.equal(pending.statusCode, 302);
      assert.equal(pending.headers.location, `/pay/${nonce}`);
      assert.equal(answerOf(await settleOrder(gw, orderId, 'paid')).code, 0);
      const body = assertHtml(await page(gw, `/pay/${nonce}/result`));
      assert.ok(body.includes('data-test="result" data-status="paid"'));
      assert.ok(body.includes('Payment successful'));
      assert.ok(body.includes(`data-test="continue" href="/pay/${nonce}"`));
      assertHtml(await page(gw, `/pay/${randomBytes(32).toString('hex')}/result`), 404);
    });

    test('/pay/{nonce}/result for a failed order', async () => {
      const { nonce, orderId } = await createOrder(gw);
      assert.equal(answerOf(await settleOrder(gw, orderId, 'failed')).code, 0);
      const body = assertHtml(await page(gw, `/pay/${nonce}/result?lang=zh`));
      assert.ok(body.includes('data-test="result" data-status="failed"'));
      assert.ok(body.includes('支付未完成'));
    });

    test('/pay/{nonce}/status answers the status as JSON', async () => {
      const { nonce, orderId } = await createOrder(gw);
      const pending = await gw.app.inject({ method: 'GET', url: `/pay/${nonce}/status` });
      assert.equal(pending.statusCode, 200);
      assert.deepEqual(pending.json(), { status: 'pending' });
      assert.equal(pending.headers['cache-control'], 'no-store');
      assert.equal(answerOf(await settleOrder(gw, orderId, 'paid')).code, 0);
      assert.deepEqual((await gw.app.inject({ method: 'GET', url: `/pay/${nonce}/status` })).json(), { status: 'paid' });
      const unknown = await gw.app.inject({ method: 'GET', url: `/pay/${randomBytes(32).toString('hex')}/status` });
      assert.equal(unknown.statusCode, 404);
    });

    test('/pay/{nonce}/events is an event stream that emits the final status and closes', async () => {
      const { nonce, orderId } = await createOrder(gw);
      assert.equal(answerOf(await settleOrder(gw, orderId, 'paid')).code, 0);
      const response = await gw.app.inject({ method: 'GET', url: `/pay/${nonce}/events` });
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers['content-type']), /^text\/event-stream/);
      const events = response.body
        .split('\n\n')
        .filter((chunk) => chunk.startsWith('data: '))
        .map((chunk) => JSON.parse(chunk.slice('data: '.length)) as unknown);
      assert.deepEqual(events, [{ status: 'paid' }]);
    });

    test('a NUL character in the nonce is refused, not a server error', async () => {
      const status = await gw.app.inject({ method: 'GET', url: '/pay/%00/status' });
      assert.equal(status.statusCode, 200);
      assert.equal(answerOf(status).code, 207);
      assertHtml(await page(gw, '/pay/%00'), 400);
      assertHtml(await page(gw, '/sandbox/wallet/%00'), 400);
      const settle = await gw.app.inject({ method: 'POST', url: '/sandbox/orders/%00', payload: { outcome: 'paid' } });
      assert.equal(answerOf(settle).code, 207);
    });

    test('/pay/{nonce}/events for an unknown nonce answers 404', async () => {
      const response = await gw.app.inject({ method: 'GET', url: `/pay/${randomBytes(32).toString('hex')}/events` });
      assert.equal(response.statusCode, 404);
    });
  });

  describe('what the payment page shows', () => {
    test('the amount in the wallet currency, and the CNY amount the order recorded, with its rate', async () => {
      const { nonce } = await createOrder(gw);
      const body = assertHtml(await page(gw, `/pay/${nonce}`));
      // 120.00 NZD at the sandbox's 4.6449 is 557.388, rounded half up to 557.39.
      assert.equal(textOf(body, 'amount-cny'), 'About 557.39 CNY (1 NZD = 4.6449 CNY)');
      const zh = assertHtml(await page(gw, `/pay/${nonce}?lang=zh`));
      assert.equal(textOf(zh, 'amount-cny'), '约 557.39 元人民币 (1 NZD = 4.6449 人民币)');
    });

    test('no CNY line when the wallet currency had no rate at creation', async () => {
      const singapore = await gw.addMerchant({ name: 'Lion City Tea', currency: 'SGD' });
      const { nonce } = await createOrder(gw, {}, singapore);
      const body = assertHtml(await page(gw, `/pay/${nonce}`));
      assert.match(body, /data-test="amount">120\.00 <span class="muted">SGD<\/span>/);
      assert.ok(!body.includes('data-test="amount-cny"'));
    });

    test("the method's mark and name, in the page's language", async () => {
      const alipay = await createOrder(gw, { payment_method: 'alipay' });
      const a = assertHtml(await page(gw, `/pay/${alipay.nonce}`));
      assert.match(a, /data-test="method"><svg [^>]*aria-hidden="true"[^>]*data-method="alipay"/);
      assert.equal(textOf(a, 'method'), 'Alipay');
      const wechat = await createOrder(gw, { payment_method: 'wechat' });
      const w = assertHtml(await page(gw, `/pay/${wechat.nonce}?lang=zh`));
      assert.match(w, /data-method="wechat"/);
      assert.equal(textOf(w, 'method'), '微信支付');
    });

    test("the merchant's name, and the references in small print", async () => {
      const { nonce, orderId, reference } = await createOrder(gw);
      const body = assertHtml(await page(gw, `/pay/${nonce}`));
      assert.equal(textOf(body, 'merchant'), 'Test Shop');
      assert.equal(textOf(body, 'reference'), `Reference ${reference} · Order no. ${orderId}`);
      assert.match(body, /<p class="small" data-test="reference">/);
      assert.equal(textOf(assertHtml(await page(gw, `/pay/${nonce}?lang=zh`)), 'reference'), `商户订单号 ${reference} · 订单号 ${orderId}`);
    });

    test('the brand is the operator\'s (default "Latipay Gateway"), never a hard-coded "Latipay"', async () => {
      const { nonce } = await createOrder(gw);
      const body = assertHtml(await page(gw, `/pay/${nonce}`));
      assert.equal(textOf(body, 'brand-name'), 'Latipay Gateway');
      assert.match(body, /<title>Pay Pinot Noir, Otago · Latipay Gateway<\/title>/);
      assert.ok(!body.includes('data-test="brand-logo"'), 'no logo unless BRAND_LOGO_FILE is set');
      assert.ok(!/>Latipay</.test(body));
    });

    test('a sandbox order: the banner, and under the QR a link that opens its test wallet in this browser', async () => {
      const { nonce } = await createOrder(gw);
      const body = assertHtml(await page(gw, `/pay/${nonce}`));
      assert.ok(body.includes('data-test="sandbox-banner"'));
      const link = hrefOf(body, 'test-wallet');
      // The same trade as the QR, as a path on this page's own origin, in the page's language.
      assert.equal(link, `${new URL(qrUrlOf(body)).pathname}?lang=en`);
      assert.ok(body.indexOf('data-test="qr"') < body.indexOf('data-test="test-wallet"'), 'the link is under the QR');
      assert.equal(textOf(body, 'test-wallet'), 'Open test wallet');
      const zh = assertHtml(await page(gw, `/pay/${nonce}?lang=zh`));
      assert.equal(textOf(zh, 'test-wallet'), '打开测试钱包');
      assert.ok(hrefOf(zh, 'test-wallet').endsWith('?lang=zh'));
      const wallet = assertHtml(await page(gw, link));
      assert.ok(wallet.includes('data-test="confirm"'));
    });

    test('a phone with a WeChat order and no QR still gets the test wallet link; pay-in-app needs none', async () => {
      const { nonce } = await createOrder(gw, { payment_method: 'wechat' });
      assert.ok(assertHtml(await page(gw, `/pay/${nonce}`, { 'user-agent': IPHONE_UA })).includes('data-test="test-wallet"'));
      const inApp = assertHtml(await page(gw, `/pay/${nonce}`, { 'user-agent': WECHAT_UA }));
      assert.ok(inApp.includes('data-test="pay-in-app"'));
      assert.ok(!inApp.includes('data-test="test-wallet"'));
    });

    test('an order another provider serves gets neither banner nor test wallet link, though the sandbox is on', async () => {
      const other: PaymentProvider = {
        name: 'other-provider',
        capabilities: { methods: ['alipay'], flows: ['qr'], currencies: 'any', partialRefunds: true },
        createPayment: async (request) => ({ flow: 'qr', nextAction: { type: 'show_qr', qrContent: `https://provider.example/qr/${request.attemptId}` } }),
        queryPayment: async (attempt) => ({ attemptId: attempt.attemptId, state: 'pending', occurredAt: Date.now() }),
        closePayment: async () => {},
        refund: async (request) => ({ refundId: request.refundId, state: 'failed', reason: 'not used' }),
        queryRefund: async (refund) => ({ refundId: refund.refundId, state: 'failed', reason: 'not used' }),
        receiveNotification: async () => {
          throw new Error('not used');
        },
      };
      const own = await createTestGateway({ providerFactories: new Map([['other-provider', () => other]]) });
      try {
        await configureProvider(own, own.merchant.wallet_id, 'other-provider', ['alipay']);
        assert.equal(own.config.sandbox, true);
        const { nonce, orderId } = await createOrder(own);
        const body = assertHtml(await page(own, `/pay/${nonce}`));
        assert.equal(qrUrlOf(body), `https://provider.example/qr/${orderId}01`);
        assert.ok(!body.includes('data-test="test-wallet"'));
        assert.ok(!body.includes('data-test="sandbox-banner"'));
        assert.ok(!body.includes('/sandbox/wallet/'));
      } finally {
        await own.close();
      }
    });
  });

  describe('the sandbox test wallet leads back', () => {
    test('after confirming: green, translated, and a way back to the payment page, which moves on to the signed return_url', async () => {
      const { nonce, reference } = await createOrder(gw);
      const walletPath = new URL(qrUrlOf(assertHtml(await page(gw, `/pay/${nonce}`)))).pathname;
      const confirmed = assertHtml(await postWallet(gw, `${walletPath}?lang=en`, 'paid'));
      assert.match(confirmed, /<p class="outcome outcome-paid" role="status" data-test="wallet-result" data-status="TRADE_SUCCESS" data-outcome="paid">Payment confirmed\.<\/p>/);
      assert.ok(!confirmed.includes('class="notice"'), 'not in the warning colour');
      const back = hrefOf(confirmed, 'wallet-back');
      assert.equal(back, `/pay/${nonce}/result?lang=en`);
      assert.equal(textOf(confirmed, 'wallet-back'), 'Back to the payment page');

      // The payment page's result step shows the payment, then goes on to /pay/{nonce}, which redirects to the merchant.
      const result = assertHtml(await page(gw, back));
      assert.match(result, /data-test="result" data-status="paid" data-outcome="paid"/);
      assert.equal(hrefOf(result, 'continue'), `/pay/${nonce}`);
      const redirect = await page(gw, `/pay/${nonce}`);
      assert.equal(redirect.statusCode, 302);
      assertSignedReturn(gw, String(redirect.headers.location), { reference, status: 'paid' });
    });

    test('after declining: red, and back to the failure page', async () => {
      const { nonce } = await createOrder(gw);
      const walletPath = new URL(qrUrlOf(assertHtml(await page(gw, `/pay/${nonce}`)))).pathname;
      const declined = assertHtml(await postWallet(gw, walletPath, 'failed'));
      assert.match(declined, /class="outcome outcome-declined"[^>]*data-outcome="declined">Payment declined\.</);
      const failure = assertHtml(await page(gw, hrefOf(declined, 'wallet-back')));
      assert.match(failure, /data-test="result" data-status="failed" data-outcome="failed"/);
    });

    test('every string in Chinese, "Trade" included', async () => {
      const { nonce } = await createOrder(gw, { payment_method: 'wechat' });
      const walletPath = new URL(qrUrlOf(assertHtml(await page(gw, `/pay/${nonce}`, { 'user-agent': PC_UA })))).pathname;
      const shown = assertHtml(await page(gw, `${walletPath}?lang=zh`));
      for (const text of ['沙箱微信支付', '商品', '交易号', '确认付款', '拒绝', '沙箱环境']) assert.ok(shown.includes(text), text);
      assert.ok(!/>(Trade|Product|Sandbox)/.test(shown), 'no English left');
      assert.equal(textOf(shown, 'wallet-back'), '返回支付页面');
      const confirmed = assertHtml(await postWallet(gw, `${walletPath}?lang=zh`, 'paid'));
      assert.equal(textOf(confirmed, 'wallet-result'), '付款成功。');
      assert.equal(hrefOf(confirmed, 'wallet-back'), `/pay/${nonce}/result?lang=zh`);
      // Opened again once settled: it says so, in green, still with the way back.
      const again = assertHtml(await page(gw, `${walletPath}?lang=en`));
      assert.match(again, /class="outcome outcome-paid"[^>]*>This trade is already paid\.</);
      assert.ok(again.includes('data-test="wallet-back"'));
    });

    test('a trade closed by a cancellation is shown neutral, not paid and not as a warning', async () => {
      const { nonce, reference } = await createOrder(gw);
      const walletPath = new URL(qrUrlOf(assertHtml(await page(gw, `/pay/${nonce}`)))).pathname;
      assert.equal(answerOf(await postCancel(gw, cancelFields(gw.merchant, reference))).code, 0);
      const shown = assertHtml(await page(gw, walletPath));
      assert.match(shown, /class="outcome outcome-closed"[^>]*data-outcome="closed">This trade is closed/);
      assert.ok(!shown.includes('data-test="confirm"'));
    });

    test("a merchant-hosted order's wallet has no way back: its nonce stays with the merchant's server", async () => {
      const { nonce } = await createOrder(gw, { host_type: '1', return_url: '' });
      const data = answerOf(await gw.app.inject({ method: 'GET', url: `/v2/merchanthosted/gatewaydata/${nonce}` }));
      assert.equal(data.code, 0);
      const walletPath = new URL(String((data.data as { qr_code_url: string }).qr_code_url)).pathname;
      for (const body of [assertHtml(await page(gw, walletPath)), assertHtml(await postWallet(gw, walletPath, 'paid'))]) {
        assert.ok(!body.includes('data-test="wallet-back"'));
        assert.ok(!body.includes(nonce));
      }
    });

    test('on a phone: the wallet page fits the screen (viewport meta) and its buttons span it', async () => {
      const { nonce } = await createOrder(gw);
      const walletPath = new URL(qrUrlOf(assertHtml(await page(gw, `/pay/${nonce}`)))).pathname;
      const shown = assertHtml(await page(gw, walletPath, { 'user-agent': IPHONE_UA }));
      assert.ok(shown.includes('<meta name="viewport" content="width=device-width,initial-scale=1">'));
      assert.match(shown, /<button class="button alipay"[^>]*data-test="confirm"/);
    });
  });

  describe('the failure page', () => {
    test('a declined order: the reason in words, and a way back to the signed return_url; it stays (no script moves it on)', async () => {
      const { nonce, orderId, reference } = await createOrder(gw, { backPage_url: 'https://merchant.example/cart' });
      assert.equal(answerOf(await settleOrder(gw, orderId, 'failed')).code, 0);
      const body = assertHtml(await page(gw, `/pay/${nonce}/result`));
      assert.match(body, /<h1 class="fail" data-test="result" data-status="failed" data-outcome="failed">Payment not completed<\/h1>/);
      assert.equal(textOf(body, 'reason'), 'The payment was declined or did not go through.');
      assert.equal(textOf(body, 'return'), 'Return to Test Shop');
      assertSignedReturn(gw, hrefOf(body, 'return'), { reference, status: 'cancel_or_fail' });
      assert.ok(!body.includes('data-test="back"'), 'one way back: the one that tells the merchant');
      assert.equal(textOf(body, 'amount-cny'), 'About 557.39 CNY (1 NZD = 4.6449 CNY)');
      assert.ok(textOf(body, 'reference').includes(reference));
      assert.ok(!body.includes('<script'), 'the failure page waits for the customer');
    });

    test('a cancelled order says the merchant cancelled it', async () => {
      const { nonce, reference } = await createOrder(gw);
      assertHtml(await page(gw, `/pay/${nonce}`));
      assert.equal(answerOf(await postCancel(gw, cancelFields(gw.merchant, reference))).code, 0);
      const body = assertHtml(await page(gw, `/pay/${nonce}/result?lang=zh`));
      assert.match(body, /data-status="canceled" data-outcome="canceled">订单已取消</);
      assert.equal(textOf(body, 'reason'), '商户已取消此订单。');
      assertSignedReturn(gw, hrefOf(body, 'return'), { reference, status: 'cancel_or_fail' });
      assert.equal(textOf(body, 'return'), '返回Test Shop');
    });

    test('without return_url the way back is backPage_url; without either, the page says it can be closed', async () => {
      const withBack = await createOrder(gw, { host_type: '1', return_url: '', backPage_url: 'https://merchant.example/cart' });
      assert.equal(answerOf(await settleOrder(gw, withBack.orderId, 'failed')).code, 0);
      const a = assertHtml(await page(gw, `/pay/${withBack.nonce}`));
      assert.equal(hrefOf(a, 'return'), 'https://merchant.example/cart');
      assert.ok(!a.includes('data-test="back"'));
      const without = await createOrder(gw, { host_type: '1', return_url: '' });
      assert.equal(answerOf(await settleOrder(gw, without.orderId, 'failed')).code, 0);
      const b = assertHtml(await page(gw, `/pay/${without.nonce}`));
      assert.ok(!b.includes('data-test="return"'));
      assert.equal(textOf(b, 'close'), 'You can close this page.');
    });
  });

  describe('sandbox wallet', () => {
    test('the QR opens a wallet page with confirm and decline; confirming settles the order as paid', async () => {
      const { nonce, reference } = await createOrder(gw);
      const walletUrl = new URL(qrUrlOf(assertHtml(await page(gw, `/pay/${nonce}`))));
      const tradeNo = walletUrl.pathname.split('/').pop() as string;
      const wallet = assertHtml(await page(gw, walletUrl.pathname));
      assert.ok(wallet.includes('data-test="confirm"'));
      assert.ok(wallet.includes('data-test="decline"'));
      assert.ok(wallet.includes('120.00'));
      assert.ok(wallet.includes(`action="/sandbox/wallet/${tradeNo}?lang=en"`));

      const confirmed = await gw.app.inject({
        method: 'POST',
        url: `/sandbox/wallet/${tradeNo}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'outcome=paid',
      });
      const after = assertHtml(confirmed);
      assert.ok(after.includes('data-test="wallet-result" data-status="TRADE_SUCCESS"'));
      assert.ok(!after.includes('data-test="confirm"'), 'a settled trade offers no buttons');
      assert.equal(await queryStatus(gw, reference), 'paid');

      // Confirming again, or declining afterwards, changes nothing.
      const declined = await gw.app.inject({
        method: 'POST',
        url: `/sandbox/wallet/${tradeNo}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'outcome=failed',
      });
      assertHtml(declined);
      assert.equal(await queryStatus(gw, reference), 'paid');
    });

    test('declining in the wallet fails the order', async () => {
      const { nonce, reference } = await createOrder(gw);
      const walletPath = new URL(qrUrlOf(assertHtml(await page(gw, `/pay/${nonce}`)))).pathname;
      const declined = await gw.app.inject({
        method: 'POST',
        url: walletPath,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'outcome=failed',
      });
      assert.ok(assertHtml(declined).includes('data-status="TRADE_CLOSED"'));
      assert.equal(await queryStatus(gw, reference), 'failed');
    });

    test('an unknown trade answers 404', async () => {
      assertHtml(await page(gw, '/sandbox/wallet/SBXnothing'), 404);
      const post = await gw.app.inject({ method: 'POST', url: '/sandbox/wallet/SBXnothing', payload: { outcome: 'paid' } });
      assert.equal(post.statusCode, 404);
    });

    test('POST /sandbox/orders/{order_id} with a bad outcome answers 207 and changes nothing', async () => {
      const { orderId, reference } = await createOrder(gw);
      for (const payload of [{ outcome: 'refunded' }, { outcome: '' }, {}, { outcome: ['paid'] }]) {
        const response = await gw.app.inject({ method: 'POST', url: `/sandbox/orders/${orderId}`, payload });
        assert.equal(response.statusCode, 200, response.body);
        const answer = answerOf(response);
        assert.ok(Number.isInteger(answer.code));
        assert.notEqual(answer.code, 0, JSON.stringify(payload));
        assert.ok([204, 207].includes(answer.code), response.body);
      }
      const bad = answerOf(await settleOrder(gw, orderId, 'refunded'));
      assert.equal(bad.code, 207);
      assert.ok(bad.message.includes('outcome'), bad.message);
      assert.equal(await queryStatus(gw, reference), 'pending');
    });

    test('POST /sandbox/orders/{order_id} for an unknown order answers 201', async () => {
      const response = await settleOrder(gw, '20990101000000000000', 'paid');
      assert.equal(response.statusCode, 200);
      assert.equal(answerOf(response).code, 201);
    });

    test('settling a settled order again keeps its first outcome', async () => {
      const { orderId, reference } = await createOrder(gw);
      assert.equal(answerOf(await settleOrder(gw, orderId, 'paid')).code, 0);
      const again = answerOf(await settleOrder(gw, orderId, 'failed'));
      assert.equal(again.code, 0);
      assert.equal(again.status, 'paid');
      assert.equal(await queryStatus(gw, reference), 'paid');
    });
  });

  describe('POST /channels/sandbox/notify', () => {
    const sandbox = () => gw.app.gateway.providers.sandbox as SandboxProvider;

    async function tradeFor(orderId: string) {
      // Opening the page starts the payment attempt and its provider trade.
      const order = await orderRow(gw, orderId);
      assertHtml(await page(gw, `/pay/${order.nonce}`));
      const trade = await findSandboxTradeByOutTradeNo(gw.store.db, `${orderId}01`);
      assert.ok(trade);
      return trade;
    }

    async function notificationRows(orderId: string): Promise<number> {
      const rows = await gw.store.db.selectFrom('notifications').select('id').where('order_id', '=', orderId).execute();
      return rows.length;
    }

    function notify(body: unknown): Promise<LightMyRequestResponse> {
      return gw.app.inject({ method: 'POST', url: '/channels/sandbox/notify', payload: body as Record<string, unknown> });
    }

    test('forged or unsigned notifications answer 400 "fail" and change nothing', async () => {
      const { orderId, reference } = await createOrder(gw);
      const trade = await tradeFor(orderId);
      const genuine = sandbox().signNotification({
        event_id: `${trade.trade_no}:TRADE_SUCCESS`,
        trade_no: trade.trade_no,
        out_trade_no: trade.out_trade_no,
        trade_status: 'TRADE_SUCCESS',
        total_amount: 12000,
        currency: 'NZD',
        gmt_payment: Date.now(),
      });
      const { sign: _sign, ...unsigned } = genuine;
      const forgeries: unknown[] = [
        unsigned,
        { ...genuine, sign: 'f'.repeat(64) },
        { ...genuine, total_amount: 1 },
        { ...genuine, out_trade_no: '20990101000000000000' },
        { ...genuine, sign: hmac('guessed-key', 'anything') },
        {},
      ];
      const before = JSON.stringify(await orderRow(gw, orderId));
      for (const forged of forgeries) {
        const response = await notify(forged);
        assert.equal(response.statusCode, 400, JSON.stringify(forged));
        assert.equal(response.body, 'fail');
      }
      for (const raw of ['', 'not json', '[]']) {
        const response = await gw.app.inject({ method: 'POST', url: '/channels/sandbox/notify', payload: raw });
        assert.ok(response.statusCode === 400, `${JSON.stringify(raw)} → ${response.statusCode}`);
      }
      assert.equal(JSON.stringify(await orderRow(gw, orderId)), before);
      assert.equal(await notificationRows(orderId), 0);
      assert.equal(await queryStatus(gw, reference), 'pending');
      // The genuine one still works afterwards.
      const accepted = await notify(genuine);
      assert.equal(accepted.statusCode, 200);
      assert.equal(accepted.body, 'success');
      assert.equal(await queryStatus(gw, reference), 'paid');
    });

    test('a genuinely signed notification for another amount than the order’s flags the order, and pays nothing', async () => {
      const { orderId, reference } = await createOrder(gw);
      const trade = await tradeFor(orderId);
      const wrongAmount = sandbox().signNotification({
        event_id: `${trade.trade_no}:wrong`,
        trade_no: trade.trade_no,
        out_trade_no: trade.out_trade_no,
        trade_status: 'TRADE_SUCCESS',
        total_amount: 1,
        currency: 'NZD',
        gmt_payment: Date.now(),
      });
      const response = await notify(wrongAmount);
      assert.equal(response.statusCode, 200, 'authentic: taken in (so the provider stops sending it), but not as a payment');
      assert.equal(await queryStatus(gw, reference), 'pending');
      assert.match(String((await orderRow(gw, orderId)).review_reason), /0\.01 NZD paid for an order of 120\.00 NZD/);
      assert.equal(await notificationRows(orderId), 0, 'no callback');
    });

    test('an unknown provider or account answers 404 with {code, message}', async () => {
      for (const url of ['/channels/nochannel/notify', '/channels/wechatpay/notify/pa_nothing']) {
        const response = await gw.app.inject({ method: 'POST', url, payload: { a: 1 } });
        assert.equal(response.statusCode, 404, url);
        assert.equal(response.json().code, 1);
      }
    });

    test('a replayed genuine notification is idempotent: one status change, one callback', async () => {
      const { orderId, reference } = await createOrder(gw);
      const trade = await tradeFor(orderId);
      const genuine = sandbox().signNotification({
        event_id: `${trade.trade_no}:TRADE_SUCCESS`,
        trade_no: trade.trade_no,
        out_trade_no: trade.out_trade_no,
        trade_status: 'TRADE_SUCCESS',
        total_amount: 12000,
        currency: 'NZD',
        gmt_payment: Date.now() - 5000,
      });
      const first = await notify(genuine);
      assert.equal(first.statusCode, 200);
      assert.equal(first.body, 'success');
      const settled = await orderRow(gw, orderId);
      assert.equal(settled.status, 'paid');
      assert.equal(await notificationRows(orderId), 1);

      for (let i = 0; i < 3; i++) {
        const replay = await notify(genuine);
        assert.equal(replay.statusCode, 200);
        assert.equal(replay.body, 'success');
      }
      assert.deepEqual(await orderRow(gw, orderId), settled);
      assert.equal(await notificationRows(orderId), 1);
      assert.equal(await queryStatus(gw, reference), 'paid');

      // A later "closed" for the same trade does not undo the payment.
      const closed = sandbox().signNotification({ ...genuine, event_id: `${trade.trade_no}:TRADE_CLOSED`, trade_status: 'TRADE_CLOSED' });
      assert.equal((await notify(closed)).statusCode, 200);
      assert.equal((await orderRow(gw, orderId)).status, 'paid');
      assert.equal(await notificationRows(orderId), 1);
    });
  });
});

// Its own gateway with a clock the test moves (one gateway open at a time).
describe('hosted payment page expiry', () => {
  test('an order answers 410 once the clock passes its expiry', async () => {
    let now = Date.now();
    const timed = await createTestGateway({ clock: () => now });
    try {
      const { nonce, orderId, fields } = await createOrder(timed);
      assertHtml(await page(timed, `/pay/${nonce}`));
      const order = await orderRow(timed, orderId);
      now = Number(order.expires_at) + 1;
      const body = assertHtml(await page(timed, `/pay/${nonce}`), 410);
      // The failure page: why, in words, and the way back to the merchant (nothing can be paid here any more).
      assert.match(body, /data-test="result" data-status="pending" data-outcome="expired">Payment expired</);
      assert.equal(textOf(body, 'reason'), 'The time to pay for this order ran out before the payment was made.');
      const back = new URL(hrefOf(body, 'return'));
      assert.equal(back.searchParams.get('status'), 'cancel_or_fail');
      assert.equal(back.searchParams.get('signature'), hmac(timed.merchant.api_key, `${fields.merchant_reference}alipaycancel_or_failNZD120.00`));
      assert.ok(!body.includes('data-test="qr"'));
      assertHtml(await page(timed, `/pay/${nonce}/result`), 410);
      // Once the sweep has failed it, it is still told as expired.
      await timed.store.db.updateTable('orders').set({ status: 'failed', updated_at: now }).where('order_id', '=', orderId).execute();
      assert.match(assertHtml(await page(timed, `/pay/${nonce}?lang=zh`), 410), /data-outcome="expired">订单已过期</);
      // An expired order's reference cannot start a new checkout (spec §4.1: no longer pending).
      const again = await timed.app.inject({ method: 'POST', url: '/v2/transaction', payload: signed(fields, timed.merchant.api_key) });
      assert.equal(answerOf(again).code, 207);
    } finally {
      await timed.close();
    }
  });
});
