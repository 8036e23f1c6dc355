import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from '../helpers/database.js';
import {
  createMerchantViaCli,
  createTransaction,
  newReference,
  newSecretKey,
  PC_USER_AGENT,
  resultSignature,
  startGatewayProcess,
  startMerchantServer,
  type CreatedMerchant,
  type GatewayProcess,
  type MerchantServer,
} from '../e2e/helpers.js';

// The NZ and Australian methods in a real browser (Debian's chromium, playwright-core), one
// short journey each, against a gateway process and a merchant's server on loopback:
// NZ banks on a PC (bank list → bank → approve), POLi on a phone (the page goes to the bank
// by itself → cancel), UnionPay (its page → decline), PayID (the page shows the PayID; the
// payer's sandbox bank app pays it; the page moves on by itself). Each ends at the merchant's
// return_url with a signed redirect, and the merchant's server receives the signed callback.
// Screenshots go to test-artifacts/browser/<dialect>/ (git-ignored); with
// LATIPAY_UPDATE_SCREENSHOTS=1 the method-* ones are copied to docs/screenshots/.

const CHROMIUM = '/usr/bin/chromium';
const REQUIRED = process.env.CI === 'true' || process.env.LATIPAY_REQUIRE_BROWSER === '1';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts', 'browser', TEST_DIALECT);
const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');
const STEP_MS = 15_000;
const TEST_TIMEOUT_MS = 90_000;
const IPHONE_USER_AGENT =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';

if (!existsSync(CHROMIUM)) {
  if (REQUIRED) {
    test('the NZ and Australian payment methods in a real browser', () => {
      assert.fail(`chromium is required here (CI=true or LATIPAY_REQUIRE_BROWSER=1) but ${CHROMIUM} is missing: apt-get install chromium`);
    });
  } else {
    test('the NZ and Australian payment methods in a real browser', { skip: `no chromium at ${CHROMIUM} (apt-get install chromium)` }, () => {});
  }
} else {
  describe('the NZ and Australian payment methods in a real browser', { timeout: 5 * TEST_TIMEOUT_MS }, () => {
    let database: TestDatabase;
    let nz: CreatedMerchant;
    let au: CreatedMerchant;
    let gateway: GatewayProcess;
    let shop: MerchantServer;
    let browser: Browser;

    before(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      database = await createTestDatabase();
      const secretKey = newSecretKey();
      nz = await createMerchantViaCli(database.url, database.dataDir, secretKey, { name: 'Kiwi Pantry', currency: 'NZD', methods: 'onlineBank,polipay,upi_upop' });
      au = await createMerchantViaCli(database.url, database.dataDir, secretKey, { name: 'Sydney Deli', currency: 'AUD', methods: 'payid' });
      gateway = await startGatewayProcess({ databaseUrl: database.url, dataDir: database.dataDir, secretKey });
      shop = await startMerchantServer(() => 'sent');
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
        timeout: 30_000,
      });
    }, { timeout: 90_000 });

    after(async () => {
      await browser?.close();
      gateway?.kill();
      await gateway?.exited;
      await shop?.close();
      await database?.cleanup();
      if (process.env.LATIPAY_UPDATE_SCREENSHOTS === '1' && TEST_DIALECT === 'sqlite') copyScreenshots();
    }, { timeout: 60_000 });

    async function newContext(kind: 'pc' | 'phone'): Promise<BrowserContext> {
      const context = await browser.newContext(
        kind === 'pc'
          ? { viewport: { width: 1280, height: 800 }, userAgent: PC_USER_AGENT, locale: 'en-US' }
          : { viewport: { width: 390, height: 844 }, userAgent: IPHONE_USER_AGENT, isMobile: true, hasTouch: true, deviceScaleFactor: 2, locale: 'en-US' },
      );
      context.setDefaultTimeout(STEP_MS);
      context.setDefaultNavigationTimeout(STEP_MS);
      return context;
    }

    /** Uncaught script errors and what the Content-Security-Policy refused: the pages must run cleanly under it. */
    function watchErrors(page: Page): string[] {
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) errors.push(`CSP: ${message.text()}`);
      });
      return errors;
    }

    async function shot(page: Page, name: string): Promise<void> {
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true, timeout: STEP_MS });
    }

    /** The merchant creates an order; answers the payment page's URL and the reference. */
    async function create(merchant: CreatedMerchant, method: string, amount: string, product: string) {
      const reference = newReference(method);
      const { answer } = await createTransaction(gateway.baseUrl, merchant, {
        payment_method: method,
        amount,
        product_name: product,
        merchant_reference: reference,
        return_url: shop.returnUrl,
        callback_url: shop.callbackUrl,
      });
      assert.equal(answer.code, 0, JSON.stringify(answer));
      return { reference, payUrl: `${String(answer.host_url)}/${String(answer.nonce)}` };
    }

    /** The browser lands on the merchant's return_url: its signed fields. */
    async function landedAtMerchant(page: Page, merchant: CreatedMerchant, reference: string, method: string, status: string) {
      await page.waitForURL((url) => url.href.startsWith(shop.returnUrl), { timeout: 20_000 });
      const fields = Object.fromEntries(new URL(page.url()).searchParams);
      assert.deepEqual([fields.merchant_reference, fields.payment_method, fields.status], [reference, method, status]);
      assert.equal(fields.signature, resultSignature(fields, merchant.api_key));
    }

    async function callbackOf(merchant: CreatedMerchant, reference: string): Promise<Record<string, string>> {
      const [callback] = await shop.waitForCallbacks(reference, 1, 20_000);
      assert.equal(callback.fields.signature, resultSignature(callback.fields, merchant.api_key));
      return callback.fields;
    }

    test('NZ banks on a PC: the bank list, Kiwibank approves, the result, the merchant', { timeout: TEST_TIMEOUT_MS }, async () => {
      const context = await newContext('pc');
      try {
        const page = await context.newPage();
        const errors = watchErrors(page);
        const { reference, payUrl } = await create(nz, 'onlineBank', '64.50', 'Manuka honey, 500 g');
        await page.goto(payUrl);
        assert.match((await page.textContent('[data-test=method]')) ?? '', /NZ bank account/);
        await shot(page, 'method-onlinebank-1-payment-page');
        await page.click('[data-test=redirect]');
        await page.waitForURL(/\/sandbox\/bank\/SBX[0-9a-f]+$/);
        assert.equal(await page.locator('[data-test=banks] a').count(), 6);
        await shot(page, 'method-onlinebank-2-banks');
        await page.click('[data-test=bank-kiwibank]');
        assert.match((await page.textContent('[data-test=bank-brand]')) ?? '', /Kiwibank internet banking/);
        await shot(page, 'method-onlinebank-3-bank');
        await page.click('[data-test=approve]');
        await page.locator('[data-test=result][data-status=paid]').waitFor();
        await shot(page, 'method-onlinebank-4-result');
        // The result moves on by itself to the merchant's return_url.
        await landedAtMerchant(page, nz, reference, 'onlineBank', 'paid');
        const callback = await callbackOf(nz, reference);
        assert.deepEqual([callback.status, callback.payment_method, callback.amount], ['paid', 'onlineBank', '64.50']);
        assert.deepEqual(errors, []);
      } finally {
        await context.close();
      }
    });

    test('POLi on a phone: the page goes to the bank by itself; Cancel there ends the order canceled', { timeout: TEST_TIMEOUT_MS }, async () => {
      const context = await newContext('phone');
      try {
        const page = await context.newPage();
        const errors = watchErrors(page);
        const { reference, payUrl } = await create(nz, 'polipay', '18.00', 'Flat white beans');
        await page.goto(payUrl);
        await page.waitForURL(/\/sandbox\/bank\/SBX[0-9a-f]+$/);
        assert.match((await page.textContent('[data-test=bank-brand]')) ?? '', /Sandbox POLi/);
        await shot(page, 'method-polipay-1-banks-phone');
        await page.click('[data-test=bank-anz]');
        await page.click('[data-test=cancel]');
        await page.locator('[data-test=result][data-outcome=canceled]').waitFor();
        assert.equal((await page.textContent('[data-test=reason]'))?.trim(), 'The payment was cancelled, at the bank or by the merchant.');
        await shot(page, 'method-polipay-2-canceled-phone');
        await page.click('[data-test=return]');
        await landedAtMerchant(page, nz, reference, 'polipay', 'cancel_or_fail');
        assert.equal((await callbackOf(nz, reference)).status, 'canceled');
        assert.deepEqual(errors, []);
      } finally {
        await context.close();
      }
    });

    test('UnionPay: the sandbox UnionPay page declines, the failure page leads back to the merchant', { timeout: TEST_TIMEOUT_MS }, async () => {
      const context = await newContext('pc');
      try {
        const page = await context.newPage();
        const errors = watchErrors(page);
        const { reference, payUrl } = await create(nz, 'upi_upop', '230.00', 'Pinot Noir, Otago (case)');
        await page.goto(payUrl);
        await page.click('[data-test=redirect]');
        await page.waitForURL(/\/sandbox\/unionpay\/SBX[0-9a-f]+$/);
        assert.match((await page.textContent('[data-test=card]')) ?? '', /^6216/);
        await shot(page, 'method-unionpay-1-card-page');
        await page.click('[data-test=decline]');
        await page.locator('[data-test=result][data-outcome=failed]').waitFor();
        await page.click('[data-test=return]');
        await landedAtMerchant(page, nz, reference, 'upi_upop', 'cancel_or_fail');
        assert.equal((await callbackOf(nz, reference)).status, 'failed');
        assert.deepEqual(errors, []);
      } finally {
        await context.close();
      }
    });

    test('PayID: the page shows the PayID and reference; the payer’s bank app pays; the page moves on by itself', { timeout: TEST_TIMEOUT_MS }, async () => {
      const context = await newContext('pc');
      const phone = await newContext('phone');
      try {
        const page = await context.newPage();
        const errors = watchErrors(page);
        const { reference, payUrl } = await create(au, 'payid', '42.00', 'Sourdough starter kit');
        await page.goto(payUrl);
        const payId = ((await page.textContent('[data-test=payid]')) ?? '').trim();
        const payReference = ((await page.textContent('[data-test=payid-reference]')) ?? '').trim();
        assert.match(payId, /^sbx\.[0-9a-f]{8}@payid\.example$/);
        assert.match(payReference, /^LP[0-9A-F]{8}$/);
        assert.match((await page.textContent('#countdown')) ?? '', /^2[34]:\d\d:\d\d$/, 'a day to pay (PAYID_TTL_SECONDS)');
        await shot(page, 'method-payid-1-payment-page');

        // The payer's phone: the sandbox bank app, with the PayID and the reference filled in.
        const app = await phone.newPage();
        const appErrors = watchErrors(app);
        await app.goto(new URL((await page.getAttribute('[data-test=test-bank]', 'href')) ?? '', gateway.baseUrl).href);
        assert.equal(((await app.textContent('[data-test=payer-payid]')) ?? '').trim(), payId);
        assert.equal(await app.inputValue('[data-test=payer-reference]'), payReference);
        await shot(app, 'method-payid-2-bank-app');
        await app.click('[data-test=send]');

        // Nobody touches the payment page: its live status takes it to the result and on to the merchant.
        await landedAtMerchant(page, au, reference, 'payid', 'paid');
        const callback = await callbackOf(au, reference);
        assert.deepEqual([callback.status, callback.payId, callback.message, callback.blockData], ['paid', payId, '', '']);
        assert.deepEqual(errors, []);
        assert.deepEqual(appErrors, []);
      } finally {
        await phone.close();
        await context.close();
      }
    });

  });
}

/** The method-* screenshots, for docs/payment-methods.md. */
function copyScreenshots(): void {
  mkdirSync(SCREENSHOTS, { recursive: true });
  for (const name of readdirSync(ARTIFACTS)) if (name.startsWith('method-')) copyFileSync(join(ARTIFACTS, name), join(SCREENSHOTS, name));
}
