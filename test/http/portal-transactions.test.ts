import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { CreatedMerchant } from '../../src/gateway/create-merchant.js';
import { listNotificationsForOrder } from '../../src/store/notifications.js';
import { findOrderById } from '../../src/store/orders.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { balanceOf, ledgerOf, refundsOf } from '../helpers/money.js';
import { addPortalUser, portalInject, signIn, type PortalSession } from '../helpers/portal.js';
import { seedOrders } from '../helpers/seed-orders.js';
import { answerOf, createOrder, settleOrder } from './support.js';

/** The order ids a list page shows, in order. */
const listed = (body: string) => [...body.matchAll(/<tr data-order="([^"]+)"/g)].map((m) => m[1] as string);
/** The order ids of a CSV export, in order (the first column of every record after the header). */
const exported = (csv: string) =>
  csv
    .split('\r\n')
    .slice(1)
    .filter(Boolean)
    .map((line) => line.split(',')[0] as string);
const nextLink = (body: string) => /<a href="([^"]+)" rel="next"/.exec(body)?.[1]?.replace(/&amp;/g, '&');

describe('the portal’s Transactions area', () => {
  let gw: TestGateway;
  let other: CreatedMerchant;
  let merchantServer: Server;
  /** What the merchant's callback URL received: order_id and status of each callback. */
  const callbacks: Array<{ order_id: string; status: string }> = [];
  let callbackUrl = '';
  const sessions: Record<string, PortalSession> = {};
  let otherOwner: PortalSession;

  before(async () => {
    merchantServer = createServer((request, response) => {
      let body = '';
      request.on('data', (c) => (body += c));
      request.on('end', () => {
        const fields = Object.fromEntries(new URLSearchParams(body));
        callbacks.push({ order_id: fields.order_id ?? '', status: fields.status ?? '' });
        response.end('sent');
      });
    });
    await new Promise<void>((resolve) => merchantServer.listen(0, '127.0.0.1', resolve));
    callbackUrl = `http://127.0.0.1:${(merchantServer.address() as AddressInfo).port}/callback`;
    gw = await createTestGateway({ worker: true, env: { NOTIFY_RETRY_SECONDS: '1' } });
    other = await gw.addMerchant({ name: 'Other Shop' });
    for (const role of ['owner', 'admin', 'developer', 'support', 'viewer'] as const) {
      const user = await addPortalUser(gw, { role });
      sessions[role] = await signIn(gw.app, user.email, user.password);
    }
    const theirs = await addPortalUser(gw, { role: 'owner', organisationId: other.organisation_id });
    otherOwner = await signIn(gw.app, theirs.email, theirs.password);
  });
  after(async () => {
    await gw.close();
    merchantServer.closeAllConnections();
    await new Promise<void>((resolve) => merchantServer.close(() => resolve()));
  });

  const get = (session: PortalSession, url: string) => portalInject(gw.app, session, { url });
  const post = (session: PortalSession, url: string, form: Record<string, string> = {}) => portalInject(gw.app, session, { url, form });

  async function waitFor(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if (await check()) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.fail(`timed out waiting for ${what}`);
  }

  test('signed out, the list sends to the sign-in page; an operator is refused it', async () => {
    const anonymous = await gw.app.inject({ method: 'GET', url: '/portal/transactions?status=paid' });
    assert.equal(anonymous.statusCode, 303);
    assert.equal(anonymous.headers.location, `/portal/login?next=${encodeURIComponent('/portal/transactions?status=paid')}`);
    const operator = await addPortalUser(gw, { role: 'operator' });
    const session = await signIn(gw.app, operator.email, operator.password);
    assert.equal((await get(session, '/portal/transactions')).statusCode, 403);
    assert.equal((await get(session, '/portal/transactions.csv')).statusCode, 403);
  });

  describe('the list and its filters', () => {
    const t0 = Date.UTC(2026, 2, 10, 0, 0, 0) - 8 * 3_600_000; // midnight of 10 March 2026 in the wire's UTC+08:00
    const DAY = 86_400_000;
    let orgOrders: Awaited<ReturnType<typeof seedOrders>>;
    before(async () => {
      // Five days, 12 orders each: statuses, methods and amounts vary; and another organisation's orders on the same days.
      orgOrders = await seedOrders(
        gw.store,
        gw.merchant,
        Array.from({ length: 60 }, (_, i) => ({
          created_at: t0 + Math.floor(i / 12) * DAY + (i % 12) * 3_600_000,
          status: ['paid', 'paid', 'failed', 'canceled', 'pending'][i % 5],
          payment_method: i % 3 === 0 ? 'wechat' : 'alipay',
          amount_minor: 500 + i * 100,
          merchant_reference: `list-${i}`,
        })),
      );
      await seedOrders(gw.store, other, Array.from({ length: 20 }, (_, i) => ({ created_at: t0 + i * 3_600_000, status: 'paid', merchant_reference: `theirs-${i}` })));
    });

    const byFilter = (predicate: (o: (typeof orgOrders)[number]) => boolean) =>
      orgOrders
        .filter(predicate)
        .sort((a, b) => Number(b.created_at) - Number(a.created_at))
        .map((o) => o.order_id);
    const inWindow = (o: (typeof orgOrders)[number]) => Number(o.created_at) >= t0 && Number(o.created_at) < t0 + 5 * DAY;

    test('a viewer sees the organisation’s orders, newest first, 50 a page, and none of another organisation’s', async () => {
      const first = await get(sessions.viewer!, '/portal/transactions?from=2026-03-10&to=2026-03-14');
      assert.equal(first.statusCode, 200);
      assert.match(first.body, /<h1>Transactions<\/h1>/);
      assert.match(first.body, /aria-current="page">Transactions</);
      const rows = listed(first.body);
      assert.equal(rows.length, 50);
      assert.doesNotMatch(first.body, /theirs-/);
      const next = nextLink(first.body);
      assert.ok(next, 'a next page');
      const second = await get(sessions.viewer!, next);
      assert.equal(second.statusCode, 200);
      assert.deepEqual([...rows, ...listed(second.body)], byFilter(inWindow));
      assert.equal(nextLink(second.body), undefined);
      assert.match(second.body, />Newest</);
    });

    const filters: ReadonlyArray<[string, (o: (typeof orgOrders)[number]) => boolean]> = [
      ['status=paid&from=2026-03-10&to=2026-03-14', (o) => o.status === 'paid'],
      ['method=wechat&status=failed&from=2026-03-10&to=2026-03-14', (o) => o.payment_method === 'wechat' && o.status === 'failed'],
      ['from=2026-03-11&to=2026-03-12', (o) => Number(o.created_at) >= t0 + DAY && Number(o.created_at) < t0 + 3 * DAY],
      ['min=10&max=20.00&from=2026-03-10&to=2026-03-14', (o) => Number(o.amount_minor) >= 1000 && Number(o.amount_minor) <= 2000],
      ['q=list-17', (o) => o.merchant_reference === 'list-17'],
    ];
    for (const [query, predicate] of filters) {
      test(`?${query} lists exactly the matching orders, and the CSV export of the same filter holds exactly them`, async () => {
        const page = await get(sessions.viewer!, `/portal/transactions?${query}`);
        assert.equal(page.statusCode, 200);
        const expected = byFilter((o) => inWindow(o) && predicate(o));
        assert.ok(expected.length > 0 && expected.length <= 50, `${expected.length} orders match`);
        assert.deepEqual(listed(page.body), expected);
        const csv = await get(sessions.viewer!, `/portal/transactions.csv?${query}`);
        assert.equal(csv.statusCode, 200);
        assert.deepEqual(exported(csv.body), expected);
      });
    }

    test('the search also finds an order by its order_id; the wallet filter takes the organisation’s wallets only', async () => {
      const target = orgOrders[33]!;
      assert.deepEqual(listed((await get(sessions.viewer!, `/portal/transactions?q=${target.order_id}`)).body), [target.order_id]);
      const wallet = await get(sessions.viewer!, `/portal/transactions?wallet=${gw.merchant.wallet_id}&from=2026-03-10&to=2026-03-10`);
      assert.deepEqual(listed(wallet.body), byFilter((o) => Number(o.created_at) < t0 + DAY));
      const foreign = await get(sessions.viewer!, `/portal/transactions?wallet=${other.wallet_id}`);
      assert.equal(foreign.statusCode, 400);
      assert.match(foreign.body, /data-test="filter-problems"/);
      assert.deepEqual(listed(foreign.body), []);
    });

    test('filter values that cannot be read answer the page with what is wrong (400), never an error or another list', async () => {
      for (const [query, message] of [
        ['status=refunded', 'Status is not one the gateway knows.'],
        ['method=%3Cscript%3E', 'Payment method is not one the gateway knows.'],
        ['from=2026-02-30', '“Created from” must be a date (YYYY-MM-DD).'],
        ['from=2026-03-12&to=2026-03-11', '“Created from” is after “Created to”.'],
        ['min=1e3', 'Minimum amount must be an amount such as 10 or 10.50.'],
        ['max=10.001', 'Maximum amount must be an amount such as 10 or 10.50.'],
        ['min=30&max=20', 'Minimum amount is more than maximum amount.'],
        [`q=${'x'.repeat(300)}`, 'The search is too long.'],
        ['wallet=W%27%20or%201%3D1', 'Wallet is not one of this account’s wallets.'],
      ] as const) {
        const page = await get(sessions.viewer!, `/portal/transactions?${query}`);
        assert.equal(page.statusCode, 400, query);
        assert.ok(page.body.includes(message), `${query}: ${message}`);
        assert.deepEqual(listed(page.body), [], query);
        const csv = await get(sessions.viewer!, `/portal/transactions.csv?${query}`);
        assert.equal(csv.statusCode, 400, `${query} (csv)`);
        assert.match(String(csv.headers['content-type']), /^text\/html/);
      }
      // A stale or forged cursor shows the newest page, saying so.
      const cursor = await get(sessions.viewer!, '/portal/transactions?cursor=%21%21');
      assert.equal(cursor.statusCode, 200);
      assert.match(cursor.body, /The page link is not valid/);
      assert.ok(listed(cursor.body).length > 0);
    });

    test('the page keeps the filter in its form and its Export CSV form, escaped; Chinese with ?lang=zh', async () => {
      const page = await get(sessions.viewer!, '/portal/transactions?status=paid&q=%22%3E%3Cb%3Ex');
      assert.match(page.body, /<option value="paid" selected>/);
      assert.match(page.body, /<input type="hidden" name="q" value="&quot;&gt;&lt;b&gt;x">/);
      assert.doesNotMatch(page.body, /<b>x/);
      assert.match(page.body, /<button class="button" type="submit">Export CSV<\/button>/);
      const zh = await get(sessions.viewer!, '/portal/transactions?lang=zh');
      assert.match(zh.body, /<h1>交易<\/h1>/);
      assert.match(zh.body, /导出 CSV/);
    });

    test('the CSV: a file to save, its columns, times in the wire zone, cells safe from spreadsheet formulas', async () => {
      const [risky] = await seedOrders(gw.store, gw.merchant, [
        { created_at: t0 - DAY, merchant_reference: '=HYPERLINK("http://evil.example")', product_name: 'Pinot, "Otago"', status: 'paid', paid_at: t0 - DAY + 60_000, amount_minor: 12345 },
      ]);
      const csv = await get(sessions.viewer!, '/portal/transactions.csv?to=2026-03-09');
      assert.equal(csv.statusCode, 200);
      assert.equal(csv.headers['content-type'], 'text/csv; charset=utf-8');
      assert.match(String(csv.headers['content-disposition']), /^attachment; filename="transactions-\d{8}-\d{6}\.csv"$/);
      const lines = csv.body.split('\r\n');
      assert.equal(lines[0], 'order_id,merchant_reference,created_at,status,payment_method,amount,currency,wallet_id,user_id,product_name,paid_at');
      assert.equal(
        lines[1],
        `${risky!.order_id},"'=HYPERLINK(""http://evil.example"")",2026-03-09 00:00:00,paid,alipay,123.45,NZD,${gw.merchant.wallet_id},${gw.merchant.user_id},"Pinot, ""Otago""",2026-03-09 00:01:00`,
      );
      assert.equal(lines.length, 3);
      assert.equal(lines[2], '');
    });
  });

  test('the CSV of thousands of orders arrives whole, over inject and over a real socket', async () => {
    const shop = await gw.addMerchant({ name: 'Busy Shop' });
    const t = Date.UTC(2025, 0, 1);
    await seedOrders(gw.store, shop, Array.from({ length: 4_321 }, (_, i) => ({ created_at: t + i * 1000, status: i % 2 ? 'paid' : 'failed' })));
    const owner = await addPortalUser(gw, { role: 'viewer', organisationId: shop.organisation_id });
    const session = await signIn(gw.app, owner.email, owner.password);
    const injected = await get(session, '/portal/transactions.csv');
    assert.equal(injected.statusCode, 200);
    const ids = exported(injected.body);
    assert.equal(ids.length, 4_321);
    assert.equal(new Set(ids).size, 4_321);
    assert.ok(injected.body.endsWith('\r\n'));

    // A HEAD answers the headers without reading the export (fastify would drain the stream).
    const head = await gw.app.inject({ method: 'HEAD', url: '/portal/transactions.csv', headers: { cookie: session.cookie } });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['content-type'], 'text/csv; charset=utf-8');
    assert.equal(head.body, '');

    const address = await gw.app.listen({ port: 0, host: '127.0.0.1' });
    const response = await fetch(`${address}/portal/transactions.csv?status=paid`, { headers: { cookie: session.cookie } });
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.equal(exported(text).length, 2_160);
  });

  describe('an order’s page and its actions', () => {
    /** A paid order of the test merchant, whose callback goes to the merchant server; answers its id once the callback arrived. */
    async function paidOrder(amount = '120.00'): Promise<{ orderId: string; reference: string }> {
      const created = await createOrder(gw, { amount, callback_url: callbackUrl });
      assert.equal(answerOf(await settleOrder(gw, created.orderId, 'paid')).code, 0);
      await waitFor('the paid callback', () => callbacks.some((c) => c.order_id === created.orderId && c.status === 'paid'));
      return { orderId: created.orderId, reference: created.reference };
    }

    test('the page shows the summary and the timeline: created, the attempt, the provider’s event, paid, the callback and its delivery', async () => {
      const { orderId, reference } = await paidOrder('42.50');
      await waitFor('the delivery attempt on record', async () => {
        const [n] = await listNotificationsForOrder(gw.store.db, orderId);
        return n?.status === 'delivered';
      });
      const page = await get(sessions.viewer!, `/portal/orders/${orderId}`);
      assert.equal(page.statusCode, 200);
      assert.ok(page.body.includes(`<h1>Order ${orderId}</h1>`));
      assert.ok(page.body.includes(reference));
      assert.match(page.body, /<span data-test="amount">42\.50 NZD<\/span>/);
      const kinds = [...page.body.matchAll(/<tr data-kind="([a-z_]+)"/g)].map((m) => m[1]);
      assert.deepEqual(kinds, ['created', 'attempt', 'provider_event', 'status', 'callback_queued', 'callback_attempt']);
      assert.match(page.body, /<span data-test="callback-status">HTTP 200<\/span> · \d+ ms · Body: <code>sent<\/code>/);
      // A viewer is shown no action.
      assert.doesNotMatch(page.body, />Refund<\/button>|>Resend callback<\/button>|>Cancel order<\/button>/);
      // Support is shown Refund (with what is left) and Resend callback.
      const support = await get(sessions.support!, `/portal/orders/${orderId}`);
      assert.match(support.body, />Refund<\/button>/);
      assert.match(support.body, />Resend callback<\/button>/);
      assert.match(support.body, /Up to 42\.50 NZD can be refunded \(0\.00 NZD refunded so far\)/);
      assert.match(String(support.headers['content-security-policy']), /script-src 'nonce-/);
    });

    test('support refunds part of an order: the refund, its ledger debit, what is left, the audit log naming the member; the merchant API shows it', async () => {
      const { orderId } = await paidOrder('100.00');
      const before = await balanceOf(gw, gw.merchant.wallet_id);
      const answer = await post(sessions.support!, `/portal/orders/${orderId}/refund`, { amount: '30.00', reason: 'broken cork' });
      assert.equal(answer.statusCode, 303);
      const location = String(answer.headers.location);
      assert.match(location, new RegExp(`^/portal/orders/${orderId}\\?done=refunded&refund=R\\d+$`));
      const [refund] = await refundsOf(gw, orderId);
      assert.equal(refund?.status, 'succeeded');
      assert.equal(Number(refund?.amount_minor), 3000);
      assert.equal(refund?.reference, 'broken cork');
      assert.equal(await balanceOf(gw, gw.merchant.wallet_id), before - 3000);
      const audit = await gw.store.db.selectFrom('audit_events').selectAll().where('action', '=', 'refund.create').where('target', '=', orderId).executeTakeFirstOrThrow();
      assert.match(audit.actor, /^portal:support-/);
      assert.equal(Number(audit.organisation_id), gw.merchant.organisation_id);

      const page = await get(sessions.support!, location);
      assert.ok(page.body.includes(`Refund ${refund!.refund_id} created.`));
      assert.match(page.body, /Up to 70\.00 NZD can be refunded \(30\.00 NZD refunded so far\)/);
      assert.match(page.body, /<tr data-kind="refund"/);

      // More than what is left is refused, and nothing moves.
      const ledger = await ledgerOf(gw, gw.merchant.wallet_id, orderId);
      const tooMuch = await post(sessions.support!, `/portal/orders/${orderId}/refund`, { amount: '70.01', reason: '' });
      assert.equal(tooMuch.statusCode, 422);
      assert.match(tooMuch.body, /The amount is more than what is left to refund\./);
      assert.match(tooMuch.body, /value="70\.01"/);
      for (const amount of ['0', '-5', 'ten', '1.001']) {
        const bad = await post(sessions.support!, `/portal/orders/${orderId}/refund`, { amount, reason: '' });
        assert.equal(bad.statusCode, 422, amount);
      }
      assert.deepEqual(await ledgerOf(gw, gw.merchant.wallet_id, orderId), ledger);
      assert.equal((await refundsOf(gw, orderId)).length, 1);
    });

    test('a viewer or developer posting a refund is refused (403) on the server and nothing is refunded; without the CSRF token too', async () => {
      const { orderId } = await paidOrder('50.00');
      for (const role of ['viewer', 'developer'] as const) {
        const answer = await post(sessions[role]!, `/portal/orders/${orderId}/refund`, { amount: '50.00', reason: 'not allowed' });
        assert.equal(answer.statusCode, 403, role);
      }
      const noToken = await gw.app.inject({
        method: 'POST',
        url: `/portal/orders/${orderId}/refund`,
        headers: { cookie: sessions.owner!.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'amount=50.00&reason=x',
      });
      assert.equal(noToken.statusCode, 403);
      assert.deepEqual(await refundsOf(gw, orderId), []);
      assert.equal((await findOrderById(gw.store.db, orderId))?.status, 'paid');
    });

    test('one organisation cannot read, export, refund, cancel or resend another’s order: 404, its content never shown', async () => {
      const { orderId, reference } = await paidOrder('80.00');
      const page = await get(otherOwner, `/portal/orders/${orderId}`);
      assert.equal(page.statusCode, 404);
      assert.ok(!page.body.includes(reference));
      assert.match(page.body, /Order not found/);
      for (const action of ['refund', 'cancel', 'resend-callback']) {
        const answer = await post(otherOwner, `/portal/orders/${orderId}/${action}`, { amount: '80.00', reason: '' });
        assert.equal(answer.statusCode, 404, action);
        assert.ok(!answer.body.includes(reference));
      }
      assert.deepEqual(await refundsOf(gw, orderId), []);
      assert.deepEqual(listed((await get(otherOwner, `/portal/transactions?q=${orderId}`)).body), []);
      assert.ok(!(await get(otherOwner, `/portal/transactions.csv?q=${reference}`)).body.includes(orderId));
    });

    test('cancel: a pending order is cancelled (its callback says so); a paid one is not; a viewer is refused', async () => {
      const pending = await createOrder(gw, { callback_url: callbackUrl });
      assert.equal((await post(sessions.viewer!, `/portal/orders/${pending.orderId}/cancel`)).statusCode, 403);
      const page = await get(sessions.admin!, `/portal/orders/${pending.orderId}`);
      assert.match(page.body, />Cancel order<\/button>/);
      const answer = await post(sessions.admin!, `/portal/orders/${pending.orderId}/cancel`);
      assert.equal(answer.statusCode, 303);
      assert.equal(answer.headers.location, `/portal/orders/${pending.orderId}?done=cancelled`);
      assert.equal((await findOrderById(gw.store.db, pending.orderId))?.status, 'canceled');
      await waitFor('the canceled callback', () => callbacks.some((c) => c.order_id === pending.orderId && c.status === 'canceled'));
      const audit = await gw.store.db.selectFrom('audit_events').selectAll().where('action', '=', 'order.cancel').where('target', '=', pending.orderId).executeTakeFirstOrThrow();
      assert.match(audit.actor, /^portal:admin-/);
      const again = await post(sessions.admin!, `/portal/orders/${pending.orderId}/cancel`);
      assert.equal(again.statusCode, 409);
      assert.match(again.body, /can no longer be cancelled: it is canceled/);
    });

    test('resend callback: the merchant receives the callback again; a developer may, a viewer may not', async () => {
      const { orderId } = await paidOrder('12.00');
      await waitFor('delivered', async () => (await listNotificationsForOrder(gw.store.db, orderId))[0]?.status === 'delivered');
      const received = () => callbacks.filter((c) => c.order_id === orderId).length;
      assert.equal(received(), 1);
      assert.equal((await post(sessions.viewer!, `/portal/orders/${orderId}/resend-callback`)).statusCode, 403);
      const answer = await post(sessions.developer!, `/portal/orders/${orderId}/resend-callback`);
      assert.equal(answer.statusCode, 303);
      assert.equal(answer.headers.location, `/portal/orders/${orderId}?done=resent`);
      await waitFor('the second callback', () => received() === 2);
      const audit = await gw.store.db.selectFrom('audit_events').selectAll().where('action', '=', 'callbacks.resend').where('target', '=', orderId).executeTakeFirstOrThrow();
      assert.match(audit.actor, /^portal:developer-/);
      const page = await get(sessions.developer!, `/portal/orders/${orderId}?done=resent`);
      assert.match(page.body, /The callback was queued to be sent again\./);
      // A flash is one of a fixed set: a link cannot put words on the page.
      const forged = await get(sessions.developer!, `/portal/orders/${orderId}?done=%3Cb%3Epwned&refund=%3Cb%3E`);
      assert.doesNotMatch(forged.body, /pwned|data-test="flash"/);
    });

    test('an order made through the API is found by the portal search, and its page links from the list', async () => {
      const created = await createOrder(gw, { callback_url: callbackUrl, amount: '7.77' });
      const list = await get(sessions.viewer!, `/portal/transactions?q=${created.reference}`);
      assert.deepEqual(listed(list.body), [created.orderId]);
      assert.ok(list.body.includes(`href="/portal/orders/${created.orderId}"`));
    });
  });
});
