import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { TEST_DIALECT } from '../helpers/database.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { addPortalUser, assertAccessible, signInBrowser } from '../helpers/portal.js';

// Signing in to the portal in a real browser (Debian's chromium, as journey.test.ts): a wrong
// password refused with a visible error, the rate-limit page, signing in, moving through the
// portal with the keyboard only, signing out; on a desktop and a 360 px phone, within the
// portal's CSP and without a request to another site. Screenshots go to
// test-artifacts/browser/<dialect>/; LATIPAY_UPDATE_SCREENSHOTS=1 also copies them to
// docs/screenshots/portal-sign-in*.png.

const CHROMIUM = '/usr/bin/chromium';
const REQUIRED = process.env.CI === 'true' || process.env.LATIPAY_REQUIRE_BROWSER === '1';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts', 'browser', TEST_DIALECT);
const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');
const STEP_MS = 15_000;
/** The texts whose contrast is checked. */
const TEXTS = 'h1, h2, label, p, a, button, .muted, .flash, .badge, th, td';
const NAME = 'portal sign-in in a real browser';

if (!existsSync(CHROMIUM)) {
  if (REQUIRED) test(NAME, () => assert.fail(`chromium is required here (CI=true or LATIPAY_REQUIRE_BROWSER=1) but ${CHROMIUM} is missing: apt-get install chromium`));
  else test(NAME, { skip: `no chromium at ${CHROMIUM} (apt-get install chromium); LATIPAY_REQUIRE_BROWSER=1 makes this a failure` }, () => {});
} else {
  describe(NAME, { timeout: 180_000 }, () => {
    let gw: TestGateway;
    let browser: Browser;
    let origin: string;
    const problems: string[] = [];
    const elsewhere: string[] = [];

    before(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      gw = await createTestGateway();
      await gw.app.listen({ port: 0, host: '127.0.0.1' });
      origin = `http://127.0.0.1:${(gw.app.server.address() as { port: number }).port}`;
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    });
    after(async () => {
      await browser?.close();
      await gw?.close();
      if (process.env.LATIPAY_UPDATE_SCREENSHOTS === '1' && TEST_DIALECT === 'sqlite') {
        for (const name of ['portal-sign-in.png', 'portal-sign-in-phone.png']) copyFileSync(join(ARTIFACTS, name), join(SCREENSHOTS, name));
      }
    });

    async function newPage(kind: 'desktop' | 'phone'): Promise<{ context: BrowserContext; page: Page }> {
      const context = await browser.newContext(kind === 'phone' ? { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, locale: 'en-NZ' } : { viewport: { width: 1280, height: 800 }, locale: 'en-NZ' });
      const page = await context.newPage();
      page.setDefaultTimeout(STEP_MS);
      page.on('console', (message) => {
        // A page answered 401 or 429 is logged by the browser as a failed load: those are the answers under test.
        if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('request', (request) => {
        if (!request.url().startsWith(origin) && !request.url().startsWith('data:')) elsewhere.push(request.url());
      });
      await page.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (event) => console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`));
      });
      return { context, page };
    }

    test('a wrong password is refused with a visible error; the right one signs in; the keyboard reaches everything; Sign out', async () => {
      const user = await addPortalUser(gw, { role: 'owner', email: 'owner@kiwi-pantry.test' });
      const { context, page } = await newPage('desktop');
      await page.goto(`${origin}/portal/login`);
      await assertAccessible(page, TEXTS);
      await page.screenshot({ path: join(ARTIFACTS, 'portal-sign-in.png') });

      await page.getByLabel('Email').fill(user.email);
      await page.getByLabel('Password').fill('not my password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      const error = page.getByRole('alert');
      assert.equal((await error.innerText()).trim(), 'Wrong email or password.');
      assert.equal(await page.getByLabel('Email').inputValue(), user.email, 'the email is kept');
      await page.screenshot({ path: join(ARTIFACTS, 'portal-sign-in-wrong-password.png') });

      // Only the keyboard from here: the password, Enter.
      await page.getByLabel('Password').focus();
      await page.keyboard.type(user.password);
      await Promise.all([page.waitForURL(`${origin}/portal`), page.keyboard.press('Enter')]);
      assert.equal(await page.locator('[data-test="email"]').innerText(), user.email);
      await assertAccessible(page, TEXTS);

      // The first Tab reaches the skip link; Enter moves to the content.
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
      await page.keyboard.press('Enter');
      assert.equal(await page.evaluate(() => location.hash), '#main');
      // Tab on from the top to the Account link, and open it with Enter.
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await page.locator('a.skip').focus();
      let reached = '';
      for (let i = 0; i < 20 && reached !== 'Account'; i++) {
        await page.keyboard.press('Tab');
        reached = await page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
      }
      assert.equal(reached, 'Account');
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle);
      assert.equal(outline, 'solid', 'focus is visible');
      await Promise.all([page.waitForURL(`${origin}/portal/account`), page.keyboard.press('Enter')]);
      await assertAccessible(page, TEXTS);

      // Sign out, by keyboard too.
      await page.getByRole('button', { name: 'Sign out', exact: true }).focus();
      await Promise.all([page.waitForURL(/\/portal\/login\?done=signed_out$/), page.keyboard.press('Enter')]);
      assert.equal((await page.getByRole('status').innerText()).trim(), 'You are signed out.');
      await page.goto(`${origin}/portal`);
      assert.match(page.url(), /\/portal\/login\?next=%2Fportal$/, 'the session is over');
      await context.close();
      assert.deepEqual(problems, []);
      assert.deepEqual(elsewhere, []);
    });

    test('too many wrong passwords: the rate-limit page says when to try again', async () => {
      const user = await addPortalUser(gw, { role: 'viewer' });
      const { context, page } = await newPage('desktop');
      for (let i = 0; i < 5; i++) {
        await page.goto(`${origin}/portal/login`);
        await page.getByLabel('Email').fill(user.email);
        await page.getByLabel('Password').fill(`wrong password ${i}`);
        await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Sign in' }).click()]);
        await page.waitForLoadState();
      }
      assert.equal((await page.getByRole('heading', { level: 1 }).innerText()).trim(), 'Too many attempts');
      assert.match(await page.getByRole('alert').innerText(), /Too many failed sign-ins\. Try again in \d+ min\./);
      await page.screenshot({ path: join(ARTIFACTS, 'portal-sign-in-rate-limited.png') });
      await context.close();
      assert.deepEqual(problems, []);
    });

    test('on a 360 px phone the portal fits the screen and works, in Chinese too', async () => {
      const user = await addPortalUser(gw, { role: 'admin' });
      const { context, page } = await newPage('phone');
      await signInBrowser(page, origin, user.email, user.password);
      const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.equal(await overflow(), 0, 'no sideways scrolling');
      await page.goto(`${origin}/portal/account`);
      assert.equal(await overflow(), 0, 'no sideways scrolling on the account page');
      await page.screenshot({ path: join(ARTIFACTS, 'portal-sign-in-phone.png'), fullPage: true });
      await page.getByRole('link', { name: 'Switch to Chinese' }).click();
      await page.waitForURL(/lang=zh/);
      assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
      assert.ok(await page.getByRole('button', { name: '退出登录' }).isVisible());
      await assertAccessible(page, TEXTS);
      await context.close();
      assert.deepEqual(problems, []);
      assert.deepEqual(elsewhere, []);
    });
  });
}
