import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import jsqr from 'jsqr';
import { PNG } from 'pngjs';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { balanceOf, ledgerOf, refundsOf, sandboxOf, sortedSignature } from '../helpers/money.js';
import { SANDBOX_FAIL_REFUND } from '../../src/channels/sandbox/sandbox-provider.js';
import { appendLedgerEntry } from '../../src/store/ledger.js';
import { assignWallet, insertUser, insertWallet } from '../../src/store/merchants.js';
import { listNotificationsForOrder } from '../../src/store/notifications.js';
import { findOrderById } from '../../src/store/orders.js';
import { listAttemptsOfOrder } from '../../src/store/payment-attempts.js';
import { answerOf, hmac, settleOrder } from './support.js';
import {
  answerSignature,
  backingOrderId,
  createInvoice,
  deleteInvoice,
  getInvoice,
  invoiceFields,
  listInvoices,
  openPage,
  payInvoice,
  pick,
  postInvoice,
  putInvoice,
  query,
  refundInvoice,
  signFields,
  uniqueId,
} from './invoice-support.js';

const jsQR = jsqr.default;

/** What a QR in a PNG data URL encodes. */
function decodeQr(dataUrl: string): string | undefined {
  const png = PNG.sync.read(Buffer.from(dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64'));
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
}

describe('the invoice API (spec §4.12)', () => {
  let gw: TestGateway;
  // The gateway's clock, which a test may move forward (expiry).
  let skewMs = 0;
  before(async () => {
    gw = await createTestGateway({ clock: () => Date.now() + skewMs });
  });
  after(async () => {
    await gw.close();
  });

  describe('POST /v2/invoice', () => {
    test('answers invoice_id, qrcode_pic (a PNG of invoice_url) and invoice_url under PUBLIC_URL, signed with the sorted signature', async () => {
      const m = await gw.addMerchant();
      const answer = await postInvoice(gw, signFields(invoiceFields(m, { qrcode: true, notify_url: 'https://merchant.example/notify' }), m.api_key));
      assert.equal(answer.code, 0, answer.message);
      assert.equal(answer.message, 'SUCCESS');
      assert.deepEqual(Object.keys(answer), ['code', 'message', 'invoice_id', 'qrcode_pic', 'invoice_url', 'signature']);
      assert.match(String(answer.invoice_id), /^I\d{16,}$/);
      assert.match(String(answer.invoice_url), /^http:\/\/gateway\.test\/invoice\/[0-9a-f]{64}$/);
      assert.match(String(answer.qrcode_pic), /^data:image\/png;base64,/);
      assert.equal(decodeQr(String(answer.qrcode_pic)), answer.invoice_url);
      assert.equal(answer.signature, answerSignature(answer, m.api_key));
      assert.equal(
        answer.signature,
        hmac(m.api_key, `invoice_id=${answer.invoice_id}&invoice_url=${answer.invoice_url}&qrcode_pic=${answer.qrcode_pic}${m.api_key}`),
      );
      assert.notEqual(answer.signature, answerSignature(answer, 'another key'));
    });

    test('without qrcode (or qrcode false) qrcode_pic is empty and left out of the signature', async () => {
      const m = await gw.addMerchant();
      for (const qrcode of [undefined, false, 'false']) {
        const answer = await postInvoice(gw, signFields(invoiceFields(m, { qrcode }), m.api_key));
        assert.equal(answer.code, 0, answer.message);
        assert.equal(answer.qrcode_pic, '');
        assert.equal(answer.signature, hmac(m.api_key, `invoice_id=${answer.invoice_id}&invoice_url=${answer.invoice_url}${m.api_key}`));
      }
    });

    test("Latipay's own example (api_key 111222333): amount 1 as a JSON number, notify_url, product_name", async () => {
      const org = gw.merchant.organisation_id;
      await insertWallet(gw.store.db, { id: 'W000000023', organisation_id: org, name: 'Vector wallet', currency: 'NZD', methods: 'alipay,wechat', single_limit_minor: null }, Date.now());
      await insertUser(gw.store.db, { id: 'U000000013', organisation_id: org, name: 'Vector user', api_key_sealed: gw.secrets.seal('111222333'), active: 1 }, Date.now());
      await assignWallet(gw.store.db, 'W000000023', 'U000000013');
      const body = {
        user_id: 'U000000013',
        wallet_id: 'W000000023',
        amount: 1,
        product_name: 'ticket',
        notify_url: 'https://yourwebsite.com/latipay/notify',
        signature: '9361c9e5ac5fc269296cc946377b3b4dea03685aa623482981a82101047672d9',
      };
      const answer = await postInvoice(gw, body);
      assert.equal(answer.code, 0, answer.message);
      const invoice = await getInvoice(gw, { ...gw.merchant, user_id: 'U000000013', api_key: '111222333' }, { invoice_id: String(answer.invoice_id) });
      assert.equal(invoice.amount, '1.00');
      assert.equal(invoice.notify_url, 'https://yourwebsite.com/latipay/notify');
    });

    test('a form-encoded body, and the signature in received order (spec §2.2.3)', async () => {
      const m = await gw.addMerchant();
      const fields = { wallet_id: m.wallet_id, user_id: m.user_id, amount: '3.20' };
      const receivedOrder = hmac(m.api_key, `wallet_id=${m.wallet_id}&user_id=${m.user_id}&amount=3.20${m.api_key}`);
      const response = await gw.app.inject({
        method: 'POST',
        url: '/v2/invoice',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ ...fields, signature: receivedOrder }).toString(),
      });
      assert.equal(answerOf(response).code, 0, response.body);
    });

    test('every optional field is stored and shown by GET /v2/invoice', async () => {
      const m = await gw.addMerchant();
      const customerOrderId = uniqueId('co');
      const created = await createInvoice(gw, m, {
        amount: '99.95',
        period_time: 90,
        max_open_count: 3,
        app: 1,
        customer_order_id: customerOrderId,
        customer_reference: 'table 4',
        return_url: 'https://merchant.example/thanks',
        notify_url: 'https://merchant.example/notify',
        qrcode: 'true',
        pay_currency: 'NZD',
      });
      const invoice = await getInvoice(gw, m, { invoice_id: created.invoiceId });
      assert.equal(invoice.code, 0, invoice.message);
      assert.equal(invoice.amount, '99.95');
      assert.equal(invoice.currency, 'NZD');
      assert.equal(invoice.period_time, 90);
      assert.equal(invoice.max_open_count, 3);
      assert.equal(invoice.app, 1);
      assert.equal(invoice.customer_order_id, customerOrderId);
      assert.equal(invoice.customer_reference, 'table 4');
      assert.equal(invoice.return_url, 'https://merchant.example/thanks');
      assert.equal(invoice.notify_url, 'https://merchant.example/notify');
      assert.equal(invoice.qrcode, true);
      assert.equal(invoice.invoice_url, created.invoiceUrl);
      assert.equal(invoice.token, created.token);
      const created_ = Date.parse(`${String(invoice.created_time).replace(' ', 'T')}+08:00`);
      const expires = Date.parse(`${String(invoice.expire_time).replace(' ', 'T')}+08:00`);
      assert.equal(expires - created_, 90 * 60_000, 'period_time counts from creation');
    });

    test('period_time defaults to 1440 minutes; max_open_count to none', async () => {
      const m = await gw.addMerchant();
      const created = await createInvoice(gw, m);
      const invoice = await getInvoice(gw, m, { invoice_id: created.invoiceId });
      assert.equal(invoice.period_time, 1440);
      assert.equal(invoice.max_open_count, null);
      assert.equal(invoice.app, null);
      assert.equal(invoice.qrcode, false);
    });

    test('the same customer_order_id with the same fields answers the same invoice (a retry); different fields answer 207', async () => {
      const m = await gw.addMerchant();
      const customerOrderId = uniqueId('co');
      const first = await createInvoice(gw, m, { customer_order_id: customerOrderId });
      const again = await createInvoice(gw, m, { customer_order_id: customerOrderId });
      assert.equal(again.invoiceId, first.invoiceId);
      assert.equal(again.invoiceUrl, first.invoiceUrl);
      const other = await postInvoice(gw, signFields(invoiceFields(m, { customer_order_id: customerOrderId, amount: '26.00' }), m.api_key));
      assert.equal(other.code, 207);
      // Another user may use the same customer_order_id.
      const n = await gw.addMerchant();
      assert.notEqual((await createInvoice(gw, n, { customer_order_id: customerOrderId })).invoiceId, first.invoiceId);
    });

    test('a deleted invoice keeps its customer_order_id: a create with it answers 207', async () => {
      const m = await gw.addMerchant();
      const customerOrderId = uniqueId('co');
      const first = await createInvoice(gw, m, { customer_order_id: customerOrderId });
      assert.equal((await deleteInvoice(gw, m, { invoice_id: first.invoiceId })).code, 0);
      assert.equal((await postInvoice(gw, signFields(invoiceFields(m, { customer_order_id: customerOrderId }), m.api_key))).code, 207);
    });

    test('204: user_id, wallet_id, amount or signature missing', async () => {
      const m = await gw.addMerchant();
      for (const missing of ['user_id', 'wallet_id', 'amount']) {
        const fields = invoiceFields(m);
        delete fields[missing];
        assert.equal((await postInvoice(gw, signFields(fields, m.api_key))).code, 204, missing);
      }
      assert.equal((await postInvoice(gw, invoiceFields(m))).code, 204, 'signature');
    });

    test('205 unknown or disabled user; 206 a wrong signature', async () => {
      const m = await gw.addMerchant();
      assert.equal((await postInvoice(gw, signFields(invoiceFields(m, { user_id: 'U999999999' }), m.api_key))).code, 205);
      assert.equal((await postInvoice(gw, signFields(invoiceFields(m), 'not the key'))).code, 206);
      const tampered = { ...signFields(invoiceFields(m), m.api_key), amount: '1.00' };
      assert.equal((await postInvoice(gw, tampered)).code, 206);
      await gw.store.db.updateTable('users').set({ active: 0 }).where('id', '=', m.user_id).execute();
      gw.app.gateway.credentials.forget(m.user_id);
      assert.equal((await postInvoice(gw, signFields(invoiceFields(m), m.api_key))).code, 205);
    });

    test('207: a bad amount, period_time, max_open_count, app, qrcode, URL, or an over-long text', async () => {
      const m = await gw.addMerchant();
      const cases: Array<[string, Record<string, unknown>]> = [
        ['amount 0', { amount: '0' }],
        ['amount 3 decimals', { amount: '1.234' }],
        ['amount negative', { amount: '-5' }],
        ['period_time 0', { period_time: 0 }],
        ['period_time text', { period_time: 'soon' }],
        ['period_time > 30 days', { period_time: 43_201 }],
        ['period_time fraction', { period_time: 1.5 }],
        ['max_open_count 0', { max_open_count: 0 }],
        ['app 2', { app: 2 }],
        ['qrcode maybe', { qrcode: 'maybe' }],
        ['return_url', { return_url: 'javascript:alert(1)' }],
        ['notify_url', { notify_url: 'ftp://merchant.example/' }],
        ['product_name', { product_name: 'x'.repeat(256) }],
        ['customer_order_id', { customer_order_id: 'x'.repeat(129) }],
      ];
      for (const [name, change] of cases) {
        const answer = await postInvoice(gw, signFields(invoiceFields(m, change as Record<string, string>), m.api_key));
        assert.equal(answer.code, 207, `${name}: ${answer.message}`);
      }
      const nested = await gw.app.inject({ method: 'POST', url: '/v2/invoice', payload: { ...invoiceFields(m), amount: { value: 1 } } });
      assert.equal(answerOf(nested).code, 207);
      const count = await gw.store.db.selectFrom('invoices').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', m.user_id).executeTakeFirstOrThrow();
      assert.equal(Number(count.n), 0, 'nothing was written');
    });

    test('450 a wallet not assigned to the user; 454 over its single-payment limit; 301 another pay_currency', async () => {
      const m = await gw.addMerchant({ limit: '10.00' });
      const other = await gw.addMerchant();
      assert.equal((await postInvoice(gw, signFields(invoiceFields(m, { wallet_id: other.wallet_id }), m.api_key))).code, 450);
      assert.equal((await postInvoice(gw, signFields(invoiceFields(m, { amount: '10.01' }), m.api_key))).code, 454);
      assert.equal((await postInvoice(gw, signFields(invoiceFields(m, { amount: '10.00' }), m.api_key))).code, 0);
      assert.equal((await postInvoice(gw, signFields(invoiceFields(m, { amount: '10.00', pay_currency: 'AUD' }), m.api_key))).code, 301);
    });

    test('302: no provider serves any method of the wallet', async () => {
      // The sandbox serves polipay now (payment-methods.md); nothing here serves moneymore.
      const m = await gw.addMerchant({ methods: ['moneymore'] });
      assert.equal((await postInvoice(gw, signFields(invoiceFields(m), m.api_key))).code, 302);
    });
  });

  describe('GET /v2/invoice', () => {
    test('by invoice_id or by customer_order_id: the same invoice, every field, signed', async () => {
      const m = await gw.addMerchant();
      const customerOrderId = uniqueId('co');
      const created = await createInvoice(gw, m, { customer_order_id: customerOrderId, customer_reference: 'note' });
      const byId = await getInvoice(gw, m, { invoice_id: created.invoiceId });
      const byCustomer = await getInvoice(gw, m, { customer_order_id: customerOrderId });
      assert.equal(byId.code, 0, byId.message);
      assert.deepEqual(byCustomer, byId);
      assert.deepEqual(Object.keys(byId), [
        'code', 'message', 'user_id', 'wallet_id', 'wallet_name', 'amount', 'currency', 'organisation_id', 'organisation', 'product_name',
        'period_time', 'open_count', 'customer_order_id', 'customer_reference', 'created_time', 'paid_time', 'invoice_id', 'invoice_url',
        'return_url', 'notify_url', 'token', 'status', 'paid_method', 'payment_methods', 'payer', 'max_open_count', 'qrcode', 'app',
        'expire_time', 'order_id', 'signature',
      ]);
      assert.equal(byId.user_id, m.user_id);
      assert.equal(byId.wallet_id, m.wallet_id);
      assert.equal(byId.wallet_name, 'Test Shop NZD');
      assert.equal(byId.organisation_id, m.organisation_id);
      assert.equal(byId.organisation, 'Test Shop');
      assert.equal(byId.status, 'pending');
      assert.equal(byId.open_count, 0);
      assert.deepEqual(byId.payment_methods, ['alipay', 'wechat']);
      assert.equal(byId.paid_time, '');
      assert.equal(byId.paid_method, '');
      assert.equal(byId.order_id, '');
      assert.match(String(byId.created_time), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      assert.equal(byId.signature, answerSignature(byId, m.api_key));
      // The list is signed as "alipay,wechat"; the nulls (max_open_count, app) and empty texts are left out.
      assert.ok(String(byId.signature).length === 64);
    });

    test('paid: status, paid_time, paid_method and the backing order', async () => {
      const m = await gw.addMerchant();
      const created = await createInvoice(gw, m);
      const orderId = await payInvoice(gw, created, 'wechat');
      const invoice = await getInvoice(gw, m, { invoice_id: created.invoiceId });
      assert.equal(invoice.status, 'paid');
      assert.equal(invoice.paid_method, 'wechat');
      assert.match(String(invoice.paid_time), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      assert.equal(invoice.order_id, orderId);
      assert.equal(invoice.signature, answerSignature(invoice, m.api_key));
    });

    test('201: unknown, another user’s, or invoice_id and customer_order_id naming different invoices; 204 neither given', async () => {
      const m = await gw.addMerchant();
      const other = await gw.addMerchant();
      const mine = await createInvoice(gw, m, { customer_order_id: uniqueId('co') });
      const theirs = await createInvoice(gw, other);
      assert.equal((await getInvoice(gw, m, { invoice_id: 'I000' })).code, 201);
      assert.equal((await getInvoice(gw, m, { customer_order_id: 'nope' })).code, 201);
      assert.equal((await getInvoice(gw, m, { invoice_id: theirs.invoiceId })).code, 201);
      assert.equal((await getInvoice(gw, m, { invoice_id: mine.invoiceId, customer_order_id: 'another' })).code, 201);
      assert.equal((await getInvoice(gw, m, {})).code, 204);
    });

    test('206: a wrong signature', async () => {
      const m = await gw.addMerchant();
      const created = await createInvoice(gw, m);
      const fields = signFields({ user_id: m.user_id, invoice_id: created.invoiceId }, 'wrong');
      assert.equal(answerOf(await gw.app.inject({ method: 'GET', url: `/v2/invoice?${query(fields)}` })).code, 206);
    });
  });

  describe('GET /v2/invoices', () => {
    test('filters by created time (start_time, end_time) and wallet, newest first, a page at a time, signed', async () => {
      let now = Date.UTC(2026, 2, 10, 1, 0, 0); // 2026-03-10 09:00:00 +08:00
      const local = await createTestGateway({ clock: () => now });
      try {
        const m = local.merchant;
        const second = await local.addMerchant();
        // A second wallet of the same user.
        await insertWallet(local.store.db, { id: 'W777777777', organisation_id: m.organisation_id, name: 'Second', currency: 'NZD', methods: 'alipay', single_limit_minor: null }, now);
        await assignWallet(local.store.db, 'W777777777', m.user_id);
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          ids.push((await createInvoice(local, m, { amount: `${i + 1}.00` })).invoiceId);
          now += 3_600_000;
        }
        ids.push((await createInvoice(local, m, { wallet_id: 'W777777777' })).invoiceId); // 14:00
        await createInvoice(local, second); // another user's: never listed

        const all = await listInvoices(local, m, { start_time: '2026-03-10' });
        assert.equal(all.code, 0, all.message);
        assert.equal(all.total, 6);
        assert.equal(all.page, 1);
        assert.equal(all.page_size, 20);
        const listed = all.invoices as Array<Record<string, unknown>>;
        assert.deepEqual(listed.map((i) => i.invoice_id), [...ids].reverse());
        for (const invoice of listed) assert.equal(invoice.signature, answerSignature(invoice, m.api_key));
        assert.equal(all.signature, sortedSignature({ page: '1', page_size: '20', total: '6', invoices: listed.map((i) => i.signature).join(',') }, m.api_key));

        // 10:00 to 12:00, both included (created at 10:00, 11:00, 12:00).
        const window = await listInvoices(local, m, { start_time: '2026-03-10 10:00:00', end_time: '2026-03-10 12:00:00' });
        assert.deepEqual((window.invoices as Array<Record<string, unknown>>).map((i) => i.amount), ['4.00', '3.00', '2.00']);
        // A date alone as end_time is that whole day; the day before has none.
        assert.equal((await listInvoices(local, m, { start_time: '2026-03-09', end_time: '2026-03-10' })).total, 6);
        assert.equal((await listInvoices(local, m, { start_time: '2026-03-09', end_time: '2026-03-09' })).total, 0);

        const wallet = await listInvoices(local, m, { start_time: '2026-03-10', wallet_id: 'W777777777' });
        assert.deepEqual((wallet.invoices as Array<Record<string, unknown>>).map((i) => i.invoice_id), [ids[5]]);

        const page1 = await listInvoices(local, m, { start_time: '2026-03-10', page_size: 4 });
        const page2 = await listInvoices(local, m, { start_time: '2026-03-10', page_size: 4, page: 2 });
        const page3 = await listInvoices(local, m, { start_time: '2026-03-10', page_size: 4, page: 3 });
        assert.deepEqual(
          [...(page1.invoices as Array<Record<string, unknown>>), ...(page2.invoices as Array<Record<string, unknown>>)].map((i) => i.invoice_id),
          [...ids].reverse(),
        );
        assert.equal((page2.invoices as unknown[]).length, 2);
        assert.equal(page2.total, 6);
        assert.deepEqual(page3.invoices, []);
      } finally {
        await local.close();
      }
    });

    test('207 a malformed or impossible time, end before start, a bad page or page_size; 204 no start_time; 450 another wallet', async () => {
      const m = await gw.addMerchant();
      const other = await gw.addMerchant();
      for (const params of [
        { start_time: '2026/03/10' },
        { start_time: '2026-02-30' },
        { start_time: '2026-03-10 25:00:00' },
        { start_time: '1741564800000' },
        { start_time: '2026-03-10', end_time: 'tomorrow' },
        { start_time: '2026-03-10 12:00:00', end_time: '2026-03-10 11:00:00' },
        { start_time: '2026-03-10', page: 0 },
        { start_time: '2026-03-10', page_size: 101 },
        { start_time: '2026-03-10', page_size: 'ten' },
      ]) {
        assert.equal((await listInvoices(gw, m, params)).code, 207, JSON.stringify(params));
      }
      assert.equal((await listInvoices(gw, m, {})).code, 204);
      assert.equal((await listInvoices(gw, m, { start_time: '2026-03-10', wallet_id: other.wallet_id })).code, 450);
    });
  });

  describe('PUT /v2/invoice', () => {
    test('edits an unpaid invoice: the fields sent change, the others keep their values; answered like the create', async () => {
      const m = await gw.addMerchant();
      const created = await createInvoice(gw, m, { customer_reference: 'first', return_url: 'https://merchant.example/r', max_open_count: 5 });
      const answer = await putInvoice(gw, m, { invoice_id: created.invoiceId, amount: '30.50', product_name: 'Wine club, April', period_time: 120, qrcode: true });
      assert.equal(answer.code, 0, answer.message);
      assert.deepEqual(Object.keys(answer), ['code', 'message', 'invoice_id', 'qrcode_pic', 'invoice_url', 'signature']);
      assert.equal(answer.invoice_id, created.invoiceId);
      assert.equal(answer.invoice_url, created.invoiceUrl, 'the link stays the same');
      assert.equal(decodeQr(String(answer.qrcode_pic)), created.invoiceUrl);
      assert.equal(answer.signature, answerSignature(answer, m.api_key));
      const invoice = await getInvoice(gw, m, { invoice_id: created.invoiceId });
      assert.equal(invoice.amount, '30.50');
      assert.equal(invoice.product_name, 'Wine club, April');
      assert.equal(invoice.period_time, 120);
      assert.equal(invoice.qrcode, true);
      assert.equal(invoice.customer_reference, 'first');
      assert.equal(invoice.return_url, 'https://merchant.example/r');
      assert.equal(invoice.max_open_count, 5);
    });

    test('addressed by customer_order_id; with an invoice_id, customer_order_id is a new value (207 when another invoice has it)', async () => {
      const m = await gw.addMerchant();
      const [a, b] = [uniqueId('co'), uniqueId('co')];
      const created = await createInvoice(gw, m, { customer_order_id: a });
      const taken = await createInvoice(gw, m, { customer_order_id: b });
      assert.equal((await putInvoice(gw, m, { customer_order_id: a, amount: '11.00' })).code, 0);
      assert.equal((await getInvoice(gw, m, { customer_order_id: a })).amount, '11.00');
      const renamed = uniqueId('co');
      assert.equal((await putInvoice(gw, m, { invoice_id: created.invoiceId, customer_order_id: renamed, amount: '11.00' })).code, 0);
      assert.equal((await getInvoice(gw, m, { customer_order_id: renamed })).invoice_id, created.invoiceId);
      assert.equal((await putInvoice(gw, m, { invoice_id: created.invoiceId, customer_order_id: b, amount: '11.00' })).code, 207);
      assert.equal((await getInvoice(gw, m, { customer_order_id: b })).invoice_id, taken.invoiceId);
    });

    test('a payer has started paying: the backing order takes the new amount, its payment in progress is closed, the next one is for the new amount', async () => {
      const m = await gw.addMerchant();
      const created = await createInvoice(gw, m, { amount: '20.00' });
      assert.equal((await pick(gw, created.path, 'alipay')).statusCode, 303);
      const orderId = (await backingOrderId(gw, created.invoiceId)) as string;
      const nonce = (await findOrderById(gw.store.db, orderId))?.nonce as string;
      assert.equal((await gw.app.inject({ method: 'GET', url: `/pay/${nonce}` })).statusCode, 200);
      const [first] = await listAttemptsOfOrder(gw.store.db, orderId);
      assert.equal(Number(first.amount_minor), 2000);

      assert.equal((await putInvoice(gw, m, { invoice_id: created.invoiceId, amount: '22.00', product_name: 'Bigger' })).code, 0);
      const order = await findOrderById(gw.store.db, orderId);
      assert.equal(Number(order?.amount_minor), 2200);
      assert.equal(order?.product_name, 'Bigger');
      assert.equal(order?.status, 'pending');
      assert.equal((await listAttemptsOfOrder(gw.store.db, orderId))[0].status, 'failed', 'the old payment is closed');
      assert.equal((await gw.app.inject({ method: 'GET', url: `/pay/${nonce}` })).statusCode, 200);
      const attempts = await listAttemptsOfOrder(gw.store.db, orderId);
      assert.equal(attempts.length, 2);
      assert.equal(Number(attempts[1].amount_minor), 2200);
      // Paid at the new amount: paid, not flagged.
      assert.equal(answerOf(await settleOrder(gw, orderId, 'paid')).status, 'paid');
      assert.equal((await getInvoice(gw, m, { invoice_id: created.invoiceId })).status, 'paid');
      // Another wallet is refused once a payer started paying (here: paid, 900 first).
      assert.equal((await putInvoice(gw, m, { invoice_id: created.invoiceId, amount: '1.00' })).code, 900);
    });

    test('a payment for the old amount that still arrives after an edit is flagged for review, never credited', async () => {
      const m = await gw.addMerchant();
      const created = await createInvoice(gw, m, { amount: '20.00' });
      await pick(gw, created.path, 'alipay');
      const orderId = (await backingOrderId(gw, created.invoiceId)) as string;
      await gw.app.inject({ method: 'GET', url: `/pay/${(await findOrderById(gw.store.db, orderId))?.nonce}` });
      const [old] = await listAttemptsOfOrder(gw.store.db, orderId);
      assert.equal((await putInvoice(gw, m, { invoice_id: created.invoiceId, amount: '22.00' })).code, 0);
      // The payer had paid the old payment at the provider all the same: its notification arrives now.
      const notification = sandboxOf(gw).signNotification({
        event_id: `${old.provider_payment_id}:late`,
        trade_no: String(old.provider_payment_id),
        out_trade_no: old.attempt_id,
        trade_status: 'TRADE_SUCCESS',
        total_amount: 2000,
        currency: 'NZD',
        gmt_payment: Date.now(),
      });
      assert.equal((await gw.app.inject({ method: 'POST', url: '/channels/sandbox/notify', payload: notification })).statusCode, 200);
      const order = await findOrderById(gw.store.db, orderId);
      assert.equal(order?.status, 'pending');
      assert.match(String(order?.review_reason), /20\.00 NZD paid for an order of 22\.00 NZD/);
      assert.deepEqual(await ledgerOf(gw, m.wallet_id), []);
      assert.equal((await getInvoice(gw, m, { invoice_id: created.invoiceId })).status, 'pending');
    });

    test('207 another wallet once a payer picked a method', async () => {
      const m = await gw.addMerchant();
      await insertWallet(gw.store.db, { id: `W${m.wallet_id.slice(1, 5)}99999`, organisation_id: m.organisation_id, name: 'Other', currency: 'NZD', methods: 'alipay', single_limit_minor: null }, Date.now());
      await assignWallet(gw.store.db, `W${m.wallet_id.slice(1, 5)}99999`, m.user_id);
      const created = await createInvoice(gw, m);
      assert.equal((await putInvoice(gw, m, { invoice_id: created.invoiceId, wallet_id: `W${m.wallet_id.slice(1, 5)}99999`, amount: '25.00' })).code, 0, 'before: any wallet of the user');
      assert.equal((await pick(gw, created.path, 'alipay')).statusCode, 303);
      assert.equal((await putInvoice(gw, m, { invoice_id: created.invoiceId, wallet_id: m.wallet_id, amount: '25.00' })).code, 207);
    });

    test('900 paid, 901 deleted or expired; 201 unknown; 204 amount or wallet_id missing', async () => {
      const m = await gw.addMerchant();
      const paid = await createInvoice(gw, m);
      await payInvoice(gw, paid);
      assert.equal((await putInvoice(gw, m, { invoice_id: paid.invoiceId, amount: '1.00' })).code, 900);
      const deleted = await createInvoice(gw, m);
      await deleteInvoice(gw, m, { invoice_id: deleted.invoiceId });
      assert.equal((await putInvoice(gw, m, { invoice_id: deleted.invoiceId, amount: '1.00' })).code, 901);
      const expiring = await createInvoice(gw, m, { period_time: 1 });
      skewMs = 61_000;
      try {
        assert.equal((await putInvoice(gw, m, { invoice_id: expiring.invoiceId, amount: '1.00' })).code, 901);
      } finally {
        skewMs = 0;
      }
      assert.equal((await putInvoice(gw, m, { invoice_id: 'I0', amount: '1.00' })).code, 201);
      const body = signFields({ user_id: m.user_id, invoice_id: paid.invoiceId, wallet_id: m.wallet_id }, m.api_key);
      assert.equal(answerOf(await gw.app.inject({ method: 'PUT', url: '/v2/invoice', payload: body })).code, 204);
      assert.equal((await putInvoice(gw, m, { amount: '1.00' })).code, 204, 'no address');
    });
  });

  describe('DELETE /v2/invoice', () => {
    test('cancels an unpaid invoice: its page refuses (410), GET shows canceled; deleting again answers 0', async () => {
      const m = await gw.addMerchant();
      const created = await createInvoice(gw, m);
      const answer = await deleteInvoice(gw, m, { invoice_id: created.invoiceId });
      assert.deepEqual(answer, { code: 0, message: 'SUCCESS' });
      assert.equal((await getInvoice(gw, m, { invoice_id: created.invoiceId })).status, 'canceled');
      const page = await openPage(gw, created.path);
      assert.equal(page.statusCode, 410);
      assert.match(page.body, /data-reason="canceled"/);
      assert.equal((await pick(gw, created.path, 'alipay')).statusCode, 410);
      assert.equal(await backingOrderId(gw, created.invoiceId), null);
      assert.deepEqual(await deleteInvoice(gw, m, { invoice_id: created.invoiceId }), { code: 0, message: 'SUCCESS' });
    });

    test('a pending backing order is cancelled with it (its canceled notification queued for notify_url) and its payment closed', async () => {
      const m = await gw.addMerchant();
      const customerOrderId = uniqueId('co');
      const created = await createInvoice(gw, m, { customer_order_id: customerOrderId, notify_url: 'https://merchant.example/notify' });
      assert.equal((await pick(gw, created.path, 'wechat')).statusCode, 303);
      const orderId = (await backingOrderId(gw, created.invoiceId)) as string;
      const nonce = (await findOrderById(gw.store.db, orderId))?.nonce as string;
      await gw.app.inject({ method: 'GET', url: `/pay/${nonce}` });
      assert.equal((await deleteInvoice(gw, m, { customer_order_id: customerOrderId })).code, 0);
      assert.equal((await findOrderById(gw.store.db, orderId))?.status, 'canceled');
      assert.deepEqual((await listAttemptsOfOrder(gw.store.db, orderId)).map((a) => a.status), ['failed']);
      const [notification] = await listNotificationsForOrder(gw.store.db, orderId);
      assert.equal(notification.url, 'https://merchant.example/notify');
      const fields = Object.fromEntries(new URLSearchParams(notification.body));
      assert.equal(fields.status, 'canceled');
      assert.equal(fields.merchant_reference, created.invoiceId);
      // The payment page of the cancelled order no longer takes a payment.
      assert.equal(answerOf(await settleOrder(gw, orderId, 'paid')).status, 'canceled');
    });

    test('a DELETE with its fields in the query string, no body', async () => {
      const m = await gw.addMerchant();
      const created = await createInvoice(gw, m);
      const fields = signFields({ user_id: m.user_id, invoice_id: created.invoiceId }, m.api_key);
      const response = await gw.app.inject({ method: 'DELETE', url: `/v2/invoice?${query(fields)}` });
      assert.equal(answerOf(response).code, 0, response.body);
      assert.equal((await getInvoice(gw, m, { invoice_id: created.invoiceId })).status, 'canceled');
    });

    test('900 a paid invoice (nothing changes); 201 unknown; 206 a wrong signature; 204 no address', async () => {
      const m = await gw.addMerchant();
      const created = await createInvoice(gw, m);
      await payInvoice(gw, created);
      assert.equal((await deleteInvoice(gw, m, { invoice_id: created.invoiceId })).code, 900);
      assert.equal((await getInvoice(gw, m, { invoice_id: created.invoiceId })).status, 'paid');
      assert.equal((await deleteInvoice(gw, m, { invoice_id: 'I1' })).code, 201);
      const body = signFields({ user_id: m.user_id, invoice_id: created.invoiceId }, 'wrong');
      assert.equal(answerOf(await gw.app.inject({ method: 'DELETE', url: '/v2/invoice', payload: body })).code, 206);
      assert.equal((await deleteInvoice(gw, m, {})).code, 204);
    });
  });

  describe('POST /v2/invoice/refund', () => {
    test('refunds the whole paid amount through the backing order; again: 562', async () => {
      const m = await gw.addMerchant();
      const created = await createInvoice(gw, m, { amount: '40.00' });
      const orderId = await payInvoice(gw, created);
      const answer = await refundInvoice(gw, m, { invoice_id: created.invoiceId, reference: 'returned' });
      assert.equal(answer.code, 0, answer.message);
      assert.deepEqual(Object.keys(answer), ['code', 'message', 'refund_id', 'signature']);
      assert.equal(answer.signature, answerSignature(answer, m.api_key));
      const [refund] = await refundsOf(gw, orderId);
      assert.equal(refund.refund_id, answer.refund_id);
      assert.equal(Number(refund.amount_minor), 4000);
      assert.equal(refund.status, 'succeeded');
      assert.equal(refund.reference, 'returned');
      assert.deepEqual(await ledgerOf(gw, m.wallet_id), [['payment', 4000], ['refund', -4000]]);
      assert.equal((await refundInvoice(gw, m, { invoice_id: created.invoiceId, reference: 'returned' })).code, 562);
      assert.equal(await balanceOf(gw, m.wallet_id), 0);
    });

    test('by customer_order_id; [ours] refund_amount refunds part, the rest later without it', async () => {
      const m = await gw.addMerchant();
      const customerOrderId = uniqueId('co');
      const created = await createInvoice(gw, m, { amount: '40.00', customer_order_id: customerOrderId });
      const orderId = await payInvoice(gw, created);
      assert.equal((await refundInvoice(gw, m, { customer_order_id: customerOrderId, refund_amount: '15.00' })).code, 0);
      assert.equal((await refundInvoice(gw, m, { customer_order_id: customerOrderId, refund_amount: '30.00' })).code, 550, 'more than is left');
      assert.equal((await refundInvoice(gw, m, { customer_order_id: customerOrderId })).code, 0);
      assert.deepEqual((await refundsOf(gw, orderId)).map((r) => Number(r.amount_minor)), [1500, 2500]);
    });

    test('551 unknown; 556 unpaid, or refused by the provider; 550 a bad amount; 559 a balance that does not cover it', async () => {
      const m = await gw.addMerchant();
      assert.equal((await refundInvoice(gw, m, { invoice_id: 'I2' })).code, 551);
      const unpaid = await createInvoice(gw, m);
      assert.equal((await refundInvoice(gw, m, { invoice_id: unpaid.invoiceId })).code, 556);
      await pick(gw, unpaid.path, 'alipay');
      assert.equal((await refundInvoice(gw, m, { invoice_id: unpaid.invoiceId })).code, 556, 'picked, not paid');
      const paid = await createInvoice(gw, m, { amount: '10.00' });
      await payInvoice(gw, paid);
      assert.equal((await refundInvoice(gw, m, { invoice_id: paid.invoiceId, refund_amount: '1.234' })).code, 550);
      assert.equal((await refundInvoice(gw, m, { invoice_id: paid.invoiceId, reference: SANDBOX_FAIL_REFUND })).code, 556);
      // The wallet's money went out elsewhere (another refund): what is left does not cover this one.
      const third = await createInvoice(gw, m, { amount: '5.00' });
      const thirdOrder = await payInvoice(gw, third);
      const balance = await balanceOf(gw, m.wallet_id);
      await appendLedgerEntry(gw.store.db, { wallet_id: m.wallet_id, order_id: paid.invoiceId, refund_id: null, kind: 'refund', amount_minor: -(balance - 400), currency: 'NZD', created_at: Date.now() });
      assert.equal((await refundInvoice(gw, m, { invoice_id: third.invoiceId })).code, 559);
      assert.deepEqual(await refundsOf(gw, thirdOrder), []);
    });

    test('an Idempotency-Key repeats the first answer and refunds once', async () => {
      const m = await gw.addMerchant();
      const created = await createInvoice(gw, m, { amount: '12.00' });
      const orderId = await payInvoice(gw, created);
      const first = await refundInvoice(gw, m, { invoice_id: created.invoiceId }, { 'idempotency-key': 'inv-refund-1' });
      const again = await refundInvoice(gw, m, { invoice_id: created.invoiceId }, { 'idempotency-key': 'inv-refund-1' });
      assert.equal(first.code, 0);
      assert.deepEqual(again, first);
      assert.equal((await refundsOf(gw, orderId)).length, 1);
    });

    test('550 a body that is not flat; 206 a wrong signature; 204 no address', async () => {
      const m = await gw.addMerchant();
      const nested = await gw.app.inject({ method: 'POST', url: '/v2/invoice/refund', payload: { user_id: m.user_id, invoice_id: ['a'] } });
      assert.equal(answerOf(nested).code, 550);
      const body = signFields({ user_id: m.user_id, invoice_id: 'I3' }, 'wrong');
      assert.equal(answerOf(await gw.app.inject({ method: 'POST', url: '/v2/invoice/refund', payload: body })).code, 206);
      assert.equal((await refundInvoice(gw, m, {})).code, 204);
    });
  });
});
