import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { deliverCallback } from '../../src/notify/deliver-callback.js';

describe('deliverCallback (POST to the merchant)', () => {
  let server: Server;
  let base: string;
  const received: Array<{ path: string; contentType: string | undefined; body: string }> = [];
  const answers: Record<string, (res: ServerResponse) => void> = {
    '/sent': (res) => res.end('sent'),
    '/sent-padded': (res) => res.end('  sent\n'),
    '/error': (res) => res.writeHead(500).end('database down'),
    '/other': (res) => res.end('ok'),
    '/redirect': (res) => res.writeHead(302, { location: '/sent' }).end(),
    '/huge': (res) => res.end('x'.repeat(200_000)),
    '/silent': () => {},
  };

  before(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', contentType: req.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') });
        answers[req.url ?? '']?.(res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('posts the form body; delivered when the merchant answers 200 `sent`, spaces aside', async () => {
    const result = await deliverCallback(`${base}/sent`, 'merchant_reference=a%20b&status=paid', 5_000);
    assert.deepEqual({ ok: result.ok, status: result.httpStatus, excerpt: result.bodyExcerpt, error: result.error }, { ok: true, status: 200, excerpt: 'sent', error: null });
    assert.deepEqual(received.at(-1), { path: '/sent', contentType: 'application/x-www-form-urlencoded;charset=UTF-8', body: 'merchant_reference=a%20b&status=paid' });
    assert.equal((await deliverCallback(`${base}/sent-padded`, 'x=1', 5_000)).ok, true);
  });

  test('any other answer is not a delivery, and says what came back', async () => {
    const failed = await deliverCallback(`${base}/error`, 'x=1', 5_000);
    assert.deepEqual([failed.ok, failed.httpStatus, failed.bodyExcerpt], [false, 500, 'database down']);
    assert.deepEqual([(await deliverCallback(`${base}/other`, 'x=1', 5_000)).ok], [false]);
    const redirected = await deliverCallback(`${base}/redirect`, 'x=1', 5_000);
    assert.deepEqual([redirected.ok, redirected.httpStatus], [false, 302]);
    assert.equal(received.filter((r) => r.path === '/sent' && r.body === 'x=1').length, 0, 'a redirect is not followed');
  });

  test('a huge answer is read only in part, and the excerpt is 200 bytes', async () => {
    const result = await deliverCallback(`${base}/huge`, 'x=1', 5_000);
    assert.equal(result.ok, false);
    assert.equal(result.bodyExcerpt?.length, 200);
  });

  test('a merchant that never answers times out; a closed port is refused', async () => {
    const silent = await deliverCallback(`${base}/silent`, 'x=1', 300);
    assert.deepEqual([silent.ok, silent.httpStatus, silent.error], [false, null, 'timed out after 300 ms']);
    assert.ok(silent.durationMs >= 250, `${silent.durationMs} ms`);
    const refused = await deliverCallback('http://127.0.0.1:9/callback', 'x=1', 5_000);
    assert.deepEqual([refused.ok, refused.error], [false, 'ECONNREFUSED']);
    const bad = await deliverCallback('ftp://merchant.example/callback', 'x=1', 5_000);
    assert.deepEqual([bad.ok, bad.error], [false, 'unsupported protocol ftp:']);
  });
});
