import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PortalRole } from '../../../src/domain/portal-roles.js';
import type { CreatedMerchant } from '../../../src/gateway/create-merchant.js';
import { assignWallet, insertWallet } from '../../../src/store/merchants.js';
import { createTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { cancel } from '../../helpers/money.js';
import { addPortalUser, signIn, type PortalSession } from '../../helpers/portal.js';
import { answerOf, createOrder, settleOrder } from '../support.js';
import { barValuesOf, cellsOf, elementOf } from './portal-figures.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** 10:00 on 2026-11-30 in UTC+08:00 (TIMEZONE_OFFSET's default), 02:00 UTC. */
const NOW = Date.UTC(2026, 10, 30, 2, 0, 0);
/** Midnight starting 2026-11-30 in UTC+08:00: 16:00 UTC on the 29th. */
const TODAY_STARTS = Date.UTC(2026, 10, 29, 16, 0, 0);

describe('GET /portal: the dashboard', () => {
  let gw: TestGateway;
  let clock = NOW;
  let aud: CreatedMerchant;
  let other: CreatedMerchant;
  let empty: CreatedMerchant;
  let viewer: PortalSession;

  /** An order of `merchant` created at `at` through the API, then finished through the sandbox (or left pending). */
  async function order(at: number, amount: string, method: string, outcome: 'paid' | 'failed' | 'canceled' | 'pending', merchant?: CreatedMerchant) {
    clock = at;
    const created = await createOrder(gw, { amount, payment_method: method }, merchant ?? gw.merchant);
    clock = at + MINUTE;
    if (outcome === 'canceled') assert.equal((await cancel(gw, merchant ?? gw.merchant, created.reference)).code, 0);
    else if (outcome !== 'pending') assert.equal(answerOf(await settleOrder(gw, created.orderId, outcome)).status, outcome);
    clock = NOW;
  }

  async function view(session: PortalSession, url = '/portal') {
    return gw.app.inject({ method: 'GET', url, headers: { cookie: session.cookie } });
  }

  before(async () => {
    gw = await createTestGateway({ clock: () => clock });
    // The organisation has a second wallet, in AUD, for the same API user.
    const audWallet = 'W99000001';
    await insertWallet(gw.store.db, { id: audWallet, organisation_id: gw.merchant.organisation_id, name: 'Sydney', currency: 'AUD', methods: 'alipay,wechat', single_limit_minor: null }, NOW);
    await assignWallet(gw.store.db, audWallet, gw.merchant.user_id);
    aud = { ...gw.merchant, wallet_id: audWallet };
    other = await gw.addMerchant({ name: 'Other Shop' });
    empty = await gw.addMerchant({ name: 'Empty Shop' });

    // Today (in UTC+08:00).
    await order(NOW - HOUR, '120.00', 'alipay', 'paid');
    await order(NOW - 50 * MINUTE, '30.50', 'alipay', 'paid');
    await order(NOW - 40 * MINUTE, '99.99', 'alipay', 'failed');
    await order(NOW - 35 * MINUTE, '7.00', 'alipay', 'canceled');
    await order(NOW - 30 * MINUTE, '10.00', 'wechat', 'paid');
    await order(NOW - 20 * MINUTE, '5.00', 'wechat', 'pending');
    // 16:30 UTC on the 29th: still the 29th in UTC, already the 30th in UTC+08:00.
    await order(TODAY_STARTS + 30 * MINUTE, '1.00', 'alipay', 'paid');
    // Yesterday, and three days ago; and 40 days ago, outside the 30 days.
    await order(TODAY_STARTS - 30 * MINUTE, '2.00', 'alipay', 'paid');
    await order(NOW - 3 * DAY, '1000.00', 'alipay', 'paid');
    await order(NOW - 3 * DAY + HOUR, '200.00', 'wechat', 'failed');
    await order(NOW - 40 * DAY, '777.00', 'alipay', 'paid');
    // The AUD wallet: today and ten days ago.
    await order(NOW - 2 * HOUR, '50.00', 'alipay', 'paid', aud);
    await order(NOW - 10 * DAY, '25.25', 'wechat', 'paid', aud);
    // Another organisation's orders, today and before.
    await order(NOW - HOUR, '999.00', 'alipay', 'paid', other);
    await order(NOW - 5 * DAY, '4444.00', 'wechat', 'paid', other);

    const user = await addPortalUser(gw, { role: 'viewer' });
    viewer = await signIn(gw.app, user.email, user.password);
  });
  after(() => gw.close());

  test('today and the last 30 days per method: volume, payments, finished orders, success rate', async () => {
    const page = await view(viewer);
    assert.equal(page.statusCode, 200);
    const body = page.body;
    assert.deepEqual(cellsOf(body, 'row-today-NZD-alipay'), ['Alipay', '151.50', '3', '5', '60.0%']);
    assert.deepEqual(cellsOf(body, 'row-today-NZD-wechat'), ['WeChat Pay', '10.00', '1', '1', '100.0%']);
    assert.deepEqual(cellsOf(body, 'row-today-NZD-total'), ['All methods', '161.50', '4', '6', '66.7%']);
    assert.deepEqual(cellsOf(body, 'row-period-NZD-alipay'), ['Alipay', '1,153.50', '5', '7', '71.4%']);
    assert.deepEqual(cellsOf(body, 'row-period-NZD-wechat'), ['WeChat Pay', '10.00', '1', '2', '50.0%']);
    assert.deepEqual(cellsOf(body, 'row-period-NZD-total'), ['All methods', '1,163.50', '6', '9', '66.7%']);
    assert.match(body, /Days run from midnight to midnight in UTC\+08:00/);
  });

  test('each currency apart: the AUD wallet’s amounts are never added to the NZD ones', async () => {
    const body = (await view(viewer)).body;
    assert.deepEqual(cellsOf(body, 'row-today-AUD-alipay'), ['Alipay', '50.00', '1', '1', '100.0%']);
    assert.deepEqual(cellsOf(body, 'row-today-AUD-wechat'), ['WeChat Pay', '0.00', '0', '0', '–']);
    assert.deepEqual(cellsOf(body, 'row-period-AUD-total'), ['All methods', '75.25', '2', '2', '100.0%']);
    const nzd = elementOf(body, 'section', 'currency-NZD') as string;
    const audSection = elementOf(body, 'section', 'currency-AUD') as string;
    assert.ok(nzd && audSection && body.indexOf(audSection) < body.indexOf(nzd), 'AUD comes before NZD');
    assert.doesNotMatch(nzd, /75\.25|50\.00/);
  });

  test('the charts: 30 daily bars of volume and bars per method, each an image named and described', async () => {
    const body = (await view(viewer)).body;
    const daily = elementOf(body, 'svg', 'daily-NZD') as string;
    assert.match(daily, /^<svg class="chart chart-wide" role="img" aria-labelledby="daily-NZD-title daily-NZD-desc"/);
    // The phone's drawing has the same bars, and ids of its own.
    const narrow = elementOf(body, 'svg', 'daily-NZD-narrow') as string;
    assert.match(narrow, /^<svg class="chart chart-narrow" role="img" aria-labelledby="daily-NZD-narrow-title daily-NZD-narrow-desc"/);
    assert.deepEqual(barValuesOf(narrow), [100_000, 200, 16_150]);
    assert.match(daily, /<title id="daily-NZD-title">Daily volume in NZD, last 30 days<\/title>/);
    assert.match(daily, /<desc id="daily-NZD-desc">1,163.50 NZD in 6 payments over the last 30 days; the busiest day was 2026-11-27 with 1,000.00 NZD.<\/desc>/);
    // Days with payments have a bar (oldest first): three days ago, yesterday, today.
    assert.deepEqual(barValuesOf(daily), [100_000, 200, 16_150]);
    assert.match(daily, /<title>2026-11-30: 161.50 NZD, 4 payments<\/title>/);
    const methods = elementOf(body, 'svg', 'methods-NZD') as string;
    assert.match(methods, /role="img" aria-labelledby="methods-NZD-title methods-NZD-desc"/);
    assert.match(methods, /<desc id="methods-NZD-desc">Alipay: 1,153.50 NZD, success rate 71.4%; WeChat Pay: 10.00 NZD, success rate 50.0%<\/desc>/);
    assert.deepEqual(barValuesOf(methods), [115_350, 1_000]);
    // The daily figures are in a table too, newest day first.
    const days = elementOf(body, 'table', 'days-NZD') as string;
    assert.match(days, /<th scope="row">2026-11-30<\/th><td class="num">161.50<\/td><td class="num">4<\/td><td class="num">6<\/td><td class="num">66.7%<\/td>/);
    assert.equal((days.match(/<tr>/g) ?? []).length, 31, 'a header row and 30 days');
  });

  test('another organisation’s orders are absent', async () => {
    const body = (await view(viewer)).body;
    assert.doesNotMatch(body, /999\.00|4,444\.00|Other Shop/);
    const theirs = await addPortalUser(gw, { role: 'owner', organisationId: other.organisation_id });
    const page = (await view(await signIn(gw.app, theirs.email, theirs.password))).body;
    assert.deepEqual(cellsOf(page, 'row-period-NZD-total'), ['All methods', '5,443.00', '2', '2', '100.0%']);
    assert.doesNotMatch(page, /1,163\.50|151\.50|AUD/);
  });

  test('an organisation without orders sees an empty dashboard', async () => {
    const user = await addPortalUser(gw, { role: 'owner', organisationId: empty.organisation_id });
    const page = await view(await signIn(gw.app, user.email, user.password));
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /data-test="dashboard-empty"/);
    assert.doesNotMatch(page.body, /<svg/);
  });

  test('every role of the organisation may read it; operators and strangers may not', async () => {
    for (const role of ['owner', 'admin', 'developer', 'support', 'viewer'] as PortalRole[]) {
      const user = await addPortalUser(gw, { role });
      const page = await view(await signIn(gw.app, user.email, user.password));
      assert.equal(page.statusCode, 200, role);
      assert.deepEqual(cellsOf(page.body, 'row-period-NZD-total'), ['All methods', '1,163.50', '6', '9', '66.7%'], role);
    }
    const operator = await addPortalUser(gw, { role: 'operator' });
    const refused = await view(await signIn(gw.app, operator.email, operator.password));
    assert.equal(refused.statusCode, 403);
    assert.doesNotMatch(refused.body, /1,163\.50/);
    const anonymous = await gw.app.inject({ method: 'GET', url: '/portal' });
    assert.equal(anonymous.statusCode, 303);
    assert.match(String(anonymous.headers.location), /^\/portal\/login/);
  });

  test('in Chinese', async () => {
    const page = await view(viewer, '/portal?lang=zh');
    assert.match(page.body, /<html lang="zh-CN">/);
    assert.match(page.body, /<h1>概览<\/h1>/);
    assert.deepEqual(cellsOf(page.body, 'row-today-NZD-alipay'), ['支付宝', '151.50', '3', '5', '60.0%']);
    assert.match(page.body, /<title id="daily-NZD-title">NZD 每日交易额（最近 30 天）<\/title>/);
  });

  test('later, with more orders in the day totals, the figures are the same; the pending order counts once it finishes', async () => {
    // Half an hour on: more of today's orders pass the boundary (the pending one holds it back from passing itself).
    clock = NOW + 30 * MINUTE;
    const user = await addPortalUser(gw, { role: 'viewer' });
    const session = await signIn(gw.app, user.email, user.password);
    const before = (await view(session)).body;
    assert.deepEqual(cellsOf(before, 'row-today-NZD-total'), ['All methods', '161.50', '4', '6', '66.7%']);
    const totals = await gw.store.db.selectFrom('order_day_totals').select((eb) => eb.fn.sum<number>('orders').as('n')).executeTakeFirstOrThrow();
    assert.ok(Number(totals.n) >= 5, 'the older orders are in the day totals');
    // The pending order is paid now.
    const pending = await gw.store.db.selectFrom('orders').select('order_id').where('status', '=', 'pending').executeTakeFirstOrThrow();
    assert.equal(answerOf(await settleOrder(gw, pending.order_id, 'paid')).status, 'paid');
    const afterwards = (await view(session)).body;
    assert.deepEqual(cellsOf(afterwards, 'row-today-NZD-wechat'), ['WeChat Pay', '15.00', '2', '2', '100.0%']);
    assert.deepEqual(cellsOf(afterwards, 'row-period-NZD-total'), ['All methods', '1,168.50', '7', '10', '70.0%']);
    clock = NOW;
  });
});
