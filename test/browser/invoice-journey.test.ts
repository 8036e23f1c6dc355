import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import jsqr from 'jsqr';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from '../helpers/database.js';
import { createMerchantViaCli, newSecretKey, PC_USER_AGENT, resultSignature, startGatewayProcess, waitFor, type CreatedMerchant, type GatewayProcess } from '../e2e/helpers.js';
import { answerSignature, signFields, query } from '../http/invoice-support.js';

// jsqr is CommonJS exporting `default`: NodeNext types its default import as the whole module.
const jsQR = jsqr.default;

// An invoice (payment link) paid in a real browser (Debian's chromium driven by
// playwright-core), against the gateway as a real process: the merchant creates the
// invoice → the payer opens invoice_url and picks Alipay → the payment page → "Open test
// wallet" → confirm → back → the merchant's return_url with the signed status, and the
// merchant's notify_url receives the signed result (answering `sent`).
// Screenshots go to test-artifacts/browser/<dialect>/ (git-ignored);
// LATIPAY_UPDATE_SCREENSHOTS=1 also copies them to docs/screenshots/invoice-*.png.

const CHROMIUM = '/usr/bin/chromium';
const REQUIRED = process.env.CI === 'true' || process.env.LATIPAY_REQUIRE_BROWSER === '1';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts', 'browser', TEST_DIALECT);
const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');
const STEP_MS = 15_000;
const TEST_TIMEOUT_MS = 120_000;

if (!existsSync(CHROMIUM)) {
  if (REQUIRED) {
    test('an invoice paid in a real browser', () => {
      assert.fail(`chromium is required here (CI=true or LATIPAY_REQUIRE_BROWSER=1) but ${CHROMIUM} is missing: apt-get install chromium`);
    });
  } else {
    test('an invoice paid in a real browser', { skip: `no chromium at ${CHROMIUM} (apt-get install chromium); LATIPAY_REQUIRE_BROWSER=1 makes this a failure` }, () => {});
  }
} else {
  describe('an invoice paid in a real browser', { timeout: 2 * TEST_TIMEOUT_MS }, () => {
    let database: TestDatabase;
    let merchant: CreatedMerchant;
    let gateway: GatewayProcess;
    let merchantServer: Server;
    let merchantUrl: string;
    let browser: Browser;
    /** What the merchant's notify_url received (form bodies). */
    const notified: Array<Record<string, string>> = [];

    before(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      database = await createTestDatabase();
      const secretKey = newSecretKey();
      merchant = await createMerchantViaCli(database.url, database.dataDir, secretKey, { name: 'Kiwi Pantry' });
      gateway = await startGatewayProcess({ databaseUrl: database.url, dataDir: database.dataDir, secretKey, env: { NOTIFY_RETRY_SECONDS: '1' } });

      // The merchant: notify_url answers `sent`; return_url is its thank-you page.
      merchantServer = createServer((request, response) => {
        const url = new URL(request.url ?? '/', 'http://merchant');
        if (request.method === 'POST' && url.pathname === '/latipay/notify') {
          let body = '';
          request.on('data', (chunk) => (body += chunk));
          request.on('end', () => {
            notified.push(Object.fromEntries(new URLSearchParams(body)));
            response.end('sent');
          });
          return;
        }
        const fields = Object.fromEntries(url.searchParams);
        const verified = fields.signature !== undefined && fields.signature === resultSignature(fields, merchant.api_key);
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end(
          `<!doctype html><html><head><meta charset="utf-8"><title>Thank you</title></head><body style="font-family:sans-serif;max-width:440px;margin:40px auto">` +
            `<h1 data-test="thanks" data-status="${fields.status ?? ''}" data-verified="${verified ? 'yes' : 'no'}">Thank you — ${fields.status === 'paid' ? 'paid' : 'not paid'}</h1>` +
            `<p>Invoice ${escapeHtml(fields.merchant_reference ?? '')}: ${escapeHtml(fields.amount ?? '')} ${escapeHtml(fields.currency ?? '')}, signature ${verified ? 'verified' : 'NOT verified'}.</p></body></html>`,
        );
      });
      await new Promise<void>((resolve) => merchantServer.listen(0, '127.0.0.1', resolve));
      merchantUrl = `http://127.0.0.1:${(merchantServer.address() as AddressInfo).port}`;

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
      merchantServer?.closeAllConnections();
      await new Promise<void>((resolve) => (merchantServer ? merchantServer.close(() => resolve()) : resolve()));
      await database?.cleanup();
      if (process.env.LATIPAY_UPDATE_SCREENSHOTS === '1' && TEST_DIALECT === 'sqlite') copyScreenshots();
    }, { timeout: 60_000 });

    async function api(method: 'GET' | 'POST', path: string, fields: Record<string, string | number | boolean>) {
      const signed = signFields({ user_id: merchant.user_id, ...fields }, merchant.api_key);
      const response =
        method === 'GET'
          ? await fetch(`${gateway.baseUrl}${path}?${query(signed)}`)
          : await fetch(`${gateway.baseUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(signed) });
      assert.equal(response.status, 200);
      return (await response.json()) as Record<string, unknown>;
    }

    async function shot(page: Page, name: string): Promise<void> {
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true, timeout: STEP_MS });
    }

    function watchErrors(page: Page): string[] {
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) errors.push(`CSP: ${message.text()}`);
      });
      return errors;
    }

    test('open invoice_url → pick Alipay → test wallet → confirm → back to the merchant, which is notified', { timeout: TEST_TIMEOUT_MS }, async () => {
      const created = await api('POST', '/v2/invoice', {
        wallet_id: merchant.wallet_id,
        amount: '36.50',
        product_name: 'Hamper, Christmas',
        customer_order_id: 'XMAS-0007',
        customer_reference: 'Gift for Aroha',
        return_url: `${merchantUrl}/thanks`,
        notify_url: `${merchantUrl}/latipay/notify`,
        qrcode: true,
        period_time: 4320,
      });
      assert.equal(created.code, 0, String(created.message));
      assert.equal(created.signature, answerSignature(created, merchant.api_key));
      const invoiceUrl = String(created.invoice_url);
      assert.ok(invoiceUrl.startsWith(`${gateway.baseUrl}/invoice/`), invoiceUrl);

      const context = await browser.newContext({ viewport: { width: 1280, height: 760 }, userAgent: PC_USER_AGENT, locale: 'en-US' });
      context.setDefaultTimeout(STEP_MS);
      context.setDefaultNavigationTimeout(STEP_MS);
      try {
        const page = await context.newPage();
        const errors = watchErrors(page);
        const returns: URL[] = [];
        page.on('request', (request) => {
          if (request.isNavigationRequest() && request.url().startsWith(`${merchantUrl}/thanks`)) returns.push(new URL(request.url()));
        });

        // The payer opens the link: who is paid, how much, the methods, and the link's QR.
        await page.goto(invoiceUrl);
        assert.equal((await page.textContent('[data-test=merchant]'))?.trim(), 'Kiwi Pantry');
        assert.match((await page.textContent('[data-test=amount]')) ?? '', /36\.50\s*NZD/);
        assert.equal((await page.textContent('[data-test=product]'))?.trim(), 'Hamper, Christmas');
        assert.ok(await page.locator('[data-test=pay-alipay]').isVisible());
        assert.ok(await page.locator('[data-test=pay-wechat]').isVisible());
        const drawn = PNG.sync.read(await page.locator('[data-test=invoice-qr] img').screenshot());
        assert.equal(jsQR(new Uint8ClampedArray(drawn.data), drawn.width, drawn.height)?.data, invoiceUrl, 'the QR as drawn opens the link');
        await shot(page, 'invoice-1-page');

        // Alipay: the gateway's own payment page for the invoice's order, its test wallet, confirm, back.
        await page.click('[data-test=pay-alipay]');
        await page.waitForURL(/\/pay\/[0-9a-f]{64}\?lang=en$/);
        await page.locator('[data-test=qr]').waitFor({ state: 'visible' });
        assert.match((await page.textContent('[data-test=amount]')) ?? '', /36\.50\s*NZD/);
        await shot(page, 'invoice-2-payment-page');
        await page.click('[data-test=test-wallet]');
        await page.locator('[data-test=confirm]').waitFor();
        await shot(page, 'invoice-3-sandbox-wallet');
        await page.click('[data-test=confirm]');
        await page.locator('[data-test=wallet-result][data-outcome=paid]').waitFor();
        await page.click('[data-test=wallet-back]');

        // On to the merchant's return_url, signed.
        await page.waitForURL((url) => url.href.startsWith(`${merchantUrl}/thanks`), { timeout: 20_000 });
        await page.locator('[data-test=thanks][data-status=paid][data-verified=yes]').waitFor();
        await shot(page, 'invoice-4-merchant-return');
        assert.equal(returns.length, 1);
        const back = Object.fromEntries(returns[0].searchParams);
        assert.equal(back.merchant_reference, created.invoice_id);
        assert.equal(back.amount, '36.50');

        // The merchant was notified, signed (spec §4.4), and the invoice is paid.
        const notification = await waitFor('the merchant notified', () => notified.find((n) => n.status === 'paid'), { timeoutMs: 20_000 });
        assert.equal(notification.merchant_reference, created.invoice_id);
        assert.equal(notification.payment_method, 'alipay');
        assert.equal(notification.signature, resultSignature(notification, merchant.api_key));
        const invoice = await api('GET', '/v2/invoice', { customer_order_id: 'XMAS-0007' });
        assert.equal(invoice.status, 'paid');
        assert.equal(invoice.paid_method, 'alipay');
        assert.equal(invoice.open_count, 1);
        assert.equal(invoice.order_id, notification.order_id);

        // The link opened again shows the payment made, and moves on to the merchant.
        await page.goto(invoiceUrl);
        await page.waitForURL((url) => url.href.startsWith(`${merchantUrl}/thanks`));
        assert.deepEqual(errors, []);
      } finally {
        await context.close();
      }
    });
  });
}

function copyScreenshots(): void {
  mkdirSync(SCREENSHOTS, { recursive: true });
  for (const name of ['invoice-1-page', 'invoice-2-payment-page', 'invoice-3-sandbox-wallet', 'invoice-4-merchant-return']) {
    const source = join(ARTIFACTS, `${name}.png`);
    if (existsSync(source)) copyFileSync(source, join(SCREENSHOTS, `${name.replace(/^invoice-\d-/, 'invoice-')}.png`));
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
