import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { createTestGateway, signed, type TestGateway } from '../helpers/gateway.js';
import { answerOf, createOrder } from './support.js';

/** A gateway logging at info into memory; `lines()` answers what it wrote so far, parsed. */
async function gatewayWithLog(env: Record<string, string>): Promise<{ gw: TestGateway; text: () => string; lines: () => Array<Record<string, unknown>> }> {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const gw = await createTestGateway({ env: { LOG_LEVEL: 'info', ...env }, logDestination: destination });
  const text = () => chunks.join('');
  const lines = () =>
    text()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { gw, text, lines };
}

describe('LOG_REQUESTS', () => {
  test('on: one line per request with method, route, status, duration, request id and client address', async () => {
    const { gw, lines } = await gatewayWithLog({ LOG_REQUESTS: 'on' });
    try {
      await createOrder(gw);
      await gw.app.inject({ method: 'GET', url: '/healthz', remoteAddress: '203.0.113.9' });
      await gw.app.inject({ method: 'GET', url: '/no-such-page' });
      const requests = lines().filter((line) => line.msg === 'request');
      assert.equal(requests.length, 3, JSON.stringify(requests));
      const [created, health, missing] = requests;
      assert.equal(created.method, 'POST');
      assert.equal(created.route, '/v2/transaction');
      assert.equal(created.status, 200);
      assert.equal(created.level, 30);
      assert.equal(typeof created.ms, 'number');
      assert.equal(typeof created.reqId, 'string');
      assert.equal(created.client, '127.0.0.1');
      assert.deepEqual([health.route, health.status, health.client], ['/healthz', 200, '203.0.113.9']);
      assert.deepEqual([missing.route, missing.status], ['unmatched', 404]);
      assert.notEqual(created.reqId, health.reqId);
    } finally {
      await gw.close();
    }
  });

  test('never logs a signature, an api key, a query string, a body or a merchant reference', async () => {
    const { gw, text, lines } = await gatewayWithLog({ LOG_REQUESTS: 'on' });
    try {
      const order = await createOrder(gw, { product_name: 'Secret Cellar Pinot' });
      const query = signed({ merchant_reference: order.reference, user_id: gw.merchant.user_id }, gw.merchant.api_key);
      const queried = await gw.app.inject({
        method: 'GET',
        url: `/v2/transaction/${encodeURIComponent(order.reference)}?user_id=${query.user_id}&signature=${query.signature}`,
        headers: { authorization: `Bearer ${gw.merchant.api_key}`, cookie: `session=${gw.merchant.api_key}` },
      });
      assert.equal(answerOf(queried).code, 0);
      // A wrong signature on a refund: the request is refused, and its line still names only the route.
      const refund = await gw.app.inject({
        method: 'POST',
        url: '/refund',
        payload: { user_id: gw.merchant.user_id, order_id: order.orderId, refund_amount: '1.00', reference: 'r', signature: 'f'.repeat(64) },
      });
      assert.equal(refund.statusCode, 200);
      const requests = lines().filter((line) => line.msg === 'request');
      assert.deepEqual(
        requests.map((line) => line.route),
        ['/v2/transaction', '/v2/transaction/:merchant_reference', '/refund'],
      );
      const logged = text();
      for (const secret of [gw.merchant.api_key, query.signature, signed(order.fields, gw.merchant.api_key).signature, 'f'.repeat(64), order.reference, order.nonce, 'Secret Cellar Pinot', '?user_id=', 'signature=']) {
        if (secret) assert.ok(!logged.includes(secret), `the log must not contain ${secret}`);
      }
    } finally {
      await gw.close();
    }
  });

  test('off (the default): no request lines', async () => {
    const { gw, lines } = await gatewayWithLog({});
    try {
      await createOrder(gw);
      await gw.app.inject({ method: 'GET', url: '/healthz' });
      assert.deepEqual(
        lines().filter((line) => line.msg === 'request' || line.msg === 'request completed' || line.msg === 'incoming request'),
        [],
      );
    } finally {
      await gw.close();
    }
  });
});
