import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { TEST_DIALECT } from '../helpers/database.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { addPortalUser, assertAccessible, signInBrowser } from '../helpers/portal.js';

// The Users, Audit log and operators' areas in a real browser (Debian's chromium, as
// portal-sign-in.test.ts): an owner invites a developer, the one-time link is shown, the
// developer sets a password through it and signs in with that role; the audit log shows the
// invitation; an operator creates an organisation and sees its key once. Screenshots go to
// test-artifacts/browser/<dialect>/; LATIPAY_UPDATE_SCREENSHOTS=1 also copies them to
// docs/screenshots/portal-users.png, portal-audit.png and portal-operator.png.

const CHROMIUM = '/usr/bin/chromium';
const REQUIRED = process.env.CI === 'true' || process.env.LATIPAY_REQUIRE_BROWSER === '1';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts', 'browser', TEST_DIALECT);
const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');
const STEP_MS = 15_000;
/** The texts whose contrast is checked. */
const TEXTS = 'h1, h2, label, legend, p, a, button, li, .muted, .flash, .badge, th, td, option';
const NAME = 'the portal’s users, audit log and operators in a real browser';

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
      gw = await createTestGateway({ merchant: { name: 'Kiwi Pantry' } });
      await gw.app.listen({ port: 0, host: '127.0.0.1' });
      origin = `http://127.0.0.1:${(gw.app.server.address() as { port: number }).port}`;
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    });
    after(async () => {
      await browser?.close();
      await gw?.close();
      if (process.env.LATIPAY_UPDATE_SCREENSHOTS === '1' && TEST_DIALECT === 'sqlite') {
        for (const name of ['portal-users.png', 'portal-audit.png', 'portal-operator.png']) copyFileSync(join(ARTIFACTS, name), join(SCREENSHOTS, name));
      }
    });

    async function newPage(): Promise<Page> {
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-NZ' });
      const page = await context.newPage();
      page.setDefaultTimeout(STEP_MS);
      page.on('console', (message) => {
        if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('request', (request) => {
        if (!request.url().startsWith(origin) && !request.url().startsWith('data:')) elsewhere.push(request.url());
      });
      await page.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (event) => console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`));
      });
      return page;
    }

    test('an owner invites a developer; the link is shown once; the developer sets a password and signs in with that role; the audit log shows it', async () => {
      const owner = await addPortalUser(gw, { role: 'owner', email: 'aroha@kiwi-pantry.test' });
      await addPortalUser(gw, { role: 'support', email: 'sam@kiwi-pantry.test' });
      const ownerPage = await newPage();
      await signInBrowser(ownerPage, origin, owner.email, owner.password);
      await Promise.all([ownerPage.waitForURL(`${origin}/portal/users`), ownerPage.getByRole('link', { name: 'Users', exact: true }).click()]);
      await assertAccessible(ownerPage, TEXTS);

      await ownerPage.getByLabel('Email').fill('wiremu@kiwi-pantry.test');
      await ownerPage.getByLabel('Role', { exact: true }).selectOption('developer');
      await Promise.all([ownerPage.waitForURL(`${origin}/portal/users/invite`), ownerPage.getByRole('button', { name: 'Invite' }).click()]);
      assert.equal(await ownerPage.getByRole('heading', { level: 1 }).innerText(), 'Invitation created');
      const link = await ownerPage.getByLabel('One-time set-password link').inputValue();
      assert.match(link, /^http:\/\/gateway\.test\/portal\/set-password\/[A-Za-z0-9_-]{43}$/);
      // The copy button appears only when the page's script ran (under the CSP nonce).
      assert.ok(await ownerPage.getByRole('button', { name: 'Copy link' }).isVisible());
      await assertAccessible(ownerPage, TEXTS);
      await ownerPage.screenshot({ path: join(ARTIFACTS, 'portal-users-invited.png') });

      // The developer follows the link (PUBLIC_URL is the test's placeholder host: the same path here).
      const devPage = await newPage();
      await devPage.goto(`${origin}${new URL(link).pathname}`);
      await devPage.getByLabel('New password').fill('a developer’s long password');
      await devPage.getByLabel('Confirm password').fill('a developer’s long password');
      await Promise.all([devPage.waitForURL((url) => url.pathname === '/portal/login'), devPage.getByRole('button', { name: 'Save password' }).click()]);
      await signInBrowser(devPage, origin, 'wiremu@kiwi-pantry.test', 'a developer’s long password');
      assert.equal(await devPage.locator('[data-test="email"]').innerText(), 'wiremu@kiwi-pantry.test');
      // A developer's nav has no Users or Audit log, and the pages refuse them.
      assert.equal(await devPage.getByRole('navigation').getByRole('link', { name: 'Users', exact: true }).count(), 0);
      assert.equal(await devPage.getByRole('navigation').getByRole('link', { name: 'Audit log' }).count(), 0);
      const refused = await devPage.goto(`${origin}/portal/users`);
      assert.equal(refused?.status(), 403);

      // The owner's list shows the developer, signed in; then the audit log, with the invitation.
      await ownerPage.getByRole('link', { name: 'Back to users' }).click();
      const row = ownerPage.locator('tr[data-email="wiremu@kiwi-pantry.test"]');
      assert.equal(await row.getAttribute('data-role'), 'developer');
      assert.match(await row.innerText(), /active/);
      assert.doesNotMatch(await row.innerText(), /never/);
      await ownerPage.screenshot({ path: join(ARTIFACTS, 'portal-users.png'), fullPage: true });

      await Promise.all([ownerPage.waitForURL(`${origin}/portal/audit`), ownerPage.getByRole('link', { name: 'Audit log' }).click()]);
      const invitation = ownerPage.locator('tr[data-action="portal_user.create"]', { hasText: 'wiremu@kiwi-pantry.test' });
      assert.equal(await invitation.count(), 1);
      assert.match(await invitation.innerText(), /User invited/);
      assert.match(await invitation.innerText(), /portal:aroha@kiwi-pantry\.test/);
      assert.equal(await ownerPage.locator('tr[data-action="portal_user.set_password"]', { hasText: 'portal:wiremu@kiwi-pantry.test' }).count(), 1);
      // The filter narrows it to one action, by keyboard: the select, then Apply.
      await ownerPage.getByLabel('Action').selectOption('portal.sign_in');
      await Promise.all([ownerPage.waitForURL(/action=portal\.sign_in/), ownerPage.getByRole('button', { name: 'Apply' }).press('Enter')]);
      const actions = await ownerPage.locator('tr[data-test="audit-event"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
      assert.ok(actions.length >= 2 && actions.every((a) => a === 'portal.sign_in'));
      await ownerPage.getByRole('link', { name: 'Clear' }).click();
      await assertAccessible(ownerPage, TEXTS);
      assert.ok(!(await ownerPage.content()).includes(new URL(link).pathname), 'the link is not in the audit log');
      await ownerPage.screenshot({ path: join(ARTIFACTS, 'portal-audit.png'), fullPage: true });
    });

    test('an operator creates an organisation and sees its API key once', async () => {
      const operator = await addPortalUser(gw, { role: 'operator', email: 'ops@gateway.test' });
      const page = await newPage();
      await signInBrowser(page, origin, operator.email, operator.password);
      assert.equal(new URL(page.url()).pathname, '/portal/operator');
      await page.getByLabel('Name', { exact: true }).fill('Harbour Café');
      await page.getByLabel('Wallet currency').selectOption('AUD');
      await page.getByLabel('Owner’s email (optional)').fill('owner@harbour.test');
      await Promise.all([page.waitForURL(`${origin}/portal/operator/organisations`), page.getByRole('button', { name: 'Create', exact: true }).click()]);
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Organisation created');
      assert.match(await page.getByLabel('api_key').inputValue(), /^[0-9a-f]{32}$/);
      assert.match(await page.getByLabel('Set-password link for owner@harbour.test').inputValue(), /\/portal\/set-password\//);
      await assertAccessible(page, TEXTS);

      await page.getByRole('link', { name: 'Back to organisations' }).click();
      const row = page.locator('tr[data-test="organisation"]', { hasText: 'Harbour Café' });
      assert.equal(await row.getAttribute('data-active'), 'yes');
      await assertAccessible(page, TEXTS);
      await page.screenshot({ path: join(ARTIFACTS, 'portal-operator.png'), fullPage: true });
      assert.deepEqual(problems, []);
      assert.deepEqual(elsewhere, []);
    });
  });
}
