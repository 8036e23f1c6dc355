import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readAllTransactions, readTransactionPage, type TransactionQuery } from '../../src/store/transaction-list.js';
import type { OrderRecord } from '../../src/store/orders.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { seedOrders } from '../helpers/seed-orders.js';

describe('readTransactionPage: an organisation’s orders a keyset page at a time', () => {
  let gw: TestGateway;
  let mine: OrderRecord[];
  let theirs: OrderRecord[];
  const t0 = Date.UTC(2026, 5, 1);
  before(async () => {
    gw = await createTestGateway();
    const other = await gw.addMerchant();
    // 300 orders a minute apart; every 10th paid by wechat; several share a created_at (ties broken by order_id).
    mine = await seedOrders(
      gw.store,
      gw.merchant,
      Array.from({ length: 300 }, (_, i) => ({
        created_at: t0 + Math.floor(i / 3) * 60_000,
        status: i % 10 === 0 ? 'paid' : 'pending',
        payment_method: i % 10 === 0 ? 'wechat' : 'alipay',
        amount_minor: 100 + i,
      })),
    );
    theirs = await seedOrders(gw.store, other, Array.from({ length: 50 }, (_, i) => ({ created_at: t0 + i * 60_000, status: 'paid', payment_method: 'wechat' })));
  });
  after(() => gw.close());

  /** Every page of `q`, followed by its `next` to the end: the rows, and how many pages it took. */
  async function readAll(q: Omit<TransactionQuery, 'after'>, pageSize: number, window: number) {
    const rows: string[] = [];
    let pages = 0;
    let after: TransactionQuery['after'];
    for (;;) {
      const page = await readTransactionPage(gw.store.db, { ...q, after }, pageSize, window);
      pages++;
      assert.ok(page.rows.length <= pageSize);
      rows.push(...page.rows.map((r) => r.order_id));
      if (!page.next) break;
      after = page.next;
      assert.ok(pages < 1000, 'pages end');
    }
    return { rows, pages };
  }

  const newestFirst = (orders: OrderRecord[]) =>
    [...orders].sort((a, b) => Number(b.created_at) - Number(a.created_at) || (a.order_id < b.order_id ? 1 : -1)).map((o) => o.order_id);

  test('pages of the whole list: every order of the organisation once, newest first (ties by order_id), none of another', async () => {
    const { rows, pages } = await readAll({ organisationId: gw.merchant.organisation_id }, 50, 20_000);
    assert.deepEqual(rows, newestFirst(mine));
    assert.equal(pages, 6);
  });

  test('a filter few orders match is read a window at a time: short pages that say so, and together exactly the matches', async () => {
    const q = { organisationId: gw.merchant.organisation_id, status: 'paid', method: 'wechat' } as const;
    const first = await readTransactionPage(gw.store.db, q, 50, 40);
    // The newest 40 orders hold 4 matches: the page ends with its window, and goes on below it.
    assert.equal(first.rows.length, 4);
    assert.equal(first.windowEnded, true);
    assert.ok(first.next);
    const { rows } = await readAll(q, 50, 40);
    assert.deepEqual(rows, newestFirst(mine.filter((o) => o.status === 'paid')));
    // With a window larger than the history, one page holds all 30.
    const whole = await readTransactionPage(gw.store.db, q, 50, 20_000);
    assert.equal(whole.rows.length, 30);
    assert.equal(whole.windowEnded, false);
    assert.equal(whole.next, undefined);
  });

  test('dates, amounts and the wallet bound the list; another organisation’s orders never appear', async () => {
    const q = { organisationId: gw.merchant.organisation_id, createdFrom: t0 + 10 * 60_000, createdBefore: t0 + 20 * 60_000, minMinor: 135, maxMinor: 150 };
    const { rows } = await readAll(q, 7, 11);
    const expected = mine.filter((o) => Number(o.created_at) >= q.createdFrom && Number(o.created_at) < q.createdBefore && Number(o.amount_minor) >= 135 && Number(o.amount_minor) <= 150);
    assert.ok(expected.length > 7);
    assert.deepEqual(rows, newestFirst(expected));
    assert.deepEqual((await readAll({ organisationId: gw.merchant.organisation_id, walletId: theirs[0]!.wallet_id }, 50, 100)).rows, []);
  });

  test('a search finds an order by its order_id or merchant_reference, only in its organisation', async () => {
    const target = mine[123]!;
    for (const search of [target.order_id, target.merchant_reference]) {
      const page = await readTransactionPage(gw.store.db, { organisationId: gw.merchant.organisation_id, search }, 50, 10);
      assert.deepEqual(page.rows.map((r) => r.order_id), [target.order_id], search);
    }
    for (const search of [theirs[0]!.order_id, theirs[0]!.merchant_reference, 'nothing-like-it']) {
      const page = await readTransactionPage(gw.store.db, { organisationId: gw.merchant.organisation_id, search }, 50, 10);
      assert.deepEqual(page.rows, [], search);
      assert.equal(page.next, undefined);
    }
    // A search and a filter: both must hold.
    assert.deepEqual((await readTransactionPage(gw.store.db, { organisationId: gw.merchant.organisation_id, search: target.order_id, status: 'paid' }, 50, 10)).rows, []);
  });

  test('readAllTransactions (the export) holds exactly what the pages hold, in the same order, whatever its batch and window', async () => {
    const filters: Array<Omit<TransactionQuery, 'after'>> = [
      { organisationId: gw.merchant.organisation_id },
      { organisationId: gw.merchant.organisation_id, status: 'paid' },
      { organisationId: gw.merchant.organisation_id, createdFrom: t0 + 7 * 60_000, maxMinor: 250 },
      { organisationId: gw.merchant.organisation_id, search: mine[5]!.merchant_reference },
      { organisationId: gw.merchant.organisation_id, status: 'rejected' },
    ];
    for (const q of filters) {
      const expected = (await readAll(q, 50, 20_000)).rows;
      for (const [batch, window] of [[1000, 20_000], [7, 11], [1, 3], [64, 64]] as const) {
        const batches: string[][] = [];
        for await (const rows of readAllTransactions(gw.store.db, q, batch, window)) {
          assert.ok(rows.length > 0 && rows.length <= batch);
          batches.push(rows.map((r) => r.order_id));
        }
        assert.deepEqual(batches.flat(), expected, `${JSON.stringify(q)} in batches of ${batch}, windows of ${window}`);
      }
    }
  });

  test('a filtered page tries a first window of 1,000, then the whole window: full pages from the first, sparse matches from the second', async () => {
    const shop = await gw.addMerchant({ name: 'Sparse Shop' });
    // 2,500 orders a second apart, one in 100 rejected, one in 2 paid.
    const orders = await seedOrders(
      gw.store,
      shop,
      Array.from({ length: 2_500 }, (_, i) => ({ created_at: t0 + i * 1000, status: i % 100 === 0 ? 'rejected' : i % 2 === 0 ? 'paid' : 'pending' })),
    );
    const org = shop.organisation_id;
    const paidPage = await readTransactionPage(gw.store.db, { organisationId: org, status: 'paid' }, 50, 2_000);
    assert.deepEqual(paidPage.rows.map((r) => r.order_id), newestFirst(orders.filter((o) => o.status === 'paid')).slice(0, 50));
    assert.equal(paidPage.windowEnded, false);
    const rejected = await readTransactionPage(gw.store.db, { organisationId: org, status: 'rejected' }, 50, 2_000);
    // The newest 2,000 orders hold 20 rejected ones: the whole window was read, not only the first 1,000 (10).
    assert.deepEqual(rejected.rows.map((r) => r.order_id), newestFirst(orders.filter((o) => o.status === 'rejected')).slice(0, 20));
    assert.equal(rejected.windowEnded, true);
    const rest = await readTransactionPage(gw.store.db, { organisationId: org, status: 'rejected', after: rejected.next }, 50, 2_000);
    assert.deepEqual(rest.rows.map((r) => r.order_id), newestFirst(orders.filter((o) => o.status === 'rejected')).slice(20));
    assert.equal(rest.next, undefined);
  });
});
