import assert from 'node:assert/strict';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { serverTimeouts } from '../../src/http/server-timeouts.js';
import { createTestGateway, signed, type TestGateway } from '../helpers/gateway.js';
import { parseRawAnswer, rawRequest, type RawAnswer } from '../helpers/raw-http.js';
import { createOrder, settleOrder } from './support.js';

/**
 * A client that dribbles its headers or body is cut off; a long-poll or a live-status
 * stream that outlasts those limits is not. The limits are shortened here (the defaults
 * are seconds long); every wait is bounded.
 */

const SHORT = { headersMs: 400, requestMs: 800, checkIntervalMs: 100 };
const BOUND_MS = 10_000;

/** Opens a connection, writes `first`, then one byte of `drip` every 100 ms until the server closes it. */
function dribble(port: number, first: string, drip: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    let i = 0;
    const timer = setInterval(() => {
      if (socket.writable) socket.write(drip[i++ % drip.length]);
    }, 100);
    const bound = setTimeout(() => socket.destroy(), BOUND_MS);
    socket.on('connect', () => socket.write(first));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(bound);
      resolve(parseRawAnswer(Buffer.concat(chunks).toString('utf8')));
    });
  });
}

function assertTimedOut(answer: RawAnswer, what: string): void {
  assert.equal(answer.status, 408, `${what}: ${answer.raw.slice(0, 200) || 'closed without an answer'}`);
  const parsed = JSON.parse(answer.body) as { code: unknown };
  assert.ok(Number.isInteger(parsed.code), answer.body);
}

describe('server timeouts', () => {
  let gw: TestGateway;
  let port: number;
  before(async () => {
    gw = await createTestGateway({ timeouts: SHORT, env: { LONG_POLL_SECONDS: '2' } });
    await gw.app.listen({ port: 0, host: '127.0.0.1' });
    port = (gw.app.server.address() as AddressInfo).port;
  });
  after(async () => {
    await gw.close();
  });

  test('a client that dribbles its headers is cut off with 408', async () => {
    assertTimedOut(await dribble(port, 'GET /healthz HTTP/1.1\r\nHost: gateway.test\r\nX-Slow: ', 'abcdef'), 'dribbled headers');
  });

  test('a client that dribbles its body is cut off with 408', async () => {
    const head = 'POST /v2/transaction HTTP/1.1\r\nHost: gateway.test\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{"a":"';
    assertTimedOut(await dribble(port, head, 'xyz'), 'dribbled body');
  });

  test('a connection that sends nothing is closed', async () => {
    const answer = await rawRequest(port, [], { timeoutMs: BOUND_MS });
    assertTimedOut(answer, 'silent connection');
  });

  test('a keep-alive connection idle between requests is not cut by the headers timeout', async () => {
    const socket: Socket = connect({ port, host: '127.0.0.1' });
    const bound = setTimeout(() => socket.destroy(), BOUND_MS);
    try {
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString('utf8')));
      socket.on('error', () => {});
      await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
      socket.write('GET /healthz HTTP/1.1\r\nHost: gateway.test\r\n\r\n');
      await waitUntil(() => received.includes('"status":"ok"'));
      // Idle for three headers timeouts (checked every 0.1 s), then a second request on the same connection.
      await new Promise((resolve) => setTimeout(resolve, SHORT.headersMs * 3));
      assert.ok(!socket.destroyed, 'still open');
      socket.write('GET /healthz HTTP/1.1\r\nHost: gateway.test\r\nConnection: close\r\n\r\n');
      await waitUntil(() => received.split('"status":"ok"').length === 3);
      assert.doesNotMatch(received, /HTTP\/1\.1 408/);
    } finally {
      clearTimeout(bound);
      socket.destroy();
    }
  });

  test('a long-poll outlasts the request timeout and answers when it ends', async () => {
    const { reference } = await createOrder(gw);
    const query = new URLSearchParams(signed({ merchant_reference: reference, user_id: gw.merchant.user_id }, gw.merchant.api_key));
    query.delete('merchant_reference');
    query.set('is_block', '1');
    // Signed without is_block, as clients do (spec §4.6): it waits LONG_POLL_SECONDS (2 s), past the 0.8 s request timeout.
    const answer = await rawRequest(port, `GET /v2/transaction/${encodeURIComponent(reference)}?${query} HTTP/1.1\r\nHost: gateway.test\r\nConnection: close\r\n\r\n`, {
      timeoutMs: BOUND_MS,
    });
    assert.equal(answer.status, 200, answer.raw);
    const body = JSON.parse(answer.body) as { code: number; status: string };
    assert.equal(body.code, 0);
    assert.equal(body.status, 'pending');
  });

  test('a live-status stream outlasts the request timeout and still delivers the final status', async () => {
    const { nonce, orderId } = await createOrder(gw);
    const socket: Socket = connect({ port, host: '127.0.0.1' });
    const bound = setTimeout(() => socket.destroy(), BOUND_MS);
    try {
      let received = '';
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.on('data', (chunk) => (received += chunk.toString('utf8')));
      socket.on('error', () => {});
      socket.write(`GET /pay/${nonce}/events HTTP/1.1\r\nHost: gateway.test\r\nAccept: text/event-stream\r\n\r\n`);
      await waitUntil(() => received.includes('"status":"pending"'));
      // Past the request timeout (checked every 0.1 s) the stream is still open…
      await new Promise((resolve) => setTimeout(resolve, SHORT.requestMs * 2));
      assert.ok(!socket.destroyed && !received.includes('408'), received);
      // …and carries the change.
      await settleOrder(gw, orderId, 'paid');
      await waitUntil(() => received.includes('"status":"paid"'));
      socket.end();
      await closed;
    } finally {
      clearTimeout(bound);
      socket.destroy();
    }
  });

  test('the defaults: no limit cuts a long-poll of LONG_POLL_SECONDS; headers and body have a limit', () => {
    const config = loadConfig({ DATABASE_URL: 'sqlite::memory:', LONG_POLL_SECONDS: '180' });
    const timeouts = serverTimeouts(config);
    assert.ok(timeouts.idleMs > 180_000);
    assert.ok(timeouts.keepAliveMs > 0 && timeouts.headersMs > 0 && timeouts.requestMs > 0);
    assert.ok(timeouts.headersMs <= timeouts.requestMs, 'Node refuses a headers timeout over the request timeout');
  });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + BOUND_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
