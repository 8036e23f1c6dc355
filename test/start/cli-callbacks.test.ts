import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createOrder, settleOrder } from '../http/support.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('latipay callbacks (CLI)', () => {
  let gw: TestGateway;
  let cli: (...args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;
  before(async () => {
    gw = await createTestGateway();
    const env = { ...process.env, DATABASE_URL: gw.config.databaseUrl, SECRET_KEY: gw.config.secretKey, LOG_LEVEL: 'silent', ENV_FILE: '/dev/null' };
    cli = (...args) =>
      new Promise((resolve) => {
        execFile(process.execPath, ['bin/latipay.mjs', 'callbacks', ...args], { cwd: ROOT, env, timeout: 60_000 }, (error, stdout, stderr) => {
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
        });
      });
  });
  after(async () => {
    await gw.close();
  });

  test('show lists an order’s callback and its attempts; resend makes a delivered one due again', async () => {
    const { orderId } = await createOrder(gw);
    await settleOrder(gw, orderId, 'paid');
    const notification = await gw.store.db.selectFrom('notifications').selectAll().where('order_id', '=', orderId).executeTakeFirstOrThrow();
    // As if the merchant had answered `sent` once.
    await gw.store.db
      .insertInto('notification_attempts')
      .values({ notification_id: notification.id, attempted_at: Date.now(), http_status: 200, body_excerpt: 'sent', duration_ms: 12, error: null, owner: 'test' })
      .execute();
    await gw.store.db.updateTable('notifications').set({ status: 'delivered', delivered_at: Date.now(), attempts: 1 }).where('id', '=', notification.id).execute();

    const shown = await cli('show', orderId, '--json');
    assert.equal(shown.code, 0, shown.stderr);
    const [callback] = JSON.parse(shown.stdout) as Array<{ status: string; url: string; attempts: Array<{ http_status: number; body: string }> }>;
    assert.equal(callback.status, 'delivered');
    assert.equal(callback.url, notification.url);
    assert.deepEqual(callback.attempts.map((a) => [a.http_status, a.body]), [[200, 'sent']]);

    const before = Date.now();
    const resent = await cli('resend', orderId);
    assert.equal(resent.code, 0, resent.stderr);
    const after = await gw.store.db.selectFrom('notifications').selectAll().where('id', '=', notification.id).executeTakeFirstOrThrow();
    assert.equal(after.status, 'pending');
    assert.ok(Number(after.next_attempt_at) >= before && Number(after.next_attempt_at) <= Date.now(), 'due now');
    assert.equal(after.delivered_at, null);
    const audited = await gw.store.db.selectFrom('audit_events').selectAll().where('target', '=', orderId).execute();
    assert.deepEqual(audited.map((e) => [e.action, e.source]), [['callbacks.resend', 'cli']]);
  });

  test('an abandoned callback says it was given up and how to re-send it; list --abandoned lists it with its last attempt', async () => {
    const { orderId } = await createOrder(gw);
    await settleOrder(gw, orderId, 'failed');
    const notification = await gw.store.db.selectFrom('notifications').selectAll().where('order_id', '=', orderId).executeTakeFirstOrThrow();
    const lastAt = Date.UTC(2026, 4, 5, 6, 7, 8);
    // As if the worker had tried three times and then passed NOTIFY_GIVE_UP_SECONDS.
    for (const [i, outcome] of [
      [2, { http_status: 500, body_excerpt: 'oops', error: null }],
      [1, { http_status: null, body_excerpt: null, error: 'ECONNREFUSED' }],
      [0, { http_status: 502, body_excerpt: 'Bad Gateway', error: null }],
    ] as const) {
      await gw.store.db
        .insertInto('notification_attempts')
        .values({ notification_id: notification.id, attempted_at: lastAt - i * 30_000, duration_ms: 5, owner: 'test', ...outcome })
        .execute();
    }
    await gw.store.db.updateTable('notifications').set({ status: 'abandoned', attempts: 3 }).where('id', '=', notification.id).execute();

    const shown = await cli('show', orderId);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /: ABANDONED, given up after 3 attempt\(s\); re-send with `latipay callbacks resend (\d+)`\n/);
    assert.equal(/resend (\d+)/.exec(shown.stdout)?.[1], orderId);

    const listed = await cli('list', '--abandoned', '--json');
    assert.equal(listed.code, 0, listed.stderr);
    const rows = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    const row = rows.find((r) => r.order_id === orderId);
    assert.deepEqual(row, {
      id: Number(notification.id),
      order_id: orderId,
      url: notification.url,
      attempts: 3,
      last_attempt_at: new Date(lastAt).toISOString(),
      last_http_status: 502,
      last_body_excerpt: 'Bad Gateway',
      last_error: null,
    });
    assert.ok(rows.every((r) => r.order_id !== undefined));

    const text = await cli('list', '--abandoned');
    assert.equal(text.code, 0, text.stderr);
    assert.ok(text.stdout.includes(`${orderId}  3 attempt(s), last ${new Date(lastAt).toISOString()}  ${notification.url}  HTTP 502 "Bad Gateway"`), text.stdout);
    assert.match(text.stdout, /re-send with `latipay callbacks resend ORDER_ID`/);

    // Re-sent, it is pending again and no longer listed.
    assert.equal((await cli('resend', orderId)).code, 0);
    const after = JSON.parse((await cli('list', '--abandoned', '--json')).stdout) as Array<{ order_id: string }>;
    assert.ok(!after.some((r) => r.order_id === orderId));
  });

  test('list needs --abandoned', async () => {
    const bare = await cli('list');
    assert.equal(bare.code, 1);
    assert.match(bare.stderr, /give --abandoned/);
  });

  test('an order without callbacks, or bad arguments, exit 1 with a message', async () => {
    const unknown = await cli('show', '20260101000000000000');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no order with order_id or merchant_reference/);
    const bad = await cli('resend');
    assert.equal(bad.code, 2, 'a command line that does not parse');
    assert.match(bad.stderr, /missing required argument 'order_id_or_reference'/);
  });
});
