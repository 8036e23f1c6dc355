import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Latipay, LatipayError, LatipaySignatureError } from '../../sdk/src/index.js';
import { listNotificationsForOrder } from '../../src/store/notifications.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { payInvoice } from '../http/invoice-support.js';

// The SDK's invoice methods against a listening gateway: every call signed, every answer verified.

describe('latipay-sdk invoices', () => {
  let gw: TestGateway;
  let latipay: Latipay;
  let baseUrl: string;
  before(async () => {
    gw = await createTestGateway();
    await gw.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(gw.app.server.address() as AddressInfo).port}`;
    const m = gw.merchant;
    latipay = new Latipay({ userId: m.user_id, walletId: m.wallet_id, apiKey: m.api_key, baseUrl, timeoutMs: 10_000 });
  });
  after(() => gw.close());

  /** The invoice's path on the gateway (the page a payer opens). */
  const pathOf = (url: string) => new URL(url).pathname;

  test('create, get, list, update, pay, refund, delete', async () => {
    const link = await latipay.createInvoice({ amount: 48, product_name: 'Hamper', customer_order_id: 'SDK-1', notify_url: 'https://shop.example/notify', qrcode: true, period_time: 600 });
    assert.match(link.invoice_id, /^I\d+$/);
    assert.match(link.qrcode_pic, /^data:image\/png;base64,/);

    const invoice = await latipay.getInvoice({ customer_order_id: 'SDK-1' });
    assert.equal(invoice.invoice_id, link.invoice_id);
    assert.equal(invoice.amount, '48.00');
    assert.equal(invoice.period_time, 600);
    assert.deepEqual(invoice.payment_methods, ['alipay', 'wechat']);
    assert.equal(invoice.paid, false);

    const updated = await latipay.updateInvoice({ invoice_id: link.invoice_id, amount: '52.00' });
    assert.equal(updated.invoice_url, link.invoice_url);
    assert.equal((await latipay.getInvoice({ invoice_id: link.invoice_id })).amount, '52.00');

    const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    const list = await latipay.listInvoices({ start_time: today, page_size: 10 });
    assert.equal(list.total, 1);
    assert.deepEqual(list.invoices.map((i) => i.invoice_id), [link.invoice_id]);

    const orderId = await payInvoice(gw, { invoiceId: link.invoice_id, invoiceUrl: link.invoice_url, path: pathOf(link.invoice_url), token: '', answer: { code: 0, message: '' } });
    const paid = await latipay.getInvoice({ invoice_id: link.invoice_id });
    assert.equal(paid.paid, true);
    assert.equal(paid.order_id, orderId);

    // The notification to notify_url verifies as a callback: merchant_reference is the invoice_id.
    const [notification] = await listNotificationsForOrder(gw.store.db, orderId);
    const event = latipay.verifyCallback(notification.body);
    assert.equal(event.merchant_reference, link.invoice_id);
    assert.equal(event.paid, true);

    const refund = await latipay.refundInvoice({ invoice_id: link.invoice_id, refund_amount: '2.00', reference: 'bruised apple' });
    assert.match(refund.refund_id, /^R\d+$/);
    assert.equal((await latipay.refundInvoice({ customer_order_id: 'SDK-1' })).message, 'SUCCESS');
    await assert.rejects(latipay.refundInvoice({ customer_order_id: 'SDK-1' }), (error: unknown) => error instanceof LatipayError && error.code === 562);
    await assert.rejects(latipay.deleteInvoice({ invoice_id: link.invoice_id }), (error: unknown) => error instanceof LatipayError && error.code === 900);

    const other = await latipay.createInvoice({ amount: '5.00' });
    assert.equal(other.qrcode_pic, '');
    assert.equal((await latipay.deleteInvoice({ invoice_id: other.invoice_id })).message, 'SUCCESS');
    assert.equal((await latipay.getInvoice({ invoice_id: other.invoice_id })).status, 'canceled');
  });

  test('an answer altered on the way, or signed with another key, is refused', async () => {
    const m = gw.merchant;
    const tamper = (change: (body: Record<string, unknown>) => void) =>
      new Latipay({
        userId: m.user_id,
        walletId: m.wallet_id,
        apiKey: m.api_key,
        baseUrl,
        fetch: async (url, init) => {
          const response = await fetch(url, init);
          const body = (await response.json()) as Record<string, unknown>;
          change(body);
          return new Response(JSON.stringify(body), { status: response.status, headers: { 'content-type': 'application/json' } });
        },
      });
    await assert.rejects(
      tamper((b) => (b.invoice_url = 'https://evil.example/invoice/x')).createInvoice({ amount: '1.00' }),
      LatipaySignatureError,
    );
    const link = await latipay.createInvoice({ amount: '1.00', customer_order_id: 'SDK-2' });
    await assert.rejects(tamper((b) => (b.amount = '0.01')).getInvoice({ invoice_id: link.invoice_id }), LatipaySignatureError);
    await assert.rejects(
      tamper((b) => (b.invoices as unknown[]).reverse()).listInvoices({ start_time: '2020-01-01' }),
      LatipaySignatureError,
      'the list reordered',
    );
    await assert.rejects(
      tamper((b) => (b.total = 99)).listInvoices({ start_time: '2020-01-01' }),
      LatipaySignatureError,
    );
    const wrongKey = new Latipay({ userId: m.user_id, walletId: m.wallet_id, apiKey: 'not the key', baseUrl });
    await assert.rejects(wrongKey.getInvoice({ invoice_id: link.invoice_id }), (error: unknown) => error instanceof LatipayError && error.code === 206);
  });
});
