import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openStore } from '../../src/store/store.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import {
  cleanupStack,
  createMerchantViaCli,
  createTransaction,
  newReference,
  newSecretKey,
  queryTransaction,
  settleOrder,
  sleep,
  startGatewayProcess,
  startMerchantServer,
  waitFor,
  within,
  type CallbackAnswer,
  type GatewayProcess,
} from './helpers.js';

// The gateway as an operator runs it: killed without warning, restarted on the same
// database and SECRET_KEY, or stopped with SIGTERM while clients wait on it.

type Cleanup = ReturnType<typeof cleanupStack>;

const TEST_TIMEOUT_MS = 150_000;
// A delivery killed in flight keeps its lease (NOTIFY_TIMEOUT_SECONDS + 30 s) before a new
// process may take it over; the test's waits allow for that rare case.
const NOTIFY_TIMEOUT_SECONDS = 2;
const TAKEOVER_BOUND_MS = (NOTIFY_TIMEOUT_SECONDS + 30) * 1000 + 15_000;

async function freshDatabase(cleanup: Cleanup): Promise<TestDatabase> {
  const database = await createTestDatabase();
  cleanup(() => database.cleanup());
  return database;
}

async function startGateway(cleanup: Cleanup, database: TestDatabase, secretKey: string, env: Record<string, string> = {}): Promise<GatewayProcess> {
  const gateway = await startGatewayProcess({
    databaseUrl: database.url,
    dataDir: database.dataDir,
    secretKey,
    env: { NOTIFY_RETRY_SECONDS: '1', NOTIFY_TIMEOUT_SECONDS: String(NOTIFY_TIMEOUT_SECONDS), ...env },
  });
  cleanup(async () => {
    gateway.kill();
    await gateway.exited;
  });
  return gateway;
}

test('a restart of the gateway in the middle of retries loses no notification', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const cleanup = cleanupStack(t);
  const database = await freshDatabase(cleanup);
  const secretKey = newSecretKey();
  const merchant = await createMerchantViaCli(database.url, database.dataDir, secretKey);
  let answer: CallbackAnswer = 'fail';
  const shop = await startMerchantServer(() => answer);
  cleanup(() => shop.close());

  const first = await startGateway(cleanup, database, secretKey);
  const references: string[] = [];
  const orderIds = new Map<string, string>();
  for (let i = 0; i < 5; i++) {
    const reference = newReference(`restart-${i}`);
    const created = await createTransaction(first.baseUrl, merchant, {
      payment_method: i % 2 === 0 ? 'alipay' : 'wechat',
      merchant_reference: reference,
      callback_url: shop.callbackUrl,
      return_url: shop.returnUrl,
    });
    assert.equal(created.answer.code, 0, JSON.stringify(created.answer));
    const pending = await queryTransaction(first.baseUrl, merchant, reference);
    const orderId = String(pending.order_id);
    const settled = await settleOrder(first.baseUrl, orderId, 'paid');
    assert.equal(settled.status, 'paid', JSON.stringify(settled));
    references.push(reference);
    orderIds.set(reference, orderId);
  }

  // Every order's callback has been refused at least twice: the gateway is mid-retries.
  await waitFor('two refused callbacks for every order', () => references.every((r) => shop.callbacksFor(r).length >= 2), {
    timeoutMs: 20_000,
  });
  // Kill between deliveries, not during one: a delivery killed in flight keeps its lease
  // (NOTIFY_TIMEOUT_SECONDS + 30 s) and is taken over only then. That is allowed for (see
  // TAKEOVER_BOUND_MS) but would make this test slow for no more coverage.
  await waitFor('a moment with no callback in the last 200 ms', () => Date.now() - (shop.callbacks.at(-1)?.receivedAt ?? 0) >= 200, {
    timeoutMs: 10_000,
    intervalMs: 10,
  });
  const killed = await first.stop('SIGKILL');
  assert.equal(killed.signal, 'SIGKILL');
  const beforeRestart = new Map(references.map((r) => [r, shop.callbacksFor(r).length]));
  assert.ok(shop.callbacks.every((c) => c.answer === 'fail'));

  // The merchant's endpoint is fixed; a new process on the same database and key takes over.
  answer = 'sent';
  const second = await startGateway(cleanup, database, secretKey);
  await waitFor(
    'every order to have an accepted callback',
    () => references.every((r) => shop.callbacksFor(r).some((c) => c.answer === 'sent')),
    { timeoutMs: TAKEOVER_BOUND_MS, intervalMs: 100 },
  );

  // Stop the second process cleanly, then read what the outbox recorded.
  const stopped = await second.stop('SIGTERM');
  assert.equal(stopped.code, 0, second.output());

  for (const reference of references) {
    const callbacks = shop.callbacksFor(reference);
    assert.equal(callbacks.filter((c) => c.answer === 'sent').length, 1, `${reference} is acknowledged once`);
    assert.equal(callbacks.at(-1)?.answer, 'sent');
    assert.ok(callbacks.length > (beforeRestart.get(reference) ?? 0));
    for (const callback of callbacks) {
      assert.equal(callback.fields.order_id, orderIds.get(reference));
      assert.equal(callback.fields.status, 'paid');
    }
  }

  const store = await openStore(database.url, { migrate: false });
  cleanup(() => store.close());
  for (const reference of references) {
    const orderId = orderIds.get(reference) as string;
    const notifications = await store.db.selectFrom('notifications').selectAll().where('order_id', '=', orderId).execute();
    assert.equal(notifications.length, 1, `one notification for ${reference}`);
    const [notification] = notifications;
    assert.equal(notification.status, 'delivered');
    assert.notEqual(notification.delivered_at, null);
    assert.equal(notification.lease_owner, null);
    const attempts = await store.db
      .selectFrom('notification_attempts')
      .selectAll()
      .where('notification_id', '=', notification.id)
      .orderBy('id')
      .execute();
    assert.equal(Number(notification.attempts), attempts.length);
    // A delivery killed before its attempt was written is seen by the merchant but not recorded.
    assert.ok(attempts.length >= 2 && attempts.length <= shop.callbacksFor(reference).length, `${attempts.length} attempts for ${reference}`);
    const last = attempts.at(-1);
    assert.equal(last?.http_status, 200);
    assert.equal(last?.body_excerpt, 'sent');
    for (const refused of attempts.slice(0, -1)) assert.equal(refused.body_excerpt, 'fail');
    // Both processes wrote attempts: the retries before the kill, the delivery after it.
    assert.ok(new Set(attempts.map((a) => a.owner)).size >= 2, `attempts of ${reference} come from both processes`);
  }
});

test('SIGTERM ends an open long-poll and the process exits 0', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const cleanup = cleanupStack(t);
  const database = await freshDatabase(cleanup);
  const secretKey = newSecretKey();
  const merchant = await createMerchantViaCli(database.url, database.dataDir, secretKey);
  const shop = await startMerchantServer(() => 'sent');
  cleanup(() => shop.close());
  const gateway = await startGateway(cleanup, database, secretKey, { LONG_POLL_SECONDS: '120' });

  const reference = newReference('sigterm');
  const created = await createTransaction(gateway.baseUrl, merchant, {
    payment_method: 'alipay',
    merchant_reference: reference,
    callback_url: shop.callbackUrl,
    return_url: shop.returnUrl,
  });
  assert.equal(created.answer.code, 0, JSON.stringify(created.answer));

  let ended = false;
  const longPoll = queryTransaction(gateway.baseUrl, merchant, reference, { isBlock: true }).then(
    (answer) => ({ answer, error: undefined }),
    (error: unknown) => ({ answer: undefined, error }),
  );
  void longPoll.then(() => (ended = true));
  await sleep(500);
  assert.equal(ended, false, 'the long-poll is waiting on the pending order');

  const exit = await gateway.stop('SIGTERM', 10_000);
  assert.deepEqual(exit, { code: 0, signal: null }, gateway.output());
  const { answer, error } = await within('the long-poll connection to end', 5_000, longPoll);
  // The waiting client gets the order's current state (still pending), not a hang.
  assert.equal(error, undefined, String(error));
  assert.equal(answer?.code, 0, JSON.stringify(answer));
  assert.equal(answer?.status, 'pending');
});
