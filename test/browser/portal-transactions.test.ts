import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { CreatedMerchant } from '../../src/gateway/create-merchant.js';
import { findFreePort, resultSignature, sortedSignature, waitFor } from '../e2e/helpers.js';
import { TEST_DIALECT } from '../helpers/database.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { refundsOf } from '../helpers/money.js';
import { addPortalUser, signInBrowser } from '../helpers/portal.js';
import { seedOrders } from '../helpers/seed-orders.js';
import { answerOf, createOrder, settleOrder } from '../http/support.js';

// The merchant portal's Transactions area in a real browser (Debian's chromium driven by
// playwright-core), against a gateway listening on a real socket, with its callback
// delivery worker and a merchant's callback server: the list and its filters, the CSV
// export of exactly the filter, a refund from an order's page (and what the merchant's
// API then says), a callback sent again, a viewer refused a refund by the server, and one
// organisation unable to open another's order by its URL.
// Screenshots go to test-artifacts/browser/<dialect>/ (git-ignored);
// LATIPAY_UPDATE_SCREENSHOTS=1 also copies them to docs/screenshots/portal-*.png.

const CHROMIUM = '/usr/bin/chromium';
const REQUIRED = process.env.CI === 'true' || process.env.LATIPAY_REQUIRE_BROWSER === '1';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts', 'browser', TEST_DIALECT);
const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');
const STEP_MS = 15_000;
const TEST_TIMEOUT_MS = 120_000;

if (!existsSync(CHROMIUM)) {
  if (REQUIRED) {
    test('the portal’s transactions in a real browser', () => {
      assert.fail(`chromium is required here (CI=true or LATIPAY_REQUIRE_BROWSER=1) but ${CHROMIUM} is missing: apt-get install chromium`);
    });
  } else {
    test('the portal’s transactions in a real browser', { skip: `no chromium at ${CHROMIUM} (apt-get install chromium); LATIPAY_REQUIRE_BROWSER=1 makes this a failure` }, () => {});
  }
} else {
  describe('the portal’s transactions in a real browser', { timeout: 4 * TEST_TIMEOUT_MS }, () => {
    let gw: TestGateway;
    let baseUrl: string;
    let other: CreatedMerchant;
    let merchantServer: Server;
    let callbackUrl: string;
    let browser: Browser;
    /** The callbacks the merchant's server received, signature checked. */
    const callbacks: Array<{ order_id: string; status: string; verified: boolean }> = [];
    const users: Record<'support' | 'viewer' | 'otherOwner', { email: string; password: string }> = {} as never;
    /** Paid orders made through the API, whose callbacks the merchant received. */
    const paid: Array<{ orderId: string; reference: string }> = [];

    before(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      merchantServer = createServer((request, response) => {
        let body = '';
        request.on('data', (c) => (body += c));
        request.on('end', () => {
          const fields = Object.fromEntries(new URLSearchParams(body));
          callbacks.push({ order_id: fields.order_id ?? '', status: fields.status ?? '', verified: fields.signature === resultSignature(fields, gw.merchant.api_key) });
          response.end('sent');
        });
      });
      await new Promise<void>((resolve) => merchantServer.listen(0, '127.0.0.1', resolve));
      callbackUrl = `http://127.0.0.1:${(merchantServer.address() as AddressInfo).port}/latipay/callback`;

      // The portal checks a form's Origin against PUBLIC_URL: the gateway listens where PUBLIC_URL says.
      const port = await findFreePort();
      baseUrl = `http://127.0.0.1:${port}`;
      gw = await createTestGateway({ worker: true, env: { PUBLIC_URL: baseUrl, NOTIFY_RETRY_SECONDS: '1' }, merchant: { name: 'Kiwi Pantry' } });
      await gw.app.listen({ port, host: '127.0.0.1' });
      other = await gw.addMerchant({ name: 'Other Shop' });

      // A history: a month of orders of every kind, then today's payments made through the API.
      const now = Date.now();
      const products = ['Mānuka honey 500 g', 'Flat white beans 1 kg', 'Pinot Noir, Otago', 'Feijoa chutney', 'Hamper, Christmas'];
      await seedOrders(
        gw.store,
        gw.merchant,
        Array.from({ length: 64 }, (_, i) => ({
          created_at: now - (i + 1) * 9 * 3_600_000,
          status: ['paid', 'paid', 'paid', 'failed', 'canceled', 'paid', 'pending'][i % 7],
          payment_method: i % 3 === 0 ? 'wechat' : 'alipay',
          amount_minor: 1250 + ((i * 3917) % 20000),
          merchant_reference: `KP-${10400 - i}`,
          product_name: products[i % products.length],
        })),
      );
      await seedOrders(gw.store, other, [{ merchant_reference: 'OTHER-1', status: 'paid' }]);
      for (const [amount, outcome] of [['64.00', 'paid'], ['18.50', 'failed'], ['120.00', 'paid'], ['9.90', 'paid']] as const) {
        const created = await createOrder(gw, { amount, callback_url: callbackUrl, product_name: 'Pinot Noir, Otago' });
        assert.equal(answerOf(await settleOrder(gw, created.orderId, outcome)).code, 0);
        if (outcome === 'paid') paid.push({ orderId: created.orderId, reference: created.reference });
      }
      await waitFor('the paid callbacks', () => paid.every((p) => callbacks.some((c) => c.order_id === p.orderId && c.status === 'paid')), { timeoutMs: STEP_MS });

      users.support = await addPortalUser(gw, { role: 'support', email: 'aroha@kiwipantry.example' });
      users.viewer = await addPortalUser(gw, { role: 'viewer', email: 'viewer@kiwipantry.example' });
      users.otherOwner = await addPortalUser(gw, { role: 'owner', email: 'owner@othershop.example', organisationId: other.organisation_id });

      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
        timeout: 30_000,
      });
    }, { timeout: 90_000 });

    after(async () => {
      await browser?.close();
      await gw?.close();
      merchantServer?.closeAllConnections();
      await new Promise<void>((resolve) => (merchantServer ? merchantServer.close(() => resolve()) : resolve()));
      if (process.env.LATIPAY_UPDATE_SCREENSHOTS === '1' && TEST_DIALECT === 'sqlite') copyScreenshots();
    }, { timeout: 60_000 });

    async function newPage(viewport = { width: 1280, height: 900 }): Promise<{ page: Page; errors: string[]; close: () => Promise<void> }> {
      const context = await browser.newContext({ viewport, acceptDownloads: true });
      const page = await context.newPage();
      page.setDefaultTimeout(STEP_MS);
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => {
        if (/Content Security Policy|Refused to/i.test(message.text())) errors.push(`CSP: ${message.text()}`);
      });
      return { page, errors, close: () => context.close() };
    }

    async function shot(page: Page, name: string, fullPage = true): Promise<void> {
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage, timeout: STEP_MS });
    }

    /** The order ids the list shows, in order. */
    const listedIds = (page: Page) => page.locator('table[data-test="transactions"] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-order') ?? ''));

    test('the list, its filters, and the CSV export of exactly the filter', { timeout: TEST_TIMEOUT_MS }, async () => {
      const { page, errors, close } = await newPage();
      try {
        await signInBrowser(page, baseUrl, users.support.email, users.support.password);
        await page.getByRole('link', { name: 'Transactions' }).click();
        await page.waitForURL(`${baseUrl}/portal/transactions`);
        assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Transactions');
        const all = await listedIds(page);
        assert.equal(all.length, 50, 'a page holds 50');
        assert.ok(await page.getByRole('link', { name: 'Older' }).isVisible());
        assert.equal(await page.getByText('OTHER-1').count(), 0);

        await page.getByLabel('Status').selectOption('paid');
        await page.getByLabel('Payment method').selectOption('alipay');
        await page.getByLabel('Minimum amount').fill('20');
        await page.getByRole('button', { name: 'Filter' }).click();
        await page.waitForURL(/status=paid/);
        const url = new URL(page.url());
        assert.equal(url.searchParams.get('status'), 'paid');
        assert.equal(url.searchParams.get('method'), 'alipay');
        const filtered = await listedIds(page);
        assert.ok(filtered.length > 0 && filtered.length < 50, `${filtered.length} orders`);
        const statuses = await page.locator('table[data-test="transactions"] tbody [data-status]').evaluateAll((cells) => cells.map((c) => c.getAttribute('data-status')));
        assert.deepEqual(new Set(statuses), new Set(['paid']));
        await shot(page, 'portal-transactions');

        const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
        assert.match(download.suggestedFilename(), /^transactions-\d{8}-\d{6}\.csv$/);
        const csv = readFileSync(await download.path(), 'utf8');
        const lines = csv.split('\r\n').filter(Boolean);
        assert.equal(lines[0], 'order_id,merchant_reference,created_at,status,payment_method,amount,currency,wallet_id,user_id,product_name,paid_at');
        assert.deepEqual(lines.slice(1).map((l) => l.split(',')[0]), filtered, 'the file holds exactly the orders the filter lists');
        for (const line of lines.slice(1)) assert.match(line, /,paid,alipay,/);
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });

    test('a refund from the order page: what is left shrinks, the merchant’s refund API agrees, and Resend callback reaches the merchant again', { timeout: TEST_TIMEOUT_MS }, async () => {
      const { page, errors, close } = await newPage();
      const order = paid.find((p) => p.reference) as { orderId: string; reference: string };
      try {
        await signInBrowser(page, baseUrl, users.support.email, users.support.password);
        await page.goto(`${baseUrl}/portal/transactions?q=${encodeURIComponent(order.reference)}`);
        await page.getByRole('link', { name: order.orderId }).click();
        await page.waitForURL(`${baseUrl}/portal/orders/${order.orderId}`);
        assert.match((await page.locator('[data-test="refund-remaining"]').textContent()) ?? '', /Up to 64\.00 NZD can be refunded/);
        // The timeline shows the callback the merchant answered.
        assert.match((await page.locator('[data-test="callback-status"]').first().textContent()) ?? '', /HTTP 200/);

        await page.getByLabel('Refund amount (NZD)').fill('20.00');
        await page.getByLabel('Reason').fill('Broken jar');
        page.once('dialog', (dialog) => {
          assert.match(dialog.message(), /Refund 20\.00 NZD\?/);
          void dialog.accept();
        });
        await page.getByRole('button', { name: 'Refund' }).click();
        await page.waitForURL(/done=refunded/);
        assert.match((await page.locator('[data-test="flash"]').textContent()) ?? '', /^Refund R\d+ created\.$/);
        assert.match((await page.locator('[data-test="refund-remaining"]').textContent()) ?? '', /Up to 44\.00 NZD can be refunded \(20\.00 NZD refunded so far\)/);
        const [refund] = await refundsOf(gw, order.orderId);
        assert.equal(refund?.status, 'succeeded');
        assert.equal(Number(refund?.amount_minor), 2000);
        await shot(page, 'portal-order');

        // The merchant's API: the order is still paid (Latipay's query has no refund field, and
        // sends no callback for a refund), and only what is left can still be refunded.
        const signedQuery = sortedSignature({ merchant_reference: order.reference, user_id: gw.merchant.user_id }, gw.merchant.api_key);
        const queried = (await (await fetch(`${baseUrl}/v2/transaction/${order.reference}?user_id=${gw.merchant.user_id}&signature=${signedQuery}`)).json()) as Record<string, unknown>;
        assert.equal(queried.code, 0);
        assert.equal(queried.status, 'paid');
        const refundApi = async (amount: string) => {
          const fields = { user_id: gw.merchant.user_id, order_id: order.orderId, refund_amount: amount, reference: `api-${amount}` };
          const response = await fetch(`${baseUrl}/v2/refund`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...fields, signature: sortedSignature(fields, gw.merchant.api_key) }) });
          return ((await response.json()) as { code: number }).code;
        };
        assert.equal(await refundApi('64.00'), 550, 'the whole amount is no longer refundable');
        assert.equal(await refundApi('44.00'), 0, 'what is left is');
        await page.reload();
        assert.match((await page.locator('[data-test="refund-none"]').textContent()) ?? '', /whole amount has been refunded/);

        // Resend callback: the merchant's server receives the signed callback again.
        const before = callbacks.filter((c) => c.order_id === order.orderId).length;
        await page.getByRole('button', { name: 'Resend callback' }).click();
        await page.waitForURL(/done=resent/);
        await waitFor('the callback sent again', () => callbacks.filter((c) => c.order_id === order.orderId).length === before + 1, { timeoutMs: STEP_MS });
        const again = callbacks.filter((c) => c.order_id === order.orderId).at(-1);
        assert.equal(again?.status, 'paid');
        assert.equal(again?.verified, true);
        await waitFor('the second attempt on the timeline', async () => {
          await page.reload();
          return (await page.locator('[data-test="callback-status"]').count()) === 2;
        }, { timeoutMs: STEP_MS });
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });

    test('a viewer sees no Refund button, and a refund posted anyway is refused by the server: nothing is refunded', { timeout: TEST_TIMEOUT_MS }, async () => {
      const { page, errors, close } = await newPage();
      const order = paid[1] as { orderId: string };
      try {
        await signInBrowser(page, baseUrl, users.viewer.email, users.viewer.password);
        await page.goto(`${baseUrl}/portal/orders/${order.orderId}`);
        assert.equal(await page.getByRole('button', { name: 'Refund' }).count(), 0);
        assert.equal(await page.getByRole('button', { name: 'Resend callback' }).count(), 0);
        // The form a support member would have, posted from the viewer's page with the viewer's own CSRF token.
        const status = await page.evaluate(async (orderId) => {
          const csrf = (document.querySelector('input[name="_csrf"]') as HTMLInputElement).value;
          const response = await fetch(`/portal/orders/${orderId}/refund`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf, amount: '120.00', reason: 'not mine to give' }) });
          return response.status;
        }, order.orderId);
        assert.equal(status, 403);
        assert.deepEqual(await refundsOf(gw, order.orderId), []);
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });

    test('another organisation’s owner opening the order’s URL gets “Order not found”, nothing of it', { timeout: TEST_TIMEOUT_MS }, async () => {
      const { page, close } = await newPage();
      const order = paid[0] as { orderId: string; reference: string };
      try {
        await signInBrowser(page, baseUrl, users.otherOwner.email, users.otherOwner.password);
        const response = await page.goto(`${baseUrl}/portal/orders/${order.orderId}`);
        assert.equal(response?.status(), 404);
        assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Order not found');
        assert.equal(await page.getByText(order.reference).count(), 0);
        await page.goto(`${baseUrl}/portal/transactions?q=${order.orderId}`);
        assert.equal((await listedIds(page)).length, 0);
      } finally {
        await close();
      }
    });

    test('on a phone the list fits the screen: the table scrolls inside its frame, not the page', { timeout: TEST_TIMEOUT_MS }, async () => {
      const { page, errors, close } = await newPage({ width: 390, height: 844 });
      try {
        await signInBrowser(page, baseUrl, users.support.email, users.support.password);
        await page.goto(`${baseUrl}/portal/transactions`);
        const widths = await page.evaluate(() => ({
          page: document.documentElement.scrollWidth,
          viewport: window.innerWidth,
          wrap: (document.querySelector('.table-wrap') as HTMLElement).scrollWidth,
          wrapBox: (document.querySelector('.table-wrap') as HTMLElement).clientWidth,
        }));
        assert.ok(widths.page <= widths.viewport, `the page is ${widths.page}px wide on a ${widths.viewport}px screen`);
        assert.ok(widths.wrap > widths.wrapBox, 'the table scrolls inside .table-wrap');
        await page.evaluate(() => window.scrollTo(0, (document.querySelector('[data-test="export-form"]') as HTMLElement).getBoundingClientRect().top + window.scrollY - 8));
        await shot(page, 'portal-transactions-phone', false);
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });
  });
}

function copyScreenshots(): void {
  mkdirSync(SCREENSHOTS, { recursive: true });
  for (const name of ['portal-transactions', 'portal-order', 'portal-transactions-phone']) {
    const source = join(ARTIFACTS, `${name}.png`);
    if (existsSync(source)) copyFileSync(source, join(SCREENSHOTS, `${name}.png`));
  }
}
