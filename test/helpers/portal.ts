import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Page } from 'playwright-core';
import type { PortalRole } from '../../src/domain/portal-roles.js';
import { contrast } from '../../src/pages/theme.js';
import { createPortalUser } from '../../src/gateway/portal/create-portal-user.js';
import { setPasswordWithLink } from '../../src/gateway/portal/set-password-link.js';
import type { TestGateway } from './gateway.js';

/** A signed-in portal session, for inject: the cookie header's value and the session's CSRF token. */
export interface PortalSession {
  cookie: string;
  csrf: string;
}

/**
 * Adds a portal user with a password, as an operator's `portal-user create` and the user's
 * set-password link would: a member of the test merchant's organisation unless told otherwise.
 */
export async function addPortalUser(
  gw: TestGateway,
  o: { organisationId?: number; role: PortalRole | 'operator'; email?: string; password?: string },
): Promise<{ userId: string; email: string; password: string }> {
  const ctx = gw.app.gateway;
  const email = o.email ?? `${o.role}-${randomBytes(4).toString('hex')}@example.test`;
  const password = o.password ?? `pw-${randomBytes(8).toString('hex')}`;
  const organisationId = o.role === 'operator' ? null : (o.organisationId ?? gw.merchant.organisation_id);
  const created = await createPortalUser(ctx, { organisationId, email, role: o.role }, { actor: 'test', source: 'test' });
  const token = created.setPasswordUrl.slice(created.setPasswordUrl.lastIndexOf('/') + 1);
  const result = await setPasswordWithLink(ctx, token, password, 'test');
  if (!result.ok) throw new Error(`could not set the password: ${result.problem}`);
  return { userId: created.userId, email: created.email, password };
}

/** The cookies a response sets, as `name=value` pairs for a Cookie header. */
export function cookiesOf(response: LightMyRequestResponse): Record<string, string> {
  const header = response.headers['set-cookie'];
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const out: Record<string, string> = {};
  for (const line of lines) {
    const pair = line.split(';')[0];
    const eq = pair.indexOf('=');
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** The value of the form field `_csrf` on a page. */
export function csrfOf(body: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(body);
  if (!match) throw new Error('no _csrf field on the page');
  return match[1];
}

/** Signs in through POST /portal/login (inject), as a browser does: the login form first, for its pre-session token. */
export async function signIn(app: FastifyInstance, email: string, password: string): Promise<PortalSession> {
  const form = await app.inject({ method: 'GET', url: '/portal/login' });
  const pre = cookiesOf(form).portal_pre;
  const answer = await app.inject({
    method: 'POST',
    url: '/portal/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `portal_pre=${pre}` },
    payload: new URLSearchParams({ email, password, _csrf: csrfOf(form.body) }).toString(),
  });
  const session = cookiesOf(answer).portal_session;
  if (answer.statusCode !== 303 || !session) throw new Error(`sign-in failed: ${answer.statusCode}`);
  const cookie = `portal_session=${session}`;
  const account = await app.inject({ method: 'GET', url: '/portal/account', headers: { cookie } });
  return { cookie, csrf: csrfOf(account.body) };
}

/** A request as the signed-in user: the session cookie, and for POST the form with its `_csrf` field. */
export function portalInject(
  app: FastifyInstance,
  session: PortalSession,
  o: { method?: 'GET' | 'POST'; url: string; form?: Record<string, string> },
): Promise<LightMyRequestResponse> {
  const method = o.method ?? (o.form ? 'POST' : 'GET');
  if (method === 'GET') return app.inject({ method, url: o.url, headers: { cookie: session.cookie } });
  return app.inject({
    method,
    url: o.url,
    headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ ...o.form, _csrf: session.csrf }).toString(),
  });
}

/** Signs in on the login page in a real browser, and waits until the portal has opened. */
export async function signInBrowser(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/portal/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/portal/login'), { timeout: 15_000 }), page.getByRole('button', { name: 'Sign in' }).click()]);
}

/**
 * Every visible control of `page` has an accessible name, and each visible element that
 * `textSelector` names contrasts at least 4.5:1 (WCAG AA) with what is behind it.
 */
export async function assertAccessible(page: Page, textSelector: string): Promise<void> {
  const unnamed = await page.evaluate(() =>
    [...document.querySelectorAll('a, button, input:not([type=hidden]), select, textarea')]
      .filter((el) => (el as HTMLElement).offsetParent !== null)
      .filter((el) => !((el as HTMLInputElement).labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || (el.textContent ?? '').trim()))
      .map((el) => el.outerHTML.slice(0, 80)),
  );
  assert.deepEqual(unnamed, []);
  // A string, not a function: the test's TypeScript compiler would wrap inner functions in a helper the page lacks.
  const pairs = (await page.evaluate(`(() => {
    const background = (el) => {
      for (; el; el = el.parentElement) {
        const color = getComputedStyle(el).backgroundColor;
        if (color !== 'rgba(0, 0, 0, 0)' && color !== 'transparent') return color;
      }
      return 'rgb(255, 255, 255)';
    };
    return [...document.querySelectorAll(${JSON.stringify(textSelector)})]
      .filter((el) => el.offsetParent !== null && (el.textContent ?? '').trim() !== '')
      .map((el) => ({ what: el.outerHTML.slice(0, 60), fg: getComputedStyle(el).color, bg: background(el) }));
  })()`)) as Array<{ what: string; fg: string; bg: string }>;
  const hex = (rgb: string) => '#' + (rgb.match(/\d+/g) ?? []).slice(0, 3).map((n) => Number(n).toString(16).padStart(2, '0')).join('');
  for (const { what, fg, bg } of pairs) assert.ok(contrast(hex(fg), hex(bg)) >= 4.5, `${what}: ${fg} on ${bg}`);
}
