import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signParams } from '../../src/domain/signature.js';
import { listOrganisationAuditEvents } from '../../src/store/audit-events.js';
import { createTestGateway, transactionFields, type TestGateway } from '../helpers/gateway.js';
import { addPortalUser, cookiesOf, csrfOf, portalInject, signIn, type PortalSession } from '../helpers/portal.js';

function valueOf(body: string, testId: string): string {
  const match = new RegExp(`id="${testId}" readonly value="([^"]+)"`).exec(body);
  assert.ok(match, `the page shows ${testId}`);
  return match[1];
}

function textOf(body: string, testId: string): string {
  const match = new RegExp(`data-test="${testId}">([^<]+)<`).exec(body);
  assert.ok(match, `the page shows ${testId}`);
  return match[1];
}

/** A signed create-transaction request for the merchant: code 0 while it is enabled. */
async function createAs(gw: TestGateway, merchant: { user_id: string; wallet_id: string; api_key: string }): Promise<number> {
  const fields = transactionFields({ ...merchant, organisation_id: 0, test: true }, { merchant_reference: `op-${Math.random().toString(36).slice(2)}` });
  const signed = { ...fields, signature: signParams(Object.entries(fields), merchant.api_key) };
  return (await gw.app.inject({ method: 'POST', url: '/v2/transaction', payload: signed })).json().code;
}

describe('the portal’s operators’ area', () => {
  let gw: TestGateway;
  let operator: { userId: string; email: string; password: string };
  let session: PortalSession;

  before(async () => {
    gw = await createTestGateway();
    operator = await addPortalUser(gw, { role: 'operator' });
    session = await signIn(gw.app, operator.email, operator.password);
  });
  after(async () => {
    await gw.close();
  });

  test('lists every organisation with its API users, wallets and status, never a key', async () => {
    const page = await portalInject(gw.app, session, { url: '/portal/operator' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, new RegExp(`data-test="organisation" data-id="${gw.merchant.organisation_id}" data-active="yes"`));
    assert.ok(!page.body.includes(gw.merchant.api_key));
  });

  test('creates an organisation: its API key once (no-store), its owner’s link, and the key works', async () => {
    const created = await portalInject(gw.app, session, { url: '/portal/operator/organisations', form: { name: 'Harbour Café', currency: 'aud', mode: 'test', owner_email: 'Owner@Harbour.test' } });
    assert.equal(created.statusCode, 201);
    assert.match(String(created.headers['cache-control']), /no-store/);
    const apiKey = valueOf(created.body, 'api-key');
    const userId = textOf(created.body, 'user-id');
    const walletId = textOf(created.body, 'wallet-id');
    const organisationId = Number(textOf(created.body, 'organisation-id'));
    assert.match(apiKey, /^[0-9a-f]{32}$/);
    assert.equal(await createAs(gw, { user_id: userId, wallet_id: walletId, api_key: apiKey }), 0);

    // The owner sets a password through the link and signs in as the organisation's owner.
    const link = new URL(valueOf(created.body, 'owner-link'));
    const form = await gw.app.inject({ method: 'GET', url: link.pathname });
    const set = await gw.app.inject({
      method: 'POST',
      url: link.pathname,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `portal_pre=${cookiesOf(form).portal_pre}` },
      payload: new URLSearchParams({ password: 'harbour owner password', confirm: 'harbour owner password', _csrf: csrfOf(form.body) }).toString(),
    });
    assert.equal(set.statusCode, 303);
    const ownerSession = await signIn(gw.app, 'owner@harbour.test', 'harbour owner password');
    const users = await portalInject(gw.app, ownerSession, { url: '/portal/users' });
    assert.equal(users.statusCode, 200);
    assert.match(users.body, /data-email="owner@harbour.test" data-role="owner"/);

    // Afterwards the key is shown nowhere.
    const list = await portalInject(gw.app, session, { url: '/portal/operator' });
    const detail = await portalInject(gw.app, session, { url: `/portal/operator/organisations/${organisationId}` });
    assert.equal(detail.statusCode, 200);
    for (const body of [list.body, detail.body]) assert.ok(!body.includes(apiKey));
    assert.ok(detail.body.includes(userId) && detail.body.includes(walletId) && detail.body.includes('owner@harbour.test'));
    const events = await listOrganisationAuditEvents(gw.store.db, { organisationId, limit: 20 });
    assert.ok(events.some((e) => e.action === 'merchant.create' && e.actor === `portal:${operator.email}`));
    assert.ok(!JSON.stringify(events).includes(apiKey));
  });

  test('refuses a create it cannot make, and makes nothing', async () => {
    const before = (await portalInject(gw.app, session, { url: '/portal/operator' })).body.match(/data-test="organisation"/g)?.length ?? 0;
    for (const form of [
      { name: '', currency: 'NZD', mode: 'test', owner_email: '' },
      { name: 'Yen Shop', currency: 'JPY', mode: 'live', owner_email: '' },
      { name: 'Bad Owner', currency: 'NZD', mode: 'test', owner_email: 'nope' },
      { name: 'Taken Owner', currency: 'NZD', mode: 'test', owner_email: operator.email },
    ]) {
      const refused = await portalInject(gw.app, session, { url: '/portal/operator/organisations', form });
      assert.ok(refused.statusCode === 400 || refused.statusCode === 409, JSON.stringify(form));
      assert.match(refused.body, /class="flash error"/);
    }
    const after = (await portalInject(gw.app, session, { url: '/portal/operator' })).body.match(/data-test="organisation"/g)?.length ?? 0;
    assert.equal(after, before);
  });

  test('disable refuses the API user and signs the portal users out, who cannot sign in; enable undoes it', async () => {
    const merchant = await gw.addMerchant({ name: 'Switch Shop' });
    const member = await addPortalUser(gw, { role: 'owner', organisationId: merchant.organisation_id });
    const memberSession = await signIn(gw.app, member.email, member.password);
    assert.equal(await createAs(gw, merchant), 0);

    const disabled = await portalInject(gw.app, session, { url: `/portal/operator/organisations/${merchant.organisation_id}/disable`, form: {} });
    assert.equal(disabled.statusCode, 303);
    assert.match(String(disabled.headers.location), /done=disabled&users=1&sessions=1/);
    const flash = await portalInject(gw.app, session, { url: disabled.headers.location as string });
    assert.match(flash.body, /data-test="flash"/);
    assert.match(flash.body, new RegExp(`data-id="${merchant.organisation_id}" data-active="no"`));
    assert.equal(await createAs(gw, merchant), 205);
    const signedOut = await portalInject(gw.app, memberSession, { url: '/portal/users' });
    assert.equal(signedOut.statusCode, 303);
    await assert.rejects(signIn(gw.app, member.email, member.password), /sign-in failed/);

    const enabled = await portalInject(gw.app, session, { url: `/portal/operator/organisations/${merchant.organisation_id}/enable`, form: { back: 'organisation' } });
    assert.equal(enabled.statusCode, 303);
    assert.match(String(enabled.headers.location), new RegExp(`^/portal/operator/organisations/${merchant.organisation_id}\\?done=enabled`));
    assert.equal(await createAs(gw, merchant), 0);
    await signIn(gw.app, member.email, member.password);

    const events = await listOrganisationAuditEvents(gw.store.db, { organisationId: merchant.organisation_id, limit: 20 });
    assert.deepEqual(
      events.filter((e) => e.actor === `portal:${operator.email}`).map((e) => e.action),
      ['organisation.enable', 'merchant.enable', 'organisation.disable', 'merchant.disable'],
    );
  });

  test('an organisation’s page shows its API users, wallets, providers and portal users; “Reset password” gives a one-time link', async () => {
    const merchant = await gw.addMerchant({ name: 'Inspect Shop', test: true });
    const member = await addPortalUser(gw, { role: 'admin', organisationId: merchant.organisation_id });
    const page = await portalInject(gw.app, session, { url: `/portal/operator/organisations/${merchant.organisation_id}` });
    assert.equal(page.statusCode, 200);
    for (const text of [merchant.user_id, merchant.wallet_id, member.email, 'Inspect Shop']) assert.ok(page.body.includes(text), text);
    assert.ok(!page.body.includes(merchant.api_key));

    const reset = await portalInject(gw.app, session, { url: `/portal/operator/organisations/${merchant.organisation_id}/users/${member.userId}/reset-password`, form: {} });
    assert.equal(reset.statusCode, 200);
    assert.match(String(reset.headers['cache-control']), /no-store/);
    assert.match(valueOf(reset.body, 'one-time-link'), /^http:\/\/gateway\.test\/portal\/set-password\/[A-Za-z0-9_-]+$/);
    // Not for a user of another organisation through this one's path.
    const stranger = await addPortalUser(gw, { role: 'viewer' });
    const refused = await portalInject(gw.app, session, { url: `/portal/operator/organisations/${merchant.organisation_id}/users/${stranger.userId}/reset-password`, form: {} });
    assert.equal(refused.statusCode, 404);
    assert.equal((await portalInject(gw.app, session, { url: '/portal/operator/organisations/999999' })).statusCode, 404);
    assert.equal((await portalInject(gw.app, session, { url: '/portal/operator/organisations/abc' })).statusCode, 404);
  });

  test('the area speaks Chinese when asked', async () => {
    const page = await portalInject(gw.app, session, { url: '/portal/operator?lang=zh' });
    assert.equal(page.statusCode, 200);
    for (const text of ['创建组织', '钱包币种', '停用']) assert.ok(page.body.includes(text), text);
  });

  test('a merchant’s user, even an owner, cannot reach the operators’ area', async () => {
    const owner = await addPortalUser(gw, { role: 'owner' });
    const ownerSession = await signIn(gw.app, owner.email, owner.password);
    assert.equal((await portalInject(gw.app, ownerSession, { url: '/portal/operator' })).statusCode, 403);
    assert.equal((await portalInject(gw.app, ownerSession, { url: `/portal/operator/organisations/${gw.merchant.organisation_id}` })).statusCode, 403);
    const create = await portalInject(gw.app, ownerSession, { url: '/portal/operator/organisations', form: { name: 'Sneaky', currency: 'NZD', mode: 'live' } });
    assert.equal(create.statusCode, 403);
    const disable = await portalInject(gw.app, ownerSession, { url: `/portal/operator/organisations/${gw.merchant.organisation_id}/disable`, form: {} });
    assert.equal(disable.statusCode, 403);
    assert.equal(await createAs(gw, gw.merchant), 0);
    // Nor can anyone signed out.
    const anonymous = await gw.app.inject({ method: 'GET', url: '/portal/operator' });
    assert.equal(anonymous.statusCode, 303);
  });
});
