import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { setOrganisationActive, updatePortalUser } from '../../../src/store/portal-users.js';
import { listAuditEvents } from '../../../src/store/audit-events.js';
import { createTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { addPortalUser, cookiesOf, csrfOf, portalInject, signIn } from '../../helpers/portal.js';

/** Posts the login form as a browser would (with the form's pre-session token and cookie). */
async function postLogin(gw: TestGateway, fields: Record<string, string>, headers: Record<string, string> = {}, remoteAddress = '127.0.0.1') {
  const form = await gw.app.inject({ method: 'GET', url: '/portal/login' });
  return gw.app.inject({
    method: 'POST',
    url: '/portal/login',
    remoteAddress,
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `portal_pre=${cookiesOf(form).portal_pre}`, ...headers },
    payload: new URLSearchParams({ _csrf: csrfOf(form.body), ...fields }).toString(),
  });
}

describe('portal sign-in', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(() => gw.close());

  test('the login page has labelled fields and a Sign in button; a visitor without a session is sent there', async () => {
    const page = await gw.app.inject({ method: 'GET', url: '/portal/login' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<label for="email">Email<\/label><input id="email"/);
    assert.match(page.body, /<label for="password">Password<\/label><input id="password"/);
    assert.match(page.body, /<button class="button primary" type="submit">Sign in<\/button>/);
    assert.match(String(page.headers['content-security-policy']), /style-src 'self'/);
    const away = await gw.app.inject({ method: 'GET', url: '/portal/account?x=1' });
    assert.equal(away.statusCode, 303);
    assert.equal(away.headers.location, '/portal/login?next=%2Fportal%2Faccount%3Fx%3D1');
  });

  test('the right password signs in: a session cookie (HttpOnly, SameSite=Lax, Path=/portal, not Secure on http) and the dashboard', async () => {
    const user = await addPortalUser(gw, { role: 'viewer' });
    const answer = await postLogin(gw, { email: user.email.toUpperCase(), password: user.password });
    assert.equal(answer.statusCode, 303);
    assert.equal(answer.headers.location, '/portal');
    const line = ([] as string[]).concat(answer.headers['set-cookie'] as string | string[]).find((l) => l.startsWith('portal_session='));
    assert.ok(line);
    assert.match(line, /; Path=\/portal/);
    assert.match(line, /; HttpOnly/);
    assert.match(line, /; SameSite=Lax/);
    assert.doesNotMatch(line, /Secure/);
    const dashboard = await gw.app.inject({ method: 'GET', url: '/portal', headers: { cookie: line.split(';')[0] } });
    assert.equal(dashboard.statusCode, 200);
    assert.ok(dashboard.body.includes(user.email));
    // The token is stored only as its hash.
    const token = line.split(';')[0].slice('portal_session='.length);
    const rows = await gw.store.db.selectFrom('portal_sessions').select('id').execute();
    assert.ok(rows.length > 0 && rows.every((r) => r.id !== token));
  });

  test('a wrong password is refused with the form again (401), logged and audited, never the password', async () => {
    const user = await addPortalUser(gw, { role: 'admin' });
    const answer = await postLogin(gw, { email: user.email, password: 'not-the-password' });
    assert.equal(answer.statusCode, 401);
    assert.match(answer.body, /Wrong email or password/);
    assert.equal(cookiesOf(answer).portal_session, undefined);
    const events = await listAuditEvents(gw.store.db, { since: 0, limit: 1000, target: `portal_user:${user.userId}` });
    const failed = events.filter((e) => e.action === 'portal.sign_in_failed');
    assert.equal(failed.length, 1);
    assert.equal(Number(failed[0].organisation_id), gw.merchant.organisation_id);
    assert.ok(!failed[0].details.includes('not-the-password'));
  });

  test('an unknown email gets the same answer as a wrong password', async () => {
    const answer = await postLogin(gw, { email: 'nobody@example.test', password: 'whatever-it-is' });
    assert.equal(answer.statusCode, 401);
    assert.match(answer.body, /Wrong email or password/);
  });

  test('a disabled user, or a user of a disabled organisation, cannot sign in, and their sessions stop working', async () => {
    const user = await addPortalUser(gw, { role: 'owner' });
    const session = await signIn(gw.app, user.email, user.password);
    await updatePortalUser(gw.store.db, user.userId, { active: 0, updated_at: Date.now() });
    assert.equal((await portalInject(gw.app, session, { url: '/portal' })).statusCode, 303);
    const refused = await postLogin(gw, { email: user.email, password: user.password });
    assert.equal(refused.statusCode, 403);
    assert.match(refused.body, /disabled/);

    const other = await gw.addMerchant({ name: 'Closed Shop' });
    const member = await addPortalUser(gw, { role: 'owner', organisationId: other.organisation_id });
    const memberSession = await signIn(gw.app, member.email, member.password);
    await setOrganisationActive(gw.store.db, other.organisation_id, false);
    assert.equal((await portalInject(gw.app, memberSession, { url: '/portal' })).statusCode, 303);
    assert.equal((await postLogin(gw, { email: member.email, password: member.password })).statusCode, 403);
  });

  test('the login form is refused without its pre-session token, or from another origin', async () => {
    const user = await addPortalUser(gw, { role: 'viewer' });
    const bare = await gw.app.inject({
      method: 'POST',
      url: '/portal/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ email: user.email, password: user.password }).toString(),
    });
    assert.equal(bare.statusCode, 403);
    const foreign = await postLogin(gw, { email: user.email, password: user.password }, { origin: 'https://evil.example' });
    assert.equal(foreign.statusCode, 403);
    assert.equal(cookiesOf(foreign).portal_session, undefined);
  });

  test('next= takes the user back to a portal page, never to another site', async () => {
    const user = await addPortalUser(gw, { role: 'viewer' });
    assert.equal((await postLogin(gw, { email: user.email, password: user.password, next: '/portal/account' })).headers.location, '/portal/account');
    assert.equal((await postLogin(gw, { email: user.email, password: user.password, next: '//evil.example/portal' })).headers.location, '/portal');
    assert.equal((await postLogin(gw, { email: user.email, password: user.password, next: 'https://evil.example/' })).headers.location, '/portal');
  });
});

test('a failed sign-in is logged at warn with the email and the client address, never the password', async (t) => {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const gw = await createTestGateway({ env: { LOG_LEVEL: 'warn' }, logDestination: destination });
  t.after(() => gw.close());
  const user = await addPortalUser(gw, { role: 'viewer' });
  assert.equal((await postLogin(gw, { email: user.email, password: 'secret-guess-123' }, {}, '198.51.100.7')).statusCode, 401);
  const lines = chunks.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  const refused = lines.filter((l) => l.msg === 'portal sign-in refused');
  assert.equal(refused.length, 1);
  assert.equal(refused[0].level, 40);
  assert.equal(refused[0].email, user.email);
  assert.equal(refused[0].address, '198.51.100.7');
  assert.ok(!chunks.join('').includes('secret-guess-123'), 'the password is nowhere in the log');
});

describe('portal sign-in limits', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(() => gw.close());

  test('after 5 wrong passwords for an email, sign-ins for it are refused with 429 and Retry-After, even with the right password', async () => {
    const user = await addPortalUser(gw, { role: 'viewer' });
    for (let i = 0; i < 4; i++) assert.equal((await postLogin(gw, { email: user.email, password: `wrong-${i}-password` })).statusCode, 401);
    const fifth = await postLogin(gw, { email: user.email, password: 'wrong-5-password' });
    assert.equal(fifth.statusCode, 429);
    const retryAfter = Number(fifth.headers['retry-after']);
    assert.ok(retryAfter > 0 && retryAfter <= 900, String(fifth.headers['retry-after']));
    assert.match(fifth.body, /Too many failed sign-ins\. Try again in \d+ min\./);
    const right = await postLogin(gw, { email: user.email, password: user.password });
    assert.equal(right.statusCode, 429);
    assert.equal(cookiesOf(right).portal_session, undefined);
    // Another user from the same address is not locked out by these five.
    const other = await addPortalUser(gw, { role: 'viewer' });
    assert.equal((await postLogin(gw, { email: other.email, password: other.password })).statusCode, 303);
  });

  test('past 20 failures from one address, every email is refused from it', async () => {
    for (let i = 0; i < 20; i++) await postLogin(gw, { email: `guess-${i}@example.test`, password: 'guess-guess' });
    const other = await addPortalUser(gw, { role: 'viewer' });
    assert.equal((await postLogin(gw, { email: other.email, password: other.password })).statusCode, 429);
    // From another address it still works.
    assert.equal((await postLogin(gw, { email: other.email, password: other.password }, {}, '203.0.113.9')).statusCode, 303);
  });
});
