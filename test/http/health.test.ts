import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestGateway } from '../helpers/gateway.js';

test('GET /healthz answers 200 {status: "ok"} while the database answers', async () => {
  const gw = await createTestGateway();
  try {
    const response = await gw.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    const body = response.json() as { status: string; database: string };
    assert.equal(body.status, 'ok');
    assert.equal(body.database, gw.store.kind);
  } finally {
    await gw.close();
  }
});

test('GET /healthz answers 503 once the database is gone, and the app keeps answering', async () => {
  const gw = await createTestGateway();
  try {
    await gw.store.close();
    for (let i = 0; i < 2; i++) {
      const response = await gw.app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(response.statusCode, 503);
      assert.equal((response.json() as { status: string }).status, 'unavailable');
      assert.ok(!/select|sqlite|postgres.*error|stack/i.test(JSON.stringify((response.json() as { status: string }).status)));
    }
    // The merchant API fails without leaking internals either.
    const api = await gw.app.inject({ method: 'GET', url: `/v2/transaction/x?user_id=${gw.merchant.user_id}&signature=${'0'.repeat(64)}` });
    assert.equal(api.statusCode, 500);
    const answer = api.json() as { code: number; message: string };
    assert.ok(Number.isInteger(answer.code));
    assert.ok(!/driver|destroyed|kysely|at \w+ \(/i.test(answer.message), answer.message);
  } finally {
    await gw.close();
  }
});
