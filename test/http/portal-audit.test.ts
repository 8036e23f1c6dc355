import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { recordAudit } from '../../src/gateway/audit.js';
import { appendAuditEvent } from '../../src/store/audit-events.js';
import { portalAuditSchema } from '../../src/store/migrations/014-portal-audit.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { cancelFields, paidOrder, refundFields } from '../helpers/money.js';
import { addPortalUser, portalInject, signIn, type PortalSession } from '../helpers/portal.js';
import { createOrder } from './support.js';

/** The actions and subjects of the events on an audit page, in the order shown. */
function eventsOn(body: string): Array<{ action: string; subject: string }> {
  return [...body.matchAll(/data-test="audit-event" data-action="([^"]+)"><td>[^<]*<\/td><td>[^<]*<\/td><td>[^<]*<\/td><td>[^<]*<\/td><td>([^<]*)<\/td>/g)].map((m) => ({ action: m[1], subject: m[2] }));
}

function olderLink(body: string): string | undefined {
  const href = /href="(\/portal\/audit\?[^"]+)" data-test="older"/.exec(body)?.[1];
  return href?.replace(/&amp;/g, '&');
}

describe('the portal’s Audit log', () => {
  let gw: TestGateway;
  let owner: { userId: string; email: string; password: string };
  let session: PortalSession;

  before(async () => {
    gw = await createTestGateway();
    owner = await addPortalUser(gw, { role: 'owner' });
    session = await signIn(gw.app, owner.email, owner.password);
  });
  after(async () => {
    await gw.close();
  });

  test('shows this organisation’s events only: its portal users’ actions and its API user’s refunds and cancels', async () => {
    const mine = gw.merchant;
    const paid = await paidOrder(gw, mine, '30.00');
    assert.equal((await gw.app.inject({ method: 'POST', url: '/refund', payload: refundFields(mine, paid.orderId, '5.00', 'chipped') })).json().code, 0);
    const pending = await createOrder(gw, {}, mine);
    assert.equal((await gw.app.inject({ method: 'POST', url: '/cancel', payload: cancelFields(mine, pending.reference) })).json().code, 0);
    await portalInject(gw.app, session, { url: '/portal/users/invite', form: { email: 'mine@example.test', role: 'viewer' } });

    // Another organisation does the same.
    const theirs = await gw.addMerchant({ name: 'Other Shop' });
    const theirOwner = await addPortalUser(gw, { role: 'owner', organisationId: theirs.organisation_id });
    const theirSession = await signIn(gw.app, theirOwner.email, theirOwner.password);
    const theirPaid = await paidOrder(gw, theirs, '20.00');
    assert.equal((await gw.app.inject({ method: 'POST', url: '/refund', payload: refundFields(theirs, theirPaid.orderId, '1.00', 'x') })).json().code, 0);
    await portalInject(gw.app, theirSession, { url: '/portal/users/invite', form: { email: 'theirs@example.test', role: 'viewer' } });
    // And the gateway as a whole (no organisation).
    await recordAudit(gw.store.db, { actor: 'cli:ops@host', source: 'cli' }, 'rates.set', 'NZD:CNY', { rate: '4.5' }, Date.now());

    const page = await portalInject(gw.app, session, { url: '/portal/audit' });
    assert.equal(page.statusCode, 200);
    const shown = eventsOn(page.body);
    assert.ok(shown.some((e) => e.action === 'refund.create' && e.subject === paid.orderId), 'its refund');
    assert.ok(shown.some((e) => e.action === 'order.cancel' && e.subject === pending.orderId), 'its cancel');
    assert.ok(page.body.includes('mine@example.test'), 'its invitation');
    assert.ok(!shown.some((e) => e.subject === theirPaid.orderId), 'not their refund');
    assert.ok(!page.body.includes('theirs@example.test') && !page.body.includes(theirOwner.email), 'not their portal users');
    assert.ok(!shown.some((e) => e.action === 'rates.set'), 'not the gateway’s own events');

    const theirPage = await portalInject(gw.app, theirSession, { url: '/portal/audit' });
    assert.ok(!theirPage.body.includes('mine@example.test') && !theirPage.body.includes(paid.orderId));
    assert.ok(eventsOn(theirPage.body).some((e) => e.subject === theirPaid.orderId));
  });

  test('pages newest first with a cursor, without repeating or losing an event, and filters by action and day', async () => {
    const org = await gw.addMerchant({ name: 'Busy Shop' });
    const admin = await addPortalUser(gw, { role: 'admin', organisationId: org.organisation_id });
    const adminSession = await signIn(gw.app, admin.email, admin.password);
    const base = Date.UTC(2030, 0, 15, 12, 0, 0);
    // 120 events, two to a millisecond so that the cursor must order by id too.
    for (let i = 0; i < 120; i++) {
      await recordAudit(gw.store.db, { actor: 'cli:ops@host', source: 'cli', organisationId: org.organisation_id }, 'merchant.set', `step-${String(i).padStart(3, '0')}`, {}, base + Math.floor(i / 2), org.organisation_id);
    }
    const seen: string[] = [];
    let url: string | undefined = '/portal/audit?action=merchant.set';
    let pages = 0;
    while (url) {
      const page = await portalInject(gw.app, adminSession, { url });
      assert.equal(page.statusCode, 200);
      seen.push(...eventsOn(page.body).map((e) => e.subject));
      url = olderLink(page.body);
      pages++;
    }
    assert.equal(pages, 3);
    const expected = Array.from({ length: 120 }, (_, i) => `step-${String(119 - i).padStart(3, '0')}`);
    assert.deepEqual(seen, expected);

    // A day filter: the events are on 2030-01-15.
    assert.equal(eventsOn((await portalInject(gw.app, adminSession, { url: '/portal/audit?since=2030-01-16&action=merchant.set' })).body).length, 0);
    assert.equal(eventsOn((await portalInject(gw.app, adminSession, { url: '/portal/audit?since=2030-01-15&action=merchant.set' })).body).length, 50);
    // The admin's own sign-in is there, filtered by its action.
    const signIns = eventsOn((await portalInject(gw.app, adminSession, { url: '/portal/audit?action=portal.sign_in' })).body);
    assert.ok(signIns.length >= 1 && signIns.every((e) => e.action === 'portal.sign_in'));
  });

  test('a filter it cannot read is said so and left out; a cursor cannot reach another organisation', async () => {
    for (const query of ['since=yesterday', 'since=2030-02-30', 'action=secret.rotate', 'cursor=abc', 'cursor=1.2.3']) {
      const page = await portalInject(gw.app, session, { url: `/portal/audit?${query}` });
      assert.equal(page.statusCode, 200, query);
      assert.match(page.body, /class="flash error"/, query);
    }
  });

  test('never shows a secret: an API key or a token that slipped into an event’s details is hidden', async () => {
    await appendAuditEvent(gw.store.db, {
      at: Date.now(),
      actor: 'cli:ops@host',
      source: 'cli',
      action: 'merchant.rotate_key',
      target: gw.merchant.user_id,
      details: JSON.stringify({ api_key: gw.merchant.api_key, note: 'http://gateway.test/portal/set-password/abcdefabcdef', grace_seconds: 60 }),
      organisation_id: gw.merchant.organisation_id,
    });
    const page = await portalInject(gw.app, session, { url: '/portal/audit?action=merchant.rotate_key' });
    assert.equal(eventsOn(page.body).length, 1);
    assert.ok(!page.body.includes(gw.merchant.api_key));
    assert.ok(!page.body.includes('abcdefabcdef'));
    assert.match(page.body, /grace_seconds:<\/span> 60/);
  });

  test('events written before they carried an organisation are given the one that owns their subject', async () => {
    const org = await gw.addMerchant({ name: 'Old Shop' });
    const paid = await paidOrder(gw, org, '12.00');
    const older = [
      { action: 'merchant.disable', target: org.user_id },
      { action: 'provider.set', target: org.wallet_id },
      { action: 'order.settle', target: paid.orderId },
      { action: 'rates.set', target: 'NZD:CNY' },
    ];
    for (const e of older) await gw.store.db.insertInto('audit_events').values({ at: 1, actor: 'cli:old', source: 'cli', details: '{}', organisation_id: null, ...e }).execute();
    await portalAuditSchema(gw.store.parts.types).up(gw.store.db);
    const rows = await gw.store.db.selectFrom('audit_events').select(['action', 'organisation_id']).where('actor', '=', 'cli:old').orderBy('id').execute();
    assert.deepEqual(
      rows.map((r) => [r.action, r.organisation_id === null ? null : Number(r.organisation_id)]),
      [
        ['merchant.disable', org.organisation_id],
        ['provider.set', org.organisation_id],
        ['order.settle', org.organisation_id],
        ['rates.set', null],
      ],
    );
  });

  test('the page speaks Chinese when asked, action names too', async () => {
    const page = await portalInject(gw.app, session, { url: '/portal/audit?lang=zh&action=portal.sign_in' });
    assert.equal(page.statusCode, 200);
    for (const text of ['操作日志', '起始日期', '<td>登录</td>']) assert.ok(page.body.includes(text), text);
  });

  test('an operator has no organisation audit log', async () => {
    const operator = await addPortalUser(gw, { role: 'operator' });
    const operatorSession = await signIn(gw.app, operator.email, operator.password);
    assert.equal((await portalInject(gw.app, operatorSession, { url: '/portal/audit' })).statusCode, 403);
  });
});
