import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PortalRole } from '../../../src/domain/portal-roles.js';
import type { CreatedMerchant } from '../../../src/gateway/create-merchant.js';
import { walletBalance } from '../../../src/store/ledger.js';
import { assignWallet, insertWallet } from '../../../src/store/merchants.js';
import { createTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { paidOrder, refund } from '../../helpers/money.js';
import { addPortalUser, signIn, type PortalSession } from '../../helpers/portal.js';
import { cellsOf, elementOf } from './portal-figures.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** 10:00 on 2026-11-30 in UTC+08:00 (TIMEZONE_OFFSET's default). */
const NOW = Date.UTC(2026, 10, 30, 2, 0, 0);

describe('GET /portal/balance: each wallet’s ledger by day', () => {
  let gw: TestGateway;
  let clock = NOW;
  let aud: CreatedMerchant;
  let other: CreatedMerchant;
  let empty: CreatedMerchant;
  let viewer: PortalSession;

  async function paid(at: number, amount: string, merchant?: CreatedMerchant) {
    clock = at;
    const created = await paidOrder(gw, merchant ?? gw.merchant, amount);
    clock = NOW;
    return created;
  }

  const view = (session: PortalSession, url = '/portal/balance') => gw.app.inject({ method: 'GET', url, headers: { cookie: session.cookie } });

  before(async () => {
    gw = await createTestGateway({ clock: () => clock });
    const audWallet = 'W99000002';
    await insertWallet(gw.store.db, { id: audWallet, organisation_id: gw.merchant.organisation_id, name: 'Sydney', currency: 'AUD', methods: 'alipay,wechat', single_limit_minor: null }, NOW);
    await assignWallet(gw.store.db, audWallet, gw.merchant.user_id);
    aud = { ...gw.merchant, wallet_id: audWallet };
    other = await gw.addMerchant({ name: 'Other Shop' });
    empty = await gw.addMerchant({ name: 'Empty Shop' });

    await paid(NOW - 40 * DAY, '777.00');
    const big = await paid(NOW - 3 * DAY, '1000.00');
    clock = NOW - 3 * DAY + 2 * HOUR;
    assert.equal((await refund(gw, gw.merchant, big.orderId, '250.00', 'damaged')).code, 0);
    clock = NOW;
    await paid(NOW - DAY, '30.50');
    await paid(NOW - 2 * HOUR, '120.00');
    await paid(NOW - 5 * MINUTE, '10.00');
    await paid(NOW - 2 * DAY, '88.80', aud);
    await paid(NOW - DAY, '4321.00', other);

    const user = await addPortalUser(gw, { role: 'viewer' });
    viewer = await signIn(gw.app, user.email, user.password);
  });
  after(() => gw.close());

  test('the last 30 days by default: payments, refunds, net, running balance, from the balance before them', async () => {
    const page = await view(viewer);
    assert.equal(page.statusCode, 200);
    const wallet = elementOf(page.body, 'section', `wallet-${gw.merchant.wallet_id}`) as string;
    assert.match(wallet, /data-test="opening">Balance before 2026-11-01: <strong>777.00 NZD<\/strong>/);
    assert.deepEqual(cellsOf(wallet, 'day-2026-11-27'), ['2026-11-27', '1,000.00', '-250.00', '750.00', '1,527.00', '2']);
    assert.deepEqual(cellsOf(wallet, 'day-2026-11-29'), ['2026-11-29', '30.50', '0.00', '30.50', '1,557.50', '1']);
    assert.deepEqual(cellsOf(wallet, 'day-2026-11-30'), ['2026-11-30', '130.00', '0.00', '130.00', '1,687.50', '2']);
    assert.deepEqual(cellsOf(wallet, 'total'), ['Total', '1,160.50', '-250.00', '910.50', '1,687.50', '5']);
    assert.match(wallet, /data-test="closing">Balance at the end of 2026-11-30: <strong>1,687.50 NZD<\/strong>/);
    // The closing balance is the wallet's balance, as `latipay wallet balance` sums it.
    assert.equal(await walletBalance(gw.store.db, gw.merchant.wallet_id), 168_750);
    assert.equal((wallet.match(/data-test="day-/g) ?? []).length, 3, 'only days with entries');
    assert.match(page.body, /midnight to midnight in UTC\+08:00/);
  });

  test('every wallet of the organisation, each in its own currency', async () => {
    const body = (await view(viewer)).body;
    const audSection = elementOf(body, 'section', `wallet-${aud.wallet_id}`) as string;
    assert.match(audSection, /<h2 id="wallet-W99000002">Sydney \(W99000002, AUD\)/);
    assert.deepEqual(cellsOf(audSection, 'day-2026-11-28'), ['2026-11-28', '88.80', '0.00', '88.80', '88.80', '1']);
    assert.match(audSection, /Balance at the end of 2026-11-30: <strong>88.80 AUD<\/strong>/);
    assert.doesNotMatch(audSection, /1,687\.50|NZD<\/strong>/);
  });

  test('a range of days, and one wallet', async () => {
    const page = await view(viewer, `/portal/balance?wallet=${gw.merchant.wallet_id}&from=2026-11-27&to=2026-11-29`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<option value="W99000002">Sydney · W99000002 · AUD<\/option>/);
    assert.match(page.body, new RegExp(`<option value="${gw.merchant.wallet_id}" selected>`));
    assert.match(page.body, /id="balance-from" name="from" type="date" value="2026-11-27"/);
    assert.equal(elementOf(page.body, 'section', `wallet-${aud.wallet_id}`), undefined);
    const wallet = elementOf(page.body, 'section', `wallet-${gw.merchant.wallet_id}`) as string;
    assert.match(wallet, /Balance before 2026-11-27: <strong>777.00 NZD/);
    assert.deepEqual(cellsOf(wallet, 'total'), ['Total', '1,030.50', '-250.00', '780.50', '1,557.50', '3']);
    assert.equal(cellsOf(wallet, 'day-2026-11-30'), undefined);
    assert.match(wallet, /Balance at the end of 2026-11-29: <strong>1,557.50 NZD/);

    const quiet = await view(viewer, `/portal/balance?wallet=${gw.merchant.wallet_id}&from=2026-11-28&to=2026-11-28`);
    const q = elementOf(quiet.body, 'section', `wallet-${gw.merchant.wallet_id}`) as string;
    assert.match(q, /No ledger entries between 2026-11-28 and 2026-11-28/);
    assert.match(q, /Balance at the end of 2026-11-28: <strong>1,527.00 NZD/);
  });

  test('dates it cannot read answer 400 with the last 30 days and say why', async () => {
    for (const query of ['from=2026-02-30', 'to=yesterday', 'from=2026-11-30&to=2026-11-01', 'from=2025-01-01&to=2026-11-30']) {
      const page = await view(viewer, `/portal/balance?${query}`);
      assert.equal(page.statusCode, 400, query);
      assert.match(page.body, /data-test="bad-dates"/, query);
      assert.match(page.body, /Balance before 2026-11-01/, query);
    }
    assert.equal((await view(viewer, '/portal/balance?from=2025-12-01&to=2026-11-30')).statusCode, 200, '366 days');
  });

  test('a wallet of another organisation is not found, like one that does not exist', async () => {
    for (const wallet of [other.wallet_id, 'W00000000', '']) {
      const page = await view(viewer, `/portal/balance?wallet=${encodeURIComponent(wallet)}`);
      if (wallet === '') {
        assert.equal(page.statusCode, 200);
        continue;
      }
      assert.equal(page.statusCode, 404, wallet);
      assert.doesNotMatch(page.body, /4,321\.00|Other Shop/);
    }
    const all = (await view(viewer)).body;
    assert.doesNotMatch(all, new RegExp(`${other.wallet_id}|4,321\\.00`));
  });

  test('an organisation without payments sees its wallet with nothing in it', async () => {
    const user = await addPortalUser(gw, { role: 'owner', organisationId: empty.organisation_id });
    const page = await view(await signIn(gw.app, user.email, user.password));
    assert.equal(page.statusCode, 200);
    const wallet = elementOf(page.body, 'section', `wallet-${empty.wallet_id}`) as string;
    assert.match(wallet, /Balance before 2026-11-01: <strong>0.00 NZD/);
    assert.match(wallet, /data-test="no-entries"/);
    assert.doesNotMatch(page.body, /1,687\.50|4,321\.00/);
  });

  test('every role of the organisation may read it; operators and strangers may not', async () => {
    for (const role of ['owner', 'admin', 'developer', 'support', 'viewer'] as PortalRole[]) {
      const user = await addPortalUser(gw, { role });
      const page = await view(await signIn(gw.app, user.email, user.password));
      assert.equal(page.statusCode, 200, role);
      assert.match(page.body, /Balance at the end of 2026-11-30: <strong>1,687.50 NZD/, role);
    }
    const operator = await addPortalUser(gw, { role: 'operator' });
    assert.equal((await view(await signIn(gw.app, operator.email, operator.password))).statusCode, 403);
    const anonymous = await gw.app.inject({ method: 'GET', url: '/portal/balance' });
    assert.equal(anonymous.statusCode, 303);
  });

  test('in Chinese, with the nav showing Balance as the current page', async () => {
    const page = await view(viewer, '/portal/balance?lang=zh');
    assert.match(page.body, /<h1>余额<\/h1>/);
    assert.match(page.body, /<a href="\/portal\/balance" aria-current="page">余额<\/a>/);
    assert.match(page.body, /<label for="balance-wallet">钱包<\/label>/);
    assert.match(page.body, /2026-11-30 结束时的余额/);
  });
});
