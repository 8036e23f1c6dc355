import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { CreatedMerchant } from '../../src/gateway/create-merchant.js';
import { assignWallet, insertWallet } from '../../src/store/merchants.js';
import { TEST_DIALECT } from '../helpers/database.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { refund } from '../helpers/money.js';
import { addPortalUser, signInBrowser } from '../helpers/portal.js';
import { answerOf, createOrder, settleOrder } from '../http/support.js';

// The portal's dashboard and balance pages in a real browser (Debian's chromium driven by
// playwright-core), against the gateway listening on 127.0.0.1: the charts are images with
// names, their figures open from the keyboard, the balance form picks a wallet and days,
// and a phone's width needs no sideways scrolling. Screenshots go to
// test-artifacts/browser/<dialect>/ (git-ignored); LATIPAY_UPDATE_SCREENSHOTS=1 also copies
// them to docs/screenshots/portal-*.png.

const CHROMIUM = '/usr/bin/chromium';
const REQUIRED = process.env.CI === 'true' || process.env.LATIPAY_REQUIRE_BROWSER === '1';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts', 'browser', TEST_DIALECT);
const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');
const SHOTS = ['portal-dashboard', 'portal-balance', 'portal-dashboard-phone'];
const STEP_MS = 15_000;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** 10:00 on 2026-11-30 in UTC+08:00 (TIMEZONE_OFFSET's default). */
const NOW = Date.UTC(2026, 10, 30, 2, 0, 0);

if (!existsSync(CHROMIUM)) {
  if (REQUIRED) {
    test('the portal dashboard in a real browser', () => assert.fail(`chromium is required here but ${CHROMIUM} is missing: apt-get install chromium`));
  } else {
    test('the portal dashboard in a real browser', { skip: `no chromium at ${CHROMIUM} (apt-get install chromium); LATIPAY_REQUIRE_BROWSER=1 makes this a failure` }, () => {});
  }
} else {
  describe('the portal dashboard and balance in a real browser', { timeout: 180_000 }, () => {
    let gw: TestGateway;
    let clock = NOW;
    let baseUrl: string;
    let browser: Browser;
    let email: string;
    let password: string;

    async function order(at: number, amount: string, method: string, outcome: 'paid' | 'failed', merchant?: CreatedMerchant) {
      clock = at;
      const created = await createOrder(gw, { amount, payment_method: method }, merchant ?? gw.merchant);
      clock = at + MINUTE;
      assert.equal(answerOf(await settleOrder(gw, created.orderId, outcome)).status, outcome);
      clock = NOW;
      return created;
    }

    const shoot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true, timeout: STEP_MS });

    before(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      gw = await createTestGateway({ clock: () => clock, env: { BRAND_NAME: 'Kiwi Pay' } });
      await gw.store.db.updateTable('organisations').set({ name: 'Kiwi Wines' }).where('id', '=', gw.merchant.organisation_id).execute();
      await gw.store.db.updateTable('wallets').set({ name: 'Auckland' }).where('id', '=', gw.merchant.wallet_id).execute();
      await insertWallet(gw.store.db, { id: 'W99000003', organisation_id: gw.merchant.organisation_id, name: 'Sydney', currency: 'AUD', methods: 'alipay,wechat', single_limit_minor: null }, NOW);
      await assignWallet(gw.store.db, 'W99000003', gw.merchant.user_id);
      const aud = { ...gw.merchant, wallet_id: 'W99000003' };
      // A month of trade: most days some Alipay and WeChat Pay payments, now and then one that fails.
      for (let d = 29; d >= 0; d--) {
        const at = NOW - d * DAY - 2 * HOUR;
        if (d % 6 !== 5) await order(at, `${(40 + ((d * 37) % 90)).toFixed(2)}`, 'alipay', 'paid');
        if (d % 3 === 0) await order(at + 10 * MINUTE, `${(15 + ((d * 13) % 40)).toFixed(2)}`, 'wechat', 'paid');
        if (d % 5 === 2) await order(at + 20 * MINUTE, '60.00', 'wechat', 'failed');
        if (d % 7 === 1) await order(at + 30 * MINUTE, `${(20 + d).toFixed(2)}`, 'alipay', 'paid', aud);
      }
      const returned = await order(NOW - 4 * DAY, '180.00', 'alipay', 'paid');
      clock = NOW - 4 * DAY + 3 * HOUR;
      assert.equal((await refund(gw, gw.merchant, returned.orderId, '45.00', 'one bottle corked')).code, 0);
      clock = NOW;

      ({ email, password } = await addPortalUser(gw, { role: 'viewer', email: 'sam@kiwiwines.example' }));
      await gw.app.listen({ port: 0, host: '127.0.0.1' });
      baseUrl = `http://127.0.0.1:${(gw.app.server.address() as AddressInfo).port}`;
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    });

    after(async () => {
      await browser?.close();
      await gw?.close();
      if (process.env.LATIPAY_UPDATE_SCREENSHOTS === '1' && TEST_DIALECT === 'sqlite') {
        for (const name of SHOTS) copyFileSync(join(ARTIFACTS, `${name}.png`), join(SCREENSHOTS, `${name}.png`));
      }
    });

    test('the dashboard: charts named as images, their figures a keypress away, per currency', async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
      const page = await context.newPage();
      await signInBrowser(page, baseUrl, email, password);
      assert.equal(new URL(page.url()).pathname, '/portal');
      await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor({ timeout: STEP_MS });
      const daily = page.getByRole('img', { name: 'Daily volume in NZD, last 30 days' });
      await daily.waitFor({ timeout: STEP_MS });
      assert.match(String(await daily.getAttribute('aria-labelledby')), /daily-NZD-title daily-NZD-desc/);
      assert.equal(await page.getByRole('img', { name: 'Volume by method in NZD, last 30 days' }).count(), 1);
      assert.equal(await page.getByRole('img', { name: 'Daily volume in AUD, last 30 days' }).count(), 1);
      // Every day with a payment has its bar: the NZD wallet was paid on 25 of the 30 days.
      assert.equal(await daily.locator('rect').count(), 25);
      assert.ok((await daily.boundingBox())!.width > 500, 'the chart takes the card’s width');

      // The daily figures open from the keyboard.
      const summary = page.locator('[data-test="currency-NZD"] details summary');
      await summary.focus();
      await page.keyboard.press('Enter');
      await page.getByRole('table', { name: 'Daily volume in NZD, last 30 days' }).waitFor({ state: 'visible', timeout: STEP_MS });
      await page.keyboard.press('Enter');
      await shoot(page, 'portal-dashboard');
      await context.close();
    });

    test('the balance: a wallet and days picked in the form, its ledger by day', async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
      const page = await context.newPage();
      await signInBrowser(page, baseUrl, email, password);
      await page.getByRole('link', { name: 'Balance' }).click();
      await page.getByRole('heading', { level: 1, name: 'Balance' }).waitFor({ timeout: STEP_MS });
      await page.getByLabel('Wallet', { exact: true }).selectOption(gw.merchant.wallet_id);
      await page.getByLabel('From', { exact: true }).fill('2026-11-20');
      await page.getByLabel('To', { exact: true }).fill('2026-11-30');
      await Promise.all([page.waitForURL(/\/portal\/balance\?/, { timeout: STEP_MS }), page.getByRole('button', { name: 'Show' }).click()]);
      const url = new URL(page.url());
      assert.deepEqual([url.searchParams.get('wallet'), url.searchParams.get('from'), url.searchParams.get('to')], [gw.merchant.wallet_id, '2026-11-20', '2026-11-30']);
      const ledger = page.getByRole('table', { name: /Ledger of Auckland by day, 2026-11-20 to 2026-11-30/ });
      await ledger.waitFor({ timeout: STEP_MS });
      // A row per day with entries: 2026-11-25 had none.
      assert.equal(await ledger.locator('tbody tr').count(), 10);
      assert.equal(await ledger.locator('[data-test="day-2026-11-25"]').count(), 0);
      const refundDay = await ledger.locator('[data-test="day-2026-11-26"] td').allTextContents();
      assert.equal(refundDay[1], '-45.00');
      assert.equal(await page.locator('[data-test="wallet-W99000003"]').count(), 0);
      await shoot(page, 'portal-balance');
      await context.close();
    });

    test('on a phone: nothing wider than the screen, the charts scaled to it', async () => {
      const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'en-US' });
      const page = await context.newPage();
      await signInBrowser(page, baseUrl, email, password);
      const daily = page.getByRole('img', { name: 'Daily volume in NZD, last 30 days' });
      await daily.waitFor({ timeout: STEP_MS });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
      assert.ok((await daily.boundingBox())!.width <= 390);
      // The phone's own drawing is the one shown.
      assert.equal(await daily.getAttribute('data-test'), 'daily-NZD-narrow');
      assert.equal(await page.locator('[data-test="daily-NZD"]').isVisible(), false);
      await shoot(page, 'portal-dashboard-phone');
      await context.close();
    });
  });
}
