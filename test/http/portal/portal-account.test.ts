import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createPortalUser } from '../../../src/gateway/portal/create-portal-user.js';
import { issueSetPasswordLink, SET_PASSWORD_LINK_MS } from '../../../src/gateway/portal/set-password-link.js';
import { totpCodeAt } from '../../../src/gateway/portal/totp.js';
import { listAuditEvents } from '../../../src/store/audit-events.js';
import { findPortalUser } from '../../../src/store/portal-users.js';
import { createTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { addPortalUser, cookiesOf, csrfOf, portalInject, signIn } from '../../helpers/portal.js';

describe('portal accounts: set-password links, passwords, two-factor', () => {
  let gw: TestGateway;
  let ahead = 0;
  const now = () => Date.now() + ahead;
  before(async () => {
    gw = await createTestGateway({ clock: now });
  });
  after(() => gw.close());

  const newUser = (email: string) =>
    createPortalUser(gw.app.gateway, { organisationId: gw.merchant.organisation_id, email, role: 'developer' }, { actor: 'test', source: 'test' });

  /** Opens a set-password link and posts the form on it, as a browser would. */
  async function setPassword(url: string, password: string, confirm = password) {
    const path = new URL(url).pathname;
    const form = await gw.app.inject({ method: 'GET', url: path });
    if (form.statusCode !== 200) return form;
    return gw.app.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `portal_pre=${cookiesOf(form).portal_pre}` },
      payload: new URLSearchParams({ _csrf: csrfOf(form.body), password, confirm }).toString(),
    });
  }

  /** Posts the login form; answers the response and the pre-session cookie it used. */
  async function postLogin(email: string, password: string) {
    const form = await gw.app.inject({ method: 'GET', url: '/portal/login' });
    const pre = cookiesOf(form).portal_pre;
    const answer = await gw.app.inject({
      method: 'POST',
      url: '/portal/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `portal_pre=${pre}` },
      payload: new URLSearchParams({ _csrf: csrfOf(form.body), email, password }).toString(),
    });
    return { answer, pre };
  }

  test('a set-password link is under PUBLIC_URL, stored hashed, and works once', async () => {
    const created = await newUser('Once@Example.test');
    assert.equal(created.email, 'once@example.test');
    assert.match(created.setPasswordUrl, /^http:\/\/gateway\.test\/portal\/set-password\/[A-Za-z0-9_-]{43}$/);
    const token = created.setPasswordUrl.split('/').pop() as string;
    const links = await gw.store.db.selectFrom('portal_links').select('id').where('user_id', '=', created.userId).execute();
    assert.equal(links.length, 1);
    assert.notEqual(links[0].id, token);

    const page = await gw.app.inject({ method: 'GET', url: new URL(created.setPasswordUrl).pathname });
    assert.match(page.body, /<label for="password">New password<\/label>/);
    assert.match(page.body, /<label for="confirm">Confirm password<\/label>/);
    // The token in the URL never goes to another site as a referrer.
    assert.equal(page.headers['referrer-policy'], 'same-origin');

    assert.equal((await setPassword(created.setPasswordUrl, 'short')).statusCode, 400, 'under 10 characters');
    assert.equal((await setPassword(created.setPasswordUrl, 'long enough 1', 'long enough 2')).statusCode, 400, 'the two differ');
    const done = await setPassword(created.setPasswordUrl, 'long enough password');
    assert.equal(done.statusCode, 303);
    assert.equal(done.headers.location, '/portal/login?done=password_set');
    assert.equal((await postLogin('once@example.test', 'long enough password')).answer.statusCode, 303);

    const again = await gw.app.inject({ method: 'GET', url: new URL(created.setPasswordUrl).pathname });
    assert.equal(again.statusCode, 410);
    assert.match(again.body, /expired or was used already/);
    assert.equal((await setPassword(created.setPasswordUrl, 'another password here')).statusCode, 410);
  });

  test('a set-password link expires after 72 hours; a new one replaces the old', async () => {
    const created = await newUser('late@example.test');
    try {
      ahead = SET_PASSWORD_LINK_MS + 1000;
      assert.equal((await setPassword(created.setPasswordUrl, 'long enough password')).statusCode, 410);
    } finally {
      ahead = 0;
    }
    const first = await issueSetPasswordLink(gw.app.gateway, created.userId, { actor: 'test', source: 'test' });
    const second = await issueSetPasswordLink(gw.app.gateway, created.userId, { actor: 'test', source: 'test' });
    assert.equal((await setPassword(first, 'long enough password')).statusCode, 410, 'replaced by the newer link');
    assert.equal((await setPassword(second, 'long enough password')).statusCode, 303);
  });

  test('a password reset through a link ends the sessions opened with the old password', async () => {
    const user = await addPortalUser(gw, { role: 'viewer' });
    const session = await signIn(gw.app, user.email, user.password);
    const url = await issueSetPasswordLink(gw.app.gateway, user.userId, { actor: 'test', source: 'test' });
    assert.equal((await setPassword(url, 'a brand new password')).statusCode, 303);
    assert.equal((await portalInject(gw.app, session, { url: '/portal' })).statusCode, 303);
    assert.equal((await postLogin(user.email, user.password)).answer.statusCode, 401);
    assert.equal((await postLogin(user.email, 'a brand new password')).answer.statusCode, 303);
  });

  test('changing the password asks for the current one and signs the other sessions out', async () => {
    const user = await addPortalUser(gw, { role: 'support' });
    const here = await signIn(gw.app, user.email, user.password);
    const elsewhere = await signIn(gw.app, user.email, user.password);
    const wrong = await portalInject(gw.app, here, { url: '/portal/account/password', form: { current_password: 'not it at all', new_password: 'new password 123', confirm_password: 'new password 123' } });
    assert.equal(wrong.statusCode, 401);
    assert.match(wrong.body, /The current password is not right/);
    const changed = await portalInject(gw.app, here, { url: '/portal/account/password', form: { current_password: user.password, new_password: 'new password 123', confirm_password: 'new password 123' } });
    assert.equal(changed.statusCode, 303);
    assert.equal((await portalInject(gw.app, here, { url: '/portal' })).statusCode, 200);
    assert.equal((await portalInject(gw.app, elsewhere, { url: '/portal' })).statusCode, 303);
    assert.equal((await postLogin(user.email, 'new password 123')).answer.statusCode, 303);
  });

  test('with two-factor on, signing in asks for the code after the password; a code works once', async () => {
    const user = await addPortalUser(gw, { role: 'owner' });
    const session = await signIn(gw.app, user.email, user.password);
    const account = await portalInject(gw.app, session, { url: '/portal/account' });
    assert.match(account.body, /<svg[^>]*viewBox/);
    const secret = /data-test="totp-secret">([A-Z2-7]+)</.exec(account.body)?.[1] as string;
    const pending = /name="pending" value="([^"]+)"/.exec(account.body)?.[1] as string;
    assert.ok(secret && pending);

    const wrongCode = await portalInject(gw.app, session, { url: '/portal/account/two-factor/enable', form: { pending, code: '000000' === totpCodeAt(secret, now()) ? '111111' : '000000' } });
    assert.equal(wrongCode.statusCode, 400);
    const enabled = await portalInject(gw.app, session, { url: '/portal/account/two-factor/enable', form: { pending, code: totpCodeAt(secret, now()) } });
    assert.equal(enabled.statusCode, 303);
    const stored = await findPortalUser(gw.store.db, user.userId);
    assert.ok(stored?.totp_secret_sealed && !stored.totp_secret_sealed.includes(secret), 'the secret is sealed');

    // The password alone no longer signs in: the code page comes, and no session.
    ahead = 60_000; // a later time step than the code used to turn it on
    try {
      const { answer, pre } = await postLogin(user.email, user.password);
      assert.equal(answer.statusCode, 200);
      assert.match(answer.body, /<label for="code">Authentication code<\/label>/);
      assert.equal(cookiesOf(answer).portal_session, undefined);
      const proof = cookiesOf(answer).portal_2fa;
      assert.ok(proof);
      const postCode = (code: string) =>
        gw.app.inject({
          method: 'POST',
          url: '/portal/login/code',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `portal_pre=${pre}; portal_2fa=${proof}` },
          payload: new URLSearchParams({ _csrf: csrfOf(answer.body), code }).toString(),
        });
      const code = totpCodeAt(secret, now());
      const bad = await postCode(code === '123456' ? '654321' : '123456');
      assert.equal(bad.statusCode, 401);
      const good = await postCode(code);
      assert.equal(good.statusCode, 303);
      assert.ok(cookiesOf(good).portal_session);
      assert.equal((await postCode(code)).statusCode, 401, 'the same code a second time');
      // Without the proof of the password, a code alone signs no one in.
      const noProof = await gw.app.inject({
        method: 'POST',
        url: '/portal/login/code',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `portal_pre=${pre}` },
        payload: new URLSearchParams({ _csrf: csrfOf(answer.body), code: totpCodeAt(secret, now() + 30_000) }).toString(),
      });
      assert.equal(noProof.statusCode, 403);

      // Turning it off takes a (new) code.
      ahead = 120_000;
      const off = await portalInject(gw.app, session, { url: '/portal/account/two-factor/disable', form: { code: totpCodeAt(secret, now()) } });
      assert.equal(off.statusCode, 303);
      assert.equal((await postLogin(user.email, user.password)).answer.statusCode, 303);
    } finally {
      ahead = 0;
    }
    const actions = (await listAuditEvents(gw.store.db, { since: 0, limit: 1000, target: `portal_user:${user.userId}` })).map((e) => e.action);
    assert.ok(actions.includes('portal.totp_enable') && actions.includes('portal.totp_disable'));
  });

  test('the account page has labelled controls, in English and in Chinese', async () => {
    const user = await addPortalUser(gw, { role: 'viewer' });
    const session = await signIn(gw.app, user.email, user.password);
    const en = await portalInject(gw.app, session, { url: '/portal/account' });
    for (const label of ['Current password', 'New password', 'Confirm password', 'Authentication code']) assert.match(en.body, new RegExp(`<label for="[a-z-]+">${label}</label>`));
    assert.match(en.body, />Sign out everywhere</);
    const zh = await portalInject(gw.app, session, { url: '/portal/account?lang=zh' });
    assert.match(zh.body, /<html lang="zh-CN">/);
    assert.match(zh.body, />在所有设备上退出</);
    assert.match(([] as string[]).concat(zh.headers['set-cookie'] as string).join(), /portal_lang=zh/);
    // The choice is remembered by its cookie.
    const later = await gw.app.inject({ method: 'GET', url: '/portal/account', headers: { cookie: `${session.cookie}; portal_lang=zh` } });
    assert.match(later.body, /<html lang="zh-CN">/);
  });
});
