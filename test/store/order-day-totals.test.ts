import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { dayOf, startOfDay } from '../../src/domain/calendar-day.js';
import type { OrderDayTotal } from '../../src/domain/dashboard-summary.js';
import type { FinalStatus, OrderStatus } from '../../src/domain/order-status.js';
import { readDayTotalsProgress } from '../../src/store/day-totals-progress.js';
import { OrderDayTotals } from '../../src/store/order-day-totals.js';
import { finishPendingOrder } from '../../src/store/orders.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const PLUS_EIGHT = 8 * 60;

describe('OrderDayTotals (final orders by day, without reading the whole history each visit)', () => {
  let gw: TestGateway;
  let n = 0;
  beforeEach(async () => {
    gw = await createTestGateway();
    n = 0;
  });
  afterEach(() => gw.close());

  async function insertOrder(o: { status: OrderStatus; createdAt: number; amount?: number; method?: string; organisationId?: number; walletId?: string; currency?: string }): Promise<string> {
    const orderId = String(2026_0000_0000_0000n + BigInt(++n));
    await gw.store.db
      .insertInto('orders')
      .values({
        order_id: orderId,
        user_id: gw.merchant.user_id,
        wallet_id: o.walletId ?? gw.merchant.wallet_id,
        organisation_id: o.organisationId ?? gw.merchant.organisation_id,
        merchant_reference: `totals-${n}`,
        amount_minor: o.amount ?? 100,
        currency: o.currency ?? 'NZD',
        payment_method: o.method ?? 'alipay',
        product_name: 'p',
        return_url: 'https://m.example/r',
        callback_url: 'https://m.example/c',
        backpage_url: null,
        ip: '1.1.1.1',
        host_type: '0',
        present_qr: '0',
        request_hash: 'h',
        status: o.status,
        nonce: `nonce-${n}`,
        channel: 'sandbox',
        channel_trade_id: null,
        channel_qr_url: null,
        created_at: o.createdAt,
        expires_at: o.createdAt + 2 * HOUR,
        paid_at: o.status === 'paid' ? o.createdAt + MINUTE : null,
        updated_at: o.createdAt,
      })
      .execute();
    return orderId;
  }

  /** The plain answer, from every order of the organisation: what the totals must agree with. */
  async function readPlainly(organisationId: number, fromDay: number, toDay: number, offset = PLUS_EIGHT): Promise<OrderDayTotal[]> {
    const rows = await gw.store.db
      .selectFrom('orders')
      .selectAll()
      .where('organisation_id', '=', organisationId)
      .where('status', '<>', 'pending')
      .execute();
    const out = new Map<string, OrderDayTotal>();
    for (const r of rows) {
      const day = dayOf(Number(r.created_at), offset);
      if (day < fromDay || day > toDay) continue;
      const key = JSON.stringify([day, r.wallet_id, r.currency, r.payment_method, r.status]);
      const seen = out.get(key) ?? { day, walletId: r.wallet_id, currency: r.currency, method: r.payment_method, status: r.status as FinalStatus, orders: 0, amountMinor: 0 };
      seen.orders += 1;
      seen.amountMinor += Number(r.amount_minor);
      out.set(key, seen);
    }
    return sorted([...out.values()]);
  }

  const sorted = (rows: OrderDayTotal[]) => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

  test('agrees with a plain sum as orders finish, arrive and time passes, while the boundary moves on', async () => {
    const org = gw.merchant.organisation_id;
    const t0 = Date.UTC(2026, 10, 20, 4, 0, 0);
    for (let i = 0; i < 12; i++) {
      const statuses: OrderStatus[] = ['paid', 'failed', 'canceled', 'rejected', 'paid', 'pending'];
      await insertOrder({ status: statuses[i % 6] === 'pending' ? 'paid' : statuses[i % 6], createdAt: t0 - (i + 1) * 7 * HOUR, amount: 100 + i, method: i % 2 ? 'wechat' : 'alipay' });
    }
    const recent = await insertOrder({ status: 'pending', createdAt: t0 - 30 * MINUTE, amount: 5000 });
    await insertOrder({ status: 'paid', createdAt: t0 - 20 * MINUTE, amount: 777 });
    const totals = new OrderDayTotals(gw.store.db, PLUS_EIGHT);
    const today = dayOf(t0, PLUS_EIGHT);

    assert.deepEqual(sorted(await totals.read(org, today - 29, today, t0)), await readPlainly(org, today - 29, today));
    // The boundary stops before the pending order's expiry: it can still change.
    const progress = await readDayTotalsProgress(gw.store.db, 'orders');
    assert.ok(progress !== undefined && progress.boundary <= t0 - 30 * MINUTE + 2 * HOUR && progress.boundary > t0 - 7 * HOUR);
    assert.equal(progress.offsetMinutes, PLUS_EIGHT);

    assert.ok(await finishPendingOrder(gw.store.db, recent, 'paid', t0, t0));
    await insertOrder({ status: 'failed', createdAt: t0 + HOUR });
    const t1 = t0 + 5 * HOUR;
    assert.deepEqual(sorted(await totals.read(org, today - 29, today + 1, t1)), await readPlainly(org, today - 29, today + 1));
    assert.ok((await readDayTotalsProgress(gw.store.db, 'orders'))!.boundary > t0 + HOUR, 'the boundary passed the orders that finished');

    // A narrower range answers only its days.
    assert.deepEqual(sorted(await totals.read(org, today, today, t1)), await readPlainly(org, today, today));
  });

  test('what is below the boundary is read from the totals, not from the orders again', async () => {
    const org = gw.merchant.organisation_id;
    const t0 = Date.UTC(2026, 10, 20, 4, 0, 0);
    const old = await insertOrder({ status: 'paid', createdAt: t0 - 2 * DAY, amount: 1000 });
    const totals = new OrderDayTotals(gw.store.db, PLUS_EIGHT);
    const day = dayOf(t0 - 2 * DAY, PLUS_EIGHT);
    assert.deepEqual((await totals.read(org, day, day, t0)).map((r) => r.amountMinor), [1000]);
    // Nothing changes a final order; if something did, the totals would not see it.
    await gw.store.db.updateTable('orders').set({ amount_minor: 1 }).where('order_id', '=', old).execute();
    assert.deepEqual((await totals.read(org, day, day, t0)).map((r) => r.amountMinor), [1000]);
  });

  test('keeps organisations, wallets, currencies, methods and statuses apart', async () => {
    const other = await gw.addMerchant({ name: 'Other', currency: 'AUD' });
    const t0 = Date.UTC(2026, 10, 20, 4, 0, 0);
    await insertOrder({ status: 'paid', createdAt: t0 - DAY, amount: 100 });
    await insertOrder({ status: 'paid', createdAt: t0 - DAY, amount: 200, method: 'wechat' });
    await insertOrder({ status: 'paid', createdAt: t0 - DAY, amount: 400, organisationId: other.organisation_id, walletId: other.wallet_id, currency: 'AUD' });
    await insertOrder({ status: 'paid', createdAt: t0 - 3 * MINUTE, amount: 800, organisationId: other.organisation_id, walletId: other.wallet_id, currency: 'AUD' });
    const totals = new OrderDayTotals(gw.store.db, PLUS_EIGHT);
    const today = dayOf(t0, PLUS_EIGHT);
    const mine = await totals.read(gw.merchant.organisation_id, today - 29, today, t0);
    assert.deepEqual(mine.map((r) => [r.method, r.currency, r.amountMinor]).sort(), [['alipay', 'NZD', 100], ['wechat', 'NZD', 200]]);
    const theirs = await totals.read(other.organisation_id, today - 29, today, t0);
    assert.deepEqual(theirs.map((r) => [r.walletId, r.currency, r.amountMinor, r.day - today]).sort(), [[other.wallet_id, 'AUD', 400, -1], [other.wallet_id, 'AUD', 800, 0]]);
  });

  test('days are cut in the offset; another offset starts the totals over in it', async () => {
    const org = gw.merchant.organisation_id;
    // 17:00 UTC on the 18th is the 19th in UTC+08:00.
    const created = Date.UTC(2026, 10, 18, 17, 0, 0);
    await insertOrder({ status: 'paid', createdAt: created, amount: 100 });
    const now = Date.UTC(2026, 10, 25, 0, 0, 0);
    const plusEight = await new OrderDayTotals(gw.store.db, PLUS_EIGHT).read(org, 0, 100_000, now);
    assert.deepEqual(plusEight.map((r) => r.day), [dayOf(Date.UTC(2026, 10, 19), 0)]);
    const utc = await new OrderDayTotals(gw.store.db, 0).read(org, 0, 100_000, now);
    assert.deepEqual(utc.map((r) => [r.day, r.orders]), [[dayOf(Date.UTC(2026, 10, 18), 0), 1]]);
    assert.equal((await readDayTotalsProgress(gw.store.db, 'orders'))!.offsetMinutes, 0);
    assert.equal(Number((await gw.store.db.selectFrom('order_day_totals').select((eb) => eb.fn.sum<number>('orders').as('n')).executeTakeFirstOrThrow()).n), 1);
  });

  test('two processes catching up at once add each order once', async () => {
    const org = gw.merchant.organisation_id;
    const t0 = Date.UTC(2026, 10, 20, 4, 0, 0);
    for (let i = 0; i < 40; i++) await insertOrder({ status: i % 3 ? 'paid' : 'failed', createdAt: t0 - (i + 1) * 5 * HOUR, amount: 10 + i });
    const a = new OrderDayTotals(gw.store.db, PLUS_EIGHT);
    const b = new OrderDayTotals(gw.store.db, PLUS_EIGHT);
    await Promise.all([a.catchUp(t0), b.catchUp(t0), a.catchUp(t0 + MINUTE)]);
    const stored = await gw.store.db.selectFrom('order_day_totals').select((eb) => eb.fn.sum<number>('orders').as('n')).executeTakeFirstOrThrow();
    assert.equal(Number(stored.n), 40);
    const today = dayOf(t0, PLUS_EIGHT);
    assert.deepEqual(sorted(await b.read(org, today - 29, today, t0)), await readPlainly(org, today - 29, today));
  });

  test('an empty database, and an organisation with no orders, answer nothing', async () => {
    const totals = new OrderDayTotals(gw.store.db, PLUS_EIGHT);
    const now = Date.UTC(2026, 10, 20);
    assert.deepEqual(await totals.read(gw.merchant.organisation_id, 0, 100_000, now), []);
    assert.ok(startOfDay(dayOf(now, PLUS_EIGHT), PLUS_EIGHT) <= now);
  });
});
