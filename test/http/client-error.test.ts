import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { rawRequest, type RawAnswer } from '../helpers/raw-http.js';

/**
 * What the HTTP layer refuses before any route runs keeps its 4xx status, and answers in
 * the wire shape `{code, message}` with an integer code (clients parse every answer, spec §1).
 * These requests need a real socket: `inject` cannot send them.
 */

function assertRefused(answer: RawAnswer, status: number, what: string): { code: number; message: string } {
  assert.equal(answer.status, status, `${what}: ${answer.raw.slice(0, 300)}`);
  assert.match(answer.headers['content-type'] ?? '', /^application\/json/, what);
  assert.equal(Number(answer.headers['content-length']), Buffer.byteLength(answer.body), `${what}: Content-Length matches the body`);
  const parsed = JSON.parse(answer.body) as { code: unknown; message: unknown };
  assert.deepEqual(Object.keys(parsed).sort(), ['code', 'message'], what);
  assert.ok(Number.isInteger(parsed.code), `${what}: integer code in ${answer.body}`);
  assert.equal(typeof parsed.message, 'string');
  return parsed as { code: number; message: string };
}

describe('requests refused before they reach the application', () => {
  let gw: TestGateway;
  let port: number;
  before(async () => {
    gw = await createTestGateway();
    await gw.app.listen({ port: 0, host: '127.0.0.1' });
    port = (gw.app.server.address() as AddressInfo).port;
  });
  after(async () => {
    await gw.close();
  });

  test('headers over 16 KiB answer 431 with code 207, in one header or in many', async () => {
    const one = `GET /healthz HTTP/1.1\r\nHost: gateway.test\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`;
    const many = [`POST /v2/transaction HTTP/1.1\r\nHost: gateway.test\r\n`, ...Array.from({ length: 40 }, (_, i) => `X-H${i}: ${'b'.repeat(1_000)}\r\n`), '\r\n'];
    assert.equal(assertRefused(await rawRequest(port, one), 431, 'one header').code, 207);
    assert.equal(assertRefused(await rawRequest(port, many), 431, 'many headers').code, 207);
  });

  test('a URL over 16 KiB answers 414 with code 207', async () => {
    const answer = await rawRequest(port, `GET /v2/transaction/x?signature=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: gateway.test\r\n\r\n`);
    assert.equal(assertRefused(answer, 414, 'long URL').code, 207);
  });

  test('a path parameter over 1024 characters answers 414 with code 207 (the router)', async () => {
    const answer = await rawRequest(port, `GET /v2/transaction/${'a'.repeat(2_000)}?user_id=U1 HTTP/1.1\r\nHost: gateway.test\r\nConnection: close\r\n\r\n`);
    assert.equal(assertRefused(answer, 414, 'long parameter').code, 207);
  });

  test('bytes that are not HTTP answer 400 with code 207', async () => {
    const broken = [
      'GARBAGE\r\n\r\n',
      'GET /healthz HTTP/1.1\r\nHost: gateway.test\r\nBad Header: x\r\n\r\n',
      'POST /v2/transaction HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: abc\r\n\r\n',
      'POST /v2/transaction HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'GET /healthz HTTP/1.1\r\nHost: gateway.test\r\nX-Nul: a\u0000b\r\n\r\n',
    ];
    for (const request of broken) assert.equal(assertRefused(await rawRequest(port, request), 400, JSON.stringify(request.slice(0, 40))).code, 207);
  });

  test('a percent-encoding the router cannot read answers 400 with code 207', async () => {
    const answer = await rawRequest(port, 'GET /v2/transaction/%zz?user_id=U1 HTTP/1.1\r\nHost: gateway.test\r\nConnection: close\r\n\r\n');
    assert.equal(assertRefused(answer, 400, 'bad percent-encoding').code, 207);
  });

  test('a body over 64 KiB answers 413 with code 207, announced or chunked', async () => {
    const head = 'POST /v2/transaction HTTP/1.1\r\nHost: gateway.test\r\nContent-Type: application/json\r\nConnection: close\r\n';
    const announced = `${head}Content-Length: 100000\r\n\r\n${'{'.repeat(100_000)}`;
    const chunked = [`${head}Transfer-Encoding: chunked\r\n\r\n`, ...Array.from({ length: 20 }, () => `1000\r\n${'a'.repeat(4_096)}\r\n`), '0\r\n\r\n'];
    assert.equal(assertRefused(await rawRequest(port, announced), 413, 'announced').code, 207);
    assert.equal(assertRefused(await rawRequest(port, chunked), 413, 'chunked').code, 207);
  });

  test('the server keeps answering after all of that', async () => {
    const answer = await rawRequest(port, 'GET /healthz HTTP/1.1\r\nHost: gateway.test\r\nConnection: close\r\n\r\n');
    assert.equal(answer.status, 200, answer.raw);
  });
});
