import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { addPortalUser, portalInject, signIn, type PortalSession } from '../helpers/portal.js';
import { createInvoice, getInvoice, openPage, payInvoice, uniqueId } from './invoice-support.js';

/** The HTML of a page as text, entities decoded (what a reader sees). */
const textOf = (body: string) => body.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');

function rowOf(body: string, invoiceId: string): string {
  const match = new RegExp(`<tr data-test="link-row" data-invoice-id="${invoiceId}">([\\s\\S]*?)</tr>`).exec(body);
  assert.ok(match, `no row for ${invoiceId}`);
  return match[1];
}

const testOf = (body: string, name: string) => {
  const match = new RegExp(`data-test="${name}"[^>]*>([\\s\\S]*?)</(?:td|dd|p|span)>`).exec(body);
  return match ? match[1] : undefined;
};

describe('portal: payment links', () => {
  let gw: TestGateway;
  let owner: PortalSession;
  let ownerEmail: string;
  let viewer: PortalSession;

  before(async () => {
    gw = await createTestGateway();
    const o = await addPortalUser(gw, { role: 'owner' });
    ownerEmail = o.email;
    owner = await signIn(gw.app, o.email, o.password);
    const v = await addPortalUser(gw, { role: 'viewer' });
    viewer = await signIn(gw.app, v.email, v.password);
  });
  after(() => gw.close());

  async function createLink(session: PortalSession, form: Record<string, string>) {
    return portalInject(gw.app, session, { url: '/portal/payment-links/new', form: { wallet_id: gw.merchant.wallet_id, period_time: '1440', ...form } });
  }

  async function createdId(form: Record<string, string>): Promise<string> {
    const answer = await createLink(owner, form);
    assert.equal(answer.statusCode, 303, answer.body.slice(0, 300));
    const match = /^\/portal\/payment-links\/(I\d{30})\?done=created$/.exec(String(answer.headers.location));
    assert.ok(match, String(answer.headers.location));
    return match[1];
  }

  test('an owner creates a link; it is listed with its amount, status and opens, and its page counts opens', async () => {
    const form = await portalInject(gw.app, owner, { url: '/portal/payment-links/new' });
    assert.equal(form.statusCode, 200);
    assert.ok(form.body.includes(`value="${gw.merchant.wallet_id}"`));

    const invoiceId = await createdId({ amount: '48.00', product_name: 'Wine club, March', customer_reference: 'Table 4' });
    const detail = await portalInject(gw.app, owner, { url: `/portal/payment-links/${invoiceId}?done=created` });
    assert.equal(detail.statusCode, 200);
    const url = /id="link-url" type="text" readonly value="([^"]+)"/.exec(detail.body)?.[1];
    assert.ok(url?.startsWith('http://gateway.test/invoice/'), String(url));
    assert.ok(detail.body.includes('data-copy="link-url"'), 'a Copy link button for the link');
    assert.ok(/<img class="qr-image" src="data:image\/png;base64,/.test(detail.body), 'the QR of the link');

    // The API sees the same invoice, made for the wallet's API user.
    const queried = await getInvoice(gw, gw.merchant, { invoice_id: invoiceId });
    assert.equal(queried.code, 0);
    assert.equal(queried.amount, '48.00');
    assert.equal(queried.product_name, 'Wine club, March');
    assert.equal(queried.invoice_url, url);

    let list = await portalInject(gw.app, owner, { url: '/portal/payment-links' });
    assert.equal(list.statusCode, 200);
    let row = rowOf(list.body, invoiceId);
    assert.ok(row.includes('48.00 NZD'));
    assert.ok(row.includes('Wine club, March'));
    assert.match(testOf(row, 'link-status') ?? '', /badge warn/);
    assert.equal(testOf(row, 'link-opens'), '0');
    assert.ok(row.includes(`value="${url}"`));

    const path = new URL(url as string).pathname;
    assert.equal((await openPage(gw, path)).statusCode, 200);
    assert.equal((await openPage(gw, path)).statusCode, 200);
    list = await portalInject(gw.app, owner, { url: '/portal/payment-links' });
    row = rowOf(list.body, invoiceId);
    assert.equal(testOf(row, 'link-opens'), '2');

    const audit = await gw.store.db.selectFrom('audit_events').selectAll().where('action', '=', 'invoice.create').where('target', '=', invoiceId).execute();
    assert.equal(audit.length, 1);
    assert.equal(audit[0].actor, `portal:${ownerEmail}`);
  });

  test('a paid link shows paid, with its order; it cannot be deactivated', async () => {
    const invoiceId = await createdId({ amount: '12.34', product_name: 'Paid one' });
    const detail = await portalInject(gw.app, owner, { url: `/portal/payment-links/${invoiceId}` });
    const url = /id="link-url" type="text" readonly value="([^"]+)"/.exec(detail.body)?.[1] as string;
    const path = new URL(url).pathname;
    const orderId = await payInvoice(gw, { invoiceId, invoiceUrl: url, path, token: path.split('/').pop() as string, answer: { code: 0, message: '' } });

    const list = await portalInject(gw.app, owner, { url: '/portal/payment-links' });
    const row = rowOf(list.body, invoiceId);
    assert.match(testOf(row, 'link-status') ?? '', /badge ok/);
    assert.match(row, /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
    const paid = await portalInject(gw.app, owner, { url: `/portal/payment-links/${invoiceId}` });
    assert.ok(paid.body.includes(`href="/portal/orders/${orderId}"`), 'the order links to its page in Transactions');
    assert.equal(testOf(paid.body, 'order-status'), 'paid');
    assert.ok(!paid.body.includes('/deactivate"'), 'no Deactivate for a paid link');

    const refused = await portalInject(gw.app, owner, { url: `/portal/payment-links/${invoiceId}/deactivate`, form: {} });
    assert.equal(refused.statusCode, 303);
    assert.equal(refused.headers.location, `/portal/payment-links/${invoiceId}?done=paid`);
    assert.equal((await getInvoice(gw, gw.merchant, { invoice_id: invoiceId })).status, 'paid');
  });

  test('deactivate: the link stops working and shows deactivated', async () => {
    const invoiceId = await createdId({ amount: '5.00' });
    const answer = await portalInject(gw.app, owner, { url: `/portal/payment-links/${invoiceId}/deactivate`, form: {} });
    assert.equal(answer.statusCode, 303);
    assert.equal(answer.headers.location, `/portal/payment-links/${invoiceId}?done=deactivated`);
    const queried = await getInvoice(gw, gw.merchant, { invoice_id: invoiceId });
    assert.equal(queried.status, 'canceled');
    assert.equal((await openPage(gw, new URL(String(queried.invoice_url)).pathname)).statusCode, 410);
    const list = await portalInject(gw.app, owner, { url: '/portal/payment-links' });
    assert.doesNotMatch(testOf(rowOf(list.body, invoiceId), 'link-status') ?? '', /badge (ok|warn|bad)/);
    const audit = await gw.store.db.selectFrom('audit_events').select('actor').where('action', '=', 'invoice.delete').where('target', '=', invoiceId).execute();
    assert.deepEqual(audit, [{ actor: `portal:${ownerEmail}` }]);
  });

  test('validation problems are shown on the form (422), never a 500, and nothing is created', async () => {
    const before = await gw.store.db.selectFrom('invoices').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const bad = await createLink(owner, { amount: '12.345', return_url: 'ftp://shop.example', max_open_count: '0', product_name: 'x'.repeat(256) });
    assert.equal(bad.statusCode, 422);
    for (const field of ['amount', 'return_url', 'max_open_count', 'product_name']) assert.ok(bad.body.includes(`data-test="error-${field}"`), field);
    assert.ok(bad.body.includes('aria-invalid="true"'));
    assert.ok(bad.body.includes('value="ftp://shop.example"'), 'what was typed is kept');

    const empty = await createLink(owner, { amount: '' });
    assert.equal(empty.statusCode, 422);
    assert.ok(empty.body.includes('data-test="error-amount"'));

    const other = await gw.addMerchant({ name: 'Elsewhere' });
    const foreignWallet = await createLink(owner, { wallet_id: other.wallet_id, amount: '10.00' });
    assert.equal(foreignWallet.statusCode, 422);
    assert.ok(foreignWallet.body.includes('data-test="error-wallet_id"'));

    const overLimit = await gw.addMerchant({ name: 'Limited', limit: '100' });
    const member = await addPortalUser(gw, { role: 'admin', organisationId: overLimit.organisation_id });
    const session = await signIn(gw.app, member.email, member.password);
    const tooMuch = await portalInject(gw.app, session, { url: '/portal/payment-links/new', form: { wallet_id: overLimit.wallet_id, amount: '100.01' } });
    assert.equal(tooMuch.statusCode, 422);
    assert.ok(tooMuch.body.includes('data-test="error-amount"'));

    const after = await gw.store.db.selectFrom('invoices').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    assert.equal(Number(after.n), Number(before.n));
  });

  test('the same order number twice answers the same link (a double submit), another one with other terms is refused', async () => {
    const customerOrderId = uniqueId('order');
    const first = await createdId({ amount: '9.00', customer_order_id: customerOrderId });
    const again = await createdId({ amount: '9.00', customer_order_id: customerOrderId });
    assert.equal(again, first);
    const other = await createLink(owner, { amount: '9.50', customer_order_id: customerOrderId });
    assert.equal(other.statusCode, 422);
    assert.ok(other.body.includes('data-test="error-customer_order_id"'));
  });

  test("another organisation's link answers 404, never its content, and cannot be deactivated", async () => {
    const other = await gw.addMerchant({ name: 'Other Shop' });
    const theirs = await createInvoice(gw, other, { product_name: 'Their secret product' });
    const seen = await portalInject(gw.app, owner, { url: `/portal/payment-links/${theirs.invoiceId}` });
    assert.equal(seen.statusCode, 404);
    assert.ok(!seen.body.includes('Their secret product'));
    assert.ok(!seen.body.includes(theirs.token));
    const list = await portalInject(gw.app, owner, { url: '/portal/payment-links' });
    assert.ok(!list.body.includes(theirs.invoiceId));
    const deactivate = await portalInject(gw.app, owner, { url: `/portal/payment-links/${theirs.invoiceId}/deactivate`, form: {} });
    assert.equal(deactivate.statusCode, 404);
    assert.equal((await getInvoice(gw, other, { invoice_id: theirs.invoiceId })).status, 'pending');
    assert.equal((await portalInject(gw.app, owner, { url: '/portal/payment-links/not-an-id' })).statusCode, 404);
  });

  test('a viewer sees the links but may not create or deactivate one (server-side 403)', async () => {
    const invoiceId = await createdId({ amount: '7.00' });
    const list = await portalInject(gw.app, viewer, { url: '/portal/payment-links' });
    assert.equal(list.statusCode, 200);
    assert.ok(list.body.includes(invoiceId));
    assert.ok(!list.body.includes('href="/portal/payment-links/new"'));
    const detail = await portalInject(gw.app, viewer, { url: `/portal/payment-links/${invoiceId}` });
    assert.equal(detail.statusCode, 200);
    assert.ok(!detail.body.includes('/deactivate"'));

    assert.equal((await portalInject(gw.app, viewer, { url: '/portal/payment-links/new' })).statusCode, 403);
    const count = async () => Number((await gw.store.db.selectFrom('invoices').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    const created = await createLink(viewer, { amount: '1.00' });
    assert.equal(created.statusCode, 403);
    assert.equal(await count(), before);
    const deactivated = await portalInject(gw.app, viewer, { url: `/portal/payment-links/${invoiceId}/deactivate`, form: {} });
    assert.equal(deactivated.statusCode, 403);
    assert.equal((await getInvoice(gw, gw.merchant, { invoice_id: invoiceId })).status, 'pending');
  });

  test('without a session: to the sign-in page', async () => {
    const answer = await gw.app.inject({ method: 'GET', url: '/portal/payment-links' });
    assert.equal(answer.statusCode, 303);
    assert.match(String(answer.headers.location), /^\/portal\/login/);
  });

  test('the list and the form speak Chinese', async () => {
    const list = await portalInject(gw.app, owner, { url: '/portal/payment-links?lang=zh' });
    assert.ok(textOf(list.body).includes('收款链接'));
    assert.ok(textOf(list.body).includes('复制链接'));
  });
});
