import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { listAttempts, listNotificationsForOrder } from '../../src/store/notifications.js';
import { waitFor } from '../e2e/helpers.js';
import { createTestGateway } from '../helpers/gateway.js';
import { hmac } from '../http/support.js';
import { createInvoice, payInvoice } from '../http/invoice-support.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

test("a paid invoice's result goes to notify_url like a callback: signed, retried until the merchant answers `sent`, every attempt recorded", { timeout: 30_000 }, async (t) => {
  // The merchant fails twice (an error, then an answer that is not `sent`), then acknowledges.
  const answers: Array<[number, string]> = [
    [500, 'oops'],
    [200, 'ok'],
    [200, 'sent'],
  ];
  const received: Received[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      const [status, text] = answers.shift() ?? [200, 'sent'];
      response.writeHead(status).end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const notifyUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/latipay/notify`;
  const gw = await createTestGateway({ worker: true, env: { NOTIFY_RETRY_SECONDS: '1' } });
  t.after(async () => {
    await gw.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const m = gw.merchant;
  const invoice = await createInvoice(gw, m, { amount: '64.00', notify_url: notifyUrl, customer_order_id: 'SO-1001' });
  const orderId = await payInvoice(gw, invoice, 'wechat');

  const [notification] = await waitFor('the notification delivered', async () => {
    const rows = await listNotificationsForOrder(gw.store.db, orderId);
    return rows.length === 1 && rows[0].status === 'delivered' ? rows : undefined;
  }, { timeoutMs: 20_000 });
  assert.equal(notification.url, notifyUrl);
  assert.equal(notification.attempts, 3);
  const attempts = await listAttempts(gw.store.db, Number(notification.id));
  assert.deepEqual(attempts.map((a) => [a.http_status, a.body_excerpt]), [[500, 'oops'], [200, 'ok'], [200, 'sent']]);
  assert.equal(received.length, 3);

  // The fields of spec §4.4, the invoice_id as merchant_reference, the same body on every try.
  const fields = Object.fromEntries(new URLSearchParams(received[0].body));
  assert.deepEqual(Object.keys(fields), ['merchant_reference', 'order_id', 'currency', 'amount', 'payment_method', 'status', 'pay_time', 'signature']);
  assert.equal(fields.merchant_reference, invoice.invoiceId);
  assert.equal(fields.order_id, orderId);
  assert.equal(fields.currency, 'NZD');
  assert.equal(fields.amount, '64.00');
  assert.equal(fields.payment_method, 'wechat');
  assert.equal(fields.status, 'paid');
  assert.match(fields.pay_time, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  assert.equal(fields.signature, hmac(m.api_key, `${invoice.invoiceId}wechatpaidNZD64.00`));
  assert.ok(received.every((r) => r.body === received[0].body));
  assert.match(String(received[0].headers['content-type']), /^application\/x-www-form-urlencoded/);

  // The Standard Webhooks headers: one id for every try, each try signed over its own timestamp.
  assert.equal(new Set(received.map((r) => r.headers['webhook-id'])).size, 1);
  for (const r of received) {
    const expected = createHmac('sha256', Buffer.from(m.api_key, 'utf8')).update(`${r.headers['webhook-id']}.${r.headers['webhook-timestamp']}.${r.body}`).digest();
    const given = Buffer.from(String(r.headers['webhook-signature']).replace(/^v1,/, ''), 'base64');
    assert.ok(given.length === expected.length && timingSafeEqual(given, expected));
  }
});

test('an invoice without notify_url is paid without a notification', async (t) => {
  const gw = await createTestGateway();
  t.after(() => gw.close());
  const invoice = await createInvoice(gw, gw.merchant);
  const orderId = await payInvoice(gw, invoice);
  assert.deepEqual(await listNotificationsForOrder(gw.store.db, orderId), []);
});
