import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import jsqr from 'jsqr';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { createShop, type Shop } from '../../examples/shop/shop.js';
import { Latipay } from '../../sdk/src/index.js';
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from '../helpers/database.js';
import { createMerchantViaCli, newSecretKey, PC_USER_AGENT, resultSignature, startGatewayProcess, waitFor, type CreatedMerchant, type GatewayProcess } from '../e2e/helpers.js';
import { createTestGateway } from '../helpers/gateway.js';
import { createOrder } from '../http/support.js';

// jsqr is CommonJS exporting `default`: NodeNext types its default import as the whole module.
const jsQR = jsqr.default;

// The customer's journey in a real browser (Debian's chromium driven by playwright-core):
// the demo shop → checkout → the gateway's hosted payment page → the sandbox wallet that
// the QR opens → the payment page moves on by itself → the shop shows the order paid, and
// the shop received and verified the callback. Then a desktop with no phone ("Open test
// wallet", confirm, back), a payment declined there (the failure page), a phone, and an
// operator's branding.
// Screenshots of every step go to test-artifacts/browser/<dialect>/ (git-ignored);
// LATIPAY_UPDATE_SCREENSHOTS=1 also copies the key ones to docs/screenshots/ for the README.

const CHROMIUM = '/usr/bin/chromium';
const REQUIRED = process.env.CI === 'true' || process.env.LATIPAY_REQUIRE_BROWSER === '1';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts', 'browser', TEST_DIALECT);
const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');
/** Every wait in the browser is bounded by this (a step that hangs fails instead). */
const STEP_MS = 15_000;
const TEST_TIMEOUT_MS = 120_000;

const IPHONE_USER_AGENT =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';

if (!existsSync(CHROMIUM)) {
  if (REQUIRED) {
    test('the customer journey in a real browser', () => {
      assert.fail(`chromium is required here (CI=true or LATIPAY_REQUIRE_BROWSER=1) but ${CHROMIUM} is missing: apt-get install chromium`);
    });
  } else {
    test('the customer journey in a real browser', { skip: `no chromium at ${CHROMIUM} (apt-get install chromium); LATIPAY_REQUIRE_BROWSER=1 makes this a failure` }, () => {});
  }
} else {
  describe('the customer journey in a real browser', { timeout: 5 * TEST_TIMEOUT_MS }, () => {
    let database: TestDatabase;
    let merchant: CreatedMerchant;
    let gateway: GatewayProcess;
    let shop: Shop;
    let shopServer: Server;
    let shopUrl: string;
    let browser: Browser;
    const shopLog: string[] = [];

    before(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      database = await createTestDatabase();
      const secretKey = newSecretKey();
      merchant = await createMerchantViaCli(database.url, database.dataDir, secretKey, { name: 'Kiwi Pantry' });
      // One live-status stream per order: a second tab on the same payment page is refused (429) and must poll.
      gateway = await startGatewayProcess({
        databaseUrl: database.url,
        dataDir: database.dataDir,
        secretKey,
        env: { NOTIFY_RETRY_SECONDS: '1', PAY_STREAMS_PER_ORDER: '1' },
      });

      shopServer = createServer((req, res) => void shop.handle(req, res));
      await new Promise<void>((resolve) => shopServer.listen(0, '127.0.0.1', resolve));
      shopUrl = `http://127.0.0.1:${(shopServer.address() as AddressInfo).port}`;
      const latipay = new Latipay({ userId: merchant.user_id, walletId: merchant.wallet_id, apiKey: merchant.api_key, baseUrl: gateway.baseUrl, timeoutMs: 10_000 });
      shop = createShop({ latipay, publicUrl: shopUrl, log: (line) => shopLog.push(line) });

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
      shopServer?.closeAllConnections();
      await new Promise<void>((resolve) => (shopServer ? shopServer.close(() => resolve()) : resolve()));
      await database?.cleanup();
      if (process.env.LATIPAY_UPDATE_SCREENSHOTS === '1' && TEST_DIALECT === 'sqlite') copyKeyScreenshots();
    }, { timeout: 60_000 });

    async function newContext(kind: 'pc' | 'phone'): Promise<BrowserContext> {
      const context = await browser.newContext(
        kind === 'pc'
          ? { viewport: { width: 1280, height: 760 }, userAgent: PC_USER_AGENT, locale: 'en-US' }
          : { viewport: { width: 390, height: 844 }, userAgent: IPHONE_USER_AGENT, isMobile: true, hasTouch: true, deviceScaleFactor: 2, locale: 'en-US' },
      );
      context.setDefaultTimeout(STEP_MS);
      context.setDefaultNavigationTimeout(STEP_MS);
      return context;
    }

    /**
     * Collects uncaught script errors of a page, and what its Content-Security-Policy refused
     * (Chromium reports each refusal on the console): the pages must run cleanly under it.
     */
    function watchErrors(page: Page): string[] {
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => {
        if (isCspViolation(message.text())) errors.push(`CSP: ${message.text()}`);
      });
      return errors;
    }

    async function shot(page: Page, name: string): Promise<void> {
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true, timeout: STEP_MS });
    }

    /** Shop → product in the cart → "Pay with …" → the hosted payment page; returns its URL. */
    async function checkout(page: Page, sku: string, method: 'alipay' | 'wechat', prefix: string, shots = true): Promise<string> {
      await page.goto(`${shopUrl}/`);
      if (shots) await shot(page, `${prefix}-1-shop`);
      await page.click(`[data-test=add-${sku}]`);
      await page.waitForURL(`${shopUrl}/cart`);
      if (shots) await shot(page, `${prefix}-2-cart`);
      await page.click(`[data-test=pay-${method}]`);
      await page.waitForURL(new RegExp(`^${escapeRegExp(gateway.baseUrl)}/pay/[0-9a-f]{64}$`));
      return page.url();
    }

    /** The shop's order page the browser ended on, and the order behind it. */
    async function landedOrder(page: Page, status: string) {
      await page.waitForURL((url) => url.href.startsWith(`${shopUrl}/orders/`), { timeout: 20_000 });
      await page.locator(`[data-test=order-status][data-status=${status}]`).waitFor();
      const reference = decodeURIComponent(new URL(page.url()).pathname.slice('/orders/'.length));
      return { reference, order: shop.store.get(reference) };
    }

    /** Waits (bounded) until the shop has received and verified a callback for `reference`. */
    function verifiedCallback(reference: string) {
      return waitFor(`the shop to verify a callback for ${reference}`, () => shop.store.get(reference)?.callbacks[0], { timeoutMs: 20_000 });
    }

    test('PC: pay with Alipay by scanning the QR, and the shop shows the order paid', { timeout: TEST_TIMEOUT_MS }, async () => {
      const context = await newContext('pc');
      const phone = await newContext('phone');
      try {
        const page = await context.newPage();
        const errors = watchErrors(page);
        await checkout(page, 'pinot', 'alipay', 'pc');

        const qr = page.locator('[data-test=qr]');
        await qr.waitFor({ state: 'visible' });
        assert.ok(await qr.locator('svg').isVisible(), 'the QR code is drawn');
        assert.equal(await page.getAttribute('[data-test=status]', 'data-status'), 'pending');
        assert.match((await page.textContent('[data-test=amount]')) ?? '', /42\.00\s*NZD/);
        assert.equal((await page.textContent('[data-test=merchant]'))?.trim(), 'Kiwi Pantry');
        // 42.00 NZD at the sandbox's 4.6449 CNY.
        assert.match((await page.textContent('[data-test=amount-cny]')) ?? '', /195\.09 CNY/);
        assert.ok(await page.locator('[data-test=test-wallet]').isVisible(), 'a sandbox order offers its test wallet');
        await shot(page, 'pc-3-payment-page');

        // The customer's phone scans the QR: the sandbox wallet opens the URL inside it.
        const qrUrl = (await qr.getAttribute('data-qr-url')) ?? '';
        assert.ok(qrUrl.startsWith(`${gateway.baseUrl}/sandbox/wallet/`), qrUrl);
        // What is drawn is that URL: the QR as the browser renders it decodes to it.
        const drawn = PNG.sync.read(await qr.locator('svg').screenshot());
        assert.equal(jsQR(new Uint8ClampedArray(drawn.data), drawn.width, drawn.height)?.data, qrUrl);
        const wallet = await phone.newPage();
        const walletErrors = watchErrors(wallet);
        await wallet.goto(qrUrl);
        assert.match((await wallet.textContent('[data-test=wallet-amount]')) ?? '', /42\.00/);
        await shot(wallet, 'pc-4-sandbox-wallet');
        await wallet.click('[data-test=confirm]');
        await wallet.locator('[data-test=wallet-result]').waitFor();

        // Nobody touches the payment page: its live status moves it to the result, then to the shop.
        await page.waitForURL(/\/pay\/[0-9a-f]{64}\/result/);
        await page.locator('[data-test=result][data-status=paid]').waitFor();
        await shot(page, 'pc-5-payment-result');
        await shot(wallet, 'pc-4b-sandbox-wallet-confirmed');

        const { reference, order } = await landedOrder(page, 'paid');
        assert.equal(order?.status, 'paid');
        assert.ok(order?.returnedAt, 'the shop verified the signed redirect');
        const callback = await verifiedCallback(reference);
        assert.equal(callback.status, 'paid');
        assert.equal(callback.amount, '42.00');
        await page.reload();
        await page.locator('[data-test=callback][data-verified=yes]').waitFor();
        assert.match((await page.textContent('[data-test=order-title]')) ?? '', /paid/i);
        await shot(page, 'pc-6-shop-paid');
        assert.deepEqual(errors, []);
        assert.deepEqual(walletErrors, []);
      } finally {
        await phone.close();
        await context.close();
      }
    });

    /** The merchant's return_url the browser is sent to, as the shop receives it. */
    function watchReturns(page: Page): URL[] {
      const returns: URL[] = [];
      page.on('request', (request) => {
        if (request.isNavigationRequest() && request.url().startsWith(`${shopUrl}/return`)) returns.push(new URL(request.url()));
      });
      return returns;
    }

    /** The background colour the browser paints an element in. */
    function backgroundOf(page: Page, selector: string): Promise<string> {
      return page.locator(selector).evaluate((element) => getComputedStyle(element).backgroundColor);
    }

    test('PC without a phone: "Open test wallet", confirm, back to the payment page, on to the shop with a signed redirect', { timeout: TEST_TIMEOUT_MS }, async () => {
      const context = await newContext('pc');
      try {
        const page = await context.newPage();
        const errors = watchErrors(page);
        const returns = watchReturns(page);
        const payUrl = await checkout(page, 'pinot', 'alipay', 'desk', false);
        const qrUrl = (await page.locator('[data-test=qr]').getAttribute('data-qr-url')) ?? '';

        // The link under the QR opens the same trade's wallet in this tab.
        await page.click('[data-test=test-wallet]');
        await page.waitForURL((url) => url.href === `${qrUrl}?lang=en`);
        assert.match((await page.textContent('[data-test=wallet-amount]')) ?? '', /42\.00/);
        await page.click('[data-test=confirm]');
        const result = page.locator('[data-test=wallet-result]');
        await result.waitFor();
        assert.equal(await result.getAttribute('data-outcome'), 'paid');
        assert.equal(await backgroundOf(page, '[data-test=wallet-result]'), 'rgb(227, 245, 233)', 'success is green, not the warning colour');
        await shot(page, 'desk-1-sandbox-wallet-confirmed');

        // Back: the payment page's result, then the merchant's return_url.
        await page.click('[data-test=wallet-back]');
        await page.waitForURL(`${payUrl}/result?lang=en`);
        await page.locator('[data-test=result][data-status=paid]').waitFor();
        const { reference, order } = await landedOrder(page, 'paid');
        assert.ok(order?.returnedAt, 'the shop verified the signed redirect');
        assert.equal(returns.length, 1);
        const fields = Object.fromEntries(returns[0].searchParams);
        assert.deepEqual(
          { ...fields, signature: undefined },
          { merchant_reference: reference, payment_method: 'alipay', status: 'paid', currency: 'NZD', amount: '42.00', signature: undefined },
        );
        assert.equal(fields.signature, resultSignature(fields, merchant.api_key));
        await verifiedCallback(reference);
        assert.deepEqual(errors, []);
      } finally {
        await context.close();
      }
    });

    test('PC without a phone: declined in the test wallet, back on the failure page, which leads to the shop', { timeout: TEST_TIMEOUT_MS }, async () => {
      const context = await newContext('pc');
      try {
        const page = await context.newPage();
        const errors = watchErrors(page);
        const returns = watchReturns(page);
        await checkout(page, 'beans', 'wechat', 'decline', false);
        await page.locator('[data-test=qr]').waitFor({ state: 'visible' });
        await shot(page, 'decline-1-payment-page-wechat');

        await page.click('[data-test=test-wallet]');
        await page.click('[data-test=decline]');
        await page.locator('[data-test=wallet-result][data-outcome=declined]').waitFor();
        assert.equal(await backgroundOf(page, '[data-test=wallet-result]'), 'rgb(251, 227, 227)', 'a decline is red, not the warning colour');
        await page.click('[data-test=wallet-back]');

        // The failure page says why and waits for the customer: it has no script to move it on.
        await page.locator('[data-test=result][data-outcome=failed]').waitFor();
        assert.equal((await page.textContent('[data-test=reason]'))?.trim(), 'The payment was declined or did not go through.');
        assert.equal(await page.locator('script').count(), 0);
        assert.equal((await page.textContent('[data-test=return]'))?.trim(), 'Return to Kiwi Pantry');
        await shot(page, 'decline-2-failure-page');
        assert.equal(returns.length, 0);

        await page.click('[data-test=return]');
        const { reference, order } = await landedOrder(page, 'failed');
        assert.equal(order?.status, 'failed');
        assert.equal(returns.length, 1);
        const fields = Object.fromEntries(returns[0].searchParams);
        assert.equal(fields.status, 'cancel_or_fail');
        assert.equal(fields.signature, resultSignature(fields, merchant.api_key));
        const callback = await verifiedCallback(reference);
        assert.equal(callback.status, 'failed');
        await shot(page, 'decline-3-shop-failed');
        // "Try again" puts the same products back into the cart.
        await page.click('[data-test=try-again]');
        await page.waitForURL(`${shopUrl}/cart`);
        assert.match((await page.textContent('[data-test=cart-total]')) ?? '', /36\.00 NZD/);
        assert.deepEqual(errors, []);
      } finally {
        await context.close();
      }
    });

    test('PC: a second tab on the payment page, past the live-status limit, polls instead and reaches the shop too', { timeout: TEST_TIMEOUT_MS }, async () => {
      const context = await newContext('pc');
      const phone = await newContext('phone');
      try {
        const first = await context.newPage();
        const firstErrors = watchErrors(first);
        const firstStream = first.waitForResponse((response) => response.url().endsWith('/events'));
        const payUrl = await checkout(first, 'pinot', 'alipay', 'tabs', false);
        assert.equal((await firstStream).status(), 200, 'the first tab holds the one stream');

        const second = await context.newPage();
        const secondErrors = watchErrors(second);
        const refused = second.waitForResponse((response) => response.url().endsWith('/events'));
        await second.goto(payUrl);
        const refusal = await refused;
        assert.equal(refusal.status(), 429);
        assert.ok(Number(await refusal.headerValue('retry-after')) > 0);

        // The policy is enforced, and a refusal would be seen: a script injected without the nonce does not run.
        assert.deepEqual(secondErrors, []);
        const reported = second.waitForEvent('console', { predicate: (message) => isCspViolation(message.text()), timeout: STEP_MS });
        const ran = await second.evaluate(() => {
          const script = document.createElement('script');
          script.textContent = 'document.body.setAttribute("data-injected", "yes")';
          document.body.appendChild(script);
          return document.body.getAttribute('data-injected');
        });
        assert.equal(ran, null);
        await reported;
        assert.equal(secondErrors.length, 1, secondErrors.join('\n'));
        secondErrors.length = 0;

        const qrUrl = (await second.locator('[data-test=qr]').getAttribute('data-qr-url')) ?? '';
        const wallet = await phone.newPage();
        await wallet.goto(qrUrl);
        await wallet.click('[data-test=confirm]');
        await wallet.locator('[data-test=wallet-result]').waitFor();

        // The first tab hears it on its stream, the second by polling /status: both move on to the shop.
        const { reference } = await landedOrder(first, 'paid');
        const other = await landedOrder(second, 'paid');
        assert.equal(other.reference, reference);
        assert.deepEqual(firstErrors, []);
        assert.deepEqual(secondErrors, []);
      } finally {
        await phone.close();
        await context.close();
      }
    });

    test('phone: Alipay hands off to the app, and the page in the browser moves on by itself', { timeout: TEST_TIMEOUT_MS }, async () => {
      const context = await newContext('phone');
      try {
        const page = await context.newPage();
        const errors = watchErrors(page);
        await checkout(page, 'honey', 'alipay', 'phone');
        const openApp = page.locator('[data-test=open-app]');
        await openApp.waitFor({ state: 'visible' });
        assert.equal(await page.getAttribute('[data-test=status]', 'data-status'), 'pending');
        const box = await openApp.boundingBox();
        assert.ok(box && box.width > 300, 'the open-app button spans the phone screen');
        await shot(page, 'phone-3-payment-page');

        // The hand-off opens the wallet app; the browser tab stays where it was.
        const appUrl = (await openApp.getAttribute('href')) ?? '';
        assert.ok(appUrl.startsWith(`${gateway.baseUrl}/sandbox/wallet/`), appUrl);
        const app = await context.newPage();
        const appErrors = watchErrors(app);
        await app.goto(appUrl);
        await shot(app, 'phone-4-sandbox-wallet');
        await app.click('[data-test=confirm]');
        await app.locator('[data-test=wallet-result][data-outcome=paid]').waitFor();
        // The wallet leads back (a shopper who left the payment page is not stuck), across the phone's width.
        const back = app.locator('[data-test=wallet-back]');
        const backBox = await back.boundingBox();
        assert.ok(backBox && backBox.width > 300, 'the way back spans the phone screen');
        await shot(app, 'phone-4b-sandbox-wallet-confirmed');

        const { reference } = await landedOrder(page, 'paid');
        await verifiedCallback(reference);
        await page.reload();
        await page.locator('[data-test=callback][data-verified=yes]').waitFor();
        await shot(page, 'phone-5-shop-paid');
        await back.click();
        assert.equal((await landedOrder(app, 'paid')).reference, reference);
        assert.deepEqual(errors, []);
        assert.deepEqual(appErrors, []);
      } finally {
        await context.close();
      }
    });

    test("an operator's brand: name, logo and colour, drawn under the strict Content-Security-Policy", { timeout: TEST_TIMEOUT_MS }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'latipay-brand-'));
      const logo = join(dir, 'harbour.svg');
      writeFileSync(logo, HARBOUR_LOGO);
      const branded = await createTestGateway({ env: { BRAND_NAME: 'Harbour Pay', BRAND_COLOR: '#0f766e', BRAND_LOGO_FILE: logo } });
      const context = await newContext('pc');
      try {
        await branded.app.listen({ port: 0, host: '127.0.0.1' });
        const base = `http://127.0.0.1:${(branded.app.server.address() as AddressInfo).port}`;
        const { nonce } = await createOrder(branded, { product_name: 'Sea salt, 250 g', amount: '120.00' });
        const page = await context.newPage();
        const errors = watchErrors(page);
        await page.goto(`${base}/pay/${nonce}`);
        assert.equal((await page.textContent('[data-test=brand-name]'))?.trim(), 'Harbour Pay');
        const drawn = await page.locator('[data-test=brand-logo]').evaluate((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth);
        assert.ok(Number(drawn) > 0, 'the logo is loaded and drawn');
        assert.equal(await page.locator('main').evaluate((main) => getComputedStyle(main).borderTopColor), 'rgb(15, 118, 110)');
        assert.equal(await page.locator('[data-test=brand-name]').evaluate((el) => getComputedStyle(el).color), 'rgb(15, 118, 110)');
        await shot(page, 'brand-1-payment-page');
        assert.deepEqual(errors, []);
      } finally {
        await context.close();
        await branded.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

/** The screenshots the README shows. */
function copyKeyScreenshots(): void {
  const key: Record<string, string> = {
    'pc-2-cart': 'shop-cart',
    'pc-3-payment-page': 'payment-page-pc',
    'pc-4-sandbox-wallet': 'sandbox-wallet',
    'pc-5-payment-result': 'payment-result',
    'pc-6-shop-paid': 'shop-paid',
    'phone-4b-sandbox-wallet-confirmed': 'sandbox-wallet-confirmed',
    'decline-2-failure-page': 'payment-failed',
    'decline-3-shop-failed': 'shop-failed',
    'phone-3-payment-page': 'payment-page-mobile',
    'brand-1-payment-page': 'payment-page-branded',
  };
  mkdirSync(SCREENSHOTS, { recursive: true });
  for (const [from, to] of Object.entries(key)) {
    const source = join(ARTIFACTS, `${from}.png`);
    if (existsSync(source)) copyFileSync(source, join(SCREENSHOTS, `${to}.png`));
  }
}

/** An operator's logo, drawn for the branding journey: a wave in a disc, and the name. */
const HARBOUR_LOGO = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32">
<circle cx="16" cy="16" r="15" fill="#0f766e"/>
<path d="M5 18c3-3 5.5-3 8 0s5 3 8 0 4.5-3 6 0M5 23c3-3 5.5-3 8 0s5 3 8 0 4.5-3 6 0" fill="none" stroke="#fff" stroke-width="2.2" stroke-linecap="round"/>
<circle cx="21" cy="10" r="3" fill="#fcd34d"/>
</svg>
`;

/** Chromium's console message for something the Content-Security-Policy refused. */
function isCspViolation(text: string): boolean {
  return /Content Security Policy/i.test(text);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
