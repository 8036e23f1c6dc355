import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import type { Resolver } from '../../src/notify/outbound-guard.js';
import { listAttempts, listNotificationsForOrder } from '../../src/store/notifications.js';
import { waitFor } from '../e2e/helpers.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createOrder, settleOrder } from '../http/support.js';

// The worker's outbound guard with real sockets, on loopback only: a merchant's listener on
// 127.0.0.1, host names that a fake resolver points at it. Every name here resolves to a
// loopback address, and the connection watcher below refuses anything else (and any name
// not resolved by the guard), so even a broken guard could not make this test reach
// beyond the machine.

const LOOPBACK = new Set(['127.0.0.1', '::1']);
const isLoopback = (address: string) => LOOPBACK.has(address) || address.startsWith('127.') || address === '::ffff:127.0.0.1';

interface Attempt {
  address: string;
  port: number;
}

/**
 * Watches every socket connection of this process for the test's duration: each address
 * actually connected to (after resolution) is recorded, and a connection to anything but
 * loopback is refused before it is made.
 */
function watchConnections(t: TestContext): { attempts: Attempt[]; hosts: string[] } {
  const attempts: Attempt[] = [];
  const hosts: string[] = [];
  const original = net.Socket.prototype.connect;
  // Node passes either (options, cb), (port, host, cb) or its own normalised [options, cb].
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    const first = Array.isArray(args[0]) ? args[0][0] : args[0];
    const options = (typeof first === 'object' && first !== null ? first : { port: first, host: args[1] }) as net.TcpNetConnectOpts;
    if (typeof options.host === 'string') {
      hosts.push(options.host);
      if (net.isIP(options.host) !== 0 && !isLoopback(options.host)) throw new Error(`the test refuses a connection to ${options.host}`);
      // Whatever a name resolves to (the gateway's guard runs first): loopback or nothing.
      const resolve = options.lookup;
      // A name only the gateway's guard may resolve here: the system's DNS is never asked.
      if (net.isIP(options.host) === 0 && !resolve) throw new Error(`the test refuses to resolve ${options.host} through the system`);
      if (resolve) {
        options.lookup = ((hostname: string, lookupOptions: object, callback: (...a: unknown[]) => void) =>
          resolve(hostname, lookupOptions, (error: unknown, address: unknown, family?: unknown) => {
            const addresses = Array.isArray(address) ? (address as LookupAddress[]).map((a) => a.address) : [String(address)];
            if (!error && addresses.some((a) => !isLoopback(a))) return callback(new Error(`the test refuses ${addresses.join(', ')}`), '');
            callback(error, address, family);
          })) as net.TcpNetConnectOpts['lookup'];
      }
    }
    this.on('connectionAttempt', (address: string, port: number) => attempts.push({ address, port }));
    return original.apply(this, args as Parameters<typeof original>);
  } as typeof original;
  t.after(() => {
    net.Socket.prototype.connect = original;
  });
  return { attempts, hosts };
}

/** A merchant endpoint on 127.0.0.1 that counts connections and answers `sent`. */
async function merchantListener(t: TestContext): Promise<{ port: number; connections: () => number; received: string[] }> {
  let connections = 0;
  const received: string[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      received.push(body);
      response.end('sent');
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { port: (server.address() as AddressInfo).port, connections: () => connections, received };
}

// merchant.test is what a merchant's DNS could be made to say: the gateway's own host.
const resolve: Resolver = async (hostname) => {
  if (hostname === 'merchant.test') return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
};

async function guardedGateway(t: TestContext, env: Record<string, string> = {}): Promise<TestGateway> {
  const gw = await createTestGateway({ worker: true, resolve, env: { OUTBOUND_GUARD: 'on', ...env } });
  t.after(() => gw.close());
  return gw;
}

/** Settles a new order whose callback goes to `url` and waits for its first recorded attempt. */
async function firstAttempt(gw: TestGateway, url: string, { rewriteTo }: { rewriteTo?: string } = {}) {
  const order = await createOrder(gw, { callback_url: url });
  // A URL stored before the guard was on, or by an older version: the worker is the last line.
  if (rewriteTo) await gw.store.db.updateTable('orders').set({ callback_url: rewriteTo }).where('order_id', '=', order.orderId).execute();
  await settleOrder(gw, order.orderId, 'paid');
  const [notification] = await listNotificationsForOrder(gw.store.db, order.orderId);
  const [attempt] = await waitFor('the first delivery attempt', async () => {
    const attempts = await listAttempts(gw.store.db, Number(notification.id));
    return attempts.length > 0 && attempts;
  });
  const [after] = await listNotificationsForOrder(gw.store.db, order.orderId);
  return { attempt, notification: after };
}

test('guarded: a callback whose host resolves to 127.0.0.1 is refused without a connection, and retried later', { timeout: 30_000 }, async (t) => {
  const watched = watchConnections(t);
  const merchant = await merchantListener(t);
  const gw = await guardedGateway(t);
  const { attempt, notification } = await firstAttempt(gw, `http://merchant.test:${merchant.port}/callback`);

  assert.equal(attempt.error, 'forbidden address 127.0.0.1 (loopback) for merchant.test');
  assert.equal(attempt.http_status, null);
  assert.equal(notification.status, 'pending', 'refused like any failure: retried on the schedule');
  assert.ok(Number(notification.next_attempt_at) > Number(attempt.attempted_at), 'the next attempt is later');
  assert.equal(merchant.connections(), 0, 'the listener saw no connection');
  assert.ok(watched.hosts.includes('merchant.test'), 'the gateway did try to reach merchant.test');
  assert.deepEqual(
    watched.attempts.filter((a) => a.port === merchant.port),
    [],
    'no socket connected to the listener’s port',
  );
});

test('guarded: a literal loopback callback URL is refused before any socket is made', { timeout: 30_000 }, async (t) => {
  const watched = watchConnections(t);
  const merchant = await merchantListener(t);
  const gw = await guardedGateway(t);
  for (const literal of [`http://127.0.0.1:${merchant.port}/callback`, `http://[::1]:${merchant.port}/callback`, `http://2130706433:${merchant.port}/`]) {
    const { attempt, notification } = await firstAttempt(gw, 'https://shop.example/callback', { rewriteTo: literal });
    assert.match(attempt.error ?? '', /^forbidden address (127\.0\.0\.1|::1) \(loopback\)$/, literal);
    assert.equal(notification.status, 'pending');
  }
  assert.equal(merchant.connections(), 0);
  assert.deepEqual(watched.attempts.filter((a) => a.port === merchant.port), [], 'no socket connected to the listener’s port');
});

test('guarded with OUTBOUND_ALLOW_CIDRS=127.0.0.0/8: the same callback is delivered to the listener', { timeout: 30_000 }, async (t) => {
  const watched = watchConnections(t);
  const merchant = await merchantListener(t);
  const gw = await guardedGateway(t, { OUTBOUND_ALLOW_CIDRS: '127.0.0.0/8' });
  const order = await createOrder(gw, { callback_url: `http://merchant.test:${merchant.port}/callback` });
  await settleOrder(gw, order.orderId, 'paid');
  await waitFor('the callback at the listener', () => merchant.received.length > 0);
  assert.equal(new URLSearchParams(merchant.received[0]).get('merchant_reference'), order.reference);
  assert.ok(merchant.connections() >= 1);
  assert.ok(
    watched.attempts.some((a) => a.port === merchant.port && a.address === '127.0.0.1'),
    'the watcher saw the connection (so it would have seen one in the refused cases)',
  );
  const [notification] = await waitFor('the delivery to be recorded', async () => {
    const rows = await listNotificationsForOrder(gw.store.db, order.orderId);
    return rows[0]?.status === 'delivered' && rows;
  });
  assert.equal(notification.status, 'delivered');
});
