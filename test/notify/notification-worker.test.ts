import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
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
