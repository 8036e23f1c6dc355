import assert from 'node:assert/strict';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import { webhookId } from '../../src/notify/webhook-signature.js';
import { listAttempts, listNotificationsForOrder } from '../../src/store/notifications.js';
import { waitFor } from '../e2e/helpers.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createOrder, hmac, settleOrder } from '../http/support.js';

// The Standard Webhooks headers of real callbacks, checked the way the Standard Webhooks
// specification tells a receiver to, written here from its text (not with the gateway's
// code): the secret is `whsec_` + base64(key); the signed content is
// `${webhook-id}.${webhook-timestamp}.${body}`; the header holds space-separated
// `v1,<base64 HMAC-SHA256>` signatures, any of which may match.

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** The merchant's side: true when `whsec` signed this request. */
function verifiesWith(whsec: string, received: Received, timestamp = String(received.headers['webhook-timestamp'])): boolean {
  const key = Buffer.from(whsec.slice('whsec_'.length), 'base64');
  const content = `${received.headers['webhook-id']}.${timestamp}.${received.body}`;
  const expected = createHmac('sha256', key).update(content).digest();
  return String(received.headers['webhook-signature'])
    .split(' ')
    .some((entry) => {
      const [version, signature] = entry.split(',');
      const given = Buffer.from(signature ?? '', 'base64');
      return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
    });
}

const whsecOf = (apiKey: string) => `whsec_${Buffer.from(apiKey, 'utf8').toString('base64')}`;

/** Latipay's own `signature` field (spec §2.3), as the merchant checks it. */
function latipaySignatureOk(body: string, apiKey: string): boolean {
  const f = Object.fromEntries(new URLSearchParams(body));
  return f.signature === hmac(apiKey, f.merchant_reference + f.payment_method + f.status + f.currency + f.amount);
}

/** A merchant endpoint answering each callback with the next of `answers` (then `sent`). */
async function merchant(t: TestContext, answers: string[] = []) {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.end(answers.shift() ?? 'sent');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`, received };
}

/** A gateway whose worker runs on a clock the test moves. */
async function gatewayAt(t: TestContext, start: number) {
  const clock = { now: start };
  const gw = await createTestGateway({ worker: true, clock: () => clock.now });
  t.after(() => gw.close());
  return { gw, clock };
}

/** Moves the clock to the callback's next attempt and waits for it to arrive. */
async function nextAttempt(gw: TestGateway, clock: { now: number }, orderId: string, received: Received[]): Promise<void> {
  const count = received.length;
  const [row] = await listNotificationsForOrder(gw.store.db, orderId);
  clock.now = Number(row.next_attempt_at);
  gw.worker?.wake();
  await waitFor('the next attempt', () => received.length > count);
}

async function waitForRecordedAttempts(gw: TestGateway, orderId: string, n: number): Promise<void> {
  const [row] = await listNotificationsForOrder(gw.store.db, orderId);
  await waitFor(`${n} recorded attempts`, async () => (await listAttempts(gw.store.db, Number(row.id))).length >= n);
}

describe('Standard Webhooks headers on callbacks', () => {
  test('each callback carries webhook-id, the attempt’s Unix time and a v1 signature by the api_key; the form is Latipay’s, unchanged', { timeout: 30_000 }, async (t) => {
    const shop = await merchant(t);
    const start = Date.UTC(2026, 6, 1, 2, 3, 4, 567);
    const { gw } = await gatewayAt(t, start);
    const first = await createOrder(gw, { callback_url: shop.url });
    const second = await createOrder(gw, { callback_url: shop.url });
    await settleOrder(gw, first.orderId, 'paid');
    await settleOrder(gw, second.orderId, 'failed');
    await waitFor('two callbacks', () => shop.received.length === 2);

    for (const callback of shop.received) {
      assert.match(String(callback.headers['webhook-id']), /^msg_[0-9a-z_]+$/);
      assert.equal(callback.headers['webhook-timestamp'], String(Math.floor(start / 1000)));
      assert.match(String(callback.headers['webhook-signature']), /^v1,[A-Za-z0-9+/]{43}=$/, 'one signature outside a rotation');
      assert.ok(verifiesWith(whsecOf(gw.merchant.api_key), callback), 'verifies with whsec_ + base64(api_key)');
      assert.ok(!verifiesWith(whsecOf('another key'), callback));
      assert.ok(latipaySignatureOk(callback.body, gw.merchant.api_key));
      assert.deepEqual([...new URLSearchParams(callback.body).keys()], ['merchant_reference', 'order_id', 'currency', 'amount', 'payment_method', 'status', 'pay_time', 'signature']);
    }
    assert.notEqual(shop.received[0].headers['webhook-id'], shop.received[1].headers['webhook-id'], 'one id per notification');
    // A body changed in transit no longer matches.
    assert.ok(!verifiesWith(whsecOf(gw.merchant.api_key), { ...shop.received[0], body: shop.received[0].body.replace('paid', 'failed') }));
  });

  test('a retry keeps its webhook-id and gets a new timestamp and signature; an old signature does not fit the new timestamp', { timeout: 30_000 }, async (t) => {
    const shop = await merchant(t, ['fail', 'fail']);
    const { gw, clock } = await gatewayAt(t, Date.UTC(2026, 6, 2));
    const order = await createOrder(gw, { callback_url: shop.url });
    await settleOrder(gw, order.orderId, 'paid');
    await waitFor('the first attempt', () => shop.received.length === 1);
    await waitForRecordedAttempts(gw, order.orderId, 1);
    await nextAttempt(gw, clock, order.orderId, shop.received);
    await waitForRecordedAttempts(gw, order.orderId, 2);
    await nextAttempt(gw, clock, order.orderId, shop.received);

    const [a, b, c] = shop.received;
    assert.equal(a.headers['webhook-id'], b.headers['webhook-id']);
    assert.equal(b.headers['webhook-id'], c.headers['webhook-id']);
    const stamps = [a, b, c].map((r) => Number(r.headers['webhook-timestamp']));
    assert.ok(stamps[0] < stamps[1] && stamps[1] < stamps[2], `timestamps ${stamps}`);
    for (const r of [a, b, c]) assert.ok(verifiesWith(whsecOf(gw.merchant.api_key), r));
    assert.ok(!verifiesWith(whsecOf(gw.merchant.api_key), b, String(a.headers['webhook-timestamp'])), 'a signature is bound to its timestamp');
    assert.equal(a.body, c.body, 'the form is the same on every attempt');
  });

  test('during a key rotation’s grace period: both keys sign the header, the old key signs the form; after it, the new key alone', { timeout: 30_000 }, async (t) => {
    const shop = await merchant(t, ['fail']);
    const start = Date.UTC(2026, 6, 3);
    const { gw, clock } = await gatewayAt(t, start);
    const oldKey = gw.merchant.api_key;
    const newKey = randomBytes(16).toString('hex');
    const order = await createOrder(gw, { callback_url: shop.url });
    // The key is rotated after the order was made; the old one is accepted for 10 more seconds.
    await gw.store.db
      .updateTable('users')
      .set({ api_key_sealed: gw.secrets.seal(newKey), api_key_previous_sealed: gw.secrets.seal(oldKey), api_key_previous_until: start + 10_000 })
      .where('id', '=', gw.merchant.user_id)
      .execute();
    await settleOrder(gw, order.orderId, 'paid');
    await waitFor('the first attempt', () => shop.received.length === 1);
    await waitForRecordedAttempts(gw, order.orderId, 1);

    const during = shop.received[0];
    const signatures = String(during.headers['webhook-signature']).split(' ');
    assert.equal(signatures.length, 2, 'two signatures, space-separated');
    const [first, second] = signatures.map((s) => ({ ...during, headers: { ...during.headers, 'webhook-signature': s } }));
    assert.ok(verifiesWith(whsecOf(oldKey), first) && !verifiesWith(whsecOf(newKey), first), 'the old key’s first');
    assert.ok(verifiesWith(whsecOf(newKey), second) && !verifiesWith(whsecOf(oldKey), second), 'then the new key’s');
    assert.ok(latipaySignatureOk(during.body, oldKey), 'the form is signed with the key the merchant has not replaced yet');
    assert.ok(!latipaySignatureOk(during.body, newKey));

    // The retry comes after the grace period ended.
    const [row] = await listNotificationsForOrder(gw.store.db, order.orderId);
    clock.now = Math.max(Number(row.next_attempt_at), start + 10_000);
    gw.worker?.wake();
    await waitFor('the retry', () => shop.received.length === 2);
    const after = shop.received[1];
    assert.equal(String(after.headers['webhook-signature']).split(' ').length, 1);
    assert.ok(verifiesWith(whsecOf(newKey), after) && !verifiesWith(whsecOf(oldKey), after));
    assert.ok(latipaySignatureOk(after.body, newKey));
    const fields = (body: string) => [...new URLSearchParams(body)].filter(([k]) => k !== 'signature');
    assert.deepEqual(fields(after.body), fields(during.body), 'only the signature changed');
    assert.deepEqual(
      [...new URLSearchParams(after.body).keys()],
      [...new URLSearchParams(during.body).keys()],
      'in the same order',
    );
  });
});

describe('webhookId', () => {
  test('is the same for one notification and differs when a restored database reuses its id', () => {
    const row = { id: 42, created_at: Date.UTC(2026, 0, 1) };
    assert.equal(webhookId(row), webhookId({ ...row }));
    assert.notEqual(webhookId(row), webhookId({ id: 42, created_at: row.created_at + 1 }));
    assert.notEqual(webhookId(row), webhookId({ id: 43, created_at: row.created_at }));
  });
});
