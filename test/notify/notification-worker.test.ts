import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { Credentials } from '../../src/gateway/credentials.js';
import { NotificationWorker } from '../../src/notify/notification-worker.js';
import { createLogger } from '../../src/start/logger.js';
import { claimDueNotifications, enqueueNotification, listAttempts, listNotificationsForOrder } from '../../src/store/notifications.js';
import { waitFor } from '../e2e/helpers.js';
import { createTestGateway } from '../helpers/gateway.js';
import { createOrder, settleOrder } from '../http/support.js';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
}

test('a merchant that never answers does not hold up callbacks to another merchant', { timeout: 30_000 }, async (t) => {
  // The slow merchant accepts the connection and never answers (until the attempt times out).
  const hung: Array<() => void> = [];
  const slow = createServer((_request, response) => hung.push(() => response.destroy()));
  const received: Array<{ reference: string; at: number }> = [];
  const fast = createServer((request, response) => {
    let body = '';
    request.on('data', (c) => (body += c));
    request.on('end', () => {
      received.push({ reference: new URLSearchParams(body).get('merchant_reference') ?? '', at: Date.now() });
      response.end('sent');
    });
  });
  const slowUrl = await listen(slow);
  const fastUrl = await listen(fast);
  const gw = await createTestGateway({ worker: true, env: { NOTIFY_TIMEOUT_SECONDS: '20' } });
  t.after(async () => {
    for (const end of hung) end();
    await gw.close();
    slow.closeAllConnections();
    fast.closeAllConnections();
    await Promise.all([new Promise((r) => slow.close(r)), new Promise((r) => fast.close(r))]);
  });

  // Ten orders for the slow merchant settle first, then one for the fast merchant.
  for (let i = 0; i < 10; i++) {
    const order = await createOrder(gw, { callback_url: slowUrl });
    await settleOrder(gw, order.orderId, 'paid');
  }
  const waitForHung = Date.now() + 5_000;
  while (hung.length < 10 && Date.now() < waitForHung) await new Promise((r) => setTimeout(r, 20));
  assert.equal(hung.length, 10, 'the slow merchant holds ten callbacks open');

  const quick = await createOrder(gw, { callback_url: fastUrl });
  const settledAt = Date.now();
  await settleOrder(gw, quick.orderId, 'paid');
  const deadline = Date.now() + 5_000;
  while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(received.map((r) => r.reference), [quick.reference], 'the other merchant got its callback');
  // Well inside the slow merchant's 20 s attempt timeout: delivered while those are still open.
  assert.ok(received[0].at - settledAt < 5_000);
  assert.equal(hung.length, 10);
});

test('a refused callback is retried after 1 s, 2 s, 4 s… with jitter, up to the cap, and abandoned past the give-up horizon', { timeout: 30_000 }, async (t) => {
  const gw = await createTestGateway();
  let now = Date.UTC(2026, 5, 1);
  const posted: number[] = [];
  const worker = new NotificationWorker({
    store: gw.store,
    credentials: new Credentials(gw.store.db, gw.secrets),
    log: createLogger('silent'),
    clock: () => now,
    retrySeconds: 5,
    giveUpSeconds: 10,
    concurrency: 4,
    timeoutSeconds: 5,
    retentionDays: 0,
    pollIntervalMs: 20,
    // The middle of the jitter band: each wait is 90% of its step (never under 1 s).
    random: () => 0.5,
    post: async () => {
      posted.push(now);
      return { status: 500, body: 'down' };
    },
  });
  t.after(async () => {
    await worker.stop(1_000);
    await gw.close();
  });
  const { orderId } = await createOrder(gw);
  await enqueueNotification(gw.store.db, { order_id: orderId, user_id: gw.merchant.user_id, url: 'https://shop.example/cb', body: 'x=1' }, now);
  const [{ id }] = await listNotificationsForOrder(gw.store.db, orderId);
  worker.start();

  const waits: number[] = [];
  for (let attempt = 1; ; attempt++) {
    await waitFor(`attempt ${attempt}`, async () => (await listAttempts(gw.store.db, Number(id))).length === attempt);
    const [row] = await listNotificationsForOrder(gw.store.db, orderId);
    if (row.status !== 'pending') {
      assert.equal(row.status, 'abandoned');
      break;
    }
    waits.push(Number(row.next_attempt_at) - now);
    // Not due a millisecond early: nothing is posted until the clock reaches the next attempt.
    now = Number(row.next_attempt_at) - 1;
    worker.wake();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(posted.length, attempt);
    now += 1;
    worker.wake();
  }
  // Steps 1, 2, 4, then the 5 s cap, each less 10%; the attempt at 10.9 s is past the 10 s horizon.
  assert.deepEqual(waits, [1_000, 1_800, 3_600, 4_500]);
  assert.deepEqual(
    posted.map((at) => at - posted[0]),
    [0, 1_000, 2_800, 6_400, 10_900],
  );
});

test('the worker prunes delivered callbacks past NOTIFY_RETENTION_DAYS, and none when it is 0', { timeout: 30_000 }, async (t) => {
  const gw = await createTestGateway();
  let started: NotificationWorker | undefined;
  t.after(async () => {
    await started?.stop(1_000);
    await gw.close();
  });
  const now = Date.UTC(2026, 5, 1);
  const DAY = 86_400_000;
  const { orderId } = await createOrder(gw);
  const insert = (status: string, at: number) =>
    gw.store.db
      .insertInto('notifications')
      .values({ order_id: orderId, user_id: gw.merchant.user_id, url: 'https://m.example/cb', body: 'x=1', status, attempts: 1, next_attempt_at: at, created_at: at, delivered_at: status === 'delivered' ? at : null })
      .execute();
  await insert('delivered', now - 8 * DAY);
  await insert('delivered', now - 6 * DAY);
  await insert('abandoned', now - 30 * DAY);
  const statuses = async () => (await listNotificationsForOrder(gw.store.db, orderId)).map((n) => [n.status, (now - Number(n.next_attempt_at)) / DAY]);

  const worker = (retentionDays: number) =>
    new NotificationWorker({
      store: gw.store,
      credentials: new Credentials(gw.store.db, gw.secrets),
      log: createLogger('silent'),
      clock: () => now,
      retrySeconds: 30,
      giveUpSeconds: 0,
      concurrency: 1,
      timeoutSeconds: 5,
      retentionDays,
      pruneIntervalMs: 20,
      post: async () => ({ status: 200, body: 'sent' }),
    });

  const keepForever = worker(0);
  assert.equal(await keepForever.prune(), 0);
  assert.equal((await statuses()).length, 3);

  // Started, it prunes on its own, on its interval.
  started = worker(7);
  started.start();
  await waitFor('the week-old delivered callback to be pruned', async () => (await statuses()).length === 2);
  assert.deepEqual(await statuses(), [
    ['delivered', 6],
    ['abandoned', 30],
  ]);
});

/** A worker on `gw`'s store with a clock that moves only when the test moves it. */
function workerAt(gw: Awaited<ReturnType<typeof createTestGateway>>, clock: () => number, post: NonNullable<ConstructorParameters<typeof NotificationWorker>[0]['post']>, over: Partial<ConstructorParameters<typeof NotificationWorker>[0]> = {}) {
  return new NotificationWorker({
    store: gw.store,
    credentials: new Credentials(gw.store.db, gw.secrets),
    log: createLogger('silent'),
    clock,
    retrySeconds: 30,
    giveUpSeconds: 0,
    concurrency: 4,
    timeoutSeconds: 5,
    retentionDays: 0,
    pollIntervalMs: 20,
    random: () => 0.5,
    post,
    ...over,
  });
}

test("after an outage, the first callback an endpoint takes makes that endpoint's waiting retries due, and no other endpoint's", { timeout: 30_000 }, async (t) => {
  const gw = await createTestGateway();
  // The clock never moves: a retry can go out only if it is pulled forward.
  const now = Date.UTC(2026, 5, 1);
  const down = new Set(['a.example', 'b.example']);
  const posted: string[] = [];
  const worker = workerAt(gw, () => now, async (url) => {
    posted.push(url);
    return down.has(new URL(url).hostname) ? { status: 503, body: 'down' } : { status: 200, body: 'sent' };
  });
  t.after(async () => {
    await worker.stop(1_000);
    await gw.close();
  });
  const { orderId } = await createOrder(gw);
  const enqueue = (url: string) => enqueueNotification(gw.store.db, { order_id: orderId, user_id: gw.merchant.user_id, url, body: 'x=1' }, now);
  for (const url of ['https://a.example/cb?n=1', 'https://a.example/cb?n=2', 'https://a.example/other', 'https://b.example/cb']) await enqueue(url);
  const rows = async () => new Map((await listNotificationsForOrder(gw.store.db, orderId)).map((r) => [r.url, r]));
  worker.start();
  await waitFor('every callback to fail once', async () => [...(await rows()).values()].every((r) => r.attempts === 1 && r.lease_owner === null));

  down.delete('a.example');
  await enqueue('https://a.example/cb?n=3');
  worker.wake();
  await waitFor("a.example's callbacks to be delivered", async () =>
    [...(await rows()).values()].filter((r) => r.url.startsWith('https://a.example/')).every((r) => r.status === 'delivered'),
  );
  const after = await rows();
  for (const url of ['https://a.example/cb?n=1', 'https://a.example/cb?n=2', 'https://a.example/other']) {
    assert.equal(after.get(url)?.attempts, 2, url);
    assert.equal((await listAttempts(gw.store.db, Number(after.get(url)?.id))).length, 2, `${url}: both attempts on record`);
  }
  // b.example is still down as far as anyone knows: its retry keeps its schedule (1 s after its failure).
  assert.equal(after.get('https://b.example/cb')?.status, 'pending');
  assert.equal(after.get('https://b.example/cb')?.attempts, 1);
  assert.equal(Number(after.get('https://b.example/cb')?.next_attempt_at), now + 1_000);
  assert.equal(posted.filter((url) => url.startsWith('https://b.example/')).length, 1);
});

test('a retried callback delivered by another process pulls its endpoint forward too', { timeout: 30_000 }, async (t) => {
  const gw = await createTestGateway();
  let now = Date.UTC(2026, 5, 1);
  const post = async () => ({ status: 200, body: 'sent' });
  const worker = workerAt(gw, () => now, post);
  t.after(async () => {
    await worker.stop(1_000);
    await gw.close();
  });
  const { orderId } = await createOrder(gw);
  // Three callbacks that failed before (in another process), waiting 1 s, 60 s and 60 s; another endpoint's, 60 s.
  const waiting = async (url: string, due: number) =>
    gw.store.db
      .insertInto('notifications')
      .values({ order_id: orderId, user_id: gw.merchant.user_id, url, endpoint: new URL(url).origin, body: 'x=1', status: 'pending', attempts: 4, next_attempt_at: due, created_at: now - 120_000 })
      .execute();
  await waiting('https://a.example/1', now + 1_000);
  await waiting('https://a.example/2', now + 60_000);
  await waiting('https://a.example/3', now + 60_000);
  await waiting('https://b.example/1', now + 60_000);
  worker.start();
  now += 1_000;
  worker.wake();
  const rows = async () => new Map((await listNotificationsForOrder(gw.store.db, orderId)).map((r) => [r.url, r]));
  await waitFor("a.example's three callbacks to be delivered", async () =>
    [...(await rows()).values()].filter((r) => r.url.startsWith('https://a.example/')).every((r) => r.status === 'delivered'),
  );
  const b = (await rows()).get('https://b.example/1');
  assert.equal(b?.status, 'pending');
  assert.equal(Number(b?.next_attempt_at), now + 59_000);
});

test('two workers draining a recovered endpoint batch by batch deliver each callback once, never twice at the same time', { timeout: 60_000 }, async (t) => {
  const gw = await createTestGateway();
  const now = Date.UTC(2026, 5, 1);
  let down = true;
  const inFlight = new Map<string, number>();
  const posts = new Map<string, number>();
  let overlaps = 0;
  const post = async (_url: string, body: string) => {
    const n = new URLSearchParams(body).get('n') ?? '';
    posts.set(n, (posts.get(n) ?? 0) + 1);
    inFlight.set(n, (inFlight.get(n) ?? 0) + 1);
    if ((inFlight.get(n) ?? 0) > 1) overlaps++;
    // Let other deliveries start meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 2));
    inFlight.set(n, (inFlight.get(n) ?? 0) - 1);
    return down ? { status: 503, body: 'down' } : { status: 200, body: 'sent' };
  };
  // Small batches, so that the 40 callbacks take many pulls shared between the two.
  const workers = [workerAt(gw, () => now, post, { concurrency: 6, pullBatch: 4 }), workerAt(gw, () => now, post, { concurrency: 6, pullBatch: 4 })];
  t.after(async () => {
    await Promise.all(workers.map((w) => w.stop(1_000)));
    await gw.close();
  });
  const { orderId } = await createOrder(gw);
  const enqueue = (n: number) => enqueueNotification(gw.store.db, { order_id: orderId, user_id: gw.merchant.user_id, url: `https://a.example/cb?n=${n}`, body: `n=${n}` }, now);
  for (let n = 0; n < 40; n++) await enqueue(n);
  const rows = () => listNotificationsForOrder(gw.store.db, orderId);
  for (const w of workers) w.start();
  await waitFor('all 40 to fail once', async () => (await rows()).every((r) => r.attempts === 1 && r.lease_owner === null), { timeoutMs: 20_000 });

  down = false;
  await enqueue(40);
  for (const w of workers) w.wake();
  await waitFor('all 41 to be delivered', async () => (await rows()).every((r) => r.status === 'delivered'), { timeoutMs: 30_000 });
  assert.equal(overlaps, 0, 'no callback was posted twice at the same time');
  for (let n = 0; n < 40; n++) assert.equal(posts.get(String(n)), 2, `callback ${n}: one failed attempt, one delivery`);
  assert.equal(posts.get('40'), 1);
  for (const row of await rows()) assert.equal((await listAttempts(gw.store.db, Number(row.id))).length, Number(row.attempts));
});

test('a slot that frees takes a callback claimed ahead, while the next claim is on its way; each callback goes out once', { timeout: 30_000 }, async (t) => {
  const gw = await createTestGateway();
  const now = Date.UTC(2026, 5, 1);
  const { orderId } = await createOrder(gw);
  for (let i = 0; i < 8; i++) {
    await enqueueNotification(gw.store.db, { order_id: orderId, user_id: gw.merchant.user_id, url: `https://shop.example/cb/${i}`, body: `n=${i}` }, now);
  }
  // Claims are slow (as one waiting for SQLite's group commit under load) and deliveries
  // alternate quick and slower, so that deliveries finish while a claim is on its way.
  const asked: Array<{ limit: number; free: number }> = [];
  const posted: string[] = [];
  const worker: NotificationWorker = workerAt(
    gw,
    () => now,
    async (url) => {
      posted.push(url);
      await new Promise((resolve) => setTimeout(resolve, posted.length % 2 === 1 ? 10 : 250));
      return { status: 200, body: 'sent' };
    },
    {
      concurrency: 2,
      claim: async (owner, at, leaseUntil, limit) => {
        asked.push({ limit, free: 2 - worker.inflight });
        await new Promise((resolve) => setTimeout(resolve, 400));
        return claimDueNotifications(gw.store.db, owner, at, leaseUntil, limit);
      },
    },
  );
  t.after(async () => {
    await worker.stop(1_000);
    await gw.close();
  });
  worker.start();
  await waitFor('all eight callbacks delivered', async () => (await listNotificationsForOrder(gw.store.db, orderId)).every((n) => n.status === 'delivered'));

  // The first claim asks for the free slots only; once a delivery has finished during a
  // claim, the next asks for more than the slots free then, and holds them ready.
  assert.deepEqual(asked[0], { limit: 2, free: 2 });
  assert.ok(asked.some((a) => a.limit > a.free), `a claim asked ahead of its free slots: ${JSON.stringify(asked)}`);
  assert.deepEqual([...posted].sort(), Array.from({ length: 8 }, (_, i) => `https://shop.example/cb/${i}`));
  for (const n of await listNotificationsForOrder(gw.store.db, orderId)) assert.equal(n.attempts, 1);
});
