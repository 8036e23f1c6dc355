import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PortalPrincipal } from '../../../src/gateway/portal/portal-principal.js';
import { SESSION_ABSOLUTE_MS, SESSION_IDLE_MS } from '../../../src/gateway/portal/portal-sessions.js';
import { requirePortal } from '../../../src/http/routes/portal/portal-session.js';
import { countPortalSessionsOfUser } from '../../../src/store/portal-sessions.js';
import { createTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { addPortalUser, cookiesOf, csrfOf, portalInject, signIn, type PortalSession } from '../../helpers/portal.js';

describe('portal sessions, CSRF and roles', () => {
  let gw: TestGateway;
  let ahead = 0;
  before(async () => {
    gw = await createTestGateway({ clock: () => Date.now() + ahead });
    // Routes an area would have, to check the guard against (added before the app is ready).
    gw.app.post('/portal/test/users', { preHandler: requirePortal('manage_users') }, async (request) => ({ by: (request.portal as PortalPrincipal).email }));
    gw.app.get('/portal/test/refunds', { preHandler: requirePortal('refund') }, async (request) => ({ org: (request.portal as PortalPrincipal).organisationId }));
  });
  after(() => gw.close());

  const post = (session: PortalSession, url: string, headers: Record<string, string>, form: Record<string, string>) =>
    gw.app.inject({ method: 'POST', url, headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: new URLSearchParams(form).toString() });

  test('a POST is refused (403) without the CSRF token, with a wrong one, or from a foreign Origin; accepted with it', async () => {
    const user = await addPortalUser(gw, { role: 'admin' });
    const session = await signIn(gw.app, user.email, user.password);
    assert.equal((await post(session, '/portal/test/users', {}, {})).statusCode, 403);
    assert.equal((await post(session, '/portal/test/users', {}, { _csrf: 'x'.repeat(session.csrf.length) })).statusCode, 403);
    assert.equal((await post(session, '/portal/test/users', { origin: 'https://evil.example' }, { _csrf: session.csrf })).statusCode, 403);
    assert.equal((await post(session, '/portal/test/users', { 'sec-fetch-site': 'cross-site' }, { _csrf: session.csrf })).statusCode, 403);
    const ok = await post(session, '/portal/test/users', { origin: 'http://gateway.test' }, { _csrf: session.csrf });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.json().by, user.email);
    // The header works as well as the field.
    assert.equal((await post(session, '/portal/test/users', { 'x-csrf-token': session.csrf }, {})).statusCode, 200);
    // Without a session a POST goes to the login page.
    const anonymous = await gw.app.inject({ method: 'POST', url: '/portal/test/users', payload: {} });
    assert.equal(anonymous.statusCode, 303);
    assert.equal(anonymous.headers.location, '/portal/login');
  });

  test('each role gets what the matrix allows it: 403 otherwise', async () => {
    for (const [role, users, refunds] of [
      ['owner', 200, 200],
      ['admin', 200, 200],
      ['developer', 403, 403],
      ['support', 403, 200],
      ['viewer', 403, 403],
    ] as const) {
      const user = await addPortalUser(gw, { role });
      const session = await signIn(gw.app, user.email, user.password);
      assert.equal((await portalInject(gw.app, session, { url: '/portal/test/users', form: {} })).statusCode, users, `${role} manage_users`);
      const refund = await portalInject(gw.app, session, { url: '/portal/test/refunds' });
      assert.equal(refund.statusCode, refunds, `${role} refund`);
      if (refunds === 200) assert.equal(refund.json().org, gw.merchant.organisation_id);
    }
  });

  test('an operator cannot open merchant areas; a merchant user cannot open /portal/operator', async () => {
    const operator = await addPortalUser(gw, { role: 'operator' });
    const operatorSession = await signIn(gw.app, operator.email, operator.password);
    assert.equal((await portalInject(gw.app, operatorSession, { url: '/portal' })).statusCode, 403);
    assert.equal((await portalInject(gw.app, operatorSession, { url: '/portal/test/refunds' })).statusCode, 403);
    const list = await portalInject(gw.app, operatorSession, { url: '/portal/operator' });
    assert.equal(list.statusCode, 200);
    assert.match(list.body, /Organisations/);

    const owner = await addPortalUser(gw, { role: 'owner' });
    const ownerSession = await signIn(gw.app, owner.email, owner.password);
    assert.equal((await portalInject(gw.app, ownerSession, { url: '/portal/operator' })).statusCode, 403);
    assert.equal((await portalInject(gw.app, ownerSession, { url: '/portal' })).statusCode, 200);
  });

  test('the nav shows Users and Audit log to owners and admins only', async () => {
    const admin = await addPortalUser(gw, { role: 'admin' });
    const viewer = await addPortalUser(gw, { role: 'viewer' });
    const adminPage = (await portalInject(gw.app, await signIn(gw.app, admin.email, admin.password), { url: '/portal' })).body;
    const viewerPage = (await portalInject(gw.app, await signIn(gw.app, viewer.email, viewer.password), { url: '/portal' })).body;
    for (const name of ['Dashboard', 'Transactions', 'Payment links', 'Developers', 'Balance']) {
      assert.ok(adminPage.includes(`>${name}</a>`) && viewerPage.includes(`>${name}</a>`), name);
    }
    assert.ok(adminPage.includes('>Users</a>') && adminPage.includes('>Audit log</a>'));
    assert.ok(!viewerPage.includes('>Users</a>') && !viewerPage.includes('>Audit log</a>'));
    assert.match(adminPage, /<button class="button" type="submit">Sign out<\/button>/);
  });

  test('sign out ends this session; sign out everywhere ends every session of the user', async () => {
    const user = await addPortalUser(gw, { role: 'viewer' });
    const a = await signIn(gw.app, user.email, user.password);
    const b = await signIn(gw.app, user.email, user.password);
    const c = await signIn(gw.app, user.email, user.password);
    const out = await portalInject(gw.app, a, { url: '/portal/logout', form: {} });
    assert.equal(out.statusCode, 303);
    assert.equal(cookiesOf(out).portal_session, '');
    assert.equal((await portalInject(gw.app, a, { url: '/portal' })).statusCode, 303);
    assert.equal((await portalInject(gw.app, b, { url: '/portal' })).statusCode, 200);

    const everywhere = await portalInject(gw.app, b, { url: '/portal/account/sign-out-everywhere', form: {} });
    assert.equal(everywhere.statusCode, 303);
    assert.equal(everywhere.headers.location, '/portal/login?done=signed_out_everywhere');
    assert.equal((await portalInject(gw.app, b, { url: '/portal' })).statusCode, 303);
    assert.equal((await portalInject(gw.app, c, { url: '/portal' })).statusCode, 303);
    assert.equal(await countPortalSessionsOfUser(gw.store.db, user.userId), 0);
  });

  test('a session ends after its idle time, and after its absolute lifetime however busy', async () => {
    const user = await addPortalUser(gw, { role: 'viewer' });
    try {
      const idle = await signIn(gw.app, user.email, user.password);
      ahead = SESSION_IDLE_MS - 60_000;
      assert.equal((await portalInject(gw.app, idle, { url: '/portal' })).statusCode, 200, 'still alive just before the idle limit');
      ahead += SESSION_IDLE_MS - 60_000;
      assert.equal((await portalInject(gw.app, idle, { url: '/portal' })).statusCode, 200, 'each request moves the idle limit on');
      ahead += SESSION_IDLE_MS;
      assert.equal((await portalInject(gw.app, idle, { url: '/portal' })).statusCode, 303, 'idle too long');

      ahead = 0;
      const busy = await signIn(gw.app, user.email, user.password);
      for (let t = 0; t < SESSION_ABSOLUTE_MS; t += SESSION_IDLE_MS / 2) {
        ahead = t;
        assert.equal((await portalInject(gw.app, busy, { url: '/portal' })).statusCode, 200);
      }
      ahead = SESSION_ABSOLUTE_MS;
      assert.equal((await portalInject(gw.app, busy, { url: '/portal' })).statusCode, 303, 'past the absolute lifetime');
    } finally {
      ahead = 0;
    }
  });

  test('GET pages answer no-store and the portal CSP; the stylesheet is served from the gateway and cacheable', async () => {
    const user = await addPortalUser(gw, { role: 'viewer' });
    const session = await signIn(gw.app, user.email, user.password);
    const page = await portalInject(gw.app, session, { url: '/portal' });
    assert.equal(page.headers['cache-control'], 'no-store');
    const policy = String(page.headers['content-security-policy']);
    assert.match(policy, /style-src 'self'/);
    assert.match(policy, /script-src 'nonce-[0-9a-f]+'/);
    assert.match(policy, /frame-ancestors 'none'/);
    const href = /<link rel="stylesheet" href="([^"]+)">/.exec(page.body)?.[1];
    assert.ok(href?.startsWith('/portal/assets/portal.css?v='));
    const css = await gw.app.inject({ method: 'GET', url: href });
    assert.equal(css.statusCode, 200);
    assert.match(String(css.headers['content-type']), /^text\/css/);
    assert.match(String(css.headers['cache-control']), /max-age=31536000/);
    assert.equal((await gw.app.inject({ method: 'GET', url: href, headers: { 'if-none-match': String(css.headers.etag) } })).statusCode, 304);
    assert.ok(csrfOf(page.body).length > 20);
  });
});

describe('portal cookies behind https', () => {
  test('with an https PUBLIC_URL the session cookie is Secure', async (t) => {
    const gw = await createTestGateway({ env: { PUBLIC_URL: 'https://pay.example' } });
    t.after(() => gw.close());
    const user = await addPortalUser(gw, { role: 'viewer' });
    const form = await gw.app.inject({ method: 'GET', url: '/portal/login' });
    assert.match(([] as string[]).concat(form.headers['set-cookie'] as string).join('\n'), /portal_pre=[^;]+; Path=\/portal; HttpOnly; Secure; SameSite=Lax/);
    const answer = await gw.app.inject({
      method: 'POST',
      url: '/portal/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `portal_pre=${cookiesOf(form).portal_pre}`, origin: 'https://pay.example' },
      payload: new URLSearchParams({ email: user.email, password: user.password, _csrf: csrfOf(form.body) }).toString(),
    });
    assert.equal(answer.statusCode, 303);
    const line = ([] as string[]).concat(answer.headers['set-cookie'] as string).find((l) => l.startsWith('portal_session='));
    assert.match(String(line), /; Path=\/portal; HttpOnly; Secure; SameSite=Lax$/);
  });
});
