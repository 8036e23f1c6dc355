import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import pg from 'pg';
import { createTestDatabase, TEST_DIALECT } from '../helpers/database.js';
import {
  cleanupStack,
  createMerchantViaCli,
  createTransaction,
  newSecretKey,
  queryTransaction,
  settleOrder,
  sleep,
  startGatewayProcess,
  waitFor,
  type GatewayProcess,
} from './helpers.js';

/**
 * Scale-out: three equal gateway processes on one PostgreSQL database. This test exists
 * only in the PostgreSQL run of the suite (scripts/test.mjs runs every file on both
 * databases); SQLite is one process's embedded database, with nothing to scale out.
 */
if (TEST_DIALECT === 'postgres') {
  test('three instances on one PostgreSQL: 300 orders, a SIGKILL mid-delivery, nothing lost or sent twice', { timeout: 180_000 }, async (t) => {
    const defer = cleanupStack(t);
    const database = await createTestDatabase();
    defer(() => database.cleanup());
    const secretKey = newSecretKey();
    // Migrations run once for the fleet (the CLI migrates before it acts), then three instances start.
    const merchant = await createMerchantViaCli(database.url, database.dataDir, secretKey);

    // The merchant answers `sent` after a short pause, so that deliveries are in flight when an instance dies.
    const received: Array<{ reference: string; at: number }> = [];
    const server = createServer((request: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        const fields = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        received.push({ reference: fields.get('merchant_reference') ?? '', at: Date.now() });
        setTimeout(() => response.writeHead(200, { 'content-type': 'text/plain' }).end('sent'), 150);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    defer(() => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const callbackUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;

    const env = { NOTIFY_RETRY_SECONDS: '1', NOTIFY_TIMEOUT_SECONDS: '2', LONG_POLL_SECONDS: '60', DATABASE_POOL_SIZE: '5' };
    const gateways: GatewayProcess[] = [];
    for (let i = 0; i < 3; i++) {
      const gateway = await startGatewayProcess({ databaseUrl: database.url, dataDir: database.dataDir, secretKey, env });
      defer(() => gateway.kill());
      gateways.push(gateway);
    }
    const [a, b, c] = gateways;

    // 300 orders, created round-robin across the three instances.
    const references = Array.from({ length: 300 }, (_, i) => `scale-${i}-${Date.now()}`);
    await inBatches(references, 20, async (reference, i) => {
      const { answer } = await createTransaction(gateways[i % 3].baseUrl, merchant, {
        merchant_reference: reference,
        payment_method: i % 2 ? 'wechat' : 'alipay',
        return_url: 'https://merchant.example/return',
        callback_url: callbackUrl,
      });
      assert.equal(answer.code, 0, JSON.stringify(answer));
    });
    const orderIds = new Map<string, string>();
    await inBatches(references, 20, async (reference, i) => {
      const answer = await queryTransaction(gateways[i % 3].baseUrl, merchant, reference);
      orderIds.set(reference, String(answer.order_id));
    });

    // Long-polls on the third instance for orders that the other two will settle.
    const polled = references.slice(0, 30);
    const settledAt = new Map<string, number>();
    const wokeAt = new Map<string, number>();
    const longPolls = polled.map(async (reference) => {
      const answer = await queryTransaction(c.baseUrl, merchant, reference, { isBlock: true });
      wokeAt.set(reference, Date.now());
      return answer.status;
    });
    await sleep(300); // let the long-polls reach the gateway and subscribe

    // Settle the first half through A and B, then SIGKILL B while its deliveries are in flight.
    const settle = async (reference: string, via: GatewayProcess) => {
      const answer = await settleOrder(via.baseUrl, orderIds.get(reference) as string, 'paid');
      settledAt.set(reference, Date.now());
      assert.equal(answer.code, 0, JSON.stringify(answer));
    };
    const firstHalf = references.slice(0, 150);
    await inBatches(firstHalf, 20, (reference, i) => settle(reference, i % 2 ? b : a));
    await waitFor('deliveries in flight', () => received.length > 0, { timeoutMs: 10_000, intervalMs: 5 });
    const killed = await b.stop('SIGKILL');
    assert.equal(killed.signal, 'SIGKILL');
    // The rest through A and C.
    await inBatches(references.slice(150), 20, (reference, i) => settle(reference, i % 2 ? c : a));

    const statuses = await Promise.all(longPolls);
    assert.deepEqual(new Set(statuses), new Set(['paid']), 'every long-poll on C answered paid');
    const wakeDelays = polled.map((r) => (wokeAt.get(r) as number) - (settledAt.get(r) as number));
    // Woken by the change (not by the 60 s limit): a correctness bound, not a benchmark.
    assert.ok(Math.max(...wakeDelays) < 5_000, `long-polls woke ${JSON.stringify(wakeDelays)} ms after settlement`);
    t.diagnostic(`long-poll wake after settlement on another instance: max ${Math.max(...wakeDelays)} ms`);

    // Every order is notified and acknowledged: B's leases run out and A or C take over.
    await waitFor(
      'every order acknowledged',
      () => new Set(received.map((r) => r.reference)).size === references.length,
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    defer(() => client.end());
    await waitFor(
      'every notification recorded as delivered',
      async () => (await client.query(`select count(*)::int as n from notifications where status <> 'delivered'`)).rows[0].n === 0,
      { timeoutMs: 30_000, intervalMs: 200 },
    );

    // No order, and no notification, missing or duplicated.
    const orders = await client.query(`select merchant_reference, status from orders`);
    assert.equal(orders.rowCount, 300);
    assert.equal(new Set(orders.rows.map((r) => r.merchant_reference)).size, 300);
    assert.ok(orders.rows.every((r) => r.status === 'paid'));
    const perOrder = await client.query(`select order_id, count(*)::int as n from notifications group by order_id`);
    assert.equal(perOrder.rowCount, 300);
    assert.ok(perOrder.rows.every((r) => r.n === 1), 'one notification per order');
    // The ledger: exactly one payment credit per order, and nothing else.
    const ledger = await client.query(`select order_id, kind, amount_minor from ledger_entries`);
    assert.equal(ledger.rowCount, 300);
    assert.equal(new Set(ledger.rows.map((r) => r.order_id)).size, 300);
    assert.ok(ledger.rows.every((r) => r.kind === 'payment' && Number(r.amount_minor) === 12_000));

    // An acknowledged notification is never delivered again: no attempt after the one recorded
    // as delivered, and the merchant saw nothing for that order after that moment.
    const late = await client.query(`
      select count(*)::int as n from notification_attempts a join notifications n on n.id = a.notification_id
      where a.attempted_at > n.delivered_at`);
    assert.equal(late.rows[0].n, 0, 'attempts after a recorded delivery');
    const deliveredAt = await client.query(
      `select o.merchant_reference, n.delivered_at from notifications n join orders o on o.order_id = n.order_id`,
    );
    await sleep(2_500); // more than a retry period: a stray re-delivery would show now
    for (const row of deliveredAt.rows) {
      const after = received.filter((r) => r.reference === row.merchant_reference && r.at > Number(row.delivered_at) + 50);
      assert.equal(after.length, 0, `callback for ${row.merchant_reference} after it was acknowledged`);
    }
    const duplicates = references.filter((r) => received.filter((x) => x.reference === r).length > 1).length;
    t.diagnostic(`orders whose callback B had in flight when it was killed, and so were sent again: ${duplicates}`);

    // Survivors shut down gracefully.
    for (const gateway of [a, c]) {
      const exit = await gateway.stop('SIGTERM', 20_000);
      assert.equal(exit.code, 0, gateway.output());
    }
  });
}

async function inBatches<T>(items: T[], size: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) {
    await Promise.all(items.slice(i, i + size).map((item, j) => fn(item, i + j)));
  }
}
