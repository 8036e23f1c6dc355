import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  claimDueNotifications,
  enqueueNotification,
  listAttempts,
  pruneDeliveredNotifications,
  pullRetriesForward,
  recordAttempt,
  type AttemptRecord,
} from '../../src/store/notifications.js';
import { preparedSqlTexts } from '../../src/store/prepared.js';
import { sql } from 'kysely';
import { TEST_DIALECT } from '../helpers/database.js';
import { vacuumIfChurned } from '../../src/store/dialect/table-storage.js';
import { failPendingOrder } from '../../src/gateway/finish-pending-order.js';
import { findOrderById } from '../../src/store/orders.js';
import { createTestGateway, signed, type TestGateway } from '../helpers/gateway.js';
import { answerOf, createOrder, settleOrder } from '../http/support.js';

describe('recordAttempt (the attempts of one turn recorded together)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(() => gw.close());

  const attempt = (id: number, owner: string, over: Partial<AttemptRecord> = {}): AttemptRecord => ({
    notification_id: id,
    attempted_at: 1_000 + id,
    http_status: 200,
    body_excerpt: 'sent',
    duration_ms: 7,
    error: null,
    owner,
    ...over,
  });

  test('delivered, rescheduled, abandoned and lost leases in one turn each get their own outcome', async () => {
    const { orderId } = await createOrder(gw);
    for (let i = 0; i < 6; i++) await enqueueNotification(gw.store.db, { order_id: orderId, user_id: gw.merchant.user_id, url: `https://m.example/${i}`, body: 'x' }, 1);
    const mine = await claimDueNotifications(gw.store.db, 'w1', 10, 1_000_000, 5);
    const theirs = await claimDueNotifications(gw.store.db, 'w2', 10, 1_000_000, 5);
    assert.equal(mine.length, 5);
    assert.equal(theirs.length, 1);
    const [d1, d2, retry, abandon, wrongOwner] = mine.map((row) => Number(row.id));
    const stolen = Number(theirs[0].id);

    // All started in the same turn: one batch.
    const results = await Promise.all([
      recordAttempt(gw.store.db, attempt(d1, 'w1'), { delivered: true }),
      recordAttempt(gw.store.db, attempt(d2, 'w1', { duration_ms: 30 }), { delivered: true }),
      recordAttempt(gw.store.db, attempt(retry, 'w1', { http_status: 500, body_excerpt: "it's, \"down\"\\", error: null }), {
        delivered: false,
        nextAttemptAt: 5_000,
        abandon: false,
      }),
      recordAttempt(gw.store.db, attempt(abandon, 'w1', { http_status: null, body_excerpt: null, error: 'ECONNREFUSED' }), {
        delivered: false,
        nextAttemptAt: 6_000,
        abandon: true,
      }),
      // w1 records a delivery of a row w2 holds, and w2 one of a row w1 holds: neither lease is theirs.
      recordAttempt(gw.store.db, attempt(stolen, 'w1'), { delivered: true }),
      recordAttempt(gw.store.db, attempt(wrongOwner, 'w2'), { delivered: true }),
    ]);
    assert.deepEqual(results, [true, true, true, true, false, false]);

    const rows = new Map(
      (await gw.store.db.selectFrom('notifications').selectAll().where('order_id', '=', orderId).execute()).map((r) => [Number(r.id), r]),
    );
    const view = (id: number) => {
      const r = rows.get(id)!;
      return { status: r.status, attempts: r.attempts, delivered_at: r.delivered_at === null ? null : Number(r.delivered_at), next: Number(r.next_attempt_at), owner: r.lease_owner };
    };
    assert.deepEqual(view(d1), { status: 'delivered', attempts: 1, delivered_at: 1_000 + d1 + 7, next: 1, owner: null });
    assert.deepEqual(view(d2), { status: 'delivered', attempts: 1, delivered_at: 1_000 + d2 + 30, next: 1, owner: null });
    assert.deepEqual(view(retry), { status: 'pending', attempts: 1, delivered_at: null, next: 5_000, owner: null });
    assert.deepEqual(view(abandon), { status: 'abandoned', attempts: 1, delivered_at: null, next: 6_000, owner: null });
    assert.deepEqual(view(stolen), { status: 'pending', attempts: 0, delivered_at: null, next: 1, owner: 'w2' });
    assert.deepEqual(view(wrongOwner), { status: 'pending', attempts: 0, delivered_at: null, next: 1, owner: 'w1' });

    // Every attempt is on record, with what it saw, even where the lease was lost.
    const retried = await listAttempts(gw.store.db, retry);
    assert.equal(retried.length, 1);
    assert.equal(retried[0].http_status, 500);
    assert.equal(retried[0].body_excerpt, "it's, \"down\"\\");
    const abandoned = await listAttempts(gw.store.db, abandon);
    assert.equal(abandoned[0].http_status, null);
    assert.equal(abandoned[0].body_excerpt, null);
    assert.equal(abandoned[0].error, 'ECONNREFUSED');
    for (const id of [d1, d2, stolen, wrongOwner]) assert.equal((await listAttempts(gw.store.db, id)).length, 1, `attempt of ${id}`);
    assert.equal(Number((await listAttempts(gw.store.db, d2))[0].duration_ms), 30);
  });

  // PostgreSQL records the attempts of a turn in one statement (a generic plan once its
  // named statement has run five times). Made on statistics from when the table was nearly
  // empty, that plan must still find the rows by primary key, not by walking a partial
  // index of every pending callback (each delivery left a dead entry there).
  // (SQLite records row by row, each by primary key: only the PostgreSQL run has this test.)
  if (TEST_DIALECT === 'postgres') test('on PostgreSQL the one-statement record finds its rows by primary key, even on stale statistics', async () => {
    const { orderId } = await createOrder(gw);
    await enqueueNotification(gw.store.db, { order_id: orderId, user_id: gw.merchant.user_id, url: 'https://m.example/plan', body: 'x' }, 1);
    const [row] = await claimDueNotifications(gw.store.db, 'plan', 10, 1_000_000, 1);
    assert.equal(await recordAttempt(gw.store.db, attempt(Number(row.id), 'plan'), { delivered: true }), true);
    const text = [...preparedSqlTexts].find((q) => q.includes('insert into notification_attempts'));
    assert.ok(text, 'the one-statement record has run');

    // Statistics of an empty table (as the migration leaves them), then a busy endpoint.
    await sql`delete from notification_attempts`.execute(gw.store.db);
    await sql`delete from notifications`.execute(gw.store.db);
    await sql`analyze notifications`.execute(gw.store.db);
    await sql`insert into notifications (order_id, user_id, url, endpoint, body, status, attempts, next_attempt_at, created_at)
      select ${orderId}, ${gw.merchant.user_id}, 'https://m.example/plan', 'https://m.example', 'x', 'pending', 0, g, g from generate_series(1, 20000) g`.execute(gw.store.db);
    await sql`update notifications set status = 'delivered', delivered_at = next_attempt_at where endpoint = 'https://m.example' and next_attempt_at % 10 <> 0`.execute(gw.store.db);
    const plan = await gw.store.db.connection().execute(async (conn) => {
      await sql`set plan_cache_mode = force_generic_plan`.execute(conn);
      await sql.raw(`prepare attempts_plan as ${text}`).execute(conn);
      try {
        const count = Math.max(...[...text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
        const nulls = Array.from({ length: count }, () => 'null').join(', ');
        const rows = (await sql.raw<{ 'QUERY PLAN': string }>(`explain execute attempts_plan(${nulls})`).execute(conn)).rows;
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      } finally {
        await sql`deallocate attempts_plan`.execute(conn);
        await sql`reset plan_cache_mode`.execute(conn);
      }
    });
    // Each row reached through its key, not a walk over an index of all of them.
    assert.match(plan, /Index Cond: \(id = /, plan);
    assert.doesNotMatch(plan, /notifications_(claim|endpoint)_idx/, plan);
  });
});

describe('notifications.user_id (the user whose key signs a callback)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(() => gw.close());

  test('is set on every path that queues a callback: a provider outcome (batched on PostgreSQL), a cancel, an expiry', async () => {
    const other = await gw.addMerchant({ name: 'Second Shop' });
    const paid = await createOrder(gw, {}, other);
    assert.equal((await settleOrder(gw, paid.orderId, 'paid')).statusCode, 200);

    const cancelled = await createOrder(gw);
    const cancel = await gw.app.inject({
      method: 'POST',
      url: '/cancel',
      payload: signed({ user_id: gw.merchant.user_id, merchant_reference: cancelled.reference }, gw.merchant.api_key),
    });
    assert.equal(answerOf(cancel).code, 0, cancel.body);

    const expired = await createOrder(gw, {}, other);
    const order = await findOrderById(gw.store.db, expired.orderId);
    assert.ok(order);
    assert.equal(await gw.store.db.transaction().execute((trx) => failPendingOrder(trx, order, other.api_key, 480, Date.now())), true);

    const userOf = async (orderId: string) => {
      const rows = await gw.store.db.selectFrom('notifications').select('user_id').where('order_id', '=', orderId).execute();
      return rows.map((r) => r.user_id);
    };
    assert.deepEqual(await userOf(paid.orderId), [other.user_id]);
    assert.deepEqual(await userOf(cancelled.orderId), [gw.merchant.user_id]);
    assert.deepEqual(await userOf(expired.orderId), [other.user_id]);
  });
});

describe('pruneDeliveredNotifications (retention)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(() => gw.close());

  const DAY = 86_400_000;
  const NOW = Date.UTC(2026, 3, 1);

  /** A notification in `status`, last due at `due`, delivered at `delivered`, with `attempts` attempts on record. */
  async function notification(orderId: string, status: string, due: number, delivered: number | null, attempts = 2): Promise<number> {
    const row = await gw.store.db
      .insertInto('notifications')
      .values({ order_id: orderId, user_id: gw.merchant.user_id, url: 'https://m.example/cb', body: 'x=1', status, attempts, next_attempt_at: due, created_at: due - 5_000, delivered_at: delivered })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (let i = 0; i < attempts; i++) {
      await gw.store.db
        .insertInto('notification_attempts')
        .values({ notification_id: row.id, attempted_at: due - 1_000 * i, http_status: 500, body_excerpt: 'no', duration_ms: 3, error: null, owner: 'w' })
        .execute();
    }
    return Number(row.id);
  }

  test('deletes delivered callbacks older than the cutoff with their attempts, in batches; keeps the rest', async () => {
    const { orderId } = await createOrder(gw);
    const cutoff = NOW - 30 * DAY;
    const old = [
      await notification(orderId, 'delivered', cutoff - 3 * DAY, cutoff - 3 * DAY + 40),
      await notification(orderId, 'delivered', cutoff - 2 * DAY, cutoff - 2 * DAY + 40, 1),
      await notification(orderId, 'delivered', cutoff - 1, cutoff - 1, 3),
    ];
    const kept = [
      // Delivered after the cutoff.
      await notification(orderId, 'delivered', cutoff + 1, cutoff + 50),
      // Due before the cutoff but delivered after it (the worker was down): kept until its delivery is old.
      await notification(orderId, 'delivered', cutoff - DAY, cutoff + 10),
      // Never delivered: abandoned ones may be re-sent, pending ones are still being tried.
      await notification(orderId, 'abandoned', cutoff - 9 * DAY, null),
      await notification(orderId, 'pending', cutoff - 9 * DAY, null),
    ];

    assert.equal(await pruneDeliveredNotifications(gw.store.db, cutoff, 2), 2, 'a batch is bounded');
    assert.equal(await pruneDeliveredNotifications(gw.store.db, cutoff, 2), 1);
    assert.equal(await pruneDeliveredNotifications(gw.store.db, cutoff, 2), 0);

    const left = (await gw.store.db.selectFrom('notifications').select('id').where('order_id', '=', orderId).orderBy('id').execute()).map((r) => Number(r.id));
    assert.deepEqual(left, kept);
    for (const id of old) assert.equal((await listAttempts(gw.store.db, id)).length, 0, `attempts of ${id} deleted`);
    for (const id of kept) assert.ok((await listAttempts(gw.store.db, id)).length > 0, `attempts of ${id} kept`);
  });
});

describe('pullRetriesForward (an endpoint that took a callback gets its waiting retries now)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(() => gw.close());

  const NOW = Date.UTC(2026, 3, 1);

  test('a callback is queued with its endpoint, the origin of its URL, on every path', async () => {
    const queued = await createOrder(gw);
    await enqueueNotification(gw.store.db, { order_id: queued.orderId, user_id: gw.merchant.user_id, url: 'HTTPS://Shop.Example:443/latipay/cb?order=7#x', body: 'x' }, NOW);
    // A provider's report (on PostgreSQL through the settlements' one statement).
    const paid = await createOrder(gw, { callback_url: 'http://shop.example:8080/cb?ref=1' });
    assert.equal((await settleOrder(gw, paid.orderId, 'paid')).statusCode, 200);
    const endpointOf = async (orderId: string) =>
      (await gw.store.db.selectFrom('notifications').select('endpoint').where('order_id', '=', orderId).execute()).map((r) => r.endpoint);
    assert.deepEqual(await endpointOf(queued.orderId), ['https://shop.example']);
    assert.deepEqual(await endpointOf(paid.orderId), ['http://shop.example:8080']);
  });

  test("makes only that endpoint's waiting, unleased retries due, the soonest first, a bounded batch at a time", async () => {
    const { orderId } = await createOrder(gw);
    const add = async (endpoint: string, status: string, due: number, lease?: { owner: string; until: number }) => {
      const row = await gw.store.db
        .insertInto('notifications')
        .values({
          order_id: orderId,
          user_id: gw.merchant.user_id,
          url: `${endpoint}/cb`,
          endpoint,
          body: 'x=1',
          status,
          attempts: 3,
          next_attempt_at: due,
          created_at: NOW - 60_000,
          delivered_at: status === 'delivered' ? NOW - 1 : null,
          lease_owner: lease?.owner ?? null,
          lease_until: lease?.until ?? null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return Number(row.id);
    };
    const A = 'https://a.example';
    const waiting = [await add(A, 'pending', NOW + 30_000), await add(A, 'pending', NOW + 4_000), await add(A, 'pending', NOW + 9_000)];
    // Its lease ran out (its worker died): it is waiting like the others.
    const expired = await add(A, 'pending', NOW + 20_000, { owner: 'dead', until: NOW - 1 });
    const untouched = [
      await add(A, 'pending', NOW - 5_000), // due already
      await add(A, 'pending', NOW + 1_000, { owner: 'w1', until: NOW + 25_000 }), // in flight elsewhere
      await add(A, 'delivered', NOW + 2_000),
      await add(A, 'abandoned', NOW + 2_000),
      await add('https://b.example', 'pending', NOW + 2_000), // another endpoint
      await add('https://a.example:8443', 'pending', NOW + 2_000), // another port, another endpoint
    ];
    const snapshot = async () =>
      new Map(
        (await gw.store.db.selectFrom('notifications').selectAll().where('order_id', '=', orderId).execute()).map((r) => [
          Number(r.id),
          { due: Number(r.next_attempt_at), status: r.status, attempts: Number(r.attempts), owner: r.lease_owner },
        ]),
      );
    const before = await snapshot();

    assert.equal(await pullRetriesForward(gw.store.db, A, NOW, 2), 2);
    let rows = await snapshot();
    // The two due soonest: 4 s and 9 s.
    assert.deepEqual([waiting[1], waiting[2]].map((id) => rows.get(id)?.due), [NOW, NOW]);
    assert.equal(rows.get(waiting[0])?.due, NOW + 30_000);

    assert.equal(await pullRetriesForward(gw.store.db, A, NOW, 2), 2);
    assert.equal(await pullRetriesForward(gw.store.db, A, NOW, 2), 0);
    rows = await snapshot();
    for (const id of [...waiting, expired]) assert.deepEqual(rows.get(id), { ...before.get(id), due: NOW }, `callback ${id}`);
    for (const id of untouched) assert.deepEqual(rows.get(id), before.get(id), `callback ${id}`);

    // Now due, they are claimed like any other (the one in flight elsewhere is not).
    const claimed = (await claimDueNotifications(gw.store.db, 'w2', NOW, NOW + 25_000, 100)).filter((r) => r.order_id === orderId).map((r) => Number(r.id));
    assert.deepEqual(claimed.sort((x, y) => x - y), [...waiting, expired, untouched[0]].sort((x, y) => x - y));
  });
});

// The outbox worker vacuums `notifications` itself when retries leave dead row versions
// faster than autovacuum comes round (PostgreSQL only; SQLite keeps no row versions).
describe('vacuumIfChurned (the outbox vacuumed when its dead row versions pile up)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(() => gw.close());

  test('on SQLite there is nothing to vacuum; on PostgreSQL it vacuums only past both limits', async () => {
    const limits = { minDead: 10_000, deadShare: 0.2 };
    if (TEST_DIALECT !== 'postgres') {
      assert.equal(await vacuumIfChurned(gw.store.db, 'notifications', limits), undefined);
      return;
    }
    const { orderId } = await createOrder(gw);
    const seen = () =>
      sql<{ dead: string }>`select n_dead_tup as dead from pg_stat_user_tables where relid = to_regclass('notifications')`
        .execute(gw.store.db)
        .then((r) => Number(r.rows[0]?.dead ?? 0));
    // 12,000 callbacks written and then each rewritten once: 12,000 dead versions, on one
    // connection whose statistics are then flushed.
    await gw.store.db.connection().execute(async (conn) => {
      await sql`insert into notifications (order_id, user_id, url, endpoint, body, status, attempts, next_attempt_at, created_at)
        select ${orderId}, ${gw.merchant.user_id}, 'https://m.example/v', 'https://m.example', 'x', 'pending', 0, g, g from generate_series(1, 12000) g`.execute(conn);
      assert.equal((await vacuumIfChurned(conn, 'notifications', limits))?.vacuumed, false, 'no dead versions yet');
      await sql`update notifications set status = 'delivered', delivered_at = next_attempt_at where url = 'https://m.example/v'`.execute(conn);
      await sql`select pg_stat_force_next_flush()`.execute(conn);
      await sql`select 1`.execute(conn);
    });
    for (let i = 0; i < 100 && (await seen()) < 12_000; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok((await seen()) >= 12_000, 'the statistics show the dead versions');

    const tooFew = await vacuumIfChurned(gw.store.db, 'notifications', { minDead: 20_000, deadShare: 0.2 });
    assert.deepEqual(tooFew && { vacuumed: tooFew.vacuumed, dead: tooFew.dead >= 12_000 }, { vacuumed: false, dead: true });
    const tooSmallAShare = await vacuumIfChurned(gw.store.db, 'notifications', { minDead: 10_000, deadShare: 2 });
    assert.equal(tooSmallAShare?.vacuumed, false);

    const done = await vacuumIfChurned(gw.store.db, 'notifications', limits);
    assert.equal(done?.vacuumed, true);
    assert.ok((await seen()) < 1_000, 'the vacuum removed the dead versions');
  });
});
