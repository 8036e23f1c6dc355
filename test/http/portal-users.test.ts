import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { listOrganisationAuditEvents } from '../../src/store/audit-events.js';
import { findPortalUser } from '../../src/store/portal-users.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { addPortalUser, cookiesOf, csrfOf, portalInject, signIn, type PortalSession } from '../helpers/portal.js';

/** The one-time link on an invitation's or a reset's answer. */
function linkOn(body: string): string {
  const url = /id="one-time-link" readonly value="(http[^"]*\/portal\/set-password\/[^"]+)"/.exec(body)?.[1];
  assert.ok(url, 'the answer shows a set-password link');
  return url;
}

/** Follows a set-password link as its recipient does (the form, then the password twice). */
async function setPasswordThrough(app: FastifyInstance, url: string, password: string): Promise<number> {
  const path = new URL(url).pathname;
  const form = await app.inject({ method: 'GET', url: path });
  assert.equal(form.statusCode, 200);
  const answer = await app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `portal_pre=${cookiesOf(form).portal_pre}` },
    payload: new URLSearchParams({ password, confirm: password, _csrf: csrfOf(form.body) }).toString(),
  });
  return answer.statusCode;
}

/** A member's row on the Users page: its role and whether it is active. */
function memberRow(body: string, email: string): { role: string; active: string } | undefined {
  const match = new RegExp(`data-email="${email.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" data-role="([a-z]+)" data-active="(yes|no)"`).exec(body);
  return match ? { role: match[1], active: match[2] } : undefined;
}

describe('the portal’s Users area', () => {
  let gw: TestGateway;
  let owner: { userId: string; email: string; password: string };
  let ownerSession: PortalSession;

  before(async () => {
    gw = await createTestGateway();
    owner = await addPortalUser(gw, { role: 'owner' });
    ownerSession = await signIn(gw.app, owner.email, owner.password);
  });
  after(async () => {
    await gw.close();
  });

  test('an invitation shows a one-time link once; its recipient sets a password and signs in with the role given', async () => {
    const invited = await portalInject(gw.app, ownerSession, { url: '/portal/users/invite', form: { email: 'New.Support@Example.test', role: 'support' } });
    assert.equal(invited.statusCode, 200);
    assert.match(String(invited.headers['cache-control']), /no-store/);
    const url = linkOn(invited.body);
    assert.ok(url.startsWith('http://gateway.test/portal/set-password/'));

    // The list shows the new member, invited (no password yet), never the link.
    const list = await portalInject(gw.app, ownerSession, { url: '/portal/users' });
    assert.deepEqual(memberRow(list.body, 'new.support@example.test'), { role: 'support', active: 'yes' });
    assert.ok(!list.body.includes(new URL(url).pathname));

    assert.equal(await setPasswordThrough(gw.app, url, 'a long enough password'), 303);
    const session = await signIn(gw.app, 'new.support@example.test', 'a long enough password');
    // A support member may read the portal but not manage users or see the audit log.
    assert.equal((await portalInject(gw.app, session, { url: '/portal/account' })).statusCode, 200);
    assert.equal((await portalInject(gw.app, session, { url: '/portal/users' })).statusCode, 403);
    // The link worked once.
    assert.equal((await gw.app.inject({ method: 'GET', url: new URL(url).pathname })).statusCode, 410);

    const events = await listOrganisationAuditEvents(gw.store.db, { organisationId: gw.merchant.organisation_id, limit: 50 });
    const invitation = events.find((e) => e.action === 'portal_user.create' && e.details.includes('new.support@example.test'));
    assert.ok(invitation, 'the invitation is audited under the organisation');
    assert.equal(invitation.actor, `portal:${owner.email}`);
    assert.ok(!JSON.stringify(events).includes(new URL(url).pathname.split('/').pop() as string), 'the link’s token is not in the audit log');
  });

  test('an invitation that cannot be made says why and makes nobody', async () => {
    const bad = await portalInject(gw.app, ownerSession, { url: '/portal/users/invite', form: { email: 'not-an-email', role: 'viewer' } });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /data-test="flash"/);
    const taken = await portalInject(gw.app, ownerSession, { url: '/portal/users/invite', form: { email: owner.email, role: 'viewer' } });
    assert.equal(taken.statusCode, 409);
    const badRole = await portalInject(gw.app, ownerSession, { url: '/portal/users/invite', form: { email: 'x@example.test', role: 'operator' } });
    assert.equal(badRole.statusCode, 400);
    assert.equal(memberRow((await portalInject(gw.app, ownerSession, { url: '/portal/users' })).body, 'x@example.test'), undefined);
  });

  test('the owner changes a member’s role; it applies to their next request and is audited', async () => {
    const dev = await addPortalUser(gw, { role: 'developer' });
    const devSession = await signIn(gw.app, dev.email, dev.password);
    assert.equal((await portalInject(gw.app, devSession, { url: '/portal/audit' })).statusCode, 403);

    const changed = await portalInject(gw.app, ownerSession, { url: `/portal/users/${dev.userId}/role`, form: { role: 'admin' } });
    assert.equal(changed.statusCode, 303);
    assert.equal(changed.headers.location, `/portal/users?done=role&user=${dev.userId}`);
    const list = await portalInject(gw.app, ownerSession, { url: changed.headers.location as string });
    assert.deepEqual(memberRow(list.body, dev.email), { role: 'admin', active: 'yes' });
    assert.match(list.body, /data-test="flash"/);
    // The same session, now an admin's.
    assert.equal((await portalInject(gw.app, devSession, { url: '/portal/audit' })).statusCode, 200);

    const events = await listOrganisationAuditEvents(gw.store.db, { organisationId: gw.merchant.organisation_id, limit: 10, action: 'portal_user.change_role' });
    assert.ok(events.some((e) => e.target === `portal_user:${dev.userId}` && JSON.parse(e.details).from === 'developer' && JSON.parse(e.details).to === 'admin'));
  });

  test('removing a member ends their sessions at once and they can no longer sign in', async () => {
    const viewer = await addPortalUser(gw, { role: 'viewer' });
    const first = await signIn(gw.app, viewer.email, viewer.password);
    const second = await signIn(gw.app, viewer.email, viewer.password);
    assert.equal((await portalInject(gw.app, first, { url: '/portal/account' })).statusCode, 200);

    const removed = await portalInject(gw.app, ownerSession, { url: `/portal/users/${viewer.userId}/remove`, form: {} });
    assert.equal(removed.statusCode, 303);
    assert.match(String(removed.headers.location), /done=removed.*sessions=2/);
    for (const session of [first, second]) {
      const refused = await portalInject(gw.app, session, { url: '/portal/account' });
      assert.equal(refused.statusCode, 303);
      assert.match(String(refused.headers.location), /^\/portal\/login/);
    }
    await assert.rejects(signIn(gw.app, viewer.email, viewer.password), /sign-in failed/);
    assert.equal(Number((await findPortalUser(gw.store.db, viewer.userId))?.active), 0);
    assert.deepEqual(memberRow((await portalInject(gw.app, ownerSession, { url: '/portal/users' })).body, viewer.email), { role: 'viewer', active: 'no' });
    // A removed member is left alone.
    const again = await portalInject(gw.app, ownerSession, { url: `/portal/users/${viewer.userId}/role`, form: { role: 'admin' } });
    assert.equal(again.statusCode, 409);
  });

  test('an admin cannot remove, demote, reset or make an owner (403); an owner can', async () => {
    const admin = await addPortalUser(gw, { role: 'admin' });
    const adminSession = await signIn(gw.app, admin.email, admin.password);
    const second = await addPortalUser(gw, { role: 'owner' });
    const dev = await addPortalUser(gw, { role: 'developer' });

    for (const [url, form] of [
      [`/portal/users/${owner.userId}/remove`, {}],
      [`/portal/users/${owner.userId}/role`, { role: 'viewer' }],
      [`/portal/users/${owner.userId}/reset-password`, {}],
      [`/portal/users/${dev.userId}/role`, { role: 'owner' }],
      ['/portal/users/invite', { email: 'would-be-owner@example.test', role: 'owner' }],
    ] as const) {
      const refused = await portalInject(gw.app, adminSession, { url, form });
      assert.equal(refused.statusCode, 403, url);
    }
    const list = await portalInject(gw.app, ownerSession, { url: '/portal/users' });
    assert.deepEqual(memberRow(list.body, owner.email), { role: 'owner', active: 'yes' });
    assert.deepEqual(memberRow(list.body, dev.email), { role: 'developer', active: 'yes' });
    assert.equal(memberRow(list.body, 'would-be-owner@example.test'), undefined);
    // An admin's page offers no owner role and no buttons on an owner's row.
    const adminPage = await portalInject(gw.app, adminSession, { url: '/portal/users' });
    assert.ok(!adminPage.body.includes('value="owner"'));
    assert.ok(!adminPage.body.includes(`/portal/users/${owner.userId}/remove`));

    // An admin manages everyone else.
    assert.equal((await portalInject(gw.app, adminSession, { url: `/portal/users/${dev.userId}/role`, form: { role: 'support' } })).statusCode, 303);
    const reset = await portalInject(gw.app, adminSession, { url: `/portal/users/${dev.userId}/reset-password`, form: {} });
    assert.equal(reset.statusCode, 200);
    assert.match(String(reset.headers['cache-control']), /no-store/);
    linkOn(reset.body);

    // The owner demotes and removes another owner, and resets an owner's password.
    assert.equal((await portalInject(gw.app, ownerSession, { url: `/portal/users/${second.userId}/reset-password`, form: {} })).statusCode, 200);
    assert.equal((await portalInject(gw.app, ownerSession, { url: `/portal/users/${second.userId}/role`, form: { role: 'admin' } })).statusCode, 303);
    assert.equal((await portalInject(gw.app, ownerSession, { url: `/portal/users/${second.userId}/role`, form: { role: 'owner' } })).statusCode, 303);
    assert.equal((await portalInject(gw.app, ownerSession, { url: `/portal/users/${second.userId}/remove`, form: {} })).statusCode, 303);
    assert.deepEqual(memberRow((await portalInject(gw.app, ownerSession, { url: '/portal/users' })).body, second.email), { role: 'owner', active: 'no' });
  });

  test('nobody changes their own role or removes themselves', async () => {
    for (const [url, form] of [
      [`/portal/users/${owner.userId}/role`, { role: 'admin' }],
      [`/portal/users/${owner.userId}/remove`, {}],
    ] as const) {
      const refused = await portalInject(gw.app, ownerSession, { url, form });
      assert.equal(refused.statusCode, 409, url);
    }
    assert.deepEqual(memberRow((await portalInject(gw.app, ownerSession, { url: '/portal/users' })).body, owner.email), { role: 'owner', active: 'yes' });
  });

  test('the last active owner stays: two owners demoting each other at once leave one owner', async () => {
    const other = await gw.addMerchant({ name: 'Two Owners Ltd' });
    const a = await addPortalUser(gw, { role: 'owner', organisationId: other.organisation_id });
    const b = await addPortalUser(gw, { role: 'owner', organisationId: other.organisation_id });
    const [sa, sb] = await Promise.all([signIn(gw.app, a.email, a.password), signIn(gw.app, b.email, b.password)]);
    const answers = await Promise.all([
      portalInject(gw.app, sa, { url: `/portal/users/${b.userId}/role`, form: { role: 'admin' } }),
      portalInject(gw.app, sb, { url: `/portal/users/${a.userId}/role`, form: { role: 'admin' } }),
    ]);
    assert.deepEqual(answers.map((r) => r.statusCode).sort(), [303, 403]);
    const roles = await Promise.all([findPortalUser(gw.store.db, a.userId), findPortalUser(gw.store.db, b.userId)]);
    assert.deepEqual(roles.map((u) => u?.role).sort(), ['admin', 'owner']);
  });

  test('viewers, developers and support get 403 on Users and Audit log, reading and writing', async () => {
    const target = await addPortalUser(gw, { role: 'viewer' });
    for (const role of ['viewer', 'developer', 'support'] as const) {
      const member = await addPortalUser(gw, { role });
      const session = await signIn(gw.app, member.email, member.password);
      for (const url of ['/portal/users', '/portal/audit']) assert.equal((await portalInject(gw.app, session, { url })).statusCode, 403, `${role} GET ${url}`);
      for (const [url, form] of [
        ['/portal/users/invite', { email: `${role}-made@example.test`, role: 'viewer' }],
        [`/portal/users/${target.userId}/role`, { role: 'admin' }],
        [`/portal/users/${target.userId}/remove`, {}],
        [`/portal/users/${target.userId}/reset-password`, {}],
      ] as const) {
        assert.equal((await portalInject(gw.app, session, { url, form })).statusCode, 403, `${role} POST ${url}`);
      }
    }
    assert.equal((await findPortalUser(gw.store.db, target.userId))?.role, 'viewer');
    assert.equal(Number((await findPortalUser(gw.store.db, target.userId))?.active), 1);
  });

  test('one organisation’s admin cannot see or touch another’s members', async () => {
    const other = await gw.addMerchant({ name: 'Elsewhere Ltd' });
    const stranger = await addPortalUser(gw, { role: 'developer', organisationId: other.organisation_id });
    const list = await portalInject(gw.app, ownerSession, { url: '/portal/users' });
    assert.ok(!list.body.includes(stranger.email));
    for (const [url, form] of [
      [`/portal/users/${stranger.userId}/role`, { role: 'viewer' }],
      [`/portal/users/${stranger.userId}/remove`, {}],
      [`/portal/users/${stranger.userId}/reset-password`, {}],
    ] as const) {
      assert.equal((await portalInject(gw.app, ownerSession, { url, form })).statusCode, 404, url);
    }
    const untouched = await findPortalUser(gw.store.db, stranger.userId);
    assert.equal(untouched?.role, 'developer');
    assert.equal(Number(untouched?.active), 1);
  });

  test('the page speaks Chinese when asked', async () => {
    const page = await portalInject(gw.app, ownerSession, { url: '/portal/users?lang=zh' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<html lang="zh-CN"/);
    for (const text of ['邀请用户', '所有者', '最近登录']) assert.ok(page.body.includes(text), text);
  });

  test('a change without the session’s CSRF token is refused', async () => {
    const viewer = await addPortalUser(gw, { role: 'viewer' });
    const forged = await gw.app.inject({
      method: 'POST',
      url: `/portal/users/${viewer.userId}/remove`,
      headers: { cookie: ownerSession.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
    assert.equal(forged.statusCode, 403);
    assert.equal(Number((await findPortalUser(gw.store.db, viewer.userId))?.active), 1);
  });
});
