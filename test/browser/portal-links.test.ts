import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { CreatedMerchant } from '../../src/gateway/create-merchant.js';
import { TEST_DIALECT } from '../helpers/database.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { addPortalUser, signInBrowser } from '../helpers/portal.js';
import { findFreePort } from '../e2e/helpers.js';
import { signFields } from '../http/invoice-support.js';

// The portal's Payment links and Developers areas in a real browser (Debian's chromium
// driven by playwright-core), against a gateway listening on loopback: an owner signs in,
// creates a payment link, copies it, a payer opens it and pays in the sandbox, and the list
// shows it paid; then the owner rotates the API key, and the old key is accepted until the
// grace period ends (the gateway's clock is the test's), the new one from then on.
// Screenshots go to test-artifacts/browser/<dialect>/ (git-ignored);
// LATIPAY_UPDATE_SCREENSHOTS=1 also copies them to docs/screenshots/portal-*.png.

const CHROMIUM = '/usr/bin/chromium';
const REQUIRED = process.env.CI === 'true' || process.env.LATIPAY_REQUIRE_BROWSER === '1';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts', 'browser', TEST_DIALECT);
const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');
const STEP_MS = 15_000;
const TEST_TIMEOUT_MS = 120_000;
const HOUR = 3_600_000;

if (!existsSync(CHROMIUM)) {
  if (REQUIRED) {
    test('the portal’s payment links and developers areas in a real browser', () => {
      assert.fail(`chromium is required here (CI=true or LATIPAY_REQUIRE_BROWSER=1) but ${CHROMIUM} is missing: apt-get install chromium`);
    });
  } else {
    test('the portal’s payment links and developers areas in a real browser', { skip: `no chromium at ${CHROMIUM} (apt-get install chromium)` }, () => {});
  }
} else {
  describe('the portal’s payment links and developers areas in a real browser', { timeout: 3 * TEST_TIMEOUT_MS }, () => {
    let gw: TestGateway;
    let baseUrl: string;
    let browser: Browser;
    let now = Date.now();
    let owner: { email: string; password: string };

    before(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      const port = await findFreePort();
      baseUrl = `http://127.0.0.1:${port}`;
      gw = await createTestGateway({ env: { PUBLIC_URL: baseUrl }, merchant: { name: 'Kiwi Pantry' }, clock: () => now });
      await gw.app.listen({ port, host: '127.0.0.1' });
      owner = await addPortalUser(gw, { role: 'owner', email: 'owner@kiwipantry.test' });
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
        timeout: 30_000,
      });
    }, { timeout: 90_000 });

    after(async () => {
      await browser?.close();
      await gw?.close();
      if (process.env.LATIPAY_UPDATE_SCREENSHOTS === '1' && TEST_DIALECT === 'sqlite') {
        mkdirSync(SCREENSHOTS, { recursive: true });
        for (const name of ['portal-payment-links', 'portal-developers']) {
          const source = join(ARTIFACTS, `${name}.png`);
          if (existsSync(source)) copyFileSync(source, join(SCREENSHOTS, `${name}.png`));
        }
      }
    }, { timeout: 60_000 });

    async function newPage(): Promise<{ page: Page; errors: string[]; close: () => Promise<void> }> {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
      context.setDefaultTimeout(STEP_MS);
      context.setDefaultNavigationTimeout(STEP_MS);
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) errors.push(`CSP: ${message.text()}`);
      });
      return { page, errors, close: () => context.close() };
    }

    /** `GET /v2/detail/{wallet_id}` signed with `key`: 0 accepted, 206 refused. */
    async function detailCode(merchant: CreatedMerchant, key: string): Promise<number> {
      const { signature } = signFields({ user_id: merchant.user_id, wallet_id: merchant.wallet_id }, key);
      const response = await fetch(`${baseUrl}/v2/detail/${merchant.wallet_id}?user_id=${merchant.user_id}&signature=${signature}`);
      return ((await response.json()) as { code: number }).code;
    }

    test('create a payment link, copy it, pay it in the sandbox, see it paid in the list', { timeout: TEST_TIMEOUT_MS }, async () => {
      const { page, errors, close } = await newPage();
      try {
        await signInBrowser(page, baseUrl, owner.email, owner.password);
        await page.getByRole('link', { name: 'Payment links' }).click();
        await page.waitForURL(`${baseUrl}/portal/payment-links`);

        // A first link, left open, so the list shows two states.
        await page.getByRole('link', { name: 'New payment link' }).click();
        await page.getByLabel('Amount').fill('18.00');
        await page.getByLabel(/What is it for/).fill('Cheese board for two');
        await page.getByRole('button', { name: 'Create payment link' }).click();
        await page.waitForURL(/\/portal\/payment-links\/I\d{30}\?done=created$/);

        // A mistake is shown on the form, in place; then the link is made.
        await page.getByRole('link', { name: 'Payment links', exact: true }).first().click();
        await page.getByRole('link', { name: 'New payment link' }).click();
        await page.getByLabel('Amount').fill('36.5x');
        await page.getByLabel(/What is it for/).fill('Hamper, Christmas');
        await page.getByRole('button', { name: 'Create payment link' }).click();
        await page.locator('[data-test=error-amount]').waitFor();
        assert.equal(await page.getByLabel('Amount').getAttribute('aria-invalid'), 'true');
        assert.equal(await page.evaluate(() => document.activeElement?.id), 'problems', 'the summary of problems takes focus');
        await page.getByLabel('Amount').fill('36.50');
        await page.getByRole('button', { name: 'Create payment link' }).click();
        await page.waitForURL(/\/portal\/payment-links\/I\d{30}\?done=created$/);
        const invoiceId = /\/(I\d{30})\?/.exec(page.url())?.[1] as string;
        const linkField = page.getByRole('textbox', { name: `Link of ${invoiceId}` });
        const link = await linkField.inputValue();
        assert.ok(link.startsWith(`${baseUrl}/invoice/`), link);

        // Copy link: the clipboard holds the link, and the live region says so.
        await page.getByRole('button', { name: 'Copy link' }).click();
        await page.locator('#copy-status', { hasText: 'Copied' }).waitFor();
        assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link);

        // The payer opens the link and pays with Alipay in the sandbox's test wallet.
        const payer = await page.context().newPage();
        await payer.goto(link);
        assert.match((await payer.textContent('[data-test=amount]')) ?? '', /36\.50\s*NZD/);
        await payer.click('[data-test=pay-alipay]');
        await payer.waitForURL(/\/pay\/[0-9a-f]{64}/);
        await payer.click('[data-test=test-wallet]');
        await payer.locator('[data-test=confirm]').click();
        await payer.locator('[data-test=wallet-result][data-outcome=paid]').waitFor();
        await payer.close();

        // The list shows it paid, opened once; the other still open.
        await page.goto(`${baseUrl}/portal/payment-links`);
        const row = page.locator(`[data-test=link-row][data-invoice-id=${invoiceId}]`);
        await row.locator('[data-test=link-status] .badge.ok').waitFor();
        assert.equal((await row.locator('[data-test=link-status]').textContent())?.trim(), 'Paid');
        assert.equal((await row.locator('[data-test=link-opens]').textContent())?.trim(), '1');
        assert.equal(await page.locator('[data-test=link-row] .badge.warn').count(), 1, 'the first link is still open');
        await page.screenshot({ path: join(ARTIFACTS, 'portal-payment-links.png'), fullPage: true });

        // Its details name the order it was paid through.
        await page.getByRole('link', { name: `Details of ${invoiceId}` }).click();
        assert.equal((await page.locator('[data-test=order-status]').textContent())?.trim(), 'paid');
        assert.equal(await page.getByRole('button', { name: 'Deactivate' }).count(), 0);

        // On a phone the page does not scroll sideways (tables scroll inside their frame).
        await page.setViewportSize({ width: 375, height: 740 });
        await page.goto(`${baseUrl}/portal/payment-links`);
        assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'no sideways scroll on a phone');
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });

    test('rotate the API key: the new key shown once; the old key works until the grace ends', { timeout: TEST_TIMEOUT_MS }, async () => {
      const { page, errors, close } = await newPage();
      try {
        const oldKey = gw.merchant.api_key;
        await signInBrowser(page, baseUrl, owner.email, owner.password);
        await page.getByRole('link', { name: 'Developers' }).click();
        await page.waitForURL(`${baseUrl}/portal/developers`);
        assert.equal((await page.locator('[data-test=base-url]').textContent())?.trim(), baseUrl);
        assert.ok(await page.locator(`[data-user-id=${gw.merchant.user_id}]`).isVisible());

        await page.getByLabel('Old key keeps working for').selectOption({ label: '24 hours' });
        await page.getByRole('button', { name: 'Rotate API key' }).click();
        const field = page.getByRole('textbox', { name: 'New api_key' });
        await field.waitFor();
        const newKey = await field.inputValue();
        assert.match(newKey, /^[0-9a-f]{32,}$/);
        assert.notEqual(newKey, oldKey);

        assert.equal(await detailCode(gw.merchant, oldKey), 0, 'the old key is accepted during the grace period');
        assert.equal(await detailCode(gw.merchant, newKey), 0, 'the new key is accepted at once');

        // Back on the page: the grace is shown, the key never again.
        await page.getByRole('link', { name: 'Back to Developers' }).click();
        await page.locator('[data-test=key-grace]').waitFor();
        assert.ok(!(await page.content()).includes(newKey));
        await page.screenshot({ path: join(ARTIFACTS, 'portal-developers.png'), fullPage: true });

        now += 24 * HOUR + 1_000;
        assert.equal(await detailCode(gw.merchant, oldKey), 206, 'the old key is refused once the grace has ended');
        assert.equal(await detailCode(gw.merchant, newKey), 0);
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });
  });
}
