import assert from 'node:assert/strict';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { parseRawAnswer, rawRequest, type RawAnswer } from '../helpers/raw-http.js';
import { createOrder, settleOrder } from './support.js';

/**
 * The payment page's live-status streams (`/pay/{nonce}/events`) hold a connection each:
 * they are capped per order and per client address, and /healthz keeps answering while the
 * caps hold. Real sockets on loopback; counts of a few dozen; every wait bounded.
 */

const BOUND_MS = 10_000;

interface Stream {
  answer: RawAnswer;
  socket: Socket;
  /** Resolves when the connection is closed. */
  closed: Promise<void>;
  /** Resolves when the server has ended the response (or the connection). */
  ended: Promise<void>;
  /** Everything received so far. */
  received(): string;
}

/**
 * Opens `/pay/{nonce}/events` from `localAddress` and resolves once the answer is known:
 * a stream whose first event arrived, or a complete refusal.
 */
function openStream(port: number, nonce: string, localAddress = '127.0.0.1'): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    let text = '';
    let settled = false;
    const closed = new Promise<void>((done) => socket.on('close', () => done()));
    let markEnded: () => void = () => {};
    const ended = new Promise<void>((done) => (markEnded = done));
    void closed.then(() => markEnded());
    const stream = (): Stream => ({ answer: parseRawAnswer(text), socket, closed, ended, received: () => text });
    const bound = setTimeout(() => {
      socket.destroy();
      if (!settled) reject(new Error(`no answer within ${BOUND_MS} ms: ${text.slice(0, 200)}`));
    }, BOUND_MS);
    socket.on('connect', () => socket.write(`GET /pay/${nonce}/events HTTP/1.1\r\nHost: gateway.test\r\nAccept: text/event-stream\r\n\r\n`));
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
      // The last chunk of a chunked response.
      if (text.endsWith('\r\n0\r\n\r\n')) markEnded();
      if (settled) return;
      const answer = parseRawAnswer(text);
      const complete = answer.status !== undefined && answer.status !== 200 && Buffer.byteLength(answer.body) >= Number(answer.headers['content-length']);
      if ((answer.status === 200 && answer.body.includes('data: ')) || complete) {
        settled = true;
        clearTimeout(bound);
        resolve(stream());
      }
    });
    socket.on('close', () => {
      clearTimeout(bound);
      if (!settled) {
        settled = true;
        resolve(stream());
      }
    });
  });
}

function assertRefused429(stream: Stream, what: string): void {
  const { answer } = stream;
  assert.equal(answer.status, 429, `${what}: ${answer.raw.slice(0, 300)}`);
  assert.ok(Number(answer.headers['retry-after']) > 0, `${what}: Retry-After ${answer.headers['retry-after']}`);
  assert.match(answer.headers['content-type'] ?? '', /^application\/json/);
  const parsed = JSON.parse(answer.body) as { code: unknown; message: unknown };
  assert.equal(parsed.code, 429, answer.body);
  assert.equal(typeof parsed.message, 'string');
}

async function healthz(port: number): Promise<number | undefined> {
  return (await rawRequest(port, 'GET /healthz HTTP/1.1\r\nHost: gateway.test\r\nConnection: close\r\n\r\n', { timeoutMs: BOUND_MS })).status;
}

async function closeAll(streams: Stream[]): Promise<void> {
  for (const stream of streams) stream.socket.destroy();
  await Promise.all(streams.map((stream) => stream.closed));
}

describe('live-status stream limits', () => {
  let gw: TestGateway;
  let port: number;
  before(async () => {
    gw = await createTestGateway({ env: { PAY_STREAMS_PER_ORDER: '4', PAY_STREAMS_PER_ADDRESS: '12' } });
    await gw.app.listen({ port: 0, host: '127.0.0.1' });
    port = (gw.app.server.address() as AddressInfo).port;
  });
  after(async () => {
    await gw.close();
  });

  test('past PAY_STREAMS_PER_ORDER on one order: 429 with Retry-After; /healthz answers; a closed stream frees its slot', async () => {
    const { nonce } = await createOrder(gw);
    const streams: Stream[] = [];
    try {
      for (let i = 0; i < 4; i++) streams.push(await openStream(port, nonce, `127.0.0.${2 + i}`));
      for (const stream of streams) assert.equal(stream.answer.status, 200, stream.answer.raw.slice(0, 200));
      // Two dozen more, from one address and from others.
      const refused = await Promise.all(Array.from({ length: 24 }, (_, i) => openStream(port, nonce, `127.0.0.${2 + (i % 6)}`)));
      streams.push(...refused);
      for (const stream of refused) assertRefused429(stream, 'over the order limit');
      assert.equal(await healthz(port), 200);
      // The four still stream.
      for (const stream of streams.slice(0, 4)) assert.ok(!stream.socket.destroyed);

      // One customer closes the page: its slot is free again.
      streams[0].socket.destroy();
      await streams[0].closed;
      const again = await waitForAccepted(port, nonce);
      streams.push(again);
      assert.equal(again.answer.status, 200);
    } finally {
      await closeAll(streams);
    }
  });

  test('past PAY_STREAMS_PER_ADDRESS from one address, over several orders: 429; other addresses still stream', async () => {
    const orders = await Promise.all(Array.from({ length: 6 }, () => createOrder(gw)));
    const streams: Stream[] = [];
    try {
      for (let i = 0; i < 12; i++) streams.push(await openStream(port, orders[i % 6].nonce, '127.0.0.20'));
      for (const stream of streams) assert.equal(stream.answer.status, 200, stream.answer.raw.slice(0, 200));
      const refused = await Promise.all(Array.from({ length: 12 }, (_, i) => openStream(port, orders[i % 6].nonce, '127.0.0.20')));
      streams.push(...refused);
      for (const stream of refused) assertRefused429(stream, 'over the address limit');
      assert.equal(await healthz(port), 200);
      const elsewhere = await openStream(port, orders[0].nonce, '127.0.0.21');
      streams.push(elsewhere);
      assert.equal(elsewhere.answer.status, 200, elsewhere.answer.raw.slice(0, 200));
    } finally {
      await closeAll(streams);
    }
  });

  test('a refused order still reaches its final status through /pay/{nonce}/status', async () => {
    const { nonce, orderId } = await createOrder(gw);
    const streams: Stream[] = [];
    try {
      for (let i = 0; i < 5; i++) streams.push(await openStream(port, nonce, `127.0.0.${30 + i}`));
      assertRefused429(streams[4], 'fifth');
      await settleOrder(gw, orderId, 'paid');
      const status = await rawRequest(port, `GET /pay/${nonce}/status HTTP/1.1\r\nHost: gateway.test\r\nConnection: close\r\n\r\n`);
      assert.equal(JSON.parse(status.body).status, 'paid');
      // The streams that were open carry the change and end.
      for (const stream of streams.slice(0, 4)) {
        await stream.ended;
        assert.match(stream.received(), /data: \{"status":"paid"\}/);
      }
    } finally {
      await closeAll(streams);
    }
  });
});

describe('live-status stream lifetime', () => {
  let gw: TestGateway;
  let port: number;
  before(async () => {
    gw = await createTestGateway({ env: { PAY_STREAMS_PER_ORDER: '4', PAY_STREAM_MAX_SECONDS: '10' } });
    await gw.app.listen({ port: 0, host: '127.0.0.1' });
    port = (gw.app.server.address() as AddressInfo).port;
  });
  after(async () => {
    await gw.close();
  });

  test('a stream ends after PAY_STREAM_MAX_SECONDS, and its slots are free again', { timeout: 30_000 }, async () => {
    const { nonce } = await createOrder(gw);
    const streams: Stream[] = [];
    try {
      for (let i = 0; i < 4; i++) streams.push(await openStream(port, nonce, `127.0.0.${40 + i}`));
      assertRefused429(await openStream(port, nonce, '127.0.0.44'), 'while four are open');
      // Ended by the server (10 s), not by the client; bounded by the test's timeout.
      await Promise.all(streams.map((stream) => stream.ended));
      for (const stream of streams) assert.match(stream.received(), /data: \{"status":"pending"\}/);
      const after = await openStream(port, nonce, '127.0.0.44');
      streams.push(after);
      assert.equal(after.answer.status, 200);
    } finally {
      await closeAll(streams);
    }
  });
});

/** Opens streams until one is accepted: the server frees a slot when it sees the close, a moment after the client's. */
async function waitForAccepted(port: number, nonce: string): Promise<Stream> {
  const deadline = Date.now() + BOUND_MS;
  for (;;) {
    const stream = await openStream(port, nonce, '127.0.0.9');
    if (stream.answer.status === 200) return stream;
    stream.socket.destroy();
    if (Date.now() > deadline) throw new Error(`no slot freed: ${stream.answer.raw.slice(0, 200)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
