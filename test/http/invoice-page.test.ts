import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import jsqr from 'jsqr';
import { PNG } from 'pngjs';
import { expireDueOrders } from '../../src/gateway/expire-orders.js';
import { listNotificationsForOrder } from '../../src/store/notifications.js';
import { findOrderById } from '../../src/store/orders.js';
import { listAttemptsOfOrder } from '../../src/store/payment-attempts.js';
import { findSandboxTradeByOutTradeNo } from '../../src/store/sandbox-trades.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { answerOf, hmac, settleOrder } from './support.js';
import { backingOrderId, createInvoice, getInvoice, openPage, payInvoice, pick } from './invoice-support.js';

const jsQR = jsqr.default;

async function openCount(gw: TestGateway, invoiceId: string): Promise<number> {
  const row = await gw.store.db.selectFrom('invoices').select('open_count').where('invoice_id', '=', invoiceId).executeTakeFirstOrThrow();
  return Number(row.open_count);
}

/** The payment page the pick sent the payer to, and its nonce. */
function nonceOf(location: unknown): string {
  const match = /^\/pay\/([0-9a-f]{64})\?lang=(en|zh)$/.exec(String(location));
  assert.ok(match, String(location));
  return match[1];
}

describe('the invoice page (invoice_url)', () => {
  let gw: TestGateway;
  let skewMs = 0;
  before(async () => {
    gw = await createTestGateway({ clock: () => Date.now() + skewMs });
  });
  after(async () => {
    await gw.close();
  });

  test('shows the merchant, amount, product, reference and one button per method the wallet offers, under the pages’ security headers', async () => {
    const m = await gw.addMerchant({ name: 'Kiwi Wines' });
    const created = await createInvoice(gw, m, { amount: '48.00', product_name: 'Pinot Noir ×2', customer_reference: 'Table <4>', customer_order_id: 'INV-0042' });
    const page = await openPage(gw, created.path);
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.match(page.body, /data-test="merchant">Kiwi Wines</);
    assert.match(page.body, /data-test="amount">48\.00 <span class="muted">NZD/);
    assert.match(page.body, /data-test="product">Pinot Noir ×2</);
    assert.match(page.body, /data-test="customer-reference">Table &lt;4&gt;</, 'escaped');
    assert.match(page.body, new RegExp(`${created.invoiceId} · INV-0042`));
    assert.deepEqual([...page.body.matchAll(/name="method" value="(\w+)"/g)].map((x) => x[1]), ['alipay', 'wechat']);
    assert.match(page.body, new RegExp(`action="/invoice/${created.token}\\?lang=en"`));
    assert.ok(!/data-test="invoice-qr"/.test(page.body), 'no QR unless asked');

    const zh = await gw.app.inject({ method: 'GET', url: `${created.path}?lang=zh` });
    assert.match(zh.body, /使用支付宝付款/);
  });

  test('lists only the methods the wallet has', async () => {
    const m = await gw.addMerchant({ methods: ['wechat'] });
    const created = await createInvoice(gw, m);
    const page = await openPage(gw, created.path);
    assert.deepEqual([...page.body.matchAll(/name="method" value="(\w+)"/g)].map((x) => x[1]), ['wechat']);
    // A method the wallet lacks is refused (409): the choices again, with a notice, and no order written.
    const refused = await pick(gw, created.path, 'alipay');
    assert.equal(refused.statusCode, 409);
    assert.match(refused.body, /data-notice="unavailable"/);
    assert.equal(await backingOrderId(gw, created.invoiceId), null);
    assert.equal((await pick(gw, created.path, 'bitcoin')).statusCode, 409);
  });

  test('qrcode: the page shows a QR of invoice_url', async () => {
    const m = await gw.addMerchant();
    const created = await createInvoice(gw, m, { qrcode: true });
    const page = await openPage(gw, created.path);
    const src = /data-test="invoice-qr"><img src="(data:image\/png;base64,[^"]+)"/.exec(page.body)?.[1];
    assert.ok(src, 'the QR image');
    const png = PNG.sync.read(Buffer.from(src.replace(/^data:image\/png;base64,/, ''), 'base64'));
    assert.equal(jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data, created.invoiceUrl);
  });

  test('every GET counts an open; a HEAD does not', async () => {
    const m = await gw.addMerchant();
    const created = await createInvoice(gw, m);
    for (let i = 0; i < 3; i++) assert.equal((await openPage(gw, created.path)).statusCode, 200);
    assert.equal((await openPage(gw, created.path, 'HEAD')).statusCode, 200);
    assert.equal(await openCount(gw, created.invoiceId), 3);
    assert.equal((await getInvoice(gw, m, { invoice_id: created.invoiceId })).open_count, 3);
  });

  test('max_open_count: the page refuses (410) once opened that many times; a pick from a page already open still goes on', async () => {
    const m = await gw.addMerchant();
    const created = await createInvoice(gw, m, { max_open_count: 2 });
    assert.equal((await openPage(gw, created.path)).statusCode, 200);
    assert.equal((await openPage(gw, created.path)).statusCode, 200);
    const third = await openPage(gw, created.path);
    assert.equal(third.statusCode, 410);
    assert.match(third.body, /data-test="invoice-refused" data-reason="max_opens"/);
    assert.ok(!/name="method"/.test(third.body));
    assert.equal(await openCount(gw, created.invoiceId), 2, 'a refused open is not counted');
    assert.equal((await pick(gw, created.path, 'alipay')).statusCode, 303);
  });

  test('concurrent opens never count past max_open_count', async () => {
    const m = await gw.addMerchant();
    const created = await createInvoice(gw, m, { max_open_count: 3 });
    const statuses = (await Promise.all(Array.from({ length: 10 }, () => openPage(gw, created.path)))).map((r) => r.statusCode);
    assert.equal(statuses.filter((s) => s === 200).length, 3, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 410).length, 7);
    assert.equal(await openCount(gw, created.invoiceId), 3);
  });

  test('expires after period_time: the page and a pick refuse (410), the invoice is failed', async () => {
    const m = await gw.addMerchant();
    const created = await createInvoice(gw, m, { period_time: 2 });
    assert.equal((await openPage(gw, created.path)).statusCode, 200);
    skewMs = 2 * 60_000 + 1_000;
    try {
      const page = await openPage(gw, created.path);
      assert.equal(page.statusCode, 410);
      assert.match(page.body, /data-reason="expired"/);
      assert.equal((await pick(gw, created.path, 'alipay')).statusCode, 410);
      assert.equal(await backingOrderId(gw, created.invoiceId), null);
      assert.equal((await getInvoice(gw, m, { invoice_id: created.invoiceId })).status, 'failed');
    } finally {
      skewMs = 0;
    }
  });

  test('the backing order expires with the invoice: the sweep fails it, notify_url is told, the page refuses', async () => {
    const m = await gw.addMerchant();
    const created = await createInvoice(gw, m, { period_time: 1, notify_url: 'https://merchant.example/notify' });
    assert.equal((await pick(gw, created.path, 'alipay')).statusCode, 303);
    const orderId = (await backingOrderId(gw, created.invoiceId)) as string;
    skewMs = 61_000;
    try {
      assert.ok((await expireDueOrders(gw.app.gateway)) >= 1);
      assert.equal((await findOrderById(gw.store.db, orderId))?.status, 'failed');
      assert.equal((await getInvoice(gw, m, { invoice_id: created.invoiceId })).status, 'failed');
      const [notification] = await listNotificationsForOrder(gw.store.db, orderId);
      assert.equal(new URLSearchParams(notification.body).get('status'), 'failed');
      const page = await openPage(gw, created.path);
      assert.equal(page.statusCode, 410);
      assert.match(page.body, /data-reason="failed"/);
    } finally {
      skewMs = 0;
    }
  });

  test('the first pick writes the one backing order: the invoice’s amount, expiry, notify_url and return_url, merchant_reference = invoice_id', async () => {
    const m = await gw.addMerchant();
    const created = await createInvoice(gw, m, {
      amount: '31.40',
      product_name: 'Cheese board',
      return_url: 'https://merchant.example/thanks',
      notify_url: 'https://merchant.example/notify',
      period_time: 600,
    });
    const picked = await pick(gw, created.path, 'wechat');
    assert.equal(picked.statusCode, 303);
    const nonce = nonceOf(picked.headers.location);
    const orderId = (await backingOrderId(gw, created.invoiceId)) as string;
    const order = await findOrderById(gw.store.db, orderId);
    assert.ok(order);
    assert.equal(order.nonce, nonce);
    assert.equal(order.user_id, m.user_id);
    assert.equal(order.wallet_id, m.wallet_id);
    assert.equal(order.merchant_reference, created.invoiceId);
    assert.equal(Number(order.amount_minor), 3140);
    assert.equal(order.currency, 'NZD');
    assert.equal(order.payment_method, 'wechat');
    assert.equal(order.product_name, 'Cheese board');
    assert.equal(order.callback_url, 'https://merchant.example/notify');
    assert.equal(order.return_url, 'https://merchant.example/thanks');
    assert.equal(order.backpage_url, created.invoiceUrl);
    assert.equal(order.status, 'pending');
    const invoiceRow = await gw.store.db.selectFrom('invoices').select('expires_at').where('invoice_id', '=', created.invoiceId).executeTakeFirstOrThrow();
    assert.equal(Number(order.expires_at), Number(invoiceRow.expires_at));
    assert.equal((await getInvoice(gw, m, { invoice_id: created.invoiceId })).order_id, orderId);
    // The payment page of that order is the ordinary one.
    const payPage = await gw.app.inject({ method: 'GET', url: `/pay/${nonce}` });
    assert.equal(payPage.statusCode, 200);
    assert.match(payPage.body, /data-test="qr"/);
    // Its way back leads to the invoice's page, to pick another method.
    assert.ok(payPage.body.includes(`<a href="${created.invoiceUrl}" data-test="back">Choose another way to pay</a>`));
  });

  test('without product_name the order is named after the invoice', async () => {
    const m = await gw.addMerchant();
    const created = await createInvoice(gw, m, { product_name: undefined, customer_order_id: 'SO-77' });
    await pick(gw, created.path, 'alipay');
    const order = await findOrderById(gw.store.db, (await backingOrderId(gw, created.invoiceId)) as string);
    assert.equal(order?.product_name, 'Invoice SO-77');
  });

  test('two picks at once write one backing order', async () => {
    const m = await gw.addMerchant();
    const created = await createInvoice(gw, m);
    const [a, b] = await Promise.all([pick(gw, created.path, 'alipay'), pick(gw, created.path, 'alipay')]);
    assert.deepEqual([a.statusCode, b.statusCode], [303, 303]);
    assert.equal(a.headers.location, b.headers.location);
    const orders = await gw.store.db.selectFrom('orders').select('order_id').where('merchant_reference', '=', created.invoiceId).execute();
    assert.equal(orders.length, 1);
  });

  test('another method later switches the same pending order: the payment in progress is closed, the page opens one with the new method', async () => {
    const m = await gw.addMerchant();
    const created = await createInvoice(gw, m);
    const nonce = nonceOf((await pick(gw, created.path, 'alipay')).headers.location);
    await gw.app.inject({ method: 'GET', url: `/pay/${nonce}` });
    const orderId = (await backingOrderId(gw, created.invoiceId)) as string;
    const [alipay] = await listAttemptsOfOrder(gw.store.db, orderId);
    assert.equal(alipay.method, 'alipay');

    // The same method again: nothing changes.
    assert.equal(nonceOf((await pick(gw, created.path, 'alipay')).headers.location), nonce);
    assert.deepEqual((await listAttemptsOfOrder(gw.store.db, orderId)).map((a) => a.status), ['pending']);

    assert.equal(nonceOf((await pick(gw, created.path, 'wechat')).headers.location), nonce, 'the same order');
    assert.equal((await findOrderById(gw.store.db, orderId))?.payment_method, 'wechat');
    assert.deepEqual((await listAttemptsOfOrder(gw.store.db, orderId)).map((a) => a.status), ['failed']);
    assert.equal((await findSandboxTradeByOutTradeNo(gw.store.db, alipay.attempt_id))?.status, 'TRADE_CLOSED', 'closed with the provider');
    await gw.app.inject({ method: 'GET', url: `/pay/${nonce}` });
    const attempts = await listAttemptsOfOrder(gw.store.db, orderId);
    assert.deepEqual(attempts.map((a) => [a.method, a.status]), [['alipay', 'failed'], ['wechat', 'pending']]);
    assert.equal(answerOf(await settleOrder(gw, orderId, 'paid')).status, 'paid');
    const invoice = await getInvoice(gw, m, { invoice_id: created.invoiceId });
    assert.equal(invoice.status, 'paid');
    assert.equal(invoice.paid_method, 'wechat');
    assert.equal((await gw.store.db.selectFrom('orders').select('order_id').where('merchant_reference', '=', created.invoiceId).execute()).length, 1);
  });

  test('paid: invoice_url leads to the order’s page, which sends the payer to the signed return_url; opens are no longer counted', async () => {
    const m = await gw.addMerchant();
    const created = await createInvoice(gw, m, { amount: '9.90', return_url: 'https://merchant.example/thanks?x=1' });
    await openPage(gw, created.path);
    const orderId = await payInvoice(gw, created, 'alipay');
    const nonce = (await findOrderById(gw.store.db, orderId))?.nonce as string;
    const opened = await openPage(gw, created.path);
    assert.equal(opened.statusCode, 302);
    assert.equal(nonceOf(opened.headers.location), nonce);
    assert.equal(await openCount(gw, created.invoiceId), 1);
    const back = await gw.app.inject({ method: 'GET', url: `/pay/${nonce}` });
    assert.equal(back.statusCode, 302);
    const location = new URL(String(back.headers.location));
    assert.equal(location.origin + location.pathname, 'https://merchant.example/thanks');
    const q = Object.fromEntries(location.searchParams);
    assert.equal(q.merchant_reference, created.invoiceId);
    assert.equal(q.status, 'paid');
    assert.equal(q.amount, '9.90');
    assert.equal(q.signature, hmac(m.api_key, `${created.invoiceId}alipaypaidNZD9.90`));
    // A pick on a paid invoice leads to its result too, and changes nothing.
    const again = await pick(gw, created.path, 'wechat');
    assert.equal(again.statusCode, 303);
    assert.equal((await findOrderById(gw.store.db, orderId))?.payment_method, 'alipay');
  });

  test('a declined payment fails the invoice: the page refuses', async () => {
    const m = await gw.addMerchant();
    const created = await createInvoice(gw, m);
    await payInvoice(gw, created, 'alipay', 'failed');
    assert.equal((await getInvoice(gw, m, { invoice_id: created.invoiceId })).status, 'failed');
    const page = await openPage(gw, created.path);
    assert.equal(page.statusCode, 410);
    assert.match(page.body, /data-reason="failed"/);
  });

  test('an unknown or malformed token: 404 page', async () => {
    for (const path of ['/invoice/' + 'a'.repeat(64), '/invoice/nope', '/invoice/%00']) {
      const page = await openPage(gw, path);
      assert.ok(page.statusCode === 404 || page.statusCode === 400, `${path}: ${page.statusCode}`);
      assert.match(String(page.headers['content-type']), /^text\/html/);
      assert.equal((await pick(gw, path, 'alipay')).statusCode >= 400, true);
    }
  });
});
