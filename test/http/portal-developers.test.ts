import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { PaymentProvider } from '../../src/channels/provider.js';
import type { ProviderFactory } from '../../src/channels/provider-registry.js';
import { providerFactories } from '../../src/channels/providers.js';
import type { CreatedMerchant } from '../../src/gateway/create-merchant.js';
import { configureProvider, createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { addPortalUser, portalInject, signIn, type PortalSession } from '../helpers/portal.js';
import { signFields } from './invoice-support.js';
import { answerOf, createOrder, settleOrder } from './support.js';

const HOUR = 3_600_000;

/** The HTML of a page as text, entities decoded. */
const textOf = (body: string) => body.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

const testOf = (body: string, name: string) => {
  const match = new RegExp(`data-test="${name}"[^>]*>([\\s\\S]*?)</(?:td|dd|p|span|code)>`).exec(body);
  return match ? textOf(match[1]) : undefined;
};

/** `GET /v2/detail/{wallet_id}` signed with `key`: 0 when the gateway accepts the key, 206 when it does not. */
async function detailCode(gw: TestGateway, merchant: CreatedMerchant, key: string): Promise<number> {
  const { signature } = signFields({ user_id: merchant.user_id, wallet_id: merchant.wallet_id }, key);
  const answer = await gw.app.inject({ method: 'GET', url: `/v2/detail/${merchant.wallet_id}?user_id=${merchant.user_id}&signature=${signature}` });
  return answerOf(answer).code;
}

describe('portal: developers', () => {
  let gw: TestGateway;
  let now = Date.now();
  const log: string[] = [];
  let owner: PortalSession;
  let ownerEmail: string;
  let viewer: PortalSession;
  let support: PortalSession;
  let developer: PortalSession;
  const users: Record<string, { email: string; password: string }> = {};

  // A provider this gateway has an adapter for (a stand-in: the page only asks who serves what).
  const factories = new Map<string, ProviderFactory>([...providerFactories(), ['testpay', () => ({ name: 'testpay' }) as unknown as PaymentProvider]]);

  before(async () => {
    gw = await createTestGateway({
      clock: () => now,
      env: { LOG_LEVEL: 'trace', LOG_REQUESTS: 'on' },
      logDestination: new Writable({
        write(chunk, _encoding, done) {
          log.push(String(chunk));
          done();
        },
      }),
      providerFactories: factories,
    });
    for (const role of ['owner', 'viewer', 'support', 'developer'] as const) users[role] = await addPortalUser(gw, { role });
    ownerEmail = users.owner.email;
    await signInAll();
  });

  /** Signs everyone in again (after the clock moved past their sessions' life). */
  async function signInAll(): Promise<void> {
    owner = await signIn(gw.app, users.owner.email, users.owner.password);
    viewer = await signIn(gw.app, users.viewer.email, users.viewer.password);
    support = await signIn(gw.app, users.support.email, users.support.password);
    developer = await signIn(gw.app, users.developer.email, users.developer.password);
  }
  after(() => gw.close());

  test("the page shows the integration parameters and who serves each method, never a key or a provider's secret", async () => {
    await configureProvider(gw, gw.merchant.wallet_id, 'testpay', ['wechat'], { merchant: 'M-1' }, { api_secret: 'provider-secret-value' });
    const page = await portalInject(gw.app, viewer, { url: '/portal/developers' });
    assert.equal(page.statusCode, 200);
    assert.equal(testOf(page.body, 'base-url'), 'http://gateway.test');
    assert.ok(page.body.includes(`data-user-id="${gw.merchant.user_id}"`));
    assert.ok(page.body.includes(`data-wallet-id="${gw.merchant.wallet_id}"`));
    const route = (method: string) => new RegExp(`data-method="${method}"><td>[^<]*</td><td>([\\s\\S]*?)</td></tr>`).exec(page.body)?.[1] ?? '';
    assert.match(route('alipay'), /badge warn/, 'the sandbox serves alipay');
    assert.ok(route('wechat').includes('testpay') && route('wechat').includes(`pa_testpay_${gw.merchant.wallet_id}`), route('wechat'));
    assert.ok(page.body.includes(`http://gateway.test/channels/testpay/notify/pa_testpay_${gw.merchant.wallet_id}`));
    assert.ok(!page.body.includes(gw.merchant.api_key));
    assert.ok(!page.body.includes('provider-secret-value'));
    // A viewer reads it all but is offered neither rotation nor the signature helper.
    assert.ok(!page.body.includes('/rotate-key"'));
    assert.ok(!page.body.includes('href="/portal/developers/signature"'));

    const ownerPage = await portalInject(gw.app, owner, { url: '/portal/developers' });
    assert.ok(ownerPage.body.includes(`action="/portal/developers/users/${gw.merchant.user_id}/rotate-key"`));
    assert.ok(ownerPage.body.includes('>Rotate API key</button>'));
    assert.ok(ownerPage.body.includes('<option value="86400" selected>'), 'a day of grace unless chosen otherwise');
    const zh = textOf((await portalInject(gw.app, owner, { url: '/portal/developers?lang=zh' })).body);
    assert.ok(zh.includes('轮换 API 密钥') && zh.includes('回调投递'), 'in Chinese too');
  });

  test("callback health counts the organisation's deliveries, failures and give-ups, not another's", async () => {
    const other = await gw.addMerchant({ name: 'Other' });
    const ours = await createOrder(gw);
    const theirs = await createOrder(gw, {}, other);
    for (const order of [ours, theirs]) assert.equal(answerOf(await settleOrder(gw, order.orderId, 'paid')).code, 0);

    let page = await portalInject(gw.app, owner, { url: '/portal/developers' });
    assert.equal(testOf(page.body, 'callbacks-waiting'), '1');
    assert.equal(testOf(page.body, 'callbacks-failing'), '0');
    assert.match(testOf(page.body, 'callbacks-oldest') ?? '', /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);

    // Our callback failed twice and was given up; another delivered (inside the window).
    const [notification] = await gw.store.db.selectFrom('notifications').select('id').where('order_id', '=', ours.orderId).execute();
    for (const [i, error] of ['connect ECONNREFUSED', 'HTTP 500'].entries()) {
      await gw.store.db
        .insertInto('notification_attempts')
        .values({ notification_id: Number(notification.id), attempted_at: now - 1000 + i, http_status: i === 1 ? 500 : null, body_excerpt: i === 1 ? 'oops' : null, duration_ms: 5, error: i === 0 ? error : null, owner: 'test' })
        .execute();
    }
    await gw.store.db.updateTable('notifications').set({ status: 'abandoned', attempts: 2 }).where('id', '=', notification.id).execute();
    const delivered = await createOrder(gw);
    await settleOrder(gw, delivered.orderId, 'paid');
    await gw.store.db.updateTable('notifications').set({ status: 'delivered', attempts: 1, delivered_at: now, next_attempt_at: now }).where('order_id', '=', delivered.orderId).execute();

    page = await portalInject(gw.app, owner, { url: '/portal/developers' });
    assert.equal(testOf(page.body, 'callbacks-delivered'), '1');
    assert.equal(testOf(page.body, 'callbacks-abandoned'), '1');
    assert.equal(testOf(page.body, 'callbacks-waiting'), '0');
    assert.equal(testOf(page.body, 'callbacks-oldest'), 'Nothing is waiting.');
    const troubled = /data-test="troubled-callback">([\s\S]*?)<\/tr>/.exec(page.body)?.[1] ?? '';
    assert.ok(troubled.includes(ours.orderId));
    assert.ok(textOf(troubled).includes('HTTP 500 "oops"'), troubled);
    assert.ok(!page.body.includes(theirs.orderId), "another organisation's callbacks are not shown");
  });

  test('Rotate API key: the new key shown once (no-store, never logged, audited); the old one works until the grace ends', async () => {
    const oldKey = gw.merchant.api_key;
    const answer = await portalInject(gw.app, owner, { url: `/portal/developers/users/${gw.merchant.user_id}/rotate-key`, form: { grace_seconds: '86400' } });
    assert.equal(answer.statusCode, 200);
    assert.equal(answer.headers['cache-control'], 'no-store');
    const newKey = /id="new-key" type="text" readonly value="([0-9a-f]+)"/.exec(answer.body)?.[1];
    assert.ok(newKey && newKey.length >= 32 && newKey !== oldKey, String(newKey));
    assert.ok(answer.body.includes('data-copy="new-key"'));
    assert.match(testOf(answer.body, 'old-key-until') ?? '', /accepted until \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);

    // Both keys verify during the grace period; the page after shows the grace, never the key.
    assert.equal(await detailCode(gw, gw.merchant, oldKey), 0);
    assert.equal(await detailCode(gw, gw.merchant, newKey), 0);
    const page = await portalInject(gw.app, owner, { url: '/portal/developers' });
    assert.ok(!page.body.includes(newKey));
    assert.ok(page.body.includes('data-test="key-grace"'));

    const audit = await gw.store.db.selectFrom('audit_events').selectAll().where('action', '=', 'merchant.rotate_key').where('target', '=', gw.merchant.user_id).execute();
    assert.equal(audit.length, 1);
    assert.equal(audit[0].actor, `portal:${ownerEmail}`);
    assert.deepEqual(JSON.parse(audit[0].details), { grace_seconds: 86_400 });
    assert.ok(!audit[0].details.includes(newKey));

    now += 24 * HOUR + 1000;
    assert.equal(await detailCode(gw, gw.merchant, oldKey), 206);
    assert.equal(await detailCode(gw, gw.merchant, newKey), 0);

    const written = log.join('');
    assert.ok(written.includes('/rotate-key'), 'the log was captured');
    assert.ok(!written.includes(newKey), 'the new key is never logged');
    gw.merchant.api_key = newKey;
    await signInAll();
  });

  test('no grace: the old key stops at once', async () => {
    const oldKey = gw.merchant.api_key;
    const answer = await portalInject(gw.app, developer, { url: `/portal/developers/users/${gw.merchant.user_id}/rotate-key`, form: { grace_seconds: '0' } });
    assert.equal(answer.statusCode, 200);
    const newKey = /id="new-key" type="text" readonly value="([0-9a-f]+)"/.exec(answer.body)?.[1] as string;
    assert.equal(testOf(answer.body, 'old-key-until'), 'The old key no longer works.');
    assert.equal(await detailCode(gw, gw.merchant, oldKey), 206);
    assert.equal(await detailCode(gw, gw.merchant, newKey), 0);
    gw.merchant.api_key = newKey;
  });

  test('a viewer or support user may not rotate (server-side 403); a grace not offered or another organisation’s user changes nothing', async () => {
    const sealed = async (userId: string) => (await gw.store.db.selectFrom('users').select('api_key_sealed').where('id', '=', userId).executeTakeFirstOrThrow()).api_key_sealed;
    const before = await sealed(gw.merchant.user_id);
    for (const session of [viewer, support]) {
      const refused = await portalInject(gw.app, session, { url: `/portal/developers/users/${gw.merchant.user_id}/rotate-key`, form: { grace_seconds: '86400' } });
      assert.equal(refused.statusCode, 403);
    }
    const badGrace = await portalInject(gw.app, owner, { url: `/portal/developers/users/${gw.merchant.user_id}/rotate-key`, form: { grace_seconds: '999999999' } });
    assert.equal(badGrace.statusCode, 400);
    assert.equal(await sealed(gw.merchant.user_id), before);
    assert.equal(await detailCode(gw, gw.merchant, gw.merchant.api_key), 0);

    const other = await gw.addMerchant({ name: 'Someone else' });
    const theirBefore = await sealed(other.user_id);
    const foreign = await portalInject(gw.app, owner, { url: `/portal/developers/users/${other.user_id}/rotate-key`, form: { grace_seconds: '0' } });
    assert.equal(foreign.statusCode, 404);
    assert.ok(!/id="new-key"/.test(foreign.body));
    assert.equal(await sealed(other.user_id), theirBefore);
    assert.equal(await detailCode(gw, other, other.api_key), 0);
  });

  test('the signature helper shows the string to sign for a known vector, the key as <api_key>', async () => {
    const form = await portalInject(gw.app, developer, { url: '/portal/developers/signature' });
    assert.equal(form.statusCode, 200);
    // docs/wire-contract.md §2.4, the invoice row: HMAC keyed by 111222333 of this string with the key appended.
    const request = JSON.stringify({ user_id: 'U000000013', wallet_id: 'W000000023', amount: 1, product_name: 'ticket', notify_url: 'https://yourwebsite.com/latipay/notify', signature: '9361c9e5' });
    const answer = await portalInject(gw.app, developer, { url: '/portal/developers/signature', form: { endpoint: 'invoice.create', request } });
    assert.equal(answer.statusCode, 200);
    assert.equal(answer.headers['cache-control'], 'no-store');
    assert.equal(
      testOf(answer.body, 'string-to-sign'),
      'amount=1&notify_url=https://yourwebsite.com/latipay/notify&product_name=ticket&user_id=U000000013&wallet_id=W000000023<api_key>',
    );
    assert.equal(testOf(answer.body, 'signed-fields'), 'amount, notify_url, product_name, user_id, wallet_id');
    assert.ok(!answer.body.includes(gw.merchant.api_key));

    const query = await portalInject(gw.app, developer, {
      url: '/portal/developers/signature',
      form: { endpoint: 'transaction.query', request: 'https://pay.example/v2/transaction/6000324?user_id=U000000013&signature=x' },
    });
    assert.equal(testOf(query.body, 'string-to-sign'), 'merchant_reference=6000324&user_id=U000000013<api_key>');

    const bad = await portalInject(gw.app, developer, { url: '/portal/developers/signature', form: { endpoint: 'invoice.create', request: '{"user_id": ' } });
    assert.equal(bad.statusCode, 422);
    assert.ok(bad.body.includes('data-test="helper-problem"'));
    assert.ok(bad.body.includes('{&quot;user_id&quot;: </textarea>'), 'what was pasted is kept, escaped');

    const noEndpoint = await portalInject(gw.app, developer, { url: '/portal/developers/signature', form: { endpoint: 'nope', request: 'a=1' } });
    assert.equal(noEndpoint.statusCode, 422);

    for (const session of [viewer, support]) {
      assert.equal((await portalInject(gw.app, session, { url: '/portal/developers/signature' })).statusCode, 403);
      assert.equal((await portalInject(gw.app, session, { url: '/portal/developers/signature', form: { endpoint: 'refund', request: 'a=1' } })).statusCode, 403);
    }
  });
});
